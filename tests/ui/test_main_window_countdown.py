"""The OTP countdown in the real window, driven by a FakeClock given to the whole desk.

The clock goes to both the DeskService (the client anchors server time on the
response's ``Date`` header with it) and the window (the countdown re-reads it on
every tick), so minutes of validity pass in no time. The simulator serves with the
real clock unless a test gives the *server* a wrong clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette

from capdesk.ui.otp.countdown import format_remaining
from tests.fake_clock import FakeClock
from tests.ui.window_harness import (
    DEMO_MOBILE,
    DEMO_MOBILE_TYPED,
    fake_clock,
)


def _fetch(qtbot, d):
    d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    value = d.child("identifierValue")
    qtbot.keyClicks(value, DEMO_MOBILE_TYPED)
    with qtbot.waitSignal(d.window.otpShown, timeout=5000) as shown:
        qtbot.keyClick(value, Qt.Key.Key_Return)
    return shown.args[0]


def _go_to(qtbot, d, seconds_left: float) -> None:
    """Advance the desk's clock until ``seconds_left`` of validity remain, then let the
    panel's own timer notice."""
    countdown = d.window.otp_panel.countdown
    d.clock.advance(countdown.seconds_left() - seconds_left)
    with qtbot.waitSignal(countdown.tick, timeout=1000):
        pass  # the panel's own timer looks at the clock again


def _text_colour(widget) -> str:
    widget.ensurePolished()
    return widget.palette().color(QPalette.ColorRole.WindowText).name()


def test_last_ten_seconds_change_colour_and_words(qtbot, desk):
    d = desk(clock=fake_clock())
    _fetch(qtbot, d)
    countdown = d.child("otpCountdown")
    assert d.window.otp_panel.state == "valid"
    normal_colour = _text_colour(countdown)

    _go_to(qtbot, d, 10.4)
    assert d.text("otpCountdown") == "Expires in 0:11"
    assert d.window.otp_panel.state == "valid"
    assert _text_colour(countdown) == normal_colour

    _go_to(qtbot, d, 9.9)
    assert d.text("otpCountdown") == "Expires in 0:10 — hurry"
    assert d.window.otp_panel.state == "expiring"
    assert _text_colour(countdown) != normal_colour
    assert d.child("copyOtpButton").isEnabled()


def test_expiry_strikes_the_code_then_hides_it(qtbot, desk):
    d = desk(clock=fake_clock())
    result = _fetch(qtbot, d)
    _go_to(qtbot, d, 0.5)
    assert d.text("otpCountdown") == "Expires in 0:01 — hurry"

    _go_to(qtbot, d, -0.1)
    assert d.window.otp_panel.state == "expired"
    assert d.text("otpCountdown") == "Expired — ask the customer to request a new OTP"
    assert not d.child("copyOtpButton").isEnabled()
    assert d.child("otpCode").accessibleDescription() == "Expired"
    assert d.text("otpCode").replace(" ", "") == result.code  # still readable, struck out
    d.child("otpCode").setFocus()
    qtbot.keyClick(d.child("otpCode"), Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert not d.window.clipboard.holding  # an expired code is never copied

    _go_to(qtbot, d, -31)
    assert d.text("otpCode") == ""
    assert not d.child("otpCode").isVisible()
    assert d.text("otpCountdown") == "Code hidden. Ask the customer to request a new OTP."


def test_a_pc_clock_hours_wrong_does_not_change_the_countdown(qtbot, desk):
    d = desk(clock=fake_clock(wall_offset_s=-3 * 3600))  # the PC is 3 hours behind
    result = _fetch(qtbot, d)
    countdown = d.window.otp_panel.countdown
    left = countdown.seconds_left()
    # 15 minutes by the server's clock, not 3 h 15 min (less the time the calls took:
    # the Date header has whole seconds, and a busy machine may take a few).
    assert 895 <= left <= 901
    assert d.text("otpCountdown") == f"Expires in {format_remaining(left)}"

    d.clock.set_wall(datetime.now(UTC) + timedelta(days=2))  # someone "fixes" the PC clock
    d.clock.advance(60)
    with qtbot.waitSignal(countdown.tick, timeout=1000):
        pass
    assert countdown.seconds_left() == pytest.approx(left - 60)  # only the 60 s that passed
    assert d.text("otpCountdown") == f"Expires in {format_remaining(left - 60)}"
    expected = result.valid_upto.astimezone()
    assert d.text("otpValidUntil") == f"valid until {expected:%H:%M:%S}"


def test_the_countdown_follows_the_server_clock_from_its_date_header(qtbot, desk):
    server_clock = FakeClock(start=datetime.now(UTC) + timedelta(hours=5))  # server 5 h ahead
    d = desk(clock=fake_clock(), server_clock=server_clock)
    result = _fetch(qtbot, d)
    server_offset = result.server_time.offset_from(datetime.now(UTC))
    assert abs(server_offset - timedelta(hours=5)) < timedelta(seconds=5)
    left = d.window.otp_panel.countdown.seconds_left()
    assert 899 <= left <= 901  # not 5 h 15 min, and not already expired
    assert d.window.otp_panel.state == "valid"
    _go_to(qtbot, d, -0.1)
    assert d.window.otp_panel.state == "expired"
