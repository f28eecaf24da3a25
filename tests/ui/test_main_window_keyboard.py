"""The window without a mouse: Tab reaches every control, Alt+letter keys are unique
and land where they say, Enter fetches, Ctrl+C copies the OTP from the panel, Esc
clears. Keys go to whichever widget has focus, as they would for a person.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget

from capdesk.ui.main_window import TAB_ORDER
from tests.ui.window_harness import (
    DEMO_MOBILE,
    DEMO_MOBILE_TYPED,
    click,
)

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(focused(), key, modifier)


def tab_cycle(qtbot) -> list[QWidget]:
    """Every widget Tab visits, starting from the current focus, once round."""
    start = focused()
    seen = [start]
    for _ in range(80):
        press(qtbot, Qt.Key.Key_Tab)
        if focused() is start:
            return seen
        assert focused() not in seen, f"Tab is caught in a loop at {focused().objectName()}"
        seen.append(focused())
    raise AssertionError("Tab never came back to where it started")


def tab_stops(window) -> list[QWidget]:
    """The controls a keyboard user must be able to reach right now."""
    return [
        w
        for w in window.findChildren(QWidget)
        if w.isVisible()
        and w.isEnabled()
        and (w.focusPolicy() & Qt.FocusPolicy.TabFocus) == Qt.FocusPolicy.TabFocus
        and w.focusProxy() is None
    ]


def mnemonics(window) -> dict[str, QWidget]:
    """Alt+letter → the button or labelled control it reaches; fails on a duplicate."""
    found: dict[str, QWidget] = {}
    for widget in window.findChildren(QWidget):
        if isinstance(widget, QAbstractButton):
            text, target = widget.text(), widget
        elif isinstance(widget, QLabel) and widget.buddy() is not None:
            text, target = widget.text(), widget.buddy()
        else:
            continue
        if "&" not in text.replace("&&", "") or not widget.isVisible() or not widget.isEnabled():
            continue
        letter = text.replace("&&", "").split("&")[1][0].upper()
        assert letter not in found, (
            f"Alt+{letter} is both {found[letter].objectName()} and {target.objectName()}"
        )
        found[letter] = target
    return found


def show_otp(qtbot, d) -> str:
    code = d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    value = d.child("identifierValue")
    value.setFocus()
    qtbot.keyClicks(value, DEMO_MOBILE_TYPED)
    with qtbot.waitSignal(d.window.otpShown, timeout=5000):
        qtbot.keyClick(value, Qt.Key.Key_Return)
    return code


def test_a_fresh_window_starts_in_the_identifier_field(desk):
    d = desk()
    assert focused() is d.child("identifierValue")


def test_tab_reaches_every_control_in_a_fresh_window(qtbot, desk):
    d = desk()
    visited = tab_cycle(qtbot)
    names = [w.objectName() for w in visited]
    assert set(tab_stops(d.window)) <= set(visited)
    for required in ("clusterSelector", "identifierName", "fetchOtpButton", "cardHistory"):
        assert required in names
    # Top to bottom, left before right.
    assert names.index("identifierName") > names.index("clusterSelector") or names[0] == (
        "identifierValue"
    )
    assert names.index("fetchOtpButton") < names.index("simulateOtpRequestButton")
    assert names.index("simulateOtpRequestButton") < names.index("generateCardButton")


def test_tab_reaches_every_control_with_a_code_shown_and_an_error(qtbot, desk):
    d = desk()
    show_otp(qtbot, d)
    with qtbot.waitSignal(d.window.operationFailed, timeout=5000):
        d.sim.set_scenario("outage")
        click(qtbot, d.child("generateCardButton"))
    d.child("identifierValue").setFocus()
    visited = tab_cycle(qtbot)
    names = [w.objectName() for w in visited]
    assert set(tab_stops(d.window)) <= set(visited)
    for required in ("otpCode", "copyOtpButton", "statusDetailsButton", "copyDetailsButton"):
        assert required in names
    assert names.index("newCustomerButton") < names.index("otpCode")


def test_mnemonics_are_unique_in_every_state(qtbot, desk):
    d = desk()
    mnemonics(d.window)
    click(qtbot, d.child("advancedToggle"))
    mnemonics(d.window)
    show_otp(qtbot, d)
    with qtbot.waitSignal(d.window.cardBatchFinished, timeout=5000):
        click(qtbot, d.child("generateCardButton"))
    d.sim.set_scenario("outage")
    with qtbot.waitSignal(d.window.operationFailed, timeout=5000):
        click(qtbot, d.child("generateCardButton"))
    found = mnemonics(d.window)
    assert {"C", "Y", "P"} <= set(found)  # Copy code, Copy (card), Print label
    d.sim.set_scenario("normal")
    combo = d.child("clusterSelector")
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # a real cluster: Sign in / Sign out appear
    found = mnemonics(d.window)
    assert found["S"] is d.child("signInButton")


def test_every_label_mnemonic_moves_focus_to_its_field(qtbot, desk):
    d = desk()
    for letter, target in mnemonics(d.window).items():
        if isinstance(target, QAbstractButton):
            continue
        press(qtbot, getattr(Qt.Key, f"Key_{letter}"), ALT)
        assert focused() is target or target.isAncestorOf(focused()), letter


def test_the_whole_counter_flow_by_keyboard(qtbot, desk):
    d = desk()
    clipboard = QGuiApplication.clipboard()
    qtbot.keyClicks(focused(), DEMO_MOBILE_TYPED)  # the cursor starts in the identifier
    with qtbot.waitSignal(d.window.otpRequestSimulated, timeout=5000):
        press(qtbot, Qt.Key.Key_T, ALT)  # Simulate: customer requests an OTP
    code = d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    press(qtbot, Qt.Key.Key_I, ALT)  # back to Customer identifier
    assert focused() is d.child("identifierValue")
    with qtbot.waitSignal(d.window.otpShown, timeout=5000) as shown:
        press(qtbot, Qt.Key.Key_Return)
    assert shown.args[0].code == code

    # Tab on from the form: right after New customer comes the code; Ctrl+C copies it bare.
    for _ in range(10):
        if focused() is d.child("newCustomerButton"):
            break
        press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is d.child("otpCode")
    press(qtbot, Qt.Key.Key_C, CTRL)
    assert clipboard.text() == code

    clipboard.clear()
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is d.child("copyOtpButton")
    press(qtbot, Qt.Key.Key_C, CTRL)  # anywhere in the panel
    assert clipboard.text() == code
    clipboard.clear()
    press(qtbot, Qt.Key.Key_Space)  # the button itself
    assert clipboard.text() == code

    # A card number, by keyboard too.
    with qtbot.waitSignal(d.window.cardBatchFinished, timeout=5000) as done:
        press(qtbot, Qt.Key.Key_G, ALT)
    press(qtbot, Qt.Key.Key_Y, ALT)  # a mnemonic "animates" the click: it lands a moment later
    qtbot.waitUntil(lambda: clipboard.text() == done.args[0][0].number, timeout=1000)

    press(qtbot, Qt.Key.Key_Escape)
    assert not d.child("otpCode").isVisible()
    assert d.text("identifierValue") == ""
    assert focused() is d.child("identifierValue")  # ready for the next customer


def test_ctrl_c_outside_the_panel_does_not_copy_the_code(qtbot, desk):
    d = desk()
    show_otp(qtbot, d)
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("before")
    value = d.child("identifierValue")
    value.setFocus()
    value.selectAll()
    press(qtbot, Qt.Key.Key_C, CTRL)
    assert clipboard.text() == DEMO_MOBILE_TYPED  # the field's own selection
    assert not d.window.clipboard.holding


def test_enter_in_the_account_field_fetches_too(qtbot, desk):
    d = desk()
    code = d.sim.customer_requests_otp(
        "wechat", "oWX1-liwei-demo", source="WECHAT", account_id="WECHAT-DEMO1"
    )
    press(qtbot, Qt.Key.Key_L, ALT)
    combo = d.child("identifierName")
    while combo.currentData() != "wechat":
        press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_I, ALT)
    qtbot.keyClicks(focused(), "oWX1-liwei-demo")
    press(qtbot, Qt.Key.Key_R, ALT)  # Source
    source = focused()
    source.lineEdit().selectAll()
    qtbot.keyClicks(source, "WECHAT")
    press(qtbot, Qt.Key.Key_A, ALT)  # the Account id row appeared for WECHAT
    assert focused() is d.child("accountId")
    qtbot.keyClicks(focused(), "WECHAT-DEMO1")
    with qtbot.waitSignal(d.window.otpShown, timeout=5000) as shown:
        press(qtbot, Qt.Key.Key_Return)
    assert shown.args[0].code == code


def _visible_tab_order(d) -> list[QWidget]:
    """TAB_ORDER's controls a person can reach right now (visible and enabled)."""
    widgets = [d.window.findChild(QWidget, name) for name in TAB_ORDER]
    return [w for w in widgets if w is not None and w.isVisible() and w.isEnabled()]


