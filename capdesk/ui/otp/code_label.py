"""The OTP code as staff see it: large, monospaced, grouped for reading aloud.

Its own copy handling sends Ctrl+C and the context menu through the panel's
clipboard guard (never QLabel's built-in copy), and an expired code is struck
through by hand.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QLabel, QMenu, QWidget

CODE_FONTS = ["Cascadia Mono", "Consolas", "DejaVu Sans Mono", "Liberation Mono", "monospace"]


def group_code(code: str) -> str:
    """Split a code into groups of 3 or 4 for reading aloud: ``538AD87`` → ``538 AD87``.

    Up to 5 characters stay whole; longer codes use as few groups as possible,
    the shorter groups first (6 → 3+3, 7 → 3+4, 8 → 4+4, 10 → 3+3+4).
    """
    code = code.strip()
    n = len(code)
    if n <= 5:
        return code
    groups = math.ceil(n / 4)
    fours = n - 3 * groups
    sizes = [3] * (groups - fours) + [4] * fours
    parts, start = [], 0
    for size in sizes:
        parts.append(code[start : start + size])
        start += size
    return " ".join(parts)


def code_font() -> QFont:
    font = QFont()
    font.setFamilies(CODE_FONTS)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSize(34)
    font.setBold(True)
    font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 2)
    return font


class CodeLabel(QLabel):
    """The code: selectable, but Copy always copies the bare code through the guard.

    A plain selectable QLabel would copy ``538 AD87`` (with the space, straight onto
    the clipboard and into its history); here Ctrl+C and the context menu ask the
    panel to copy instead.
    """

    copyRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)  # the server's code, never markup
        self.can_copy = False
        self.struck = False

    def paintEvent(self, e: QPaintEvent) -> None:
        """Strike through the middle of the characters (a font's own strike-out line
        sits low on large monospaced digits and reads like an underline)."""
        super().paintEvent(e)
        if not self.struck or not self.text():
            return
        metrics = self.fontMetrics()
        rect = self.contentsRect()
        baseline = rect.top() + (rect.height() - metrics.height()) / 2 + metrics.ascent()
        middle = round(baseline - metrics.capHeight() / 2)
        width = metrics.horizontalAdvance(self.text())
        painter = QPainter(self)
        painter.setPen(QPen(QColor("#616161"), max(2, metrics.height() // 14)))
        painter.drawLine(rect.left(), middle, rect.left() + width, middle)
        painter.end()

    def event(self, e: QEvent) -> bool:
        if (
            e.type() == QEvent.Type.ShortcutOverride
            and isinstance(e, QKeyEvent)
            and e.matches(QKeySequence.StandardKey.Copy)
        ):
            e.accept()  # deliver Ctrl+C to keyPressEvent, not to QLabel's own copy
            return True
        return super().event(e)

    def keyPressEvent(self, e: QKeyEvent) -> None:
        if e.matches(QKeySequence.StandardKey.Copy):
            e.accept()
            self.copyRequested.emit()
            return
        super().keyPressEvent(e)

    def contextMenuEvent(self, e: QContextMenuEvent) -> None:
        menu = QMenu(self)
        action = menu.addAction("Copy code")
        action.setEnabled(self.can_copy)
        action.triggered.connect(self.copyRequested)
        menu.exec(e.globalPos())
