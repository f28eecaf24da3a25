"""A call that hangs is visible and can be stopped, without losing what was typed.

Seen at a counter: a server that never answered showed "Fetching the OTP…" for
about 20 s with no time shown, and the only way out was Esc, which also wiped the
number typed. Here the trainer's "No answer" scenario hangs the call; staff see the
time waited, Cancel (or Esc) stops it and keeps the form, and a late answer is
dropped. Esc during a card batch never silently wipes the batch's status.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QSpinBox

from tests.ui.window_harness import DEMO_MOBILE, DEMO_MOBILE_TYPED, click, fake_clock


def _choose_scenario(qtbot, d, text: str) -> None:
    """As a trainer does: pick the scenario by its name in the training row, then wait
    for the window to say it was switched (the switch is a task of the window's)."""
    box = d.window.findChild(QComboBox, "scenarioSelector")
    index = box.findText(text)
    assert index >= 0, text
    box.setCurrentIndex(index)
    box.activated.emit(index)
    qtbot.waitUntil(lambda: d.text("statusMessage").startswith("Training: "), timeout=3000)


def _type_and_enter(qtbot, d) -> None:
    value = d.child("identifierValue")
    value.setFocus()
    qtbot.keyClicks(value, DEMO_MOBILE_TYPED)
    qtbot.keyClick(value, Qt.Key.Key_Return)


def test_a_hung_call_shows_the_time_waited_and_cancel_keeps_what_was_typed(qtbot, desk):
    clock = fake_clock()
    d = desk(clock=clock)
    _choose_scenario(qtbot, d, "No answer (call hangs)")
    assert d.sim.scenario == "no_response"
    _type_and_enter(qtbot, d)
    cancel = d.child("cancelFetchButton")
    assert cancel.isVisible()
    assert d.text("statusMessage") == "Fetching the OTP…"
    clock.advance(4.2)
    qtbot.waitUntil(lambda: d.text("statusMessage") == "Waiting for Capillary… 4 s", timeout=2000)
    click(qtbot, cancel)
    assert not cancel.isVisible()
    assert d.text("statusMessage") == "Stopped waiting for Capillary. Press Enter to try again."
    assert d.text("identifierValue") == DEMO_MOBILE_TYPED
    assert d.child("fetchOtpButton").isEnabled()


def test_esc_stops_the_wait_first_and_clears_the_form_only_when_pressed_again(qtbot, desk):
    d = desk()
    _choose_scenario(qtbot, d, "No answer (call hangs)")
    _type_and_enter(qtbot, d)
    assert d.child("cancelFetchButton").isVisible()
    qtbot.keyClick(d.child("identifierValue"), Qt.Key.Key_Escape)
    assert not d.child("cancelFetchButton").isVisible()
    assert d.text("identifierValue") == DEMO_MOBILE_TYPED
    assert d.text("statusMessage").startswith("Stopped waiting")
    qtbot.keyClick(d.child("identifierValue"), Qt.Key.Key_Escape)
    assert d.text("identifierValue") == ""


def test_the_answer_of_a_cancelled_call_is_dropped(qtbot, desk):
    d = desk(slow_seconds=0.8)
    d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    _choose_scenario(qtbot, d, "Slow network")
    shown = []
    d.window.otpShown.connect(shown.append)
    _type_and_enter(qtbot, d)
    click(qtbot, d.child("cancelFetchButton"))
    deadline = time.monotonic() + 1.5  # the slow answer arrives in the meantime
    while time.monotonic() < deadline:
        qtbot.wait(50)
    assert shown == []
    assert not d.window.otp_panel.code_visible
    assert d.text("statusMessage").startswith("Stopped waiting")


def test_a_new_fetch_right_after_cancel_is_not_undone_by_the_old_one(qtbot, desk):
    d = desk(slow_seconds=0.5)
    code = d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    _choose_scenario(qtbot, d, "Slow network")
    _type_and_enter(qtbot, d)
    click(qtbot, d.child("cancelFetchButton"))
    with qtbot.waitSignal(d.window.otpShown, timeout=5000) as shown:
        qtbot.keyClick(d.child("identifierValue"), Qt.Key.Key_Return)
        assert d.child("cancelFetchButton").isVisible()  # busy again, for the new call
    assert shown.args[0].code == code
    assert not d.child("cancelFetchButton").isVisible()


def test_esc_during_a_card_batch_never_wipes_its_status(qtbot, desk):
    d = desk(slow_seconds=0.2)
    _choose_scenario(qtbot, d, "Slow network")
    d.window.findChild(QSpinBox, "cardCount").setValue(4)
    click(qtbot, d.child("generateCardButton"))
    assert d.window.status.kind == "busy"
    generating = d.text("statusMessage")
    value = d.child("identifierValue")
    value.setFocus()
    qtbot.keyClick(value, Qt.Key.Key_Escape)  # Esc in the customer form: New customer
    assert d.text("statusMessage") == generating
    with qtbot.waitSignal(d.window.cardBatchFinished, timeout=10000) as finished:
        pass
    assert len(finished.args[0]) == 4
    assert d.text("statusMessage").startswith("Generated 4 card numbers")


def test_with_no_response_staff_get_the_deadline_sentence_within_the_deadline_and_a_second(
    qtbot, desk
):
    d = desk(configure=lambda settings: setattr(settings, "request_deadline", 3.0))
    _choose_scenario(qtbot, d, "No answer (call hangs)")
    started = time.monotonic()
    _type_and_enter(qtbot, d)
    with qtbot.waitSignal(d.window.operationFailed, timeout=10000) as failed:
        pass
    waited = time.monotonic() - started
    assert 2.9 <= waited <= 4.0
    assert failed.args[0].reason == "timeout"
    assert d.text("statusMessage") == (
        "Capillary did not answer within 3 seconds. Check the network connection, then try again."
    )
    assert d.text("identifierValue") == DEMO_MOBILE_TYPED  # nothing typed is lost
    assert not d.child("cancelFetchButton").isVisible()
