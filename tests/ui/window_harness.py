"""Build the real window for the main-window tests, with ``capdesk.desk.build_desk``.

The window is assembled by the very function ``capdesk.app.main`` uses: real Settings
on the test's CAPDESK_HOME, a real CredentialStore (the in-memory keyring from
tests/conftest.py), the real history file (opened by the service in a worker), and the
DeskService's own embedded training simulator. Only the clock and the simulator's
delays are chosen by the test. Teardown closes every window and service it built and
fails the test if a simulator or worker thread is still running afterwards.

From the first window built until teardown the GUI thread is guarded
(:func:`guarded_gui_thread`): a keyring, SQLite or PBKDF2 call on it fails the test.
A test's own look into the stores goes through :func:`off_gui_thread`.

The ``desk`` fixture is registered for tests/ui in tests/ui/conftest.py; it runs on
the ``async_loop`` fixture of tests/conftest.py, so qtbot's waits drive asyncio too.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from capdesk.api.clusters import TRAINING, Cluster, load_clusters
from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.desk import build_desk
from capdesk.paths import AppPaths, default_paths
from capdesk.services import DeskService
from capdesk.settings import Settings
from capdesk.simulator import TrainingSimulator
from capdesk.store.history import CardHistory, HistoryEntry
from capdesk.store.policy import load_policy
from capdesk.store.thread_guard import forbid_blocking_on, violations
from capdesk.ui.account.flow import SIGN_IN_STATUS
from capdesk.ui.main_window import MainWindow
from tests.fake_clock import FakeClock

DEMO_MOBILE = "919876543210"  # Asha Rao (ARCHITECTURE.md demo data)
DEMO_MOBILE_TYPED = "98765 43210"  # as staff type it (default country IN)
# The window's reads as it opens (capdesk.ui.main_window, capdesk.ui.cards.flow).
STARTUP_TASKS = ("history", SIGN_IN_STATUS)

T = TypeVar("T")


@contextmanager
def guarded_gui_thread() -> Iterator[None]:
    """Inside, a keyring, SQLite or PBKDF2 call on this (the GUI) thread raises; on the
    way out, any such call made meanwhile fails the test, even one whose error the
    window swallowed (shown on its status line, logged by a task)."""
    with forbid_blocking_on(threading.current_thread()):
        yield
    refused = violations()
    assert refused == [], f"blocking calls on the GUI thread: {refused}"


def off_gui_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A test's own blocking call (reading the history file, say), made in a thread of
    its own so that the guard keeps watching only what the window does."""
    with ThreadPoolExecutor(1, thread_name_prefix="test-store") as pool:
        return pool.submit(fn, *args, **kwargs).result()


def fake_clock(wall_offset_s: float = 0.0) -> FakeClock:
    """A clock that only moves when told; its wall time may be wrong like a badly set PC."""
    now = datetime.fromtimestamp(time.time() + wall_offset_s, UTC)
    return FakeClock(start=now, monotonic_start=time.monotonic())


@dataclass
class Desk:
    """One open window and what is behind it."""

    window: MainWindow
    service: DeskService
    paths: AppPaths
    clock: Clock

    @property
    def sim(self) -> TrainingSimulator:
        """The window's embedded training cluster (started on first use)."""
        return self.service.ensure_training()

    @property
    def history(self) -> CardHistory:
        """The history file the service opened (use it through :func:`off_gui_thread`)."""
        history = self.service.history
        assert history is not None, "the history did not open"
        return history

    def history_entries(self) -> list[HistoryEntry]:
        """What the history file holds, newest first, read off the GUI thread."""
        return off_gui_thread(self.history.entries)

    def child(self, name: str) -> QWidget:
        widget = self.window.findChild(QWidget, name)
        assert widget is not None, f"no widget named {name!r}"
        return widget

    def text(self, name: str) -> str:
        return self.child(name).text()  # type: ignore[attr-defined]


def wait_until_started(qtbot, window: MainWindow) -> None:
    """Until the window's first reads (history, who is signed in) have answered."""
    qtbot.waitUntil(
        lambda: not any(window.keeper.is_running(key) for key in STARTUP_TASKS), timeout=5000
    )


