"""OtpCountdown: re-derived from the server's clock on every tick, never by counting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from capdesk.api.models import OtpResult, ServerTime
from capdesk.ui.otp.countdown import OtpCountdown, format_remaining
from tests.fake_clock import FakeClock


def make_result(
    clock: FakeClock, seconds_valid: float, *, server_ahead_s: float = 0.0
) -> OtpResult:
    """An OTP received now whose server clock is ``server_ahead_s`` ahead of the PC."""
    server_date = clock.now() + timedelta(seconds=server_ahead_s)
    return OtpResult(
        code="538AD87",
        valid_upto=server_date + timedelta(seconds=seconds_valid),
        org_id=50001,
        user_id=3001,
        warnings=(),
        server_time=ServerTime(server_date, clock.monotonic()),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def countdown(qtbot, clock):
    timer_owner = OtpCountdown(clock, interval_ms=10_000)  # the tests poll by hand
    ticks: list[tuple[float, float]] = []
    timer_owner.tick.connect(lambda left, fraction: ticks.append((left, fraction)))
    timer_owner.ticks = ticks  # type: ignore[attr-defined]
    yield timer_owner
    timer_owner.stop()


def test_follows_the_server_clock_not_the_pc_wall_clock(countdown, clock):
    # The server is 8 minutes ahead; validUpto is 10 minutes after the PC's wall clock.
    # By the server there are 2 minutes left, not 10.
    server_date = clock.now() + timedelta(minutes=8)
    result = OtpResult(
        code="538AD87",
        valid_upto=clock.now() + timedelta(minutes=10),
        org_id=1,
        user_id=2,
        warnings=(),
        server_time=ServerTime(server_date, clock.monotonic()),
    )
    countdown.start(result)
    assert countdown.ticks[-1] == (120.0, 1.0)
    clock.advance(30)
    assert countdown.poll() == pytest.approx(90.0)
    assert countdown.ticks[-1][1] == pytest.approx(0.75)


def test_server_behind_the_pc_gives_more_time(countdown, clock):
    countdown.start(make_result(clock, 60, server_ahead_s=-300))
    clock.advance(15)
    assert countdown.poll() == pytest.approx(45.0)


def test_pc_clock_jump_does_not_move_the_countdown(countdown, clock):
    countdown.start(make_result(clock, 300))
    clock.advance(20)
    before = countdown.poll()
    clock.set_wall(clock.now() - timedelta(hours=3))
    assert countdown.poll() == before
    clock.set_wall(clock.now() + timedelta(days=1))
    assert countdown.poll() == before == pytest.approx(280.0)


def test_expiring_soon_and_expired_fire_once_each(countdown, clock):
    soon, gone = [], []
    countdown.expiringSoon.connect(lambda: soon.append(countdown.seconds_left()))
    countdown.expired.connect(lambda: gone.append(countdown.seconds_left()))
    countdown.start(make_result(clock, 30))
    clock.advance(19.5)
    countdown.poll()
    assert soon == []  # 10.5 s left: not yet
    clock.advance(0.5)
    countdown.poll()
    assert soon == [pytest.approx(10.0)]
    for _ in range(5):
        clock.advance(1)
        countdown.poll()
    assert len(soon) == 1 and gone == []
    clock.advance(5)
    countdown.poll()
    assert gone == [pytest.approx(0.0)]
    clock.advance(3)
    countdown.poll()
    assert len(gone) == 1
    # After expiry the tick still reports how long ago it expired (for hiding later).
    assert countdown.ticks[-1] == (pytest.approx(-3.0), 0.0)


def test_already_expired_result_fires_expired_but_not_expiring_soon(countdown, clock):
    soon, gone = [], []
    countdown.expiringSoon.connect(lambda: soon.append(1))
    countdown.expired.connect(lambda: gone.append(1))
    countdown.start(make_result(clock, -5))
    assert (soon, gone) == ([], [1])
    assert countdown.ticks[-1][1] == 0.0


def test_fraction_is_relative_to_validity_at_fetch_time(countdown, clock):
    result = make_result(clock, 100)
    clock.advance(25)  # shown 25 s after the response arrived
    countdown.start(result)
    assert countdown.total_seconds == pytest.approx(100.0)
    assert countdown.ticks[-1] == (pytest.approx(75.0), pytest.approx(0.75))


def test_the_timer_ticks_while_shown_and_stops_when_stopped(qtbot, clock):
    countdown = OtpCountdown(clock, interval_ms=20)
    seen: list[float] = []
    countdown.tick.connect(lambda left, _fraction: seen.append(left))
    countdown.start(make_result(clock, 120))
    assert countdown.running
    clock.advance(7)
    qtbot.waitUntil(lambda: seen[-1] == pytest.approx(113.0), timeout=1000)
    countdown.stop()
    assert not countdown.running
    assert countdown.seconds_left() is None
    count = len(seen)
    qtbot.wait(60)
    assert len(seen) == count


def test_nothing_shown_means_no_timer(qtbot, clock):
    countdown = OtpCountdown(clock)
    assert not countdown.running
    assert countdown.poll() is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(42.3, "0:43"), (0.2, "0:01"), (0, "0:00"), (-5, "0:00"), (600, "10:00"), (3725, "1:02:05")],
)
def test_format_remaining_rounds_up(seconds, text):
    assert format_remaining(seconds) == text
