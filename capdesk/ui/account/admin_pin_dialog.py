"""The administrator PIN prompt that guards a kiosk's settings, cluster and sign-out.

Kiosks are often touch screens with no keyboard, so the dialog has a large number
pad as well as a field that takes typing. The dialog never sees the PIN's hash: it
hands the PIN to an injected coroutine function (the window passes
:meth:`capdesk.services.DeskService.check_admin_pin`), because the check is a slow
salted hash (PBKDF2, about 120 ms by design) that must run in a worker, not on the
GUI thread. The PIN itself is never logged, stored or kept after a try (the field
is cleared at once).

After five wrong PINs the dialog refuses further tries for 30 seconds. The count
lives in a :class:`PinAttempts` object that the window keeps, not in the dialog,
so closing and reopening the dialog does not reset it. Time comes from an injected
clock (tests use :class:`~tests.fake_clock.FakeClock`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.store.pin import MAX_DIGITS
from capdesk.ui.common.tasks import TaskKeeper

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
LOCKOUT_SECONDS = 30.0
KEY_SIZE = 72  # px: comfortably larger than a fingertip

# Whether a PIN is the administrator's; runs the slow hash off the GUI thread.
CheckPin = Callable[[str], Awaitable[bool]]


class PinAttempts:
    """Counts wrong PINs and enforces the lockout. Keep one per window."""

    def __init__(
        self,
        clock: Clock = SYSTEM_CLOCK,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        lockout_s: float = LOCKOUT_SECONDS,
    ) -> None:
        self._clock = clock
        self.max_attempts = max_attempts
        self.lockout_s = lockout_s
        self._failures = 0
        self._locked_until: float | None = None

    def locked_for(self) -> float:
        """Seconds left in the lockout, 0 when tries are allowed."""
        if self._locked_until is None:
            return 0.0
        left = self._locked_until - self._clock.monotonic()
        if left <= 0:
            self._locked_until = None
            return 0.0
        return left

    @property
    def tries_left(self) -> int:
        return self.max_attempts - self._failures

    def record_failure(self) -> None:
        self._failures += 1
        if self._failures >= self.max_attempts:
            self._failures = 0
            self._locked_until = self._clock.monotonic() + self.lockout_s

    def record_success(self) -> None:
        self._failures = 0
        self._locked_until = None


class AdminPinDialog(QDialog):
    """Asks for the administrator PIN; ``accepted`` only after ``check_pin`` said yes.

    ``has_pin`` is whether the machine policy sets a PIN at all: without one nothing
    can unlock, and the dialog says whom to ask instead of offering a pad.
    """

    def __init__(
        self,
        check_pin: CheckPin,
        *,
        has_pin: bool,
        attempts: PinAttempts,
        reason: str = "Enter the administrator PIN to continue.",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._check_pin = check_pin
        self._has_pin = has_pin
        self._attempts = attempts
        self._tasks = TaskKeeper()
        self._closed = False  # a check that ends after the dialog closed changes nothing
        self.setObjectName("adminPinDialog")
        self.setWindowTitle("Administrator PIN")
        self.setModal(True)

        big = QFont(self.font())
        big.setPointSizeF(max(big.pointSizeF(), 10.0) * 1.6)

        self.prompt = QLabel(reason)
        self.prompt.setWordWrap(True)
        self.field = QLineEdit()
        self.field.setObjectName("adminPinField")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setMaxLength(MAX_DIGITS)
        self.field.setInputMethodHints(
            Qt.InputMethodHint.ImhDigitsOnly
            | Qt.InputMethodHint.ImhHiddenText
            | Qt.InputMethodHint.ImhSensitiveData
            | Qt.InputMethodHint.ImhNoPredictiveText
        )
        self.field.setFont(big)
        self.field.setMinimumHeight(KEY_SIZE)
        self.prompt.setBuddy(self.field)
        self.field.setAccessibleName("Administrator PIN")
        self.message = QLabel("")
        self.message.setObjectName("adminPinMessage")
        self.message.setWordWrap(True)

        pad = QGridLayout()
        self.keys: dict[str, QPushButton] = {}
        labels = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back"]
        for index, label in enumerate(labels):
            button = self._key(label, big)
            pad.addWidget(button, index // 3, index % 3)

        self.ok_button = QPushButton("OK")
        self.ok_button.setObjectName("adminPinOk")
        self.ok_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("adminPinCancel")
        # While a PIN is checked the pad is disabled and focus moves on to Cancel; were
        # Cancel an auto-default button, the Enter that sent the PIN would also press it.
        self.cancel_button.setAutoDefault(False)
        for button in (self.ok_button, self.cancel_button):
            button.setFont(big)
            button.setMinimumHeight(KEY_SIZE)
        self.ok_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self.reject)
        self.field.returnPressed.connect(self.submit)

        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addWidget(self.field)
        layout.addLayout(pad)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

        self._lockout_timer = QTimer(self)
        self._lockout_timer.setInterval(250)
        self._lockout_timer.timeout.connect(self.refresh)
        self.refresh()

    def _key(self, label: str, font: QFont) -> QPushButton:
        text = {"clear": "Clear", "back": "⌫"}.get(label, label)
        button = QPushButton(text)
        button.setObjectName(
            {"clear": "adminPinClear", "back": "adminPinBackspace"}.get(
                label, f"adminPinKey{label}"
            )
        )
        if label == "back":
            button.setAccessibleName("Delete last digit")
        button.setFont(font)
        button.setMinimumSize(KEY_SIZE, KEY_SIZE)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        button.setAutoDefault(False)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep typing focus in the field
        if label == "clear":
            button.clicked.connect(self.field.clear)
        elif label == "back":
            button.clicked.connect(self.field.backspace)
        else:
            button.clicked.connect(lambda _=False, d=label: self.field.insert(d))
        self.keys[label] = button
        return button

    # -- state ----------------------------------------------------------------------

    @property
    def has_pin(self) -> bool:
        return self._has_pin

    @property
    def checking(self) -> bool:
        """A PIN is being checked in a worker (the pad is disabled meanwhile)."""
        return self._tasks.is_running("check")

    def _set_inputs_enabled(self, enabled: bool) -> None:
        self.field.setEnabled(enabled)
        self.ok_button.setEnabled(enabled)
        for button in self.keys.values():
            button.setEnabled(enabled)

    def refresh(self) -> None:
        """Show the lockout countdown, or re-open the pad once it is over."""
        if self.checking:
            return  # the check's end refreshes
        if not self.has_pin:
            self._set_inputs_enabled(False)
            self.message.setText(
                "No administrator PIN is set on this PC. Ask your IT team to set one."
            )
            return
        left = self._attempts.locked_for()
        if left > 0:
            self._set_inputs_enabled(False)
            seconds = math.ceil(left)
            unit = "second" if seconds == 1 else "seconds"
            self.message.setText(f"Too many wrong PINs. Try again in {seconds} {unit}.")
            if not self._lockout_timer.isActive():
                self._lockout_timer.start()
            return
        if self._lockout_timer.isActive():
            self._lockout_timer.stop()
            self.message.setText("You can try the PIN again.")
        self._set_inputs_enabled(True)
        self.field.setFocus()

    def submit(self) -> None:
        """Check the PIN in the field (in a worker); the answer arrives in :meth:`_checked`."""
        if self.checking:
            return  # Enter pressed again while the last PIN is checked
        pin = self.field.text()
        self.field.clear()
        if not self.has_pin or self._attempts.locked_for() > 0:
            self.refresh()
            return
        if not pin:
            self.message.setText("Type the PIN first.")
            return
        self._set_inputs_enabled(False)
        self.message.setText("Checking the PIN…")
        self._tasks.start(
            self._run_check(pin),
            key="check",
            on_result=self._checked,
            on_error=self._check_failed,
            on_done=self._check_done,
        )

    async def _run_check(self, pin: str) -> bool:
        return await self._check_pin(pin)

    def _checked(self, right: bool) -> None:
        """Accept on a match, else count a wrong try (even if the dialog closed meanwhile)."""
        if right:
            if self._closed:
                return
            self._attempts.record_success()
            log.info("Administrator PIN accepted")
            self.accept()
            return
        self._attempts.record_failure()
        log.warning("Administrator PIN rejected")
        if self._closed or self._attempts.locked_for() > 0:
            return  # _check_done shows the lockout
        tries = self._attempts.tries_left
        word = "try" if tries == 1 else "tries"
        self.message.setText(f"That PIN is not right. {tries} {word} left.")

    def _check_failed(self, error: BaseException) -> None:
        """The worker could not run the check (the app is closing): not a wrong try."""
        log.error("The administrator PIN could not be checked: %s", type(error).__name__)
        if not self._closed:
            self.message.setText("The PIN could not be checked. Try again.")

    def _check_done(self) -> None:
        if not self._closed:
            self.refresh()

    def done(self, result: int) -> None:
        self._closed = True
        self._tasks.cancel_all()
        self.field.clear()
        self._lockout_timer.stop()
        super().done(result)
