"""Kiosk mode for the main window: full screen, no close or minimise, large controls.

A kiosk is a counter PC that staff share and must not be able to wander off from:
the window fills the screen, has no close/minimise/maximise buttons, refuses to
close (Alt+F4 included) until an administrator allows it, and uses a
touch-friendly stylesheet (``resources/kiosk.qss``). The administrator PIN, the
idle timeout and the single instance live in their own modules; the main window
wires them together.

These helpers only change a window's flags, state and stylesheet; kiosk mode is
chosen at start and lasts until the program ends, so nothing here undoes them. The
closing rule is a :class:`ClosePolicy` that the window asks in its own ``closeEvent``.
Locking down Windows itself (the taskbar, Ctrl+Alt+Del, other programs) is the job of
Windows' Assigned Access / Shell Launcher; see ``installer/README.md``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QWidget

from capdesk.paths import program_dir

log = logging.getLogger(__name__)

KIOSK_STYLESHEET = "kiosk.qss"

# Buttons a kiosk window must not offer.
REMOVED_HINTS = (
    Qt.WindowType.WindowCloseButtonHint
    | Qt.WindowType.WindowMinimizeButtonHint
    | Qt.WindowType.WindowMaximizeButtonHint
    | Qt.WindowType.WindowSystemMenuHint
)

REFUSED_SENTENCE = (
    "This PC is in kiosk mode, so capdesk stays open. Ask an administrator to close it."
)
# Shown for as long as the machine policy could not be read (capdesk.store.policy):
# the window fails closed, as a locked kiosk, since the lost file may have been a kiosk's.
POLICY_UNREADABLE_SENTENCE = (
    "This PC's settings from IT could not be read, so capdesk stays locked. Call IT."
)


def resources_dir() -> Path:
    """``resources/`` beside the executable (frozen) or at the checkout's root (source)."""
    beside = program_dir() / "resources"
    if beside.is_dir():
        return beside
    return Path(__file__).resolve().parents[2] / "resources"


def load_kiosk_stylesheet(path: Path | None = None) -> str:
    """The kiosk stylesheet text; empty (logged) when the file is missing."""
    target = path or resources_dir() / KIOSK_STYLESHEET
    try:
        return target.read_text(encoding="utf-8")
    except OSError:
        log.warning("kiosk stylesheet not found at %s; using normal sizes", target)
        return ""


def kiosk_flags(flags: Qt.WindowType) -> Qt.WindowType:
    """``flags`` with the close/minimise/maximise buttons and system menu removed."""
    return (flags | Qt.WindowType.CustomizeWindowHint | Qt.WindowType.WindowTitleHint) & ~(
        REMOVED_HINTS
    )


def apply_kiosk(window: QWidget, *, stylesheet: str | None = None) -> None:
    """Put ``window`` in kiosk mode (for the rest of the run).

    ``stylesheet`` defaults to ``resources/kiosk.qss``; it is appended to the
    window's own stylesheet, so the window's styling still applies underneath.
    """
    own_stylesheet = window.styleSheet()
    extra = load_kiosk_stylesheet() if stylesheet is None else stylesheet
    was_visible = window.isVisible()
    window.setWindowFlags(kiosk_flags(window.windowFlags()))  # hides a visible window
    if extra:
        window.setStyleSheet(f"{own_stylesheet}\n{extra}" if own_stylesheet else extra)
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is not None:  # without a window manager (some kiosk shells) nobody else sizes it
        window.setGeometry(screen.geometry())
    window.setWindowState(
        (window.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowFullScreen
    )
    if was_visible:
        window.show()
    log.info("kiosk mode on")


class ClosePolicy(QObject):
    """Decides whether the main window may close; call :meth:`should_close` in closeEvent.

    Outside kiosk mode every close goes through. In kiosk mode a close is refused
    (and :attr:`closeRefused` carries a sentence for the status line) unless an
    administrator allowed the next one with :meth:`allow_next_close`, or Windows is
    ending the session (log-off or shut-down must never be blocked)::

        def closeEvent(self, event):
            if self.close_policy.should_close(event):
                super().closeEvent(event)
    """

    closeRefused = Signal(str)

    def __init__(self, kiosk: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.kiosk = kiosk
        self._allowed = False

    def allow_next_close(self) -> None:
        """Let the next close through (after the administrator PIN was entered)."""
        self._allowed = True

    def should_close(self, event: QCloseEvent) -> bool:
        """Accept or ignore ``event``; True when the window should go ahead and close."""
        app = QGuiApplication.instance()
        ending_session = isinstance(app, QGuiApplication) and app.isSavingSession()
        if not self.kiosk or self._allowed or ending_session:
            self._allowed = False
            event.accept()
            return True
        event.ignore()
        log.info("close refused in kiosk mode")
        self.closeRefused.emit(REFUSED_SENTENCE)
        return False
