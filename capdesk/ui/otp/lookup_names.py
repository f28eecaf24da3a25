"""Staff-friendly names for Capillary's sources and OTP scopes.

Counter staff know "In store" and "Points", not ``INSTORE`` and ``POINTS``. The
selectors show these names; the API value stays reachable in each item's tooltip and
in the status Details, so support and trainers can still talk in Capillary's words.
A source Capillary has that is not listed here is shown (and sent) as typed.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QComboBox

_SOURCE_NAMES = {
    "INSTORE": "In store",
    "WECHAT": "WeChat",
    "FACEBOOK": "Facebook",
    "MARTJACK": "MartJack online store",
    "MOBILE_APP": "Mobile app",
    "WEBSITE": "Website",
    "ECOMMERCE": "Online shop",
    "WEB_ENGAGE": "WebEngage",
    "LINE": "LINE",
    "TMALL": "Tmall",
    "TAOBAO": "Taobao",
    "JD": "JD.com",
    "OTHERS": "Other",
}
_SCOPE_NAMES = {
    "POINTS": "Points",
    "COUPON": "Coupon",
    "REGISTRATION": "Registration",
    "USERGROUP": "User group",
    "SUBSCRIPTION": "Subscription",
    "GENERIC": "General",
}


def source_name(api_value: str) -> str:
    """``"INSTORE"`` → "In store"; an unknown source is shown as it is."""
    name = _SOURCE_NAMES.get(api_value)
    return QCoreApplication.translate("lookup_names", name) if name else api_value


def scope_name(api_value: str) -> str:
    """``"POINTS"`` → "Points"; an unknown scope is shown as it is."""
    name = _SCOPE_NAMES.get(api_value)
    return QCoreApplication.translate("lookup_names", name) if name else api_value


def fill_with_names(box: QComboBox, api_values: tuple[str, ...], *, sources: bool) -> None:
    """Items showing the friendly name, carrying the API value as data and tooltip."""
    name = source_name if sources else scope_name
    for value in api_values:
        box.addItem(name(value), value)
        box.setItemData(box.count() - 1, value, Qt.ItemDataRole.ToolTipRole)


def api_value_of(box: QComboBox) -> str:
    """The API value of what the box shows: an item's data, or the typed text in capitals
    (an editable source box accepts a source capdesk does not list)."""
    text = box.currentText().strip()
    index = box.findText(text, Qt.MatchFlag.MatchFixedString)
    if index >= 0:
        return str(box.itemData(index))
    return text.upper()


def select_api_value(box: QComboBox, api_value: str) -> None:
    """Show ``api_value`` (by its friendly name when it has one)."""
    index = box.findData(api_value)
    if index >= 0:
        box.setCurrentIndex(index)
    elif box.isEditable():
        box.setEditText(api_value)
