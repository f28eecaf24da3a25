"""AdminPinDialog: typed or tapped PINs, wrong-PIN counting, the 30 s lockout, no PIN in logs."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit

from capdesk.store.pin import MIN_ITERATIONS, hash_pin
from capdesk.ui.account.admin_pin_dialog import AdminPinDialog, PinAttempts, ask_admin_pin
from tests.fake_clock import FakeClock

PIN = "2468"
WRONG = "1357"


@pytest.fixture(scope="module")
def pin_hash() -> str:
    return hash_pin(PIN, iterations=MIN_ITERATIONS)  # the cheapest hash the store accepts


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def attempts(clock) -> PinAttempts:
    return PinAttempts(clock)


@pytest.fixture
def dialog(qtbot, pin_hash, attempts):
    d = AdminPinDialog(pin_hash, attempts=attempts)
    qtbot.addWidget(d)
    d.show()
    return d


def _tap(qtbot, dialog: AdminPinDialog, digits: str) -> None:
    for digit in digits:
        qtbot.mouseClick(dialog.keys[digit], Qt.MouseButton.LeftButton)


def test_right_pin_on_the_number_pad_accepts(qtbot, dialog):
    assert dialog.field.echoMode() == QLineEdit.EchoMode.Password
    _tap(qtbot, dialog, PIN)
    assert dialog.field.text() == PIN
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.field.text() == ""


def test_typing_and_enter_accepts(qtbot, dialog):
    qtbot.keyClicks(dialog.field, PIN)
    qtbot.keyClick(dialog.field, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_backspace_and_clear_keys(qtbot, dialog):
    _tap(qtbot, dialog, "123")
    qtbot.mouseClick(dialog.keys["back"], Qt.MouseButton.LeftButton)
    assert dialog.field.text() == "12"
    qtbot.mouseClick(dialog.keys["clear"], Qt.MouseButton.LeftButton)
    assert dialog.field.text() == ""


def test_wrong_pin_says_how_many_tries_are_left(qtbot, dialog):
    _tap(qtbot, dialog, WRONG)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.field.text() == ""
    assert dialog.message.text() == "That PIN is not right. 4 tries left."


def test_five_wrong_pins_lock_for_30_seconds_even_in_a_new_dialog(
    qtbot, dialog, attempts, clock, pin_hash
):
    for _ in range(5):
        qtbot.keyClicks(dialog.field, WRONG)
        dialog.submit()
    assert dialog.message.text() == "Too many wrong PINs. Try again in 30 seconds."
    assert not dialog.ok_button.isEnabled()
    assert not dialog.keys["5"].isEnabled()
    assert not dialog.field.isEnabled()

    again = AdminPinDialog(pin_hash, attempts=attempts)  # closing and reopening does not help
    qtbot.addWidget(again)
    again.show()
    assert not again.ok_button.isEnabled()
    again.field.setText(PIN)  # even the right PIN is refused during the lockout
    again.submit()
    assert again.result() != QDialog.DialogCode.Accepted

    clock.advance(29)
    again.refresh()
    assert again.message.text() == "Too many wrong PINs. Try again in 1 second."
    clock.advance(1)
    again.refresh()
    assert again.ok_button.isEnabled()
    assert again.message.text() == "You can try the PIN again."
    _tap(qtbot, again, PIN)
    qtbot.mouseClick(again.ok_button, Qt.MouseButton.LeftButton)
    assert again.result() == QDialog.DialogCode.Accepted
    assert attempts.tries_left == 5


def test_lockout_countdown_runs_on_its_timer(qtbot, pin_hash, clock):
    dialog = AdminPinDialog(pin_hash, attempts=PinAttempts(clock, max_attempts=1, lockout_s=5))
    qtbot.addWidget(dialog)
    dialog.field.setText(WRONG)
    dialog.submit()
    assert not dialog.ok_button.isEnabled()
    clock.advance(5)
    qtbot.waitUntil(lambda: dialog.ok_button.isEnabled(), timeout=2000)


def test_no_pin_configured_disables_everything(qtbot):
    dialog = AdminPinDialog(None, attempts=PinAttempts(FakeClock()))
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()
    assert "No administrator PIN is set" in dialog.message.text()
    dialog.field.setText("0000")
    dialog.submit()
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_the_pin_never_reaches_the_log(qtbot, dialog, caplog):
    caplog.set_level(logging.DEBUG)
    qtbot.keyClicks(dialog.field, WRONG)
    dialog.submit()
    qtbot.keyClicks(dialog.field, PIN)
    dialog.submit()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert "rejected" in caplog.text and "accepted" in caplog.text
    assert PIN not in caplog.text and WRONG not in caplog.text


def test_ask_admin_pin_returns_true_only_for_the_right_pin(qtbot, pin_hash, attempts):
    def answer(pin: str) -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, AdminPinDialog)
        dialog.field.setText(pin)
        dialog.submit()
        if dialog.isVisible():
            dialog.reject()

    QTimer.singleShot(0, lambda: answer(PIN))
    assert ask_admin_pin(None, pin_hash, attempts=attempts) is True
    QTimer.singleShot(0, lambda: answer(WRONG))
    assert ask_admin_pin(None, pin_hash, attempts=attempts) is False