class DeskFactory:
    """``factory(...)`` opens a window; every window is closed at teardown."""

    def __init__(self, qtbot, loop: asyncio.AbstractEventLoop) -> None:
        self._qtbot = qtbot
        self._loop = loop
        self._open: list[Desk] = []
        self._guard = ExitStack()
        self._guarded = False

    def __call__(
        self,
        *,
        clock: Clock | None = None,
        cluster: Cluster | str = TRAINING,
        slow_seconds: float = 0.3,
        server_clock: Clock = SYSTEM_CLOCK,
        configure: Callable[[Settings], None] | None = None,
        show: bool = True,
        kiosk: bool = False,
    ) -> Desk:
        paths = default_paths().ensure()
        settings = Settings(paths, load_policy(paths))
        if configure is not None:
            configure(settings)
        clusters = load_clusters(paths.cluster_files())
        if isinstance(cluster, str):
            cluster = clusters[cluster]
        clock = clock or SYSTEM_CLOCK
        if not self._guarded:  # from the first window on
            self._guard.enter_context(guarded_gui_thread())
            self._guarded = True
        built = build_desk(
            paths,
            settings=settings,
            clusters=clusters,
            cluster=cluster,
            clock=clock,
            kiosk=kiosk,
            simulator_factory=lambda: TrainingSimulator(
                clock=server_clock, slow_seconds=slow_seconds
            ),
        )
        window, service = built.window, built.service
        gc.freeze()  # as capdesk.app.main does once the window is built
        self._qtbot.addWidget(window)
        desk = Desk(window, service, paths, clock)
        self._open.append(desk)
        if show:
            with self._qtbot.waitActive(window):
                window.show()
                window.activateWindow()
            self._qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=1000)
            # As capdesk.app.main does after the first paint: get ready in a worker.
            warm_up = service.start_background_work()
            if warm_up is not None:
                self._qtbot.waitUntil(warm_up.done, timeout=5000)
        wait_until_started(self._qtbot, window)
        return desk

    def close(self, desk: Desk) -> None:
        """Close the window and release the service (and with it the history) as
        ``app.main`` does."""
        if desk not in self._open:
            return
        self._open.remove(desk)
        desk.window.close_policy.allow_next_close()  # a kiosk refuses staff closes
        desk.window.close()
        closing = asyncio.ensure_future(desk.service.close(), loop=self._loop)
        self._qtbot.waitUntil(closing.done, timeout=3000)
        closing.result()

    def close_all(self) -> None:
        """Close every window, then check that none made a blocking call on the GUI thread."""
        try:
            for desk in list(self._open):
                self.close(desk)
        finally:
            self._guard.close()


def _capdesk_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t not in before and t.is_alive()]


@pytest.fixture
def desk(qtbot, async_loop) -> Iterator[DeskFactory]:
    """Opens real windows; at teardown closes them and checks no thread was left behind."""
    before = set(threading.enumerate())
    factory = DeskFactory(qtbot, async_loop)
    try:
        yield factory
    finally:
        factory.close_all()
        gc.unfreeze()
    deadline = time.monotonic() + 3.0
    while _capdesk_threads(before) and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)
    left = _capdesk_threads(before)
    assert not left, f"threads still running after the windows closed: {[t.name for t in left]}"


def export_from_window(qtbot, window: MainWindow, path) -> int:
    """Export CSV… to ``path`` as the window does it (written in a worker); the count."""
    with qtbot.waitSignal(window.historyExported, timeout=5000) as exported:
        window.card_panel.history.request_export(path)
    return exported.args[0]


def click(qtbot, widget: QWidget) -> None:
    """A left click in the middle of ``widget``, as a person makes it."""
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def show_active(qtbot, widget: QWidget) -> None:
    """Show ``widget`` as the active window, so keys and focus behave as for a person,
    on a real display (xcb) as well as offscreen."""
    with qtbot.waitActive(widget):
        widget.show()
        widget.activateWindow()
