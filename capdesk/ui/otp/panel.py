"""The OTP panel: the code, big and grouped for reading aloud, and its live validity.

Staff read the code to the customer or copy it into the POS, so it is large,
monospaced and split into groups (``538 AD87``). The countdown comes from
:class:`OtpCountdown` (server time, monotonic clock); the last 10 seconds change
colour *and* words, and at zero the code is struck out, copy is disabled, and a
little later the code disappears so the next customer at the counter never sees it.
Copying goes through :class:`ClipboardGuard` (kept out of clipboard history, cleared
after a timeout). Screen readers hear the code once when it arrives and once when it
is about to expire; value labels carry no accessibleName (see design.md).
"""

from __future__ import annotations

import math
from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QFocusEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from capdesk.api.models import OtpResult
from capdesk.clock import Clock
from capdesk.ui.common.announcer import announce, spell_out
from capdesk.ui.common.clipboard_guard import ClipboardGuard
from capdesk.ui.otp.code_label import CodeLabel, code_font, group_code
from capdesk.ui.otp.countdown import EXPIRING_SOON_S, OtpCountdown, format_remaining

QLabelT = TypeVar("QLabelT", bound=QLabel)
PROGRESS_STEPS = 1000

# Text and accent colours per state; chosen for contrast on a light background.
_STYLE = {
    "valid": {"accent": "#2e7d32", "text": "#1b1b1b", "back": "#ffffff", "border": "#b0bec5"},
    "expiring": {"accent": "#c43e00", "text": "#8a2c00", "back": "#fff3e0", "border": "#e65100"},
    "expired": {"accent": "#9e9e9e", "text": "#b71c1c", "back": "#f5f5f5", "border": "#9e9e9e"},
    "empty": {"accent": "#9e9e9e", "text": "#555555", "back": "#ffffff", "border": "#b0bec5"},
}
# Text on the card: the card is light under every palette, so this is dark (see _set_state).
_CARD_TEXT = "#1b1b1b"


def _spoken_duration(seconds: float) -> str:
    whole = max(0, math.ceil(seconds))
    if whole >= 60:
        minutes = whole // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{whole} second{'s' if whole != 1 else ''}"


def _value_label(label: QLabelT, name: str) -> QLabelT:
    """A label that shows a value: an objectName and a stable accessible id, but no
    accessibleName — that would replace the value for screen readers (design.md)."""
    label.setObjectName(name)
    label.setAccessibleIdentifier(name)
    return label


