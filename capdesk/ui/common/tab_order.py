"""One Tab order for a list of widgets (PySide6's ``setTabOrder`` takes only a pair)."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from PySide6.QtWidgets import QWidget


def set_tab_order(widgets: Iterable[QWidget | None]) -> None:
    """Tab visits ``widgets`` in this order; ``None`` entries are skipped. Hidden or
    disabled widgets stay in the chain and Qt passes over them as they come and go."""
    present = [widget for widget in widgets if widget is not None]
    for first, second in pairwise(present):
        QWidget.setTabOrder(first, second)
