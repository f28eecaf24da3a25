"""One sentence about what just happened, with details for support when it failed.

Counter staff read the sentence (what happened, what to do). Support needs the HTTP
status, Capillary code, message and request id: those sit in a "Details" section that
is collapsed by default, and "Copy details" copies ``CapdeskError.for_support()``,
which never contains a secret. Each kind of message has its own icon, colour *and*
words, so nobody depends on colour alone.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from capdesk.api.errors import CapdeskError
from capdesk.ui.common.announcer import announce

# kind: (icon, spoken word for the icon, text colour, background, border). The icon is
# named, not looked up here: Qt's QStyle type costs ~12 ms to load, and the window's
# first screen shows no status, so it loads with the first message instead.
_KINDS = {
    "error": ("SP_MessageBoxCritical", "Error", "#8a1c12", "#fdecea", "#e57373"),
    "info": ("SP_MessageBoxInformation", "Information", "#0d3c61", "#e8f4fd", "#90caf9"),
    "success": ("SP_DialogApplyButton", "Done", "#1e4620", "#edf7ed", "#81c784"),
    "busy": ("SP_BrowserReload", "Working", "#263238", "#f5f5f5", "#b0bec5"),
}


def _style_sheet_for_every_kind() -> str:
    """One sheet with a rule per kind, chosen by the ``kind`` property: switching kind
    then re-polishes two widgets instead of re-parsing a sheet for the whole panel."""
    rules = ['QFrame#statusPanel[kind=""] { border: none; }']
    for kind, (_icon, _word, colour, back, border) in _KINDS.items():
        rules.append(
            f'QFrame#statusPanel[kind="{kind}"] {{ background: {back}; border: 1px solid'
            f" {border}; border-left: 5px solid {border}; border-radius: 4px; }}"
        )
        rules.append(
            f'QLabel#statusMessage[kind="{kind}"] {{ color: {colour}; font-weight: bold; }}'
        )
    return "\n".join(rules)


class StatusPanel(QFrame):
    """The window's status area. ``kind`` is "", "error", "info", "success" or "busy"."""

    detailsCopied = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusPanel")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._kind = ""
        self._support_text: str | None = None  # what "Copy details" copies
        self._icons: dict[str, QPixmap] = {}  # per kind, drawn once

        self._icon = QLabel()
        self._icon.setObjectName("statusIcon")
        self._icon.setFixedSize(QSize(24, 24))
        self._message = QLabel()
        self._message.setObjectName("statusMessage")
        self._message.setAccessibleIdentifier("statusMessage")
        self._message.setWordWrap(True)
        self._message.setTextFormat(Qt.TextFormat.PlainText)  # server text is data
        self._message.setMinimumHeight(24)
        self._message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._busy = QProgressBar()
        self._busy.setObjectName("statusBusy")
        self._busy.setRange(0, 0)
        self._busy.setTextVisible(False)
        self._busy.setFixedSize(QSize(80, 8))
        self._busy.setContentsMargins(0, 0, 0, 0)
        self._busy.setAccessibleName("Working")

        self._details_button = QToolButton()
        self._details_button.setObjectName("statusDetailsButton")
        self._details_button.setText("Details")
        self._details_button.setCheckable(True)
        self._details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._details_button.setArrowType(Qt.ArrowType.RightArrow)
        self._details_button.toggled.connect(self._set_details_open)
        self._copy_button = QPushButton("Copy details")
        self._copy_button.setObjectName("copyDetailsButton")
        self._copy_button.setToolTip("Copy these details to send them to support.")
        self._copy_button.clicked.connect(self.copy_details)

        self._details = QLabel()
        self._details.setObjectName("statusDetails")
        self._details.setAccessibleIdentifier("statusDetails")
        self._details.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self._details.setWordWrap(True)
        self._details.setTextFormat(Qt.TextFormat.PlainText)
        self._details.setStyleSheet(
            "QLabel { background: #ffffff; color: #1b1b1b; border: 1px solid #cfd8dc;"
            " border-radius: 3px; padding: 6px; font-family: monospace; }"
        )

        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self._message, 1, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self._busy, 0, Qt.AlignmentFlag.AlignVCenter)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(32, 0, 0, 0)
        buttons.addWidget(self._details_button)
        buttons.addStretch(1)
        buttons.addWidget(self._copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(buttons)
        self._details_indent = QHBoxLayout()
        self._details_indent.setContentsMargins(32, 0, 0, 0)
        self._details_indent.addWidget(self._details)
        layout.addLayout(self._details_indent)
        self.setStyleSheet(_style_sheet_for_every_kind())
        self.clear()

    # --- public API ---------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def text(self) -> str:
        return self._message.text()

    @property
    def details_open(self) -> bool:
        return self._details_button.isChecked()

    def show_error(self, error: CapdeskError) -> None:
        """The error's sentence, plus collapsed details when there are any."""
        self._show("error", error.sentence, assertive=True)
        self._set_details(error.details.lines(), error.for_support())

    def show_info(self, text: str, *, spoken: bool = True) -> None:
        """``spoken=False`` when another widget has just announced the same news."""
        self._show("info", text, spoken=spoken)

    def show_success(self, text: str, details: list[str] | None = None) -> None:
        """A success; ``details`` (e.g. the request id) go in the collapsed Details."""
        self._show("success", text)
        if details:
            self._set_details(details, "\n".join([text, *details]))

    def show_busy(self, text: str) -> None:
        self._show("busy", text)
        self._busy.show()

    def update_busy(self, text: str) -> None:
        """Change a busy message in place (a time waited), without announcing it again."""
        if self._kind == "busy":
            self._message.setText(text)

    def clear(self) -> None:
        self._kind = ""
        self._support_text = None
        self._message.setText("")
        self._icon.clear()
        self._icon.hide()
        self._hide_extras()
        self._set_kind_style("")

    def set_details_open(self, open_: bool) -> None:
        """Expand or collapse the details (as the "Details" button does)."""
        self._details_button.setChecked(open_)

    def copy_details(self) -> bool:
        """Copy the sentence and details for support (never a secret)."""
        if self._support_text is None:
            return False
        QGuiApplication.clipboard().setText(self._support_text)
        announce(self, "Details copied")
        self.detailsCopied.emit()
        return True

    # --- internals ----------------------------------------------------------------

    def _show(self, kind: str, text: str, *, assertive: bool = False, spoken: bool = True) -> None:
        self._support_text = None
        self._kind = kind
        icon, word, *_colours = _KINDS[kind]
        pixmap = self._icons.get(kind)
        if pixmap is None:
            from PySide6.QtWidgets import QStyle

            standard = getattr(QStyle.StandardPixmap, icon)
            pixmap = self._icons[kind] = self.style().standardIcon(standard).pixmap(QSize(24, 24))
        self._icon.setPixmap(pixmap)
        self._icon.setAccessibleName(word)  # an icon-only label: the name is what it says
        self._icon.show()
        self._message.setText(text)
        self._message.setAccessibleDescription(word)
        self._set_kind_style(kind)
        self._hide_extras()
        if spoken:
            announce(self, f"{word}: {text}", assertive=assertive)

    def _set_kind_style(self, kind: str) -> None:
        if self.property("kind") == kind:
            return
        for widget in (self, self._message):
            widget.setProperty("kind", kind)
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    def _hide_extras(self) -> None:
        self._busy.hide()
        self._details_button.hide()
        self._copy_button.hide()
        self._details_button.setChecked(False)
        self._details.hide()

    def _set_details(self, lines: list[str], support_text: str) -> None:
        self._support_text = support_text
        self._details.setText("\n".join(lines))
        self._details_button.setVisible(bool(lines))
        self._copy_button.setVisible(True)
        self._details_button.setChecked(False)
        self._set_details_open(False)

    def _set_details_open(self, open_: bool) -> None:
        self._details.setVisible(open_ and self._support_text is not None)
        self._details_button.setArrowType(
            Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow
        )
