"""IdentifierForm, typed into like a person: bad values are caught before any call."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QSpinBox, QToolButton

from capdesk.ui.otp.identifier_form import IdentifierForm, OtpQuery


@pytest.fixture
def form(qtbot):
    form = IdentifierForm(validation_delay_ms=50)
    qtbot.addWidget(form)
    form.resize(520, 320)
    form.show()
    form.activateWindow()
    qtbot.waitExposed(form)
    qtbot.waitUntil(form.isActiveWindow, timeout=2000)
    return form


def value(form) -> QLineEdit:
    return form.findChild(QLineEdit, "identifierValue")


def hint(form) -> QLabel:
    return form.findChild(QLabel, "identifierHint")


def combo(form, name: str) -> QComboBox:
    return form.findChild(QComboBox, name)


def choose(qtbot, box: QComboBox, text: str) -> None:
    """Pick an entry the way a keyboard user does: focus the combo and type its start."""
    box.setFocus()
    index = box.findText(text)
    assert index >= 0, text
    box.setCurrentIndex(index)


def type_value(qtbot, form, text: str) -> None:
    field = value(form)
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=1000)
    qtbot.keyClicks(field, text)


def test_valid_mobile_and_enter_fetches_with_the_normalised_value(qtbot, form):
    type_value(qtbot, form, "98765 43210")
    with qtbot.waitSignal(form.fetchRequested, timeout=1000) as blocker:
        qtbot.keyClick(value(form), Qt.Key.Key_Return)
    assert blocker.args == [
        OtpQuery(
            name="mobile",
            value="919876543210",
            source="INSTORE",
            account_id=None,
            scope="POINTS",
            threshold=None,
        )
    ]


def test_mobile_is_grouped_as_it_is_typed(qtbot, form):
    type_value(qtbot, form, "9876543210")
    assert value(form).text() == "98765 43210"
    assert value(form).cursorPosition() == len("98765 43210")


def test_international_mobile_is_grouped_and_keeps_every_digit(qtbot, form):
    type_value(qtbot, form, "+14155550123")
    text = value(form).text()
    assert text != "+14155550123"
    assert "".join(ch for ch in text if ch.isdigit() or ch == "+") == "+14155550123"


def test_backspace_after_a_group_gap_deletes_a_digit(qtbot, form):
    type_value(qtbot, form, "987654")
    assert value(form).text() == "98765 4"
    qtbot.keyClick(value(form), Qt.Key.Key_Backspace)
    qtbot.keyClick(value(form), Qt.Key.Key_Backspace)
    assert value(form).text() == "9876"


def test_fixing_a_typo_in_the_middle_keeps_the_cursor_there(qtbot, form):
    type_value(qtbot, form, "9876543210")
    field = value(form)
    field.setCursorPosition(2)  # after "98"
    qtbot.keyClicks(field, "1")
    assert field.text().replace(" ", "") == "98176543210"
    assert field.text()[: field.cursorPosition()].replace(" ", "") == "981"


def test_no_red_while_typing_then_the_reason_after_a_pause(qtbot, form):
    type_value(qtbot, form, "98765")
    assert hint(form).property("error") is False  # still typing: no complaint yet
    qtbot.waitUntil(lambda: hint(form).property("error") is True, timeout=1000)
    assert "mobile number isn't valid" in hint(form).text()
    assert value(form).accessibleDescription() == hint(form).text()
    qtbot.keyClicks(value(form), "43210")  # now valid: the complaint goes at once
    assert hint(form).property("error") is False


def test_leaving_the_field_shows_the_reason_at_once(qtbot):
    form = IdentifierForm(validation_delay_ms=60_000)  # no pause-based check in this test
    qtbot.addWidget(form)
    form.show()
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow, timeout=2000)
    choose(qtbot, combo(form, "identifierName"), "Email")
    type_value(qtbot, form, "asha@")
    assert hint(form).property("error") is False
    qtbot.keyClick(value(form), Qt.Key.Key_Tab)  # leave the field
    qtbot.waitUntil(lambda: not value(form).hasFocus(), timeout=1000)
    assert hint(form).property("error") is True
    assert "email address isn't valid" in hint(form).text()
    assert value(form).text() == "asha@"


def test_invalid_enter_emits_nothing_keeps_the_text_and_refocuses(qtbot, form):
    type_value(qtbot, form, "12345")
    typed = value(form).text()
    form.findChild(QPushButton, "fetchOtpButton").setFocus()
    with qtbot.assertNotEmitted(form.fetchRequested, wait=50):
        qtbot.mouseClick(form.findChild(QPushButton, "fetchOtpButton"), Qt.MouseButton.LeftButton)
    assert value(form).text() == typed
    assert hint(form).property("error") is True
    qtbot.waitUntil(value(form).hasFocus, timeout=1000)


def test_empty_enter_says_what_to_type(qtbot, form):
    value(form).setFocus()
    with qtbot.assertNotEmitted(form.fetchRequested, wait=20):
        qtbot.keyClick(value(form), Qt.Key.Key_Return)
    assert hint(form).text() == "Type the customer's mobile number."


@pytest.mark.parametrize(
    ("kind", "typed", "sent"),
    [
        ("Email", "  Asha.Rao@Example.COM ", "Asha.Rao@example.com"),
        ("Card number / external id", "CARD1001", "CARD1001"),
        ("WeChat id", "oWX1-liwei-demo", "oWX1-liwei-demo"),
    ],
)
def test_other_identifier_types(qtbot, form, kind, typed, sent):
    form.set_account_ids({"WECHAT": "WECHAT-DEMO1"})  # as the window does per cluster
    choose(qtbot, combo(form, "identifierName"), kind)
    type_value(qtbot, form, typed)
    with qtbot.waitSignal(form.fetchRequested, timeout=1000) as blocker:
        qtbot.keyClick(value(form), Qt.Key.Key_Enter)
    assert blocker.args[0].value == sent


def test_account_id_shows_only_for_sources_that_need_one(qtbot, form):
    account = form.findChild(QLineEdit, "accountId")
    source = combo(form, "sourceSelector")
    assert source.currentText() == "In store"
    assert not account.isVisible()
    for name, needed in [
        ("WeChat", True),
        ("Facebook", True),
        ("MartJack online store", True),
        ("Other", False),
    ]:
        choose(qtbot, source, name)
        assert account.isVisible() is needed, name


def test_typed_source_is_accepted_and_uppercased(qtbot, form):
    source = combo(form, "sourceSelector")
    source.lineEdit().selectAll()
    qtbot.keyClicks(source.lineEdit(), "martjack")
    assert form.findChild(QLineEdit, "accountId").isVisible()
    source.lineEdit().selectAll()
    qtbot.keyClicks(source.lineEdit(), "tmall")
    choose(qtbot, combo(form, "identifierName"), "Card number / external id")
    type_value(qtbot, form, "asha")
    with qtbot.waitSignal(form.fetchRequested, timeout=1000) as blocker:
        qtbot.keyClick(value(form), Qt.Key.Key_Return)
    assert blocker.args[0].source == "TMALL"
    source.lineEdit().selectAll()
    qtbot.keyClicks(source.lineEdit(), "line_shop")  # a source capdesk does not list
    with qtbot.waitSignal(form.fetchRequested, timeout=1000) as blocker:
        qtbot.keyClick(value(form), Qt.Key.Key_Return)
    assert blocker.args[0].source == "LINE_SHOP"


def test_missing_account_id_is_asked_for_then_sent(qtbot, form):
    choose(qtbot, combo(form, "identifierName"), "WeChat id")
    assert combo(form, "sourceSelector").currentText() == "WeChat"  # implied by the type
    type_value(qtbot, form, "oWX1-liwei-demo")
    account = form.findChild(QLineEdit, "accountId")
    with qtbot.assertNotEmitted(form.fetchRequested, wait=20):
        qtbot.keyClick(value(form), Qt.Key.Key_Return)
    assert (
        form.findChild(QLabel, "accountIdHint")
        .text()
        .startswith("Type the WeChat account id: this source needs one.")
    )
    qtbot.waitUntil(account.hasFocus, timeout=1000)
    qtbot.keyClicks(account, "WECHAT-DEMO1")
    with qtbot.waitSignal(form.fetchRequested, timeout=1000) as blocker:
        qtbot.keyClick(account, Qt.Key.Key_Return)
    assert blocker.args[0].account_id == "WECHAT-DEMO1"
    assert blocker.args[0].name == "wechat"


def test_threshold_is_in_a_collapsed_advanced_section(qtbot, form):
    threshold = form.findChild(QSpinBox, "otpThreshold")
    assert not threshold.isVisible()
    qtbot.mouseClick(form.findChild(QToolButton, "advancedToggle"), Qt.MouseButton.LeftButton)
    assert threshold.isVisible()
    threshold.setValue(60)
    choose(qtbot, combo(form, "scopeSelector"), "Coupon")
    type_value(qtbot, form, "+91 98765 43210")
    with qtbot.waitSignal(form.fetchRequested, timeout=1000) as blocker:
        qtbot.keyClick(value(form), Qt.Key.Key_Return)
    assert (blocker.args[0].threshold, blocker.args[0].scope) == (60, "COUPON")


def test_busy_disables_fetch_but_not_typing(qtbot, form):
    form.set_busy(True)
    assert not form.findChild(QPushButton, "fetchOtpButton").isEnabled()
    type_value(qtbot, form, "9876543210")
    assert value(form).text() == "98765 43210"
    with qtbot.assertNotEmitted(form.fetchRequested, wait=20):
        qtbot.keyClick(value(form), Qt.Key.Key_Return)
    form.set_busy(False)
    with qtbot.waitSignal(form.fetchRequested, timeout=1000):
        qtbot.keyClick(value(form), Qt.Key.Key_Return)


def test_new_customer_and_escape_clear_value_and_account_but_keep_source_and_scope(qtbot, form):
    choose(qtbot, combo(form, "sourceSelector"), "Facebook")
    choose(qtbot, combo(form, "scopeSelector"), "Coupon")
    account = form.findChild(QLineEdit, "accountId")
    account.setText("FB-DEMO1")
    type_value(qtbot, form, "asha")
    with qtbot.waitSignal(form.newCustomerRequested, timeout=1000):
        qtbot.mouseClick(
            form.findChild(QPushButton, "newCustomerButton"), Qt.MouseButton.LeftButton
        )
    assert (value(form).text(), account.text()) == ("", "")
    assert combo(form, "sourceSelector").currentText() == "Facebook"
    assert combo(form, "scopeSelector").currentText() == "Coupon"
    qtbot.waitUntil(value(form).hasFocus, timeout=1000)
    qtbot.keyClicks(value(form), "98765")
    with qtbot.waitSignal(form.newCustomerRequested, timeout=1000):
        qtbot.keyClick(value(form), Qt.Key.Key_Escape)
    assert value(form).text() == ""


def test_default_country_decides_numbers_without_a_country_code(qtbot, form):
    form.set_default_country("us")
    assert "+1 (US)" in hint(form).text()
    type_value(qtbot, form, "4155550123")
    with qtbot.waitSignal(form.fetchRequested, timeout=1000) as blocker:
        qtbot.keyClick(value(form), Qt.Key.Key_Return)
    assert blocker.args[0].value == "14155550123"


def test_every_input_has_a_buddy_label_with_a_mnemonic_and_an_accessible_name(form):
    names = [
        "identifierName",
        "identifierValue",
        "sourceSelector",
        "accountId",
        "scopeSelector",
        "otpThreshold",
    ]
    buddies = {
        label.buddy().objectName(): label.text()
        for label in form.findChildren(QLabel)
        if label.buddy() is not None
    }
    mnemonics = set()
    for name in names:
        assert "&" in buddies[name], name
        mnemonics.add(buddies[name].lower().split("&")[1][0])
        widget = (
            form.findChild(QLineEdit, name)
            or form.findChild(QComboBox, name)
            or (form.findChild(QSpinBox, name))
        )
        assert widget.accessibleName(), name
    assert len(mnemonics) == len(names)  # no two labels share an Alt key
    assert hint(form).accessibleName() == ""  # a value label: its text is what is read


def test_tab_order_follows_the_form(qtbot, form):
    order = ["identifierName", "identifierValue", "sourceSelector", "scopeSelector"]
    combo(form, "identifierName").setFocus()
    qtbot.waitUntil(combo(form, "identifierName").hasFocus, timeout=1000)
    seen = []
    for _ in order:
        seen.append(form.focusWidget().objectName())
        qtbot.keyClick(form.focusWidget(), Qt.Key.Key_Tab)
    assert seen == order


def test_current_query_checks_without_emitting(qtbot, form):
    type_value(qtbot, form, "12")
    with qtbot.assertNotEmitted(form.fetchRequested, wait=20):
        assert form.current_query() is None
    assert hint(form).property("error") is True
    value(form).setText("98765 43210")
    assert form.current_query().value == "919876543210"


def test_focusing_the_form_puts_the_cursor_in_the_identifier_field(qtbot, form):
    combo(form, "scopeSelector").setFocus()
    form.setFocus()
    qtbot.waitUntil(value(form).hasFocus, timeout=1000)