class OtpPanel(QFrame):
    """Shows one OTP at a time; ``state`` is "empty", "valid", "expiring" or "expired"."""

    copied = Signal()
    expired = Signal()
    stateChanged = Signal(str)

    def __init__(
        self,
        clock: Clock,
        clipboard_guard: ClipboardGuard,
        parent: QWidget | None = None,
        *,
        clipboard_timeout_s: float = 30.0,
        hide_after_expiry_s: float = 30.0,
        tick_ms: int = 250,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("otpPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._clock = clock
        self._guard = clipboard_guard
        self._clipboard_timeout_s = clipboard_timeout_s
        self._hide_after_s = hide_after_expiry_s
        self._code: str | None = None
        self._state = ""  # none applied yet: _show_empty() below applies "empty"
        self._struck: bool | None = None  # the code's look as last applied
        self._countdown = OtpCountdown(clock, self, interval_ms=tick_ms)
        self._countdown.tick.connect(self._on_tick)
        self._countdown.expiringSoon.connect(self._on_expiring_soon)
        self._countdown.expired.connect(self._on_expired)
        self._build()
        self._show_empty()

    # --- construction -------------------------------------------------------------

    def _build(self) -> None:
        self._title = QLabel("OTP code")
        title_font = self._title.font()
        title_font.setBold(True)
        self._title.setFont(title_font)
        self._customer = _value_label(QLabel(), "otpCustomer")
        self._customer.setTextFormat(Qt.TextFormat.PlainText)
        self._customer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._code_label = _value_label(CodeLabel(), "otpCode")
        self._code_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self._code_label.copyRequested.connect(self.copy_code)
        # Tab reaches the code itself: a screen reader reads it there, Ctrl+C copies it.
        self._code_label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._code_label.setFont(code_font())
        self._title.setBuddy(self._code_label)

        self._copy_button = QPushButton("&Copy code")
        self._copy_button.setObjectName("copyOtpButton")
        self._copy_button.setToolTip("Copy the code (Ctrl+C). The clipboard is cleared again soon.")
        self._copy_button.clicked.connect(self.copy_code)

        self._progress = QProgressBar()
        self._progress.setObjectName("otpProgress")
        self._progress.setRange(0, PROGRESS_STEPS)
        self._progress.setTextVisible(False)
        self._progress.setFixedHeight(10)
        self._progress.setAccessibleName("Time left")

        self._countdown_label = _value_label(QLabel(), "otpCountdown")
        self._countdown_label.setWordWrap(True)
        count_font = self._countdown_label.font()
        count_font.setPointSizeF(count_font.pointSizeF() * 1.25)
        self._countdown_label.setFont(count_font)
        self._valid_until = _value_label(QLabel(), "otpValidUntil")
        self._copy_note = _value_label(QLabel(), "otpCopyNote")
        self._warnings = _value_label(QLabel(), "otpWarnings")
        self._warnings.setWordWrap(True)
        self._warnings.setTextFormat(Qt.TextFormat.PlainText)  # server text is data
        self._warnings.setStyleSheet(
            "QLabel { background: #fff8e1; color: #5d4300; border: 1px solid #f0c36d;"
            " border-radius: 3px; padding: 4px 6px; }"
        )
        self._placeholder = QLabel(
            "No OTP shown. Enter the customer's identifier and choose Fetch OTP."
        )
        self._placeholder.setObjectName("otpPlaceholder")
        self._placeholder.setWordWrap(True)
        self._placeholder.setStyleSheet("color: #555555;")

        header = QHBoxLayout()
        header.addWidget(self._title)
        header.addStretch(1)
        header.addWidget(self._customer)
        side = QVBoxLayout()
        side.setSpacing(4)
        side.addStretch(1)
        side.addWidget(self._copy_button, 0, Qt.AlignmentFlag.AlignRight)
        side.addWidget(self._valid_until, 0, Qt.AlignmentFlag.AlignRight)
        side.addStretch(1)
        code_row = QHBoxLayout()
        code_row.addWidget(self._code_label, 1)
        code_row.addLayout(side)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self._placeholder)
        layout.addLayout(code_row)
        layout.addWidget(self._progress)
        layout.addWidget(self._countdown_label)
        layout.addWidget(self._copy_note)
        layout.addWidget(self._warnings)
        layout.addStretch(1)

        self._code_widgets = (
            self._code_label,
            self._copy_button,
            self._progress,
            self._countdown_label,
            self._valid_until,
        )
        # Focusing the panel focuses the code (focusInEvent), not via a focus proxy: Qt's
        # Tab chain loops inside the window's lower half past a child proxy (a keyboard trap).
        self._shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Copy), self)
        self._shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._shortcut.activated.connect(self.copy_code)
        self._guard.cleared.connect(self._on_clipboard_cleared)

    def focusInEvent(self, event: QFocusEvent) -> None:
        target = self._code_label if self._code_label.isVisible() else self._copy_button
        target.setFocus(event.reason())

    # --- public API ---------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    @property
    def code_visible(self) -> bool:
        """True while the code can be read on screen (before clear/grace-period hiding)."""
        return self._code is not None

    @property
    def countdown(self) -> OtpCountdown:
        return self._countdown

    def set_clipboard_timeout(self, seconds: float) -> None:
        """Seconds until a copied code is taken off the clipboard (0 = never)."""
        self._clipboard_timeout_s = seconds

    def show_otp(self, result: OtpResult, looked_up: str = "") -> None:
        """Show ``result`` and start its countdown; announce the code once.

        ``looked_up`` is the identifier as staff know it (``+91 98765 43210``): with the
        Customer ID Capillary returned, it lets staff check they have the right person.
        """
        self._code = result.code
        self._placeholder.hide()
        for widget in self._code_widgets:
            widget.show()
        self._code_label.setText(group_code(result.code))
        self._set_code_look(struck=False)
        self._customer.setText(self._customer_text(result, looked_up))
        self._customer.setVisible(bool(self._customer.text()))
        self._valid_until.setText(f"valid until {result.valid_upto.astimezone():%H:%M:%S}")
        self._copy_note.hide()
        if result.warnings:
            lines = [
                f"⚠ Warning: {w.message}" + (f" (code {w.code})" if w.code is not None else "")
                for w in result.warnings
            ]
            self._warnings.setText("\n".join(lines))
            self._warnings.show()
        else:
            self._warnings.hide()
        # The first tick applies this OTP's state; the look is restyled only if that
        # state differs from the one shown (a style sheet costs ~1 ms on the GUI thread).
        self._countdown.start(result)
        left = self._countdown.seconds_left()
        if left is not None and left > 0:
            announce(self, f"OTP {spell_out(result.code)}, expires in {_spoken_duration(left)}")

    def clear(self) -> None:
        """Hide the code and everything about this customer (New customer, sign-out)."""
        self._countdown.stop()
        self._guard.clear_if_ours()
        self._show_empty()

    def copy_code(self) -> bool:
        """Copy the bare code (no spaces) if it is still valid; True when copied."""
        if self._code is None or self._state not in ("valid", "expiring"):
            return False
        self._guard.copy_secret(self._code, self._clipboard_timeout_s)
        if self._clipboard_timeout_s > 0:
            note = f"Code copied. The clipboard is cleared in {int(self._clipboard_timeout_s)} s."
        else:
            note = "Code copied."
        self._copy_note.setText(note)
        self._copy_note.show()
        announce(self, "Code copied")
        self.copied.emit()
        return True

    # --- countdown reactions ------------------------------------------------------

    def _on_tick(self, left: float, fraction: float) -> None:
        self._progress.setValue(round(fraction * PROGRESS_STEPS))
        if left <= 0:
            self._set_state("expired")
            self._countdown_label.setText("Expired — ask the customer to request a new OTP")
            if left <= -self._hide_after_s and self._code is not None:
                self._hide_code()
        elif left <= EXPIRING_SOON_S:
            self._set_state("expiring")
            self._countdown_label.setText(f"Expires in {format_remaining(left)} — hurry")
        else:
            self._set_state("valid")
            self._countdown_label.setText(f"Expires in {format_remaining(left)}")

    def _on_expiring_soon(self) -> None:
        left = self._countdown.seconds_left() or 0.0
        announce(self, f"The OTP expires in {_spoken_duration(left)}", assertive=True)

    def _on_expired(self) -> None:
        self._copy_note.hide()
        announce(self, "The OTP has expired. Ask the customer to request a new one.")
        self.expired.emit()

    def _on_clipboard_cleared(self) -> None:
        if self._copy_note.isVisible():
            self._copy_note.setText("The copied code was cleared from the clipboard.")

    # --- looks --------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        if state == self._state:
            return
        self._state = state
        style = _STYLE[state]
        self.setStyleSheet(
            f"QFrame#otpPanel {{ background: {style['back']};"
            f" border: 2px solid {style['border']}; border-radius: 6px; }}"
            # The card is light under any palette, so its labels are dark under any
            # palette too (a dark palette's white text vanished on it); labels with a
            # colour of their own (the code, the countdown) keep it.
            f" QFrame#otpPanel QLabel {{ color: {_CARD_TEXT}; }}"
        )
        self._progress.setStyleSheet(
            "QProgressBar { border: 1px solid #b0bec5; border-radius: 4px; background: #eceff1; }"
            f" QProgressBar::chunk {{ background: {style['accent']}; border-radius: 3px; }}"
        )
        bold = "bold" if state in ("expiring", "expired") else "normal"
        self._countdown_label.setStyleSheet(f"color: {style['text']}; font-weight: {bold};")
        copyable = state in ("valid", "expiring")
        self._copy_button.setEnabled(copyable)
        self._code_label.can_copy = copyable
        if state == "expired":
            self._set_code_look(struck=True)
        self.stateChanged.emit(state)

    def _set_code_look(self, *, struck: bool) -> None:
        if struck == self._struck:
            return
        self._struck = struck
        self._code_label.struck = struck
        self._code_label.setAccessibleDescription("Expired" if struck else "")
        self._code_label.update()
        colour = "#9e9e9e" if struck else "#111111"
        self._code_label.setStyleSheet(f"color: {colour};")

    def _hide_code(self) -> None:
        """After the grace period: the expired code leaves the screen for good."""
        self._countdown.stop()
        self._code = None
        self._code_label.setText("")
        for widget in (*self._code_widgets, self._copy_note):
            if widget is not self._countdown_label:
                widget.hide()
        self._countdown_label.setText("Code hidden. Ask the customer to request a new OTP.")

    def _show_empty(self) -> None:
        self._code = None
        self._set_state("empty")  # restyles only if something else was shown
        self._code_label.setText("")
        for widget in (*self._code_widgets, self._copy_note, self._warnings, self._customer):
            widget.hide()
        self._countdown_label.setText("")
        self._placeholder.show()

    @staticmethod
    def _customer_text(result: OtpResult, looked_up: str) -> str:
        parts = []
        if looked_up:
            parts.append(f"For {looked_up}")
        if result.user_id is not None:
            parts.append(f"Customer ID {result.user_id}")
        return "  ·  ".join(parts)
