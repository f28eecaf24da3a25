"""A capdesk window in a child process, generating a card batch until it is killed.

    python -m tests.faults.window_driver CLUSTER_KEY COUNT

Built by ``capdesk.desk.build_desk``, as ``capdesk.app.main`` builds it (paths from
CAPDESK_HOME, the admin clusters file, settings, the SQLite history opened by the
service, MainWindow on a qasync loop), with the demo till saved in an in-memory keyring
(a child cannot share the test's). It
clicks Generate for COUNT numbers and prints ``NUMBER <n>`` for each number at the
moment the window shows it, flushing every line, so the parent knows exactly what
staff saw before it sends SIGKILL.
"""

from __future__ import annotations

import asyncio
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")


def main(argv: list[str]) -> int:
    cluster_key, count = argv[0], int(argv[1])

    import keyring
    import qasync
    from PySide6.QtWidgets import QApplication

    from capdesk.api.client_factory import training_credentials
    from capdesk.api.clusters import load_clusters
    from capdesk.desk import build_desk
    from capdesk.logs import setup_logging
    from capdesk.paths import default_paths
    from capdesk.store.credentials import CredentialStore
    from capdesk.store.thread_guard import forbid_blocking_on
    from tests.memory_keyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())
    paths = default_paths().ensure()
    setup_logging(paths.log_file)
    app = QApplication.instance() or QApplication(["capdesk"])
    clusters = load_clusters(paths.cluster_files())
    cluster = clusters[cluster_key]
    store = CredentialStore()
    store.save(cluster.key, training_credentials())
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    # As in the window tests: a keyring or SQLite call on the GUI thread fails the batch.
    with forbid_blocking_on():
        window = build_desk(
            paths, clusters=clusters, cluster=cluster, credential_store=store
        ).window
        window.show()
        panel = window.card_panel

        def shown(value: int) -> None:  # on_number: show_number, then report_progress
            if value > 0:
                print(f"NUMBER {panel.latest_number}", flush=True)

        def finished(entries: list) -> None:
            print(f"FINISHED {len(entries)}", flush=True)

        panel.progress.valueChanged.connect(shown)
        window.cardBatchFinished.connect(finished)
        panel.set_count(count)
        loop.call_soon(panel.generate_button.click)
        print("STARTED", flush=True)
        loop.run_forever()  # until SIGKILL
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
