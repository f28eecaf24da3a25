"""The real window on a cluster of the test's choosing, driven through its buttons.

:func:`open_desk` writes what an administrator would (the clusters file in the machine
config folder, short timeouts, the till in the keyring), then builds the window with
:func:`capdesk.desk.build_desk`, as ``capdesk.app`` does. :class:`Desk` clicks Fetch
OTP / Generate and waits for the outcome with :func:`capdesk.smoke.after_click` while
a :class:`Heartbeat` timer measures how long the GUI thread was ever unavailable. The
``open_window`` fixture (tests/faults/conftest.py) guards the GUI thread meanwhile: a
keyring or SQLite call on it fails the test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QTimer, SignalInstance
from PySide6.QtWidgets import QLabel, QLineEdit

from capdesk.api.auth import Credentials
from capdesk.api.clusters import load_clusters
from capdesk.api.errors import CapdeskError
from capdesk.api.models import OtpResult
from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.desk import build_desk
from capdesk.paths import AppPaths, default_paths
from capdesk.services import DeskService
from capdesk.settings import Settings
from capdesk.smoke import after_click
from capdesk.store.credentials import CredentialStore
from capdesk.store.history import CardHistory, HistoryEntry
from capdesk.store.policy import load_policy
from capdesk.ui.main_window import MainWindow
from tests.ui.window_harness import guarded_gui_thread, off_gui_thread

CLUSTER_KEY = "faulty"
CLUSTER_LABEL = "Test EU"
CONNECT_TIMEOUT = 0.5
READ_TIMEOUT = 1.0  # the smallest the settings accept
WAIT_MS = 15_000
# Longest acceptable GUI-thread stall, in seconds. A call blocking the GUI thread would
# stall it for the whole fault (1 s and more for timeouts and retries), far above this;
# first paints and style changes take up to ~0.1 s on a busy 2-core machine.
MAX_STALL = 0.3


class Heartbeat:
    """A 10 ms QTimer on the GUI thread; the longest gap between ticks is the worst stall."""

    def __init__(self, interval_ms: int = 10) -> None:
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.ticks = 0
        self.max_gap = 0.0

    def _tick(self) -> None:
        now = time.monotonic()
        self.max_gap = max(self.max_gap, now - self._last)
        self._last = now
        self.ticks += 1

    def start(self) -> None:
        self.ticks = 0
        self.max_gap = 0.0
        self._last = time.monotonic()
        self._timer.start()

    def stop(self) -> None:
        self._tick()
        self._timer.stop()


@dataclass
class Outcome:
    """What one click led to: a result or the error the window showed."""

    result: Any = None
    error: CapdeskError | None = None
    seconds: float = 0.0
    max_gap: float = 0.0
    entries: list[HistoryEntry] = field(default_factory=list)


class Desk:
    """One window on the test cluster, and ways to use it as staff would."""

    def __init__(self, qtbot: Any, window: MainWindow, service: DeskService, paths: AppPaths):
        self.qtbot = qtbot
        self.window = window
        self.service = service
        self.paths = paths
        self.heartbeat = Heartbeat()

    # --- reading the window ------------------------------------------------------------

    @property
    def status_text(self) -> str:
        return self.window.findChild(QLabel, "statusMessage").text()

    @property
    def status_kind(self) -> str:
        return self.window.status.kind

    @property
    def identifier_text(self) -> str:
        return self.window.findChild(QLineEdit, "identifierValue").text()

    def history_entries(self) -> list[HistoryEntry]:
        """What the history file holds, newest first: read from the file itself (also
        once the window has closed it), off the GUI thread."""

        def read() -> list[HistoryEntry]:
            with CardHistory(self.paths.history_file) as history:
                return history.entries()

        return off_gui_thread(read)

    def history_numbers(self) -> list[str]:
        """Every number in the history file, oldest first."""
        return [entry.number for entry in reversed(self.history_entries())]

    # --- acting ----------------------------------------------------------------------

    def type_identifier(self, name: str = "mobile", value: str = "919876543210") -> None:
        self.window.identifier_form.set_identifier(name, value)

    def _run(
        self, click: Callable[[], None], success: SignalInstance, timeout_ms: int, *, batch: bool
    ) -> Outcome:
        """Click and wait, as the smoke test does; the heartbeat runs meanwhile. A card
        batch is waited for to its end even after an error (its numbers are kept)."""
        outcome = Outcome()

        def failed(error: CapdeskError) -> None:
            outcome.error = error

        self.window.operationFailed.connect(failed)
        failure = None if batch else self.window.operationFailed
        waiting = asyncio.ensure_future(
            after_click(click, success, failure, timeout=timeout_ms / 1000)
        )
        self.heartbeat.start()
        started = time.monotonic()
        try:
            self.qtbot.waitUntil(waiting.done, timeout=timeout_ms + 2000)
            if waiting.exception() is None:
                outcome.result = waiting.result()
            elif not isinstance(waiting.exception(), CapdeskError):
                raise waiting.exception()  # a step that never ended: TimeoutError
        finally:
            outcome.seconds = time.monotonic() - started
            self.heartbeat.stop()
            outcome.max_gap = self.heartbeat.max_gap
            self.window.operationFailed.disconnect(failed)
            waiting.cancel()
        return outcome

    def fetch(self, timeout_ms: int = WAIT_MS) -> Outcome:
        """Click Fetch OTP and wait for the OTP or the error."""
        outcome = self._run(
            self.window.identifier_form.fetch_button.click,
            self.window.otpShown,
            timeout_ms,
            batch=False,
        )
        assert outcome.result is None or isinstance(outcome.result, OtpResult)
        return outcome

    def generate(self, count: int, timeout_ms: int = WAIT_MS) -> Outcome:
        """Ask for ``count`` card numbers and wait until the batch ends (done or failed)."""
        self.window.card_panel.set_count(count)
        outcome = self._run(
            self.window.card_panel.generate_button.click,
            self.window.cardBatchFinished,
            timeout_ms,
            batch=True,
        )
        outcome.entries = list(outcome.result or [])
        return outcome

    def close(self) -> None:
        """Close the window, then the service (and with it the history), as the app does."""
        self.window.close()
        task = asyncio.ensure_future(self.service.close())
        self.qtbot.waitUntil(task.done, timeout=5000)
        task.result()


def write_admin_clusters(paths: AppPaths, base_url: str) -> None:
    """An administrator's clusters.toml in the machine config folder naming the test server."""
    paths.machine_config_dir.mkdir(parents=True, exist_ok=True)
    (paths.machine_config_dir / "clusters.toml").write_text(
        f'[clusters.{CLUSTER_KEY}]\nlabel = "{CLUSTER_LABEL}"\nbase_url = "{base_url}"\n',
        encoding="utf-8",
    )


