"""The window runs all day: showing a countdown must not wear the interpreter down.

PySide6 6.12.0 on Python 3.11 dropped a reference to ``None`` on every call of a
method returning nothing and to ``True`` on every signal emitted. The OTP countdown
emits four ticks a second, so the process aborted ("deallocating True") within
minutes of showing a code. pyproject.toml keeps PySide6 below 6.12; this test fails
on any binding that brings such a leak back.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt

from tests.ui.window_harness import DEMO_MOBILE, DEMO_MOBILE_TYPED, fake_clock

TICKS = 2000  # about eight minutes of countdown at four ticks a second


def refcounts() -> tuple[int, int, int]:
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)


def test_a_long_countdown_leaves_the_interpreter_intact(qtbot, desk):
    d = desk(clock=fake_clock())
    d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    value = d.child("identifierValue")
    qtbot.keyClicks(value, DEMO_MOBILE_TYPED)
    with qtbot.waitSignal(d.window.otpShown, timeout=5000):
        qtbot.keyClick(value, Qt.Key.Key_Return)
    countdown = d.window.otp_panel.countdown
    status = d.window.status

    before = refcounts()
    for tick in range(TICKS):
        countdown.poll()  # what the panel's timer does: signals, texts, progress value
        if tick % 10 == 0:
            status.show_info("Still here.")
    after = refcounts()

    drops = [b - a for b, a in zip(before, after, strict=True)]
    assert max(drops) < TICKS // 10, f"lost references to None/True/False: {drops}"
