"""Server text in the window is data: shown character for character, never as markup.

A ``QLabel`` starts in ``Qt.AutoText``: any text that *looks* like HTML
(``Qt.mightBeRichText``) is rendered, so a card number or a Capillary message holding
``<h1>BIG</h1>`` came out as a heading, ``<img src=…>`` as an image and ``<a href>``
as a link. Tooltips follow the same guess. Every label that can show text from a
server (or from a file, a path, a URL someone typed) is therefore set to plain text
with :func:`plain_label`, and every such tooltip goes through :func:`plain_tooltip`.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt  # Qt's namespace with the text functions
from PySide6.QtWidgets import QLabel

__all__ = ["plain_label", "plain_tooltip"]

LabelT = TypeVar("LabelT", bound=QLabel)


def plain_label(label: LabelT) -> LabelT:
    """``label`` set to show its text as typed (``Qt.PlainText``); returned for chaining."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_tooltip(text: str | None) -> str:
    """A tooltip that shows ``text`` literally, whatever it contains.

    A tooltip has no text-format setting: Qt renders it as rich text when it looks
    like HTML. So the text is escaped into a rich-text paragraph (line breaks kept),
    which Qt always renders, and renders as exactly these characters. "" stays "".
    """
    if not text:
        return ""
    return GuiQt.convertFromPlainText(text, GuiQt.WhiteSpaceMode.WhiteSpaceNormal)