def _walk(qtbot, steps: int, modifier=Qt.KeyboardModifier.NoModifier) -> list[str]:
    """Where focus is after each of ``steps`` real Tab (or Shift+Tab) presses."""
    names = []
    for _ in range(steps):
        press(qtbot, Qt.Key.Key_Tab, modifier)
        names.append(focused().objectName())
    return names


def test_tab_and_shift_tab_go_round_the_whole_window_once_each_with_history_rows(qtbot, desk):
    d = desk()
    d.child("cardCount").setValue(3)  # several rows of six cells: room to get trapped in
    with qtbot.waitSignal(d.window.cardBatchFinished, timeout=5000):
        click(qtbot, d.child("generateCardButton"))
    qtbot.waitUntil(lambda: d.child("generateCardButton").isEnabled(), timeout=3000)
    stops = _visible_tab_order(d)
    names = [w.objectName() for w in stops]
    assert "cardHistory" in names and d.window.card_panel.history.model.rowCount() == 3
    assert len(names) > 10

    stops[0].setFocus(Qt.FocusReason.TabFocusReason)
    assert focused() is stops[0]
    assert _walk(qtbot, len(names)) == names[1:] + names[:1]  # once each, then round again

    # Back from the first control: the last one, and so on back to the first.
    backwards = _walk(qtbot, len(names), Qt.KeyboardModifier.ShiftModifier)
    assert backwards == list(reversed(names))


