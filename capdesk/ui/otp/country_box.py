"""A searchable box of countries with their calling codes, for the default mobile country.

Staff recognise a country by its name and by the calling code on a customer's number,
so every entry reads like "India (+91)". The list is every region phone-number
parsing supports (``phonenumbers.SUPPORTED_REGIONS``), named by Qt's built-in
territory names with a few friendlier overrides, so it needs no data file of its own.
Typing finds a country by any part of its name or by its calling code.
"""

from __future__ import annotations

import phonenumbers
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

__all__ = ["CountryBox", "countries", "resolve_country"]

# Shorter or more familiar names than Qt's CLDR ones, where staff would look for them.
_NAMES = {
    "GB": "United Kingdom",
    "US": "United States",
    "AE": "United Arab Emirates",
    "HK": "Hong Kong",
    "MO": "Macau",
    "KR": "South Korea",
    "TW": "Taiwan",
    "MM": "Myanmar",
    "CI": "Côte d'Ivoire",
}


def _country_name(region: str) -> str:
    if region in _NAMES:
        return _NAMES[region]
    territory = QLocale.codeToTerritory(region)
    if territory == QLocale.Country.AnyTerritory:
        return region
    return QLocale.territoryToString(territory) or region


def countries() -> list[tuple[str, str]]:
    """``(label, region)`` for every region phone parsing knows, sorted by label."""
    entries = []
    for region in phonenumbers.SUPPORTED_REGIONS:
        code = phonenumbers.country_code_for_region(region)
        entries.append((f"{_country_name(region)} (+{code})", region))
    return sorted(entries, key=lambda entry: entry[0].casefold())


def resolve_country(text: str, entries: list[tuple[str, str]]) -> str | None:
    """The region meant by what was typed, or None when it is not clear.

    Accepts a label from the list, a two-letter code ("gb"), a country name
    ("india"), or the start of a name that fits exactly one country ("swed").
    """
    typed = text.strip().casefold()
    if not typed:
        return None
    for label, region in entries:
        if label.casefold() == typed:
            return region
    if len(typed) == 2 and typed.upper() in phonenumbers.SUPPORTED_REGIONS:
        return typed.upper()
    names = [(label.rsplit(" (+", 1)[0].casefold(), region) for label, region in entries]
    for name, region in names:
        if name == typed:
            return region
    starting = {region for name, region in names if name.startswith(typed)}
    return starting.pop() if len(starting) == 1 else None


class CountryBox(QComboBox):
    """An editable list of countries that finds a country by any part of its label."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries = countries()
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(15)
        # The longest names would otherwise make the box (and its dialog) very wide.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(18)
        for label, region in self._entries:
            self.addItem(label, region)
        completer = QCompleter(self.model(), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)

    def region(self) -> str | None:
        """The region code for what the box shows, or None when the text is not clear."""
        return resolve_country(self.currentText(), self._entries)

    def set_region(self, region: str) -> None:
        index = self.findData(region)
        if index >= 0:
            self.setCurrentIndex(index)
        else:
            self.setEditText(region)
