"""The OTP flow through the real window, as staff do it at the counter.

The demo customer "requests" an OTP (the training button, then once more through the
simulator itself so the test knows the code), staff type the mobile, press Enter,
read the code, copy it, and clear the form for the next customer.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from capdesk.ui.otp.code_label import group_code
from tests.ui.window_harness import (
    DEMO_MOBILE,
    DEMO_MOBILE_TYPED,
    click,
    fake_clock,
)


def _type_demo_mobile(qtbot, d) -> None:
    value = d.child("identifierValue")
    value.setFocus()
    qtbot.keyClicks(value, DEMO_MOBILE_TYPED)


def _fetch_with_enter(qtbot, d):
    with qtbot.waitSignal(d.window.otpShown, timeout=5000) as shown:
        qtbot.keyClick(d.child("identifierValue"), Qt.Key.Key_Return)
    return shown.args[0]


def test_whole_otp_flow(qtbot, desk):
    d = desk(clock=fake_clock())
    _type_demo_mobile(qtbot, d)
    with qtbot.waitSignal(d.window.otpRequestSimulated, timeout=5000):
        click(qtbot, d.child("simulateOtpRequestButton"))
    assert "requested an OTP" in d.text("statusMessage")
    # The customer asks once more; the newest valid code is the one to fetch.
    issued = d.sim.customer_requests_otp("mobile", DEMO_MOBILE)

    result = _fetch_with_enter(qtbot, d)
    assert result.code == issued
    assert d.text("otpCode") == group_code(issued)
    assert d.text("otpCode").replace(" ", "") == issued
    assert d.child("otpCode").isVisible()
    assert d.text("statusMessage") == (
        "OTP found. Check the Customer ID, then read the code to the customer."
    )

    # The countdown follows the clock (the panel's own timer re-reads it).
    first = d.text("otpCountdown")
    assert first.startswith("Expires in 14:5") or first == "Expires in 15:00"
    d.clock.advance(61)
    qtbot.waitUntil(lambda: d.text("otpCountdown") != first, timeout=2000)
    assert d.text("otpCountdown").startswith("Expires in 13:5")

    click(qtbot, d.child("copyOtpButton"))
    assert QGuiApplication.clipboard().text() == issued  # the bare code, no space

    click(qtbot, d.child("newCustomerButton"))
    assert d.text("identifierValue") == ""
    assert d.text("otpCode") == ""
    assert not d.child("otpCode").isVisible()
    assert d.text("otpCountdown") == ""
    assert QGuiApplication.clipboard().text() == ""  # our code went with the customer


def test_escape_clears_the_form_and_hides_the_code(qtbot, desk):
    d = desk()
    _type_demo_mobile(qtbot, d)
    d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    _fetch_with_enter(qtbot, d)
    assert d.child("otpCode").isVisible()

    qtbot.keyClick(d.child("identifierValue"), Qt.Key.Key_Escape)
    assert d.text("identifierValue") == ""
    assert not d.child("otpCode").isVisible()
    assert d.text("otpCode") == ""


def test_escape_from_the_card_side_also_clears_the_customer(qtbot, desk):
    d = desk()
    _type_demo_mobile(qtbot, d)
    d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    _fetch_with_enter(qtbot, d)
    d.child("cardHistorySearch").setFocus()
    qtbot.keyClick(d.child("cardHistorySearch"), Qt.Key.Key_Escape)
    assert not d.child("otpCode").isVisible()
    assert d.text("identifierValue") == ""


def test_the_copied_code_leaves_the_clipboard_only_if_unchanged(qtbot, desk):
    d = desk(configure=lambda s: setattr(s, "clipboard_timeout", 5))
    d.window.otp_panel.set_clipboard_timeout(0.05)  # the setting's minimum is 5 s
    _type_demo_mobile(qtbot, d)
    code = d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    _fetch_with_enter(qtbot, d)
    clipboard = QGuiApplication.clipboard()

    click(qtbot, d.child("copyOtpButton"))
    assert clipboard.text() == code
    qtbot.waitUntil(lambda: clipboard.text() == "", timeout=2000)

    click(qtbot, d.child("copyOtpButton"))
    clipboard.setText("the customer's own note")  # staff copied something else since
    qtbot.wait(150)
    assert clipboard.text() == "the customer's own note"
    click(qtbot, d.child("newCustomerButton"))
    assert clipboard.text() == "the customer's own note"


def test_changing_cluster_hides_the_code_and_cancels_the_fetch(qtbot, desk):
    d = desk()
    _type_demo_mobile(qtbot, d)
    d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    _fetch_with_enter(qtbot, d)
    combo = d.child("clusterSelector")
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # the next cluster, as with the keyboard
    assert d.window.service.cluster.key != "training"
    assert not d.child("otpCode").isVisible()
    assert d.text("otpCode") == ""
    assert d.text("statusMessage").startswith("Now working on ")
    assert not d.child("simulateOtpRequestButton").isVisible()


def test_a_fetch_answered_after_the_cluster_changed_is_not_shown(qtbot, desk):
    d = desk()
    d.sim.set_scenario("slow_network")
    _type_demo_mobile(qtbot, d)
    d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    qtbot.keyClick(d.child("identifierValue"), Qt.Key.Key_Return)
    assert not d.child("fetchOtpButton").isEnabled()
    combo = d.child("clusterSelector")
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    qtbot.waitUntil(d.child("fetchOtpButton").isEnabled, timeout=200)  # the fetch was dropped
    qtbot.wait(500)  # longer than the simulator's delay
    assert d.text("otpCode") == ""
    assert d.text("statusMessage").startswith("Now working on ")