def test_arrow_keys_move_inside_the_history_table(qtbot, desk):
    d = desk()
    d.child("cardCount").setValue(3)
    with qtbot.waitSignal(d.window.cardBatchFinished, timeout=5000):
        click(qtbot, d.child("generateCardButton"))
    table = d.child("cardHistory")
    table.setFocus(Qt.FocusReason.TabFocusReason)
    table.setCurrentIndex(table.model().index(0, 0))
    press(qtbot, Qt.Key.Key_Down)
    assert table.currentIndex().row() == 1
    press(qtbot, Qt.Key.Key_Down)
    assert table.currentIndex().row() == 2
    press(qtbot, Qt.Key.Key_Up)
    assert table.currentIndex().row() == 1
    assert focused() is table


@pytest.mark.parametrize(
    "field",
    [
        "identifierName",
        "identifierValue",
        "sourceSelector",
        "accountId",
        "scopeSelector",
        "otpThreshold",
    ],
)
def test_enter_in_any_field_of_the_look_up_form_fetches(qtbot, desk, field):
    d = desk()
    code = d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    qtbot.keyClicks(focused(), DEMO_MOBILE_TYPED)
    click(qtbot, d.child("advancedToggle"))  # the threshold field is under Advanced
    if field == "accountId":  # a WeChat id: the WeChat source, which needs an account id
        d.window.identifier_form.set_identifier("wechat", "oWX1-liwei-demo")
        code = d.sim.customer_requests_otp(
            "wechat", "oWX1-liwei-demo", source="WECHAT", account_id="WECHAT-DEMO1"
        )
    target = d.child(field)
    assert target.isVisible()
    target.setFocus(Qt.FocusReason.TabFocusReason)
    if field == "accountId":
        target.clear()
        qtbot.keyClicks(target, "WECHAT-DEMO1")
    assert focused() is target
    with qtbot.waitSignal(d.window.otpShown, timeout=5000) as shown:
        press(qtbot, Qt.Key.Key_Return)
    assert shown.args[0].code == code
