"""The window never waits on the network: buttons are disabled while their call runs,
a second click queues nothing, and the event loop keeps ticking while calls run.

The training cluster's "slow_network" scenario holds every answer for a moment;
the simulator's request counters show how many calls really went out.
"""

from __future__ import annotations

import time
from itertools import pairwise

from PySide6.QtCore import Qt, QTimer

from tests.ui.window_harness import (
    DEMO_MOBILE,
    DEMO_MOBILE_TYPED,
    click,
)


def test_fetch_is_disabled_while_it_runs_and_never_sent_twice(qtbot, desk):
    d = desk(slow_seconds=0.3)
    d.sim.set_scenario("slow_network")
    d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    value, fetch = d.child("identifierValue"), d.child("fetchOtpButton")
    qtbot.keyClicks(value, DEMO_MOBILE_TYPED)
    with qtbot.waitSignal(d.window.otpShown, timeout=5000):
        click(qtbot, fetch)
        assert not fetch.isEnabled()
        assert d.window.status.kind == "busy"
        click(qtbot, fetch)  # impatient clicks and Enter presses
        qtbot.keyClick(value, Qt.Key.Key_Return)
        qtbot.mouseDClick(fetch, Qt.MouseButton.LeftButton)
        assert value.isEnabled()  # the form stays editable meanwhile
    assert fetch.isEnabled()
    qtbot.wait(50)
    assert d.sim.request_count("/v2/otp") == 1


def test_generate_is_disabled_while_it_runs_and_never_sent_twice(qtbot, desk):
    d = desk(slow_seconds=0.3)
    d.sim.set_scenario("slow_network")
    generate = d.child("generateCardButton")
    with qtbot.waitSignal(d.window.cardBatchFinished, timeout=5000):
        click(qtbot, generate)
        assert not generate.isEnabled()
        assert not d.child("cardCount").isEnabled()
        click(qtbot, generate)
        qtbot.keyClick(d.child("cardCount"), Qt.Key.Key_G, Qt.KeyboardModifier.AltModifier)
        qtbot.wait(150)  # the mnemonic's animated click would have landed by now
    assert generate.isEnabled()
    qtbot.wait(50)
    assert d.sim.request_count("/v2/cardNumber") == 1
    assert len(d.sim.issued_card_numbers) == 1


def test_simulate_is_disabled_while_it_runs(qtbot, desk):
    d = desk()
    button = d.child("simulateOtpRequestButton")
    qtbot.keyClicks(d.child("identifierValue"), DEMO_MOBILE_TYPED)
    with qtbot.waitSignal(d.window.otpRequestSimulated, timeout=5000):
        click(qtbot, button)
        assert not button.isEnabled()
    assert button.isEnabled()


def test_a_heartbeat_never_stalls_while_twenty_calls_run(qtbot, desk):
    """20 card numbers by the button (4 calls at a time) and an OTP look-up meanwhile,
    each answer held 0.3 s by the simulator: a 10 ms timer keeps ticking throughout."""
    d = desk(slow_seconds=0.3)
    d.sim.set_scenario("slow_network")
    d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(lambda: ticks.append(time.monotonic()))
    value = d.child("identifierValue")
    qtbot.keyClicks(value, DEMO_MOBILE_TYPED)
    heartbeat.start()
    try:
        qtbot.wait(30)
        set_count = d.window.card_panel.set_count
        set_count(20)
        with qtbot.waitSignal(d.window.cardBatchFinished, timeout=10000) as batch:
            click(qtbot, d.child("generateCardButton"))
            qtbot.wait(60)  # a person's hand moves from the mouse to Enter
            with qtbot.waitSignal(d.window.otpShown, timeout=5000):
                qtbot.keyClick(value, Qt.Key.Key_Return)
    finally:
        heartbeat.stop()
    assert len(batch.args[0]) == 20
    assert d.sim.request_count("/v2/otp") + d.sim.request_count("/v2/cardNumber") == 21
    gaps = [later - earlier for earlier, later in pairwise(ticks)]
    assert ticks[-1] - ticks[0] > 1.5  # five rounds of 0.3 s: the calls really ran meanwhile
    assert max(gaps) < 0.050, f"the window froze for {max(gaps) * 1000:.0f} ms"
