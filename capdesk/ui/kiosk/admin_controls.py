"""Settings and kiosk administration, as a small bar in the main window's top row.

Outside kiosk mode it is a "Settings…" button (the machine policy's locks still
apply inside the dialog). In kiosk mode (policy ``kiosk=1`` or ``--kiosk``) it also:

* puts the window full screen without close/minimise (:mod:`capdesk.ui.kiosk.lockdown`) and
  refuses to close it;
* keeps the cluster choice, sign-out, settings and closing behind the administrator
  PIN: "Administrator…" asks for it (:class:`AdminPinDialog`, salted slow hash from
  the policy) and unlocks them for :data:`ADMIN_UNLOCK_S` seconds or until "Lock";
* clears the customer and hides the OTP after the idle timeout, and locks again.

When the machine policy exists but cannot be read, ``capdesk.app`` starts the window
as a kiosk (it fails closed) and a line here says so for as long as it runs: staff
know why the PC is locked and whom to call, and look-ups go on working.

It changes the window only through the window's public methods and widgets, so the
window itself stays a plain wiring of widgets to services.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.ui.account.admin_pin_dialog import AdminPinDialog, PinAttempts
from capdesk.ui.kiosk.idle_watcher import IdleWatcher
from capdesk.ui.kiosk.lockdown import POLICY_UNREADABLE_SENTENCE, ClosePolicy, apply_kiosk

if TYPE_CHECKING:
    from capdesk.ui.main_window import MainWindow

log = logging.getLogger(__name__)

ADMIN_UNLOCK_S = 120


class AdminControls(QWidget):
    """The settings button and, in kiosk mode, the administrator lock."""

    def __init__(self, window: MainWindow, *, kiosk: bool, clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__(window)
        self.setObjectName("adminControls")
        self._window = window
        self._settings = window.service.settings
        self.kiosk = kiosk
        self.unlocked = not kiosk
        self._attempts = PinAttempts(clock)  # one per window: reopening doesn't reset tries
        self.close_policy = ClosePolicy(kiosk, self)
        self.close_policy.closeRefused.connect(window.status.show_info)

        self.settings_button = QPushButton("Settings…")
        self.settings_button.setObjectName("settingsButton")
        self.settings_button.setAccessibleName("Settings")
        self.settings_button.setToolTip("Default country, clipboard, connection (Ctrl+,)")
        self.settings_button.clicked.connect(self.open_settings)
        self.admin_button = QPushButton("Administrator…")
        self.admin_button.setObjectName("adminButton")
        self.admin_button.setAccessibleName("Administrator")
        self.admin_button.clicked.connect(self._admin_clicked)
        self.admin_button.setVisible(kiosk)
        self.policy_notice = QLabel(POLICY_UNREADABLE_SENTENCE)
        self.policy_notice.setObjectName("policyUnreadable")
        self.policy_notice.setTextFormat(Qt.TextFormat.PlainText)
        self.policy_notice.setWordWrap(True)
        self.policy_notice.setStyleSheet("color: #a31515; font-weight: bold;")
        self.policy_notice.setVisible(self._settings.policy.unreadable)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.policy_notice, 1)
        layout.addWidget(self.settings_button)
        layout.addWidget(self.admin_button)
        shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Preferences), window)
        shortcut.activated.connect(self.open_settings)

        self._relock = QTimer(self)
        self._relock.setSingleShot(True)
        self._relock.setInterval(ADMIN_UNLOCK_S * 1000)
        self._relock.timeout.connect(self.lock)
        self.idle = IdleWatcher(self._settings.idle_timeout, clock, parent=self)
        self.idle.idle.connect(self._on_idle)
        window.installEventFilter(self)
        if kiosk:
            apply_kiosk(window)
            self.idle.start()
            self.lock()

    # --- locking -------------------------------------------------------------------------

    def lock(self) -> None:
        """Staff mode: cluster, sign-out, settings and closing need the PIN again."""
        self._relock.stop()
        if not self.kiosk:
            return
        self.unlocked = False
        self._window.cluster_selector.set_locked(True)
        self.settings_button.setVisible(False)
        self.admin_button.setText("Administrator…")
        log.info("kiosk locked")

    def _unlock(self) -> None:
        self.unlocked = True
        self._window.cluster_selector.set_locked(self._settings.is_locked("last_cluster"))
        self.settings_button.setVisible(True)
        self.admin_button.setText("Lock")
        self._relock.start()
        self._window.status.show_info(
            f"Administrator mode for {ADMIN_UNLOCK_S // 60} minutes: cluster, sign-out, "
            "settings and closing are unlocked. Press Lock when done."
        )
        log.info("kiosk unlocked by the administrator")

    def _admin_clicked(self) -> None:
        if self.unlocked:
            self.lock()
            self._window.status.show_info("Locked. Staff mode.")
            return
        self.ask_pin(self._unlock)

    def ask_pin(self, then: Callable[[], None]) -> AdminPinDialog:
        """Open the PIN dialog (non-blocking); ``then()`` runs only after the right PIN."""
        dialog = AdminPinDialog(
            self._settings.policy.admin_pin_hash, attempts=self._attempts, parent=self._window
        )
        dialog.setObjectName("adminPinDialog")
        dialog.accepted.connect(then)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _on_idle(self) -> None:
        """Nobody touched the PC for a while: the next person sees no customer data."""
        self._window.new_customer()
        self.lock()

    # --- settings ------------------------------------------------------------------------

    def open_settings(self) -> None:
        if not self.unlocked:
            self.ask_pin(self._unlock_then_open_settings)
            return
        from capdesk.ui.account.settings_dialog import SettingsDialog  # only when asked for

        dialog = SettingsDialog(self._settings, self._window)
        dialog.settingsChanged.connect(self._window.apply_settings)
        dialog.settingsChanged.connect(
            lambda _names: self.idle.set_timeout(self._settings.idle_timeout)
        )
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _unlock_then_open_settings(self) -> None:
        self._unlock()
        self.open_settings()

    # --- closing ---------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Close:
            if self.unlocked:
                self.close_policy.allow_next_close()
            if not self.close_policy.should_close(event):
                return True  # refused: the window never sees it
        return super().eventFilter(watched, event)
