"""A code belongs to one customer: it leaves the screen the moment the look-up changes.

Seen at a counter: Asha's code fetched, John's number typed, Enter — John has no
OTP, yet Asha's code stayed on screen, big and green, with her Customer ID. Each
test here drives the real window as staff do and checks the code is hidden *at
once* (before any answer arrives), and that the status line never says "read it"
beside a code that is gone or expired.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QSpinBox

from capdesk.store.pin import MIN_ITERATIONS, hash_pin
from tests.ui.window_harness import DEMO_MOBILE, DEMO_MOBILE_TYPED, click, fake_clock

JOHN_TYPED = "+1 415 555 0123"


def _fetch_ashas_code(qtbot, d) -> str:
    code = d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    value = d.child("identifierValue")
    value.setFocus()
    qtbot.keyClicks(value, DEMO_MOBILE_TYPED)
    with qtbot.waitSignal(d.window.otpShown, timeout=5000):
        qtbot.keyClick(value, Qt.Key.Key_Return)
    assert d.child("otpCode").isVisible()
    assert "Customer ID 3001" in d.text("otpCustomer")
    assert d.text("statusMessage").startswith("OTP found")
    return code


def _assert_code_gone(d) -> None:
    panel = d.window.otp_panel
    assert not panel.code_visible
    assert panel.state == "empty"
    assert not d.child("otpCode").isVisible()
    assert d.text("otpCode") == ""
    assert not d.child("otpCustomer").isVisible()
    assert not d.text("statusMessage").startswith("OTP found")


def test_johns_number_typed_after_ashas_code_hides_it_and_his_answer_never_shows_hers(qtbot, desk):
    d = desk()
    _fetch_ashas_code(qtbot, d)
    value = d.child("identifierValue")
    value.selectAll()
    qtbot.keyClick(value, Qt.Key.Key_Plus)  # the first keystroke of John's number
    _assert_code_gone(d)
    qtbot.keyClicks(value, JOHN_TYPED[1:])
    with qtbot.waitSignal(d.window.operationFailed, timeout=5000):
        qtbot.keyClick(value, Qt.Key.Key_Return)
    _assert_code_gone(d)
    assert d.window.status.kind == "error"  # John has no OTP: said, and nothing shown


def _change_type(qtbot, d) -> None:
    box = d.window.findChild(QComboBox, "identifierName")
    box.setCurrentIndex(box.findData("email"))


def _change_value(qtbot, d) -> None:
    qtbot.keyClick(d.child("identifierValue"), Qt.Key.Key_Backspace)


def _change_source(qtbot, d) -> None:
    box = d.window.findChild(QComboBox, "sourceSelector")
    box.setCurrentIndex(box.findData("FACEBOOK"))


def _change_scope(qtbot, d) -> None:
    box = d.window.findChild(QComboBox, "scopeSelector")
    box.setCurrentIndex(box.findData("COUPON"))


def _change_threshold(qtbot, d) -> None:
    click(qtbot, d.child("advancedToggle"))
    d.window.findChild(QSpinBox, "otpThreshold").setValue(60)


@pytest.mark.parametrize(
    "change",
    [_change_type, _change_value, _change_source, _change_scope, _change_threshold],
    ids=["type", "value", "source", "scope", "threshold"],
)
def test_any_edit_of_the_look_up_hides_the_code_at_once(qtbot, desk, change: Callable[..., None]):
    d = desk()
    _fetch_ashas_code(qtbot, d)
    change(qtbot, d)
    _assert_code_gone(d)  # at once: no event loop turn, no answer awaited


def test_editing_the_account_id_hides_the_code(qtbot, desk):
    d = desk()
    code = d.sim.customer_requests_otp(
        "email", "emma.mueller@example.com", source="FACEBOOK", account_id="FB-DEMO1"
    )
    form = d.window.identifier_form
    d.window.findChild(QComboBox, "identifierName").setCurrentIndex(
        d.window.findChild(QComboBox, "identifierName").findData("email")
    )
    form.set_source("FACEBOOK")
    account = d.window.findChild(QLineEdit, "accountId")
    assert account.text() == "FB-DEMO1"  # the training cluster's known account
    value = d.child("identifierValue")
    value.setFocus()
    qtbot.keyClicks(value, "emma.mueller@example.com")
    with qtbot.waitSignal(d.window.otpShown, timeout=5000) as shown:
        qtbot.keyClick(value, Qt.Key.Key_Return)
    assert shown.args[0].code == code
    account.setFocus()
    qtbot.keyClick(account, Qt.Key.Key_Backspace)
    _assert_code_gone(d)


def test_a_fetch_that_starts_hides_the_previous_code_and_a_failure_keeps_it_hidden(qtbot, desk):
    d = desk(slow_seconds=1.0)
    _fetch_ashas_code(qtbot, d)
    d.window.choose_scenario("outage")
    qtbot.waitUntil(lambda: d.service.training.scenario == "outage", timeout=3000)
    qtbot.keyClick(d.child("identifierValue"), Qt.Key.Key_Return)
    _assert_code_gone(d)  # before the answer
    assert d.child("cancelFetchButton").isVisible()
    with qtbot.waitSignal(d.window.operationFailed, timeout=10000):
        pass
    _assert_code_gone(d)
    assert d.window.status.kind == "error"
    assert not d.child("cancelFetchButton").isVisible()


def test_changing_cluster_hides_the_code(qtbot, desk):
    """Signing out hides it too: test_main_window_sign_in's sign-out test checks that."""
    d = desk()
    _fetch_ashas_code(qtbot, d)
    eu = d.service.clusters["eu"]
    d.window.account_flow.choose_cluster(eu)
    _assert_code_gone(d)
    d.window.account_flow.choose_cluster(d.service.clusters["training"])
    _fetch_ashas_code(qtbot, d)
    d.window.account_flow.choose_cluster(eu)
    _assert_code_gone(d)


