"""IdleWatcher: real input events reset it; a FakeClock decides when it is idle."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLineEdit, QPushButton

from capdesk.ui.kiosk.idle_watcher import IdleWatcher
from tests.fake_clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def watcher(qapp, clock):
    w = IdleWatcher(60, clock, tick_ms=60_000)  # ticks by hand in most tests
    w.start()
    yield w
    w.stop()


def _count(signal) -> list[int]:
    hits: list[int] = []
    signal.connect(lambda: hits.append(1))
    return hits


def test_fires_once_after_the_timeout(watcher, clock):
    hits = _count(watcher.idle)
    clock.advance(59.5)
    assert watcher.check() is False
    assert watcher.remaining() == pytest.approx(0.5)
    clock.advance(0.5)
    assert watcher.check() is True
    assert watcher.check() is False
    clock.advance(600)
    watcher.check()
    assert len(hits) == 1
    assert watcher.remaining() == 0


def test_typing_resets_and_rearms(qtbot, watcher, clock):
    field = QLineEdit()
    qtbot.addWidget(field)
    field.show()
    hits = _count(watcher.idle)
    clock.advance(50)
    qtbot.keyClicks(field, "91")
    clock.advance(50)
    assert watcher.check() is False  # only 50 s since the last key
    clock.advance(10)
    assert watcher.check() is True
    qtbot.keyClick(field, Qt.Key.Key_Backspace)  # a new idle period starts
    clock.advance(60)
    assert watcher.check() is True
    assert len(hits) == 2


def test_mouse_click_resets(qtbot, watcher, clock):
    button = QPushButton("Fetch OTP")
    qtbot.addWidget(button)
    button.show()
    clock.advance(59)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    clock.advance(59)
    assert watcher.check() is False
    assert watcher.idle_for() == pytest.approx(59)


def test_zero_timeout_disables(qtbot, clock):
    w = IdleWatcher(0, clock)
    hits = _count(w.idle)
    clock.advance(10_000)
    assert w.check() is False
    assert not w.enabled
    w.set_timeout(30)
    assert w.check() is True  # 10,000 s with no input, now that there is a limit
    assert hits == [1]


def test_the_timer_checks_by_itself(qtbot, clock):
    w = IdleWatcher(5, clock, tick_ms=10)
    w.start()
    try:
        clock.advance(5)
        with qtbot.waitSignal(w.idle, timeout=1000):
            pass
    finally:
        w.stop()


def test_stop_ignores_input_afterwards(qtbot, watcher, clock):
    field = QLineEdit()
    qtbot.addWidget(field)
    watcher.stop()
    assert not watcher.running
    clock.advance(60)
    qtbot.keyClicks(field, "x")
    assert watcher.check() is True  # the key press was not counted


def test_start_resets_the_period(qtbot, clock):
    w = IdleWatcher(30, clock)
    clock.advance(100)
    w.start()
    try:
        assert w.check() is False
        assert w.remaining() == pytest.approx(30)
    finally:
        w.stop()
