"""``python -m capdesk`` with its GUI thread guarded, for the AT-SPI check.

    python -m tests.accessibility.guarded_app

The accessibility check drives the real app in a child process. This runs it the same
way (``capdesk.app.main``) under :func:`capdesk.store.thread_guard.forbid_blocking_on`:
a keyring or SQLite call on the GUI thread ends the process at once, the violation on
stderr, so the check finds the app gone and says why.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_API", "pyside6")

EXIT_BLOCKING_CALL = 70
WATCH_MS = 100


def main() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from capdesk import APP_NAME
    from capdesk.app import main as run_window
    from capdesk.store.thread_guard import forbid_blocking_on, violations

    app = QApplication.instance() or QApplication([APP_NAME])

    def check() -> None:
        refused = violations()
        if refused:  # also those the window caught and showed as an error
            sys.stderr.write(f"blocking calls on the GUI thread: {refused}\n")
            sys.stderr.flush()
            os._exit(EXIT_BLOCKING_CALL)

    watch = QTimer(app)
    watch.setInterval(WATCH_MS)
    watch.timeout.connect(check)
    watch.start()
    with forbid_blocking_on():
        code = run_window([])
    check()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
