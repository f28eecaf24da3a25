"""Start the window: folders, log, policy, QApplication, the qasync loop, then the
window and its service from :func:`capdesk.desk.build_desk` (the one composition root,
which the tests' windows use too).

``main(argv)`` is the automation surface (tests and support tools rely on it):
it reuses a QApplication that already exists and returns the exit code instead of
calling ``sys.exit``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import cast

os.environ.setdefault("QT_API", "pyside6")

import qasync  # type: ignore[import-untyped]  # ships no type information
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from capdesk import APP_NAME, __version__
from capdesk.api.clusters import TRAINING, Cluster, load_clusters, resolve_cluster
from capdesk.api.errors import CapdeskError
from capdesk.desk import build_desk
from capdesk.local_faults import data_folder_unavailable, folder_faults
from capdesk.logs import close_log_file, set_log_problem_listener, setup_logging
from capdesk.paths import AppPaths, default_paths, program_dir, throwaway_paths
from capdesk.settings import Settings, requested_cluster
from capdesk.store.policy import load_policy

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capdesk",
        description="Fetch a customer's OTP and generate card numbers. "
        "Without arguments the window opens; see 'capdesk otp --help' etc. for the command line.",
    )
    parser.add_argument(
        "--cluster", metavar="NAME", help="open on this cluster (see 'capdesk clusters')"
    )
    parser.add_argument("--kiosk", action="store_true", help="full screen, locked down")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="open on the training cluster, fetch an OTP and generate a card number, then exit",
    )
    parser.add_argument("--version", action="version", version=f"capdesk {__version__}")
    return parser


def _initial_cluster(
    requested: str | None, settings: Settings, clusters: dict[str, Cluster]
) -> Cluster:
    """--cluster wins (unless the policy locks another: SettingLocked), then the machine
    policy (cluster or base URL), then the last used."""
    policy_values = settings.policy.values
    if requested:
        chosen = requested_cluster(requested, None, settings.policy, clusters)
        assert chosen is not None  # a cluster was asked for
        return chosen
    if "base_url" in policy_values:
        return resolve_cluster(None, policy_values["base_url"], clusters)
    return clusters.get(settings.last_cluster, TRAINING)


def _history_problem(
    paths: AppPaths, failed_folders: list[tuple[Path, OSError]]
) -> CapdeskError | None:
    """Why the history can't be used before even opening it: its folder is missing.
    (A damaged file, or one from a newer capdesk, is found by the service as it opens
    it in a worker.) The window then opens without it and says so."""
    for folder, error in failed_folders:
        if folder == paths.data_dir:
            return data_folder_unavailable(error)
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if not args.smoke_test:
        return _run(args, default_paths())
    from capdesk.smoke import start_watchdog

    # A smoke test always ends: the watchdog stops a process whose event loop hangs.
    watchdog = start_watchdog()
    # The smoke test runs in a throwaway profile, removed afterwards: its training
    # number, settings and log never reach the staff's history.
    try:
        with tempfile.TemporaryDirectory(
            prefix="capdesk-smoke-", ignore_cleanup_errors=True
        ) as root:
            try:
                return _run(args, throwaway_paths(Path(root), default_paths().machine_config_dir))
            finally:
                close_log_file()  # the log file lives in the folder about to be removed
    finally:
        watchdog.set()


def _run(args: argparse.Namespace, profile: AppPaths) -> int:
    """Open the window on ``profile``'s files and run it until it closes."""
    # A folder that cannot be created, or a log that cannot be written, is said in the
    # window (an OTP look-up needs neither); it never ends the start with a traceback.
    paths = profile
    failed_folders = paths.create_folders()
    setup_logging(paths.log_file)
    notices = folder_faults(paths, failed_folders)
    for folder, error in failed_folders:
        log.warning("Folder %s cannot be created: %s", folder, error)
    policy = load_policy(paths)
    for problem in policy.problems:
        log.warning("Machine policy: %s", problem)

    app = cast(QApplication, QApplication.instance() or QApplication([APP_NAME]))
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    icon = program_dir() / "resources" / "capdesk.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))

    settings = Settings(paths, policy)
    # Kiosk: policy or --kiosk; never for the smoke test, which must close by itself.
    # A policy that exists but cannot be read may have been a kiosk's: fail closed, as
    # a locked kiosk that says why (capdesk.ui.kiosk.admin_controls), until IT repairs it.
    kiosk = (args.kiosk or settings.kiosk or policy.unreadable) and not args.smoke_test
    instance = None
    if kiosk:
        from capdesk.single_instance import SingleInstance, bring_to_front

        instance = SingleInstance()
        if not instance.acquire():
            log.info("capdesk is already running: brought it to the front")
            return 0

    clusters = load_clusters(paths.cluster_files())
    try:
        cluster = (
            TRAINING if args.smoke_test else _initial_cluster(args.cluster, settings, clusters)
        )
    except CapdeskError as error:
        print(error.sentence, file=sys.stderr)
        return error.exit_code

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    desk = build_desk(
        paths,
        settings=settings,
        clusters=clusters,
        cluster=cluster,
        history_problem=_history_problem(paths, failed_folders),
        kiosk=kiosk,
        notices=notices,
    )
    service, window = desk.service, desk.window
    set_log_problem_listener(window.logProblem.emit)  # now and whenever it stops working
    if instance is not None:
        instance.activationRequested.connect(lambda: bring_to_front(window))
    finished: asyncio.Future[int] = loop.create_future()

    def window_closed() -> None:
        if not finished.done():
            finished.set_result(0)

    window.closed.connect(window_closed)

    class AfterFirstPaint(QObject):
        """What the first screen does not need (the HTTP client, the training cluster)
        starts once the window has painted, in a worker: staff see the window sooner."""

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                watched.removeEventFilter(self)
                QTimer.singleShot(0, service.start_background_work)  # after this paint
            return False

    after_first_paint = AfterFirstPaint(window)
    window.installEventFilter(after_first_paint)
    window.show()
    # Everything built so far lives as long as the window. Without this, each full
    # garbage collection walks all of it on the GUI thread: a 20-60 ms freeze.
    gc.freeze()

    smoke_task: asyncio.Task[int] | None = None
    if args.smoke_test:
        from capdesk.smoke import run_smoke_test

        async def smoke() -> int:
            try:
                return await run_smoke_test(window, lambda line: print(line, flush=True))
            finally:
                window.close()

        smoke_task = loop.create_task(smoke())  # referenced until the loop ends
    try:
        # The smoke test ends when its flow is done, not when the window says it closed:
        # under wine offscreen ``closed`` never came and the process never exited.
        code: int = loop.run_until_complete(smoke_task if smoke_task is not None else finished)
    finally:
        set_log_problem_listener(None)
        loop.run_until_complete(service.close())  # closes the history too, in a thread
        asyncio.set_event_loop(None)
        loop.close()
        # A host that called main() (tests, support tools) goes on without the window.
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.unfreeze()
        if instance is not None:
            instance.release()
    log.info("capdesk window closed (exit %s)", code)
    return code
