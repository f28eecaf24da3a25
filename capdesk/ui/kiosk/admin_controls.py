"""Settings and kiosk administration, as a small bar in the main window's top row.

Outside kiosk mode it is a "Settings…" button (the machine policy's locks still
apply inside the dialog). In kiosk mode (policy ``kiosk=1`` or ``--kiosk``) it also:

* keeps the cluster choice, sign-out, settings and closing behind the administrator
  PIN: "Administrator…" asks for it (:class:`AdminPinDialog`; the slow check runs in
  the service's worker) and unlocks them for :data:`ADMIN_UNLOCK_S` seconds or until
  "Lock";
* says when nobody touched the PC for the idle timeout, and locks again.

When the machine policy exists but cannot be read, ``capdesk.app`` starts the window
as a kiosk (it fails closed) and a line here says so for as long as it runs: staff
know why the PC is locked and whom to call, and look-ups go on working.

The bar knows nothing of the window it sits in. It receives values (the kiosk flag,
the settings, the PIN checker, the clock) and reports in signals; the window decides
what they mean for its other widgets (``MainWindow._wire_admin``). So the way goes
one way only, and this module can be tested and read on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.settings import Settings
from capdesk.ui.common.tones import tone
from capdesk.ui.kiosk.idle_watcher import IdleWatcher
from capdesk.ui.kiosk.lockdown import POLICY_UNREADABLE_SENTENCE

if TYPE_CHECKING:  # the PIN pad is built only when asked for: the first screen needs none
    from capdesk.ui.account.admin_pin_dialog import AdminPinDialog, CheckPin, PinAttempts

log = logging.getLogger(__name__)

ADMIN_UNLOCK_S = 120


class AdminControls(QWidget):
    """The settings button and, in kiosk mode, the administrator lock.

    Signals (the window wires them):

    * ``lockChanged(bool)``: True when kiosk mode locked again, False when the
      administrator unlocked it (the cluster choice and sign-out follow);
    * ``idleTimedOut()``: nobody touched the PC for the idle timeout (kiosk only);
    * ``settingsSaved(list)``: the settings dialog saved these setting names;
    * ``message(str)``: a sentence for the status line.
    """

    lockChanged = Signal(bool)
    idleTimedOut = Signal()
    settingsSaved = Signal(list)
    message = Signal(str)

    def __init__(
        self,
        *,
        kiosk: bool,
        settings: Settings,
        check_pin: CheckPin,
        clock: Clock = SYSTEM_CLOCK,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("adminControls")
        self._settings = settings
        self._check_pin = check_pin
        self.kiosk = kiosk
        self.unlocked = not kiosk
        self._clock = clock
        self._attempts: PinAttempts | None = None  # one per window: reopening keeps the tries

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
        self.policy_notice.setStyleSheet(
            f"color: {tone('error', self.policy_notice.palette())}; font-weight: bold;"
        )
        self.policy_notice.setVisible(settings.policy.unreadable)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.policy_notice, 1)
        layout.addWidget(self.settings_button)
        layout.addWidget(self.admin_button)
        # Ctrl+, spelled out: Qt's standard Preferences key is bound on macOS only, so it
        # did nothing on Windows. Window-wide: the default context is the parent's window.
        shortcut = QShortcut(QKeySequence("Ctrl+,"), self)
        shortcut.activated.connect(self.open_settings)

        self._relock = QTimer(self)
        self._relock.setSingleShot(True)
        self._relock.setInterval(ADMIN_UNLOCK_S * 1000)
        self._relock.timeout.connect(self.lock)
        self.idle = IdleWatcher(settings.idle_timeout, clock, parent=self)
        self.idle.idle.connect(self._on_idle)

    def start(self) -> None:
        """Begin kiosk duty once the signals are wired: watch for idle and lock."""
        if self.kiosk:
            self.idle.start()
            self.lock()

    # --- locking -------------------------------------------------------------------------

    def lock(self) -> None:
        """Staff mode: cluster, sign-out, settings and closing need the PIN again."""
        self._relock.stop()
        if not self.kiosk:
            return
        self.unlocked = False
        self.settings_button.setVisible(False)
        self.admin_button.setText("Administrator…")
        self.lockChanged.emit(True)
        log.info("kiosk locked")

    def _unlock(self) -> None:
        self.unlocked = True
        self.settings_button.setVisible(True)
        self.admin_button.setText("Lock")
        self._relock.start()
        self.lockChanged.emit(False)
        self.message.emit(
            f"Administrator mode for {ADMIN_UNLOCK_S // 60} minutes: cluster, sign-out, "
            "settings and closing are unlocked. Press Lock when done."
        )
        log.info("kiosk unlocked by the administrator")

    def _admin_clicked(self) -> None:
        if self.unlocked:
            self.lock()
            self.message.emit("Locked. Staff mode.")
            return
        self.ask_pin(self._unlock)

    def ask_pin(self, then: Callable[[], None]) -> AdminPinDialog:
        """Open the PIN dialog (non-blocking); ``then()`` runs only after the right PIN."""
        from capdesk.ui.account.admin_pin_dialog import AdminPinDialog, PinAttempts

        if self._attempts is None:
            self._attempts = PinAttempts(self._clock)
        dialog = AdminPinDialog(
            self._check_pin,
            has_pin=bool(self._settings.policy.admin_pin_hash),
            attempts=self._attempts,
            parent=self.window(),
        )
        dialog.setObjectName("adminPinDialog")
        dialog.accepted.connect(then)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _on_idle(self) -> None:
        """Nobody touched the PC for a while: the next person sees no customer data."""
        self.idleTimedOut.emit()
        self.lock()

    # --- settings ------------------------------------------------------------------------

    def open_settings(self) -> None:
        if not self.unlocked:
            self.ask_pin(self._unlock_then_open_settings)
            return
        from capdesk.ui.account.settings_dialog import SettingsDialog  # only when asked for

        dialog = SettingsDialog(self._settings, self.window())
        dialog.settingsChanged.connect(self.settingsSaved)
        dialog.settingsChanged.connect(
            lambda _names: self.idle.set_timeout(self._settings.idle_timeout)
        )
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _unlock_then_open_settings(self) -> None:
        self._unlock()
        self.open_settings()
