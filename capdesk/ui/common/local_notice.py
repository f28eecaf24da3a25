"""A standing notice about this PC's own faults: history unreadable, folder or log missing.

Unlike the status line, which the next action replaces, these faults last the whole
session, so their sentences stay on screen above the work area until the window
closes. Each fault is one plain-text sentence (what happened, what to do); its
support details are in the tooltip. Hidden while there is nothing to say.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from capdesk.api.errors import CapdeskError
from capdesk.ui.common.announcer import announce
from capdesk.ui.common.plain_text import plain_tooltip


class LocalNotice(QFrame):
    """``localNotice``: one line per fault, in the order they were found."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("localNotice")
        self._sentences: list[str] = []
        self._details: list[str] = []
        self._label = QLabel()
        self._label.setObjectName("localNoticeText")
        self._label.setAccessibleIdentifier("localNoticeText")
        self._label.setTextFormat(Qt.TextFormat.PlainText)  # paths and errors are data
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet(
            "QFrame#localNotice { background: #fff4e5; border: 1px solid #ffb74d;"
            " border-left: 5px solid #ffb74d; border-radius: 4px; }"
            " QLabel#localNoticeText { color: #663c00; font-weight: bold; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self._label)
        self.hide()

    @property
    def sentences(self) -> list[str]:
        return list(self._sentences)

    def add(self, problem: CapdeskError) -> None:
        """Show ``problem``'s sentence (once, however often it is reported)."""
        if problem.sentence in self._sentences:
            return
        self._sentences.append(problem.sentence)
        self._details.extend(problem.details.lines())
        self._label.setText("\n".join(self._sentences))
        self._label.setToolTip(plain_tooltip("\n".join(self._details)))  # paths are data
        self.show()
        announce(self, problem.sentence)
