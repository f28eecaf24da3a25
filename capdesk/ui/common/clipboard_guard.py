"""Put a secret on the clipboard briefly, out of clipboard history, and take it back.

The KeePassXC ``Clipboard.cpp`` pattern: the data is marked so clipboard history,
cloud clipboard and clipboard managers skip it; after a timeout it is cleared — but
only if the clipboard still holds exactly what we put there, because anything else
was copied by the person since and is theirs. On quit the window calls
:meth:`ClipboardGuard.clear_if_ours` for the same reason.
"""

from __future__ import annotations

import struct
import sys

from PySide6.QtCore import QMimeData, QObject, QTimer, Signal
from PySide6.QtGui import QClipboard, QGuiApplication

_DWORD_ZERO = struct.pack("<I", 0)


def _windows_format(name: str) -> str:
    """Qt's way of naming a registered Windows clipboard format in QMimeData."""
    return f'application/x-qt-windows-mime;value="{name}"'


WINDOWS_EXCLUDE = _windows_format("ExcludeClipboardContentFromMonitorProcessing")
WINDOWS_NO_HISTORY = _windows_format("CanIncludeInClipboardHistory")
WINDOWS_NO_CLOUD = _windows_format("CanUploadToCloudClipboard")
KDE_PASSWORD_HINT = "x-kde-passwordManagerHint"
MAC_CONCEALED = "application/x-nspasteboard-concealed-type"


def secret_mime_data(text: str, platform: str = sys.platform) -> QMimeData:
    """Plain text plus the markers that keep ``text`` out of clipboard history."""
    mime = QMimeData()
    mime.setText(text)
    if platform.startswith("win"):
        mime.setData(WINDOWS_EXCLUDE, _DWORD_ZERO)
        mime.setData(WINDOWS_NO_HISTORY, _DWORD_ZERO)
        mime.setData(WINDOWS_NO_CLOUD, _DWORD_ZERO)
    elif platform == "darwin":
        mime.setData(MAC_CONCEALED, text.encode("utf-8"))
    else:
        mime.setData(KDE_PASSWORD_HINT, b"secret")
    return mime


class ClipboardGuard(QObject):
    """Owns what capdesk put on the clipboard, until it is cleared or replaced."""

    copied = Signal()
    cleared = Signal()

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        clipboard: QClipboard | None = None,
        platform: str = sys.platform,
    ) -> None:
        super().__init__(parent)
        self._clipboard = clipboard
        self._platform = platform
        self._ours: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear_if_ours)

    def __repr__(self) -> str:  # never show the secret
        return f"<ClipboardGuard holding={self._ours is not None}>"

    @property
    def holding(self) -> bool:
        """True while something we copied may still be on the clipboard."""
        return self._ours is not None

    @property
    def clear_pending(self) -> bool:
        return self._timer.isActive()

    def _board(self) -> QClipboard:
        return self._clipboard or QGuiApplication.clipboard()

    def copy_secret(self, text: str, clear_after_s: float) -> None:
        """Copy ``text``, marked secret; clear it after ``clear_after_s`` (0 = never)."""
        self._timer.stop()
        self._board().setMimeData(secret_mime_data(text, self._platform), QClipboard.Mode.Clipboard)
        self._ours = text
        if clear_after_s > 0:
            self._timer.start(max(1, round(clear_after_s * 1000)))
        self.copied.emit()

    def still_ours(self) -> bool:
        """Does the clipboard still hold exactly what we put there?"""
        return (
            self._ours is not None and self._board().text(QClipboard.Mode.Clipboard) == self._ours
        )

    def clear_if_ours(self) -> bool:
        """Clear the clipboard if it still holds our secret; never touch anything else."""
        self._timer.stop()
        if self._ours is None:
            return False
        mine = self.still_ours()
        self._ours = None
        if mine:
            self._board().clear(QClipboard.Mode.Clipboard)
            self.cleared.emit()
        return mine
