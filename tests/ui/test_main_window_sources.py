"""Sources without API knowledge, and the number checked before Enter.

Seen at a counter: choosing "WeChat id" left the source on INSTORE, so the look-up
failed with "No customer found in this source"; staff had to know to pick WECHAT
and type an account id. Now a WeChat look-up is: pick WeChat id, type, Enter. The
account id a source needs is known per cluster (IT's policy, then what was last
used), and sources and scopes are shown by name with Capillary's value kept in the
tooltip and the Details.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit

from tests.ui.window_harness import DEMO_MOBILE, DEMO_MOBILE_TYPED, click


def _choose_type(d, data: str) -> None:
    box = d.window.findChild(QComboBox, "identifierName")
    box.setFocus()
    box.setCurrentIndex(box.findData(data))


def _type(qtbot, d, text: str) -> None:
    value = d.child("identifierValue")
    value.setFocus()
    qtbot.keyClicks(value, text)


def test_a_wechat_look_up_is_pick_wechat_id_type_enter(qtbot, desk):
    d = desk()
    code = d.sim.customer_requests_otp(
        "wechat", "oWX1-liwei-demo", source="WECHAT", account_id="WECHAT-DEMO1"
    )
    _choose_type(d, "wechat")
    source = d.window.findChild(QComboBox, "sourceSelector")
    assert source.currentText() == "WeChat"
    assert d.window.findChild(QLineEdit, "accountId").text() == "WECHAT-DEMO1"
    _type(qtbot, d, "oWX1-liwei-demo")
    with qtbot.waitSignal(d.window.otpShown, timeout=5000) as shown:
        qtbot.keyClick(d.child("identifierValue"), Qt.Key.Key_Return)
    assert shown.args[0].code == code
    assert "Customer ID 3003" in d.text("otpCustomer")
    _choose_type(d, "mobile")  # leaving WeChat id: back to the usual source
    assert source.currentText() == "In store"


def test_sources_and_scopes_by_name_with_the_api_value_in_tooltip_and_details(qtbot, desk):
    d = desk()
    source = d.window.findChild(QComboBox, "sourceSelector")
    scope = d.window.findChild(QComboBox, "scopeSelector")
    assert (source.currentText(), scope.currentText()) == ("In store", "Points")
    assert source.itemData(source.currentIndex(), Qt.ItemDataRole.ToolTipRole) == "INSTORE"
    assert "INSTORE" in source.toolTip()
    d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    _type(qtbot, d, DEMO_MOBILE_TYPED)
    with qtbot.waitSignal(d.window.otpShown, timeout=5000):
        qtbot.keyClick(d.child("identifierValue"), Qt.Key.Key_Return)
    click(qtbot, d.child("statusDetailsButton"))
    details = d.text("statusDetails").splitlines()
    assert "Source: In store (INSTORE)" in details
    assert "Scope: Points (POINTS)" in details
    assert "Org ID: 50001" in details  # support's, not the counter's
    assert "Org ID" not in d.text("otpCustomer")
    assert any(line.startswith("Request id: ") for line in details)


def _policy(text: str) -> None:
    path = Path(os.environ["CAPDESK_MACHINE_CONFIG"]) / "policy.ini"
    path.write_text("[capdesk]\n" + text, encoding="utf-8")


def test_account_ids_come_from_it_policy_then_what_was_last_used_per_cluster(qtbot, desk):
    # A pre-provisioned default (not locked): staff may use another account.
    _policy("account_ids = FACEBOOK=FB-OLD-PAGE, eu:WECHAT=WX-EU\nlocked = none\n")
    d = desk()
    form = d.window.identifier_form
    account = d.window.findChild(QLineEdit, "accountId")
    form.set_source("FACEBOOK")
    assert account.text() == "FB-OLD-PAGE"  # IT's value over the training demo account
    code = d.sim.customer_requests_otp(
        "email", "emma.mueller@example.com", source="FACEBOOK", account_id="FB-DEMO1"
    )
    account.selectAll()
    qtbot.keyClicks(account, "FB-DEMO1")
    _choose_type(d, "email")
    _type(qtbot, d, "emma.mueller@example.com")
    with qtbot.waitSignal(d.window.otpShown, timeout=5000) as shown:
        qtbot.keyClick(d.child("identifierValue"), Qt.Key.Key_Return)
    assert shown.args[0].code == code
    settings = d.service.settings
    assert settings.account_ids("training")["FACEBOOK"] == "FB-DEMO1"  # remembered
    assert settings.account_ids("eu") == {"FACEBOOK": "FB-OLD-PAGE", "WECHAT": "WX-EU"}
    click(qtbot, d.child("newCustomerButton"))
    assert account.text() == "FB-DEMO1"  # the next customer's look-up needs no typing


def test_locked_account_ids_are_not_overwritten(qtbot, desk):
    _policy("account_ids = FACEBOOK=FB-DEMO1\n")  # set by IT, so locked
    d = desk()
    settings = d.service.settings
    settings.remember_account_id("training", "FACEBOOK", "FB-OTHER")
    assert settings.account_ids("training") == {"FACEBOOK": "FB-DEMO1"}


def test_the_form_shows_the_number_that_will_be_looked_up_before_enter(qtbot, desk):
    d = desk(configure=lambda settings: setattr(settings, "default_country", "CN"))
    _type(qtbot, d, "+1 415-555-0123")
    hint = d.text("identifierHint")
    assert hint == "Looks up +1 415-555-0123 · United States"
    assert d.child("identifierValue").accessibleDescription() == hint  # screen readers too
    value = d.child("identifierValue")
    value.selectAll()
    qtbot.keyClicks(value, "+1 506-234-5678")  # same +1, another country: named
    assert d.text("identifierHint") == "Looks up +1 506-234-5678 · Canada"
    with qtbot.waitSignal(d.window.operationFailed, timeout=5000):  # nobody has it here
        qtbot.keyClick(value, Qt.Key.Key_Return)
    assert d.sim.received_identifier_values[-1] == "15062345678"  # what staff saw is sent
    value.selectAll()
    qtbot.keyClicks(value, "138 1234 5678")  # national: read in the default country
    assert d.text("identifierHint") == "Looks up +86 138 1234 5678 · China"
