"""Build the real window for the main-window tests, the way ``capdesk.app.main`` does.

Real Settings on the test's CAPDESK_HOME, a real CredentialStore (the in-memory
keyring from tests/conftest.py), a real CardHistory file, and the DeskService's own
embedded training simulator. Only the clock and the simulator's delays are chosen
by the test. Teardown closes every window and service it built and fails the test if
a simulator or worker thread is still running afterwards.

The ``desk`` fixture is registered for tests/ui in tests/ui/conftest.py; it runs on
the ``async_loop`` fixture of tests/conftest.py, so qtbot's waits drive asyncio too.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from capdesk.api.clusters import TRAINING, Cluster, load_clusters
from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.paths import AppPaths, default_paths
from capdesk.services import DeskService
from capdesk.settings import Settings
from capdesk.simulator import TrainingSimulator
from capdesk.store.credentials import CredentialStore
from capdesk.store.history import CardHistory
from capdesk.store.policy import load_policy
from capdesk.ui.main_window import MainWindow
from tests.fake_clock import FakeClock

DEMO_MOBILE = "919876543210"  # Asha Rao (ARCHITECTURE.md demo data)
DEMO_MOBILE_TYPED = "98765 43210"  # as staff type it (default country IN)


def fake_clock(wall_offset_s: float = 0.0) -> FakeClock:
    """A clock that only moves when told; its wall time may be wrong like a badly set PC."""
    now = datetime.fromtimestamp(time.time() + wall_offset_s, UTC)
    return FakeClock(start=now, monotonic_start=time.monotonic())


@dataclass
class Desk:
    """One open window and what is behind it."""

    window: MainWindow
    service: DeskService
    history: CardHistory
    paths: AppPaths
    clock: Clock

    @property
    def sim(self) -> TrainingSimulator:
        """The window's embedded training cluster (started on first use)."""
        return self.service.ensure_training()

    def child(self, name: str) -> QWidget:
        widget = self.window.findChild(QWidget, name)
        assert widget is not None, f"no widget named {name!r}"
        return widget

    def text(self, name: str) -> str:
        return self.child(name).text()  # type: ignore[attr-defined]


class DeskFactory:
    """``factory(...)`` opens a window; every window is closed at teardown."""

    def __init__(self, qtbot, loop: asyncio.AbstractEventLoop) -> None:
        self._qtbot = qtbot
        self._loop = loop
        self._open: list[Desk] = []

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
        history = CardHistory(paths.history_file)
        clock = clock or SYSTEM_CLOCK
        service = DeskService(
            settings=settings,
            credential_store=CredentialStore(),
            history=history,
            clusters=clusters,
            clock=clock,
            initial_cluster=cluster,
            simulator_factory=lambda: TrainingSimulator(
                clock=server_clock, slow_seconds=slow_seconds
            ),
        )
        window = MainWindow(service, clock=clock, kiosk=kiosk)
        gc.freeze()  # as capdesk.app.main does once the window is built
        self._qtbot.addWidget(window)
        desk = Desk(window, service, history, paths, clock)
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
        return desk

    def close(self, desk: Desk) -> None:
        """Close the window and release the service as ``app.main`` does."""
        if desk not in self._open:
            return
        self._open.remove(desk)
        desk.window.admin.close_policy.allow_next_close()  # a kiosk refuses staff closes
        desk.window.close()
        closing = asyncio.ensure_future(desk.service.close(), loop=self._loop)
        self._qtbot.waitUntil(closing.done, timeout=3000)
        closing.result()
        desk.history.close()

    def close_all(self) -> None:
        for desk in list(self._open):
            self.close(desk)


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
