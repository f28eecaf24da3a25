"""The real window on a cluster of the test's choosing, driven through its buttons.

:func:`open_desk` builds what ``capdesk.app`` builds (settings with short timeouts,
the admin clusters file in the machine config folder, credentials in the keyring
through :class:`CredentialStore`, the SQLite history) and a :class:`MainWindow`
on top. :class:`Desk` clicks Fetch OTP / Generate and waits for the outcome while
a :class:`Heartbeat` timer measures how long the GUI thread was ever unavailable.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QTimer, SignalInstance
from PySide6.QtWidgets import QLabel, QLineEdit

from capdesk.api.auth import Credentials
from capdesk.api.clusters import load_clusters
from capdesk.api.errors import CapdeskError
from capdesk.api.models import OtpResult
from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.paths import AppPaths, default_paths
from capdesk.services import DeskService
from capdesk.settings import Settings
from capdesk.store.credentials import CredentialStore
from capdesk.store.history import CardHistory, HistoryEntry
from capdesk.store.policy import load_policy
from capdesk.ui.main_window import MainWindow

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

    def __init__(
        self, qtbot: Any, window: MainWindow, service: DeskService, history: CardHistory
    ) -> None:
        self.qtbot = qtbot
        self.window = window
        self.service = service
        self.history = history
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

    def history_numbers(self) -> list[str]:
        """Every number in the history file, oldest first."""
        return [entry.number for entry in reversed(self.history.entries())]

    # --- acting ----------------------------------------------------------------------

    def type_identifier(self, name: str = "mobile", value: str = "919876543210") -> None:
        self.window.identifier_form.set_identifier(name, value)

    def _run(self, click: Callable[[], None], success: SignalInstance, timeout_ms: int) -> Outcome:
        outcome = Outcome()
        done: list[bool] = []

        def ok(value: Any) -> None:
            outcome.result = value
            done.append(True)

        def failed(error: CapdeskError) -> None:
            outcome.error = error
            if success is not self.window.cardBatchFinished:
                done.append(True)

        success.connect(ok)
        self.window.operationFailed.connect(failed)
        self.heartbeat.start()
        started = time.monotonic()
        try:
            click()
            self.qtbot.waitUntil(lambda: bool(done), timeout=timeout_ms)
        finally:
            outcome.seconds = time.monotonic() - started
            self.heartbeat.stop()
            outcome.max_gap = self.heartbeat.max_gap
            success.disconnect(ok)
            self.window.operationFailed.disconnect(failed)
        return outcome

    def fetch(self, timeout_ms: int = WAIT_MS) -> Outcome:
        """Click Fetch OTP and wait for the OTP or the error."""
        outcome = self._run(
            self.window.identifier_form.fetch_button.click, self.window.otpShown, timeout_ms
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
        )
        outcome.entries = list(outcome.result or [])
        return outcome

    def close(self) -> None:
        self.window.close()
        task = asyncio.ensure_future(self.service.close())
        self.qtbot.waitUntil(task.done, timeout=5000)
        self.history.close()


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
    policy = load_policy(paths)
    settings = Settings(paths, policy)
    settings.connect_timeout = CONNECT_TIMEOUT
    settings.read_timeout = read_timeout
    clusters = load_clusters(paths.cluster_files())
    cluster = clusters[CLUSTER_KEY]
    store = CredentialStore()
    if credentials is not None:
        store.save(cluster.key, credentials)
    history = CardHistory(paths.history_file)
    service = DeskService(
        settings=settings,
        credential_store=store,
        history=history,
        clusters=clusters,
        clock=clock,
        initial_cluster=cluster,
    )
    window = MainWindow(service, clock=clock)
    qtbot.addWidget(window)
    window.show()
    return Desk(qtbot, window, service, history)