@pytest.fixture
def kiosk_policy() -> Path:
    policy = Path(os.environ["CAPDESK_MACHINE_CONFIG"]) / "policy.ini"
    policy.write_text(
        "[capdesk]\nkiosk = 1\n"
        f"admin_pin_hash = {hash_pin('2468', iterations=MIN_ITERATIONS)}\n"
        "idle_timeout = 60\n",
        encoding="utf-8",
    )
    return policy


def test_the_kiosk_idle_timeout_hides_the_code(qtbot, desk, kiosk_policy):
    clock = fake_clock()
    d = desk(kiosk=True, clock=clock)
    _fetch_ashas_code(qtbot, d)
    clock.advance(61)
    d.window.admin.idle.check()
    _assert_code_gone(d)
    assert d.text("identifierValue") == ""


def test_the_status_line_follows_the_code_to_expiry_and_hiding(qtbot, desk):
    clock = fake_clock()
    d = desk(clock=clock)
    _fetch_ashas_code(qtbot, d)
    countdown = d.window.otp_panel.countdown
    clock.advance(countdown.seconds_left() + 1)
    qtbot.waitUntil(lambda: d.window.otp_panel.state == "expired", timeout=2000)
    assert d.text("statusMessage") == "The OTP has expired. Ask the customer to request a new one."
    clock.advance(60)
    qtbot.waitUntil(lambda: not d.window.otp_panel.code_visible, timeout=2000)
    assert "OTP found" not in d.text("statusMessage")


def test_editing_the_look_up_clears_only_what_the_status_line_said_of_the_code(qtbot, desk):
    d = desk()
    _fetch_ashas_code(qtbot, d)
    d.window.status.show_info("Card number copied.")  # news about something else
    qtbot.keyClick(d.child("identifierValue"), Qt.Key.Key_Backspace)
    _assert_code_gone(d)
    assert d.text("statusMessage") == "Card number copied."  # not wiped with the code
