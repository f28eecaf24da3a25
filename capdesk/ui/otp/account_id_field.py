"""The account id a source needs (WeChat, Facebook, MartJack), filled in for staff.

Staff should not have to know a brand's WeChat official account or Facebook page: the
ids known for the cluster (IT's policy, then the one last used) are put in the field
as the source changes. An id staff typed themselves is kept until the source changes.
Below the field, one sentence says when a look-up needs an id that is missing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from capdesk.ui.otp.identifier_hints import error_style


class AccountIdField(QWidget):
    """The ``accountId`` field and its ``accountIdHint``. ``edited`` on staff typing."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._known: dict[str, str] = {}  # source -> account id known for the cluster
        self._typed = False  # the field holds what staff typed…
        self._source = ""  # …for this source
        self.line_edit = QLineEdit()
        self.line_edit.setObjectName("accountId")
        self.line_edit.setAccessibleName("Account id")
        self.line_edit.setPlaceholderText("the source's account id, e.g. WECHAT-DEMO1")
        self.line_edit.textEdited.connect(self._on_edited)
        self._hint = QLabel()
        self._hint.setObjectName("accountIdHint")
        self._hint.setTextFormat(Qt.TextFormat.PlainText)
        self._hint.setWordWrap(True)
        self._hint.setStyleSheet(error_style(self._hint.palette()))
        self._hint.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.line_edit)
        layout.addWidget(self._hint)

    @property
    def text(self) -> str:
        return self.line_edit.text().strip()

    def set_known(self, account_ids: dict[str, str], source: str) -> None:
        """The cluster's known ids per source; the field shows ``source``'s."""
        self._known = dict(account_ids)
        self.follow(source)

    def follow(self, source: str) -> None:
        """Show ``source``'s known id, unless staff typed one for this very source."""
        if self._typed and self._source == source:
            return
        self._typed = False
        self._source = source
        self.line_edit.setText(self._known.get(source, ""))

    def reset(self, source: str) -> None:
        """Next customer: back to the known id, no sentence."""
        self._hint.hide()
        self._typed = False
        self.follow(source)

    def say_needed(self, sentence: str) -> None:
        """Why the look-up waits (the id is missing); focus goes to the field."""
        self._hint.setText(sentence)
        self._hint.show()
        self.line_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def hide_sentence(self) -> None:
        self._hint.hide()

    def _on_edited(self, _text: str) -> None:
        self._hint.hide()
        self._typed = True
        self.edited.emit()
