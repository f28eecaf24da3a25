"""What the identifier field says, and how a mobile number is regrouped as it is typed.

The sentences and examples under the lookup form's identifier field, the styles that
tell a hint from an error, and the pure helpers behind them: the default country as
staff know it ("+91 (IN)") and the regrouping of a mobile number that keeps the
cursor where the person was typing. Kept apart from the form so the form is only
about widgets and their reactions.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QLineEdit

from capdesk.api.identifiers import (
    IdentifierName,
    MobileFormatter,
    country_calling_code,
    phone_library,
    phone_library_loaded,
)
from capdesk.api.models import OtpLookup
from capdesk.ui.common.tones import tone

HINTS = {
    IdentifierName.MOBILE: (
        "Mobile number as dialled in {country}; a number from another country "
        "starts with + and its country code."
    ),
    IdentifierName.EMAIL: "The email address the customer registered with.",
    IdentifierName.EXTERNAL_ID: "The number printed on the customer's card.",
    IdentifierName.WECHAT: "The customer's WeChat id.",
}
PLACEHOLDERS = {
    IdentifierName.MOBILE: "e.g. 98765 43210",
    IdentifierName.EMAIL: "e.g. name@example.com",
    IdentifierName.EXTERNAL_ID: "e.g. CARD1001",
    IdentifierName.WECHAT: "e.g. oWX1-…",
}


def error_style(palette: QPalette) -> str:
    """A sentence that says what is wrong: bold, in the error tone of ``palette``."""
    return f"color: {tone('error', palette)}; font-weight: bold;"


def _hint_style(palette: QPalette) -> str:
    return f"color: {tone('hint', palette)};"


def _error_field(palette: QPalette) -> str:
    return (
        f"QLineEdit {{ border: 2px solid {tone('error', palette)}; border-radius: 3px;"
        " padding: 2px; }"
    )


def hint(kind: IdentifierName, country: str) -> str:
    """The sentence under the field for ``kind`` (mobile numbers name the default country)."""
    return HINTS[kind].format(country=country_text(country))


def preview(lookup: OtpLookup) -> str:
    """What will be looked up, as staff check it before Enter.

    ``"Looks up +1 506 234 5678 · United States"``: a mobile number is shown in
    international form with its country's name, so a number read in the wrong country
    is caught before it is sent; other identifiers are shown as they will be sent.
    """
    shown = shown_identifier(lookup)
    country = _country_name(lookup) if lookup.name is IdentifierName.MOBILE else ""
    return f"Looks up {shown} · {country}" if country else f"Looks up {shown}"


def shown_identifier(lookup: OtpLookup) -> str:
    """The identifier as staff read it: a mobile number grouped, with ``+`` and its code."""
    if lookup.name is not IdentifierName.MOBILE:
        return lookup.value
    phonenumbers = phone_library()
    try:
        number = phonenumbers.parse("+" + lookup.value, None)
    except phonenumbers.NumberParseException:
        return "+" + lookup.value
    shown: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return shown


def _country_name(lookup: OtpLookup) -> str:
    """The country of a mobile look-up's number, by name ("United States"), or ""."""
    phonenumbers = phone_library()
    try:
        number = phonenumbers.parse("+" + lookup.value, None)
    except phonenumbers.NumberParseException:
        return ""
    region = phonenumbers.region_code_for_number(number) or ""
    territory = QLocale.codeToTerritory(region) if region else QLocale.Country.AnyTerritory
    if territory == QLocale.Country.AnyTerritory:
        return ""
    return QLocale.territoryToString(territory)


def show_sentence(field: QLineEdit, note: QLabel, sentence: str, *, error: bool) -> None:
    """Put ``sentence`` under ``field``: red, and the field outlined, when it is an error.

    The note's ``error`` property records which it is; screen readers get the sentence
    as the field's description either way.
    """
    note.setText(sentence)
    palette = note.palette()
    note.setStyleSheet(error_style(palette) if error else _hint_style(palette))
    note.setProperty("error", error)
    field.setStyleSheet(_error_field(palette) if error else "")
    field.setAccessibleDescription(sentence)


def country_text(country: str) -> str:
    """``"IN"`` → ``"+91 (IN)"``: staff know the dialling code better than the letters.

    Until the phone library is loaded (just after the form's first paint) the
    country's name stands in for it, so that drawing the form never waits for it.
    """
    if phone_library_loaded():
        prefix = country_calling_code(country)
        return f"+{prefix} ({country})" if prefix else country
    territory = QLocale.codeToTerritory(country)
    if territory == QLocale.Country.AnyTerritory:
        return country
    return QLocale.territoryToString(territory) or country


def significant(text: str) -> str:
    """The characters of a typed mobile number that matter: digits and a leading '+'."""
    return "".join(ch for ch in text if ch.isdigit() or ch == "+")


def regroup_mobile(
    text: str, previous: str, cursor: int, formatter: MobileFormatter, country: str
) -> tuple[str, int]:
    """``text`` grouped for ``country``, and where the cursor goes in it.

    ``previous`` is the field's text before this edit and ``cursor`` the cursor in
    ``text``. The cursor stays after the same digit it followed. A backspace that
    only removed a group gap deletes the digit before the gap instead, as people mean.
    """
    before = significant(text[:cursor])
    only_a_gap_went = len(text) < len(previous) and significant(text) == significant(previous)
    if only_a_gap_went and before:
        whole = significant(text)
        before = before[:-1]
        text = before + whole[len(before) + 1 :]
    formatted = formatter.format(text, country)
    position = 0
    seen = 0
    while position < len(formatted) and seen < len(before):
        if formatted[position].isdigit() or formatted[position] == "+":
            seen += 1
        position += 1
    return formatted, position
