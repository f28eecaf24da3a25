"""AdminPinDialog: typed or tapped PINs, wrong-PIN counting, the 30 s lockout, no PIN in logs.

The dialog's checker is injected (the window passes ``DeskService.check_admin_pin``);
here it is a small coroutine function that runs the real ``verify_pin`` in a worker
thread of its own, so every check really hashes and really happens off this thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLineEdit

from capdesk.store.pin import MIN_ITERATIONS, hash_pin, verify_pin
from capdesk.ui.account.admin_pin_dialog import AdminPinDialog, PinAttempts
from tests.fake_clock import FakeClock

PIN = "2468"
WRONG = "1357"
PIN_HASH = hash_pin(PIN, iterations=MIN_ITERATIONS)  # the cheapest hash the store accepts


class Checker:
    """The real check in a worker; records the PINs it was asked about and where it ran.

    ``gate`` (when set) holds every check until the test opens it, to look at the
    dialog while a check is under way.
    """

    def __init__(self, pool: ThreadPoolExecutor, stored: str = PIN_HASH) -> None:
        self._pool = pool
        self._stored = stored
        self.asked: list[str] = []
        self.threads: list[threading.Thread] = []
        self.gate: asyncio.Event | None = None
        self.error: Exception | None = None

    def _verify(self, pin: str) -> bool:
        self.threads.append(threading.current_thread())
        return verify_pin(pin, self._stored)

    async def __call__(self, pin: str) -> bool:
        self.asked.append(pin)
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._verify, pin)


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pin-check") as executor:
        yield executor


@pytest.fixture
def checker(pool) -> Checker:
    return Checker(pool)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def attempts(clock) -> PinAttempts:
    return PinAttempts(clock)


@pytest.fixture
def make_dialog(qtbot, async_loop, checker, attempts):
    def make(*, has_pin: bool = True, tries: PinAttempts | None = None) -> AdminPinDialog:
        d = AdminPinDialog(checker, has_pin=has_pin, attempts=tries or attempts)
        qtbot.addWidget(d)
        d.show()
        return d

    return make


@pytest.fixture
def dialog(make_dialog) -> AdminPinDialog:
    return make_dialog()


def _tap(qtbot, dialog: AdminPinDialog, digits: str) -> None:
    for digit in digits:
        qtbot.mouseClick(dialog.keys[digit], Qt.MouseButton.LeftButton)


def _answered(qtbot, dialog: AdminPinDialog) -> None:
    """Wait until the PIN in flight has been checked and the dialog has its answer."""
    qtbot.waitUntil(lambda: not dialog.checking, timeout=5000)


def _try(qtbot, dialog: AdminPinDialog, pin: str) -> None:
    dialog.field.setText(pin)
    dialog.submit()
    _answered(qtbot, dialog)


def test_right_pin_on_the_number_pad_accepts(qtbot, dialog, checker):
    assert dialog.field.echoMode() == QLineEdit.EchoMode.Password
    _tap(qtbot, dialog, PIN)
    assert dialog.field.text() == PIN
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        assert dialog.field.text() == ""  # cleared the moment it was handed over
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert checker.asked == [PIN]
    assert checker.threads and threading.main_thread() not in checker.threads


def test_typing_and_enter_accepts(qtbot, dialog):
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
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
    _answered(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.field.text() == ""
    assert dialog.message.text() == "That PIN is not right. 4 tries left."
    assert dialog.ok_button.isEnabled() and dialog.field.isEnabled()  # ready for the next try


def test_the_pad_is_off_while_the_pin_is_checked(qtbot, dialog, checker):
    checker.gate = asyncio.Event()
    _tap(qtbot, dialog, PIN)
    qtbot.keyClick(dialog.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: checker.asked == [PIN], timeout=2000)
    assert dialog.checking
    assert dialog.message.text() == "Checking the PIN…"
    assert not dialog.ok_button.isEnabled()
    assert not dialog.field.isEnabled() and not dialog.keys["5"].isEnabled()
    assert dialog.cancel_button.isEnabled()  # the way out stays open
    dialog.submit()  # a second Enter while checking starts no second check
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        checker.gate.set()
    assert checker.asked == [PIN]


def test_closing_during_the_check_unlocks_nothing(qtbot, dialog, checker, attempts):
    checker.gate = asyncio.Event()
    accepted: list[bool] = []
    dialog.accepted.connect(lambda: accepted.append(True))
    dialog.field.setText(PIN)
    dialog.submit()
    qtbot.waitUntil(lambda: checker.asked == [PIN], timeout=2000)
    dialog.reject()
    checker.gate.set()
    qtbot.wait(100)
    assert accepted == [] and dialog.result() == QDialog.DialogCode.Rejected
    assert attempts.tries_left == 5


def test_a_check_that_cannot_run_is_not_a_wrong_try(qtbot, dialog, checker, attempts):
    checker.error = RuntimeError("cannot schedule new futures after shutdown")
    _try(qtbot, dialog, PIN)
    assert dialog.message.text() == "The PIN could not be checked. Try again."
    assert attempts.tries_left == 5
    assert dialog.ok_button.isEnabled()


def test_five_wrong_pins_lock_for_30_seconds_even_in_a_new_dialog(
    qtbot, dialog, make_dialog, attempts, clock, checker
):
    for _ in range(5):
        _try(qtbot, dialog, WRONG)
    assert dialog.message.text() == "Too many wrong PINs. Try again in 30 seconds."
    assert not dialog.ok_button.isEnabled()
    assert not dialog.keys["5"].isEnabled()
    assert not dialog.field.isEnabled()

    again = make_dialog()  # closing and reopening does not help
    assert not again.ok_button.isEnabled()
    again.field.setText(PIN)  # even the right PIN is refused during the lockout
    again.submit()
    assert not again.checking and checker.asked == [WRONG] * 5  # not even checked
    assert again.result() != QDialog.DialogCode.Accepted

    clock.advance(29)
    again.refresh()
    assert again.message.text() == "Too many wrong PINs. Try again in 1 second."
    clock.advance(1)
    again.refresh()
    assert again.ok_button.isEnabled()
    assert again.message.text() == "You can try the PIN again."
    _tap(qtbot, again, PIN)
    with qtbot.waitSignal(again.accepted, timeout=5000):
        qtbot.mouseClick(again.ok_button, Qt.MouseButton.LeftButton)
    assert again.result() == QDialog.DialogCode.Accepted
    assert attempts.tries_left == 5


def test_lockout_countdown_runs_on_its_timer(qtbot, make_dialog, clock):
    dialog = make_dialog(tries=PinAttempts(clock, max_attempts=1, lockout_s=5))
    _try(qtbot, dialog, WRONG)
    assert not dialog.ok_button.isEnabled()
    clock.advance(5)
    qtbot.waitUntil(lambda: dialog.ok_button.isEnabled(), timeout=2000)


def test_no_pin_configured_disables_everything(qtbot, make_dialog, checker):
    dialog = make_dialog(has_pin=False)
    assert not dialog.ok_button.isEnabled()
    assert "No administrator PIN is set" in dialog.message.text()
    dialog.field.setText("0000")
    dialog.submit()
    assert checker.asked == []
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_the_pin_never_reaches_the_log(qtbot, dialog, caplog):
    caplog.set_level(logging.DEBUG)
    _try(qtbot, dialog, WRONG)
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.field.setText(PIN)
        dialog.submit()
    assert "rejected" in caplog.text and "accepted" in caplog.text
    assert PIN not in caplog.text and WRONG not in caplog.text