def open_desk(
    qtbot: Any,
    base_url: str,
    credentials: Credentials | None,
    *,
    clock: Clock = SYSTEM_CLOCK,
    read_timeout: float = READ_TIMEOUT,
) -> Desk:
    """The window on the admin-configured test cluster, signed in with ``credentials``."""
    paths = default_paths().ensure()
    write_admin_clusters(paths, base_url)
    settings = Settings(paths, load_policy(paths))
    settings.connect_timeout = CONNECT_TIMEOUT
    settings.read_timeout = read_timeout
    clusters = load_clusters(paths.cluster_files())
    cluster = clusters[CLUSTER_KEY]
    store = CredentialStore()
    if credentials is not None:  # as the sign-in dialog would have, before this window
        off_gui_thread(store.save, cluster.key, credentials)
    built = build_desk(
        paths,
        settings=settings,
        clusters=clusters,
        cluster=cluster,
        credential_store=store,
        clock=clock,
    )
    qtbot.addWidget(built.window)
    built.window.show()
    return Desk(qtbot, built.window, built.service, paths)


@contextmanager
def windows(qtbot: Any) -> Iterator[Callable[..., Desk]]:
    """``open(base_url, credentials, **options)`` → a :class:`Desk`; all closed on the way
    out. From the first window on the GUI thread is guarded: a keyring or SQLite call on
    it fails the test (on the way out too, if the window swallowed the error)."""
    opened: list[Desk] = []
    with ExitStack() as guard:

        def open_one(*args: Any, **kwargs: Any) -> Desk:
            if not opened:
                guard.enter_context(guarded_gui_thread())
            desk = open_desk(qtbot, *args, **kwargs)
            opened.append(desk)
            return desk

        try:
            yield open_one
        finally:
            for desk in opened:
                desk.close()
