"""What a screen reader gets from the real window.

Names are read through Qt's accessibility interfaces (what AT-SPI / UI Automation
are given), so a field named by its buddy label counts. Value labels must have no
accessibleName, or a reader says the name instead of the value (design.md pitfall).
Announcements are observed through capdesk.ui.common.announcer's listeners.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QWidget,
)

from capdesk.ui.common import announcer
from capdesk.ui.common.announcer import spell_out
from tests.ui.window_harness import (
    DEMO_MOBILE,
    DEMO_MOBILE_TYPED,
    click,
    fake_clock,
)

INTERACTIVE = (QAbstractButton, QComboBox, QLineEdit, QAbstractSpinBox, QAbstractItemView)
VALUE_LABELS = ("otpCode", "otpCountdown", "cardNumber", "statusMessage")


def spoken_name(widget: QWidget) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    assert interface is not None and interface.isValid(), widget.objectName()
    return interface.text(QAccessible.Text.Name)


def controls(window) -> list[QWidget]:
    """Every interactive control, without the line edits inside combos and spin boxes."""
    found = []
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or widget.window() is not window:
            continue  # (combo popups are windows of their own)
        parent = widget.parentWidget()
        if isinstance(widget, QLineEdit) and isinstance(parent, QComboBox | QAbstractSpinBox):
            continue
        if isinstance(parent, QLineEdit | QAbstractItemView):
            continue  # Qt's own parts (clear-text icon, table headers), not controls
        found.append(widget)
    return found


def show_otp(qtbot, d):
    d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    value = d.child("identifierValue")
    qtbot.keyClicks(value, DEMO_MOBILE_TYPED)
    with qtbot.waitSignal(d.window.otpShown, timeout=5000) as shown:
        qtbot.keyClick(value, Qt.Key.Key_Return)
    return shown.args[0]


def test_every_control_has_a_name_in_every_state(qtbot, desk):
    d = desk()
    show_otp(qtbot, d)
    with qtbot.waitSignal(d.window.cardBatchFinished, timeout=5000):
        click(qtbot, d.child("generateCardButton"))
    d.sim.set_scenario("outage")
    with qtbot.waitSignal(d.window.operationFailed, timeout=5000):
        click(qtbot, d.child("generateCardButton"))
    all_controls = controls(d.window)
    assert len(all_controls) >= 25
    unnamed = [w.objectName() or type(w).__name__ for w in all_controls if not spoken_name(w)]
    assert unnamed == []
    assert spoken_name(d.child("identifierValue")) == "Customer identifier"
    assert spoken_name(d.child("fetchOtpButton")) == "Fetch OTP"


def test_value_labels_are_read_as_their_value(qtbot, desk):
    d = desk()
    result = show_otp(qtbot, d)
    with qtbot.waitSignal(d.window.cardBatchFinished, timeout=5000) as done:
        click(qtbot, d.child("generateCardButton"))
    for name in VALUE_LABELS:
        label = d.child(name)
        assert label.accessibleName() == "", name
        assert label.accessibleIdentifier() == name
        assert spoken_name(label) == label.text(), name  # the reader says the value itself
    assert result.code in spoken_name(d.child("otpCode")).replace(" ", "")
    assert spoken_name(d.child("cardNumber")) == done.args[0][0].number


def test_the_code_is_announced_once_on_arrival_and_once_before_expiry(qtbot, desk):
    heard: list[tuple[str, bool]] = []

    def listen(widget, text, assertive):
        heard.append((text, assertive))

    announcer.add_listener(listen)
    try:
        d = desk(clock=fake_clock())
        result = show_otp(qtbot, d)
        countdown = d.window.otp_panel.countdown  # poll(): what each timer tick does
        for _ in range(3):  # ticks while valid say nothing
            d.clock.advance(20)
            countdown.poll()
        with_code = [text for text, _ in heard if spell_out(result.code) in text]
        assert len(with_code) == 1
        assert with_code[0].startswith(f"OTP {spell_out(result.code)}, expires in 1")
        assert with_code[0].endswith(" minutes")

        d.clock.advance(countdown.seconds_left() - 9.5)
        for _ in range(4):  # several ticks inside the last 10 seconds
            countdown.poll()
            d.clock.advance(1)
        soon = [(text, loud) for text, loud in heard if text.startswith("The OTP expires in")]
        assert soon == [("The OTP expires in 10 seconds", True)]

        for _ in range(3):
            d.clock.advance(3)
            countdown.poll()
        expired = [text for text, _ in heard if "has expired" in text]
        assert expired == ["The OTP has expired. Ask the customer to request a new one."]
        assert sum(spell_out(result.code) in text for text, _ in heard) == 1
    finally:
        announcer.remove_listener(listen)
