"""Settings dialog over real Settings (INI file) and a real machine policy file.

The policy is written as ``policy.ini`` into the machine config dir that conftest points
CAPDESK_MACHINE_CONFIG at; "persisted" always means a fresh Settings object on the
same paths reads the value back.
"""

from __future__ import annotations

import phonenumbers
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from capdesk.paths import AppPaths, default_paths
from capdesk.settings import Settings
from capdesk.ui.account.settings_dialog import EDITABLE, LOCKED_TOOLTIP, SettingsDialog
from capdesk.ui.otp.country_box import countries, resolve_country


@pytest.fixture
def paths() -> AppPaths:
    return default_paths()


def write_policy(paths: AppPaths, body: str) -> None:
    paths.policy_file.write_text("[capdesk]\n" + body, encoding="utf-8")


@pytest.fixture
def open_dialog(qtbot, paths):
    def make() -> SettingsDialog:
        dialog = SettingsDialog(Settings(paths))
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow, timeout=1000)
        return dialog

    return make


def fresh(paths: AppPaths) -> Settings:
    return Settings(paths)


def choose(qtbot, combo: QComboBox, text: str) -> None:
    """Pick an item with the keyboard, as a person would."""
    combo.setFocus()
    target = combo.findText(text)
    assert target >= 0
    while combo.currentIndex() != target:
        key = Qt.Key.Key_Down if combo.currentIndex() < target else Qt.Key.Key_Up
        qtbot.keyClick(combo, key)


def retype(qtbot, widget: QWidget, text: str) -> None:
    """Select everything in the field and type ``text`` over it."""
    line = (
        widget.lineEdit() if isinstance(widget, QComboBox | QSpinBox | QDoubleSpinBox) else widget
    )
    assert isinstance(line, QLineEdit)
    widget.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)


def save(qtbot, dialog: SettingsDialog) -> None:
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)


# --- the country list ------------------------------------------------------------------


def test_country_list_covers_every_supported_region_with_its_calling_code() -> None:
    entries = countries()
    assert {region for _, region in entries} == set(phonenumbers.SUPPORTED_REGIONS)
    labels = dict((region, label) for label, region in entries)
    assert labels["IN"] == "India (+91)"
    assert labels["GB"] == "United Kingdom (+44)"
    assert labels["DE"] == "Germany (+49)"
    assert [label for label, _ in entries] == sorted(
        (label for label, _ in entries), key=str.casefold
    )


@pytest.mark.parametrize(
    ("typed", "region"),
    [
        ("India (+91)", "IN"),
        ("india (+91) ", "IN"),
        ("gb", "GB"),
        ("Germany", "DE"),
        ("swed", "SE"),
        ("ind", None),  # India, Indonesia: not clear
        ("Atlantis", None),
        ("ZZ", None),
        ("", None),
    ],
)
def test_typed_country_is_resolved_only_when_clear(typed: str, region: str | None) -> None:
    assert resolve_country(typed, countries()) == region


# --- loading and saving ----------------------------------------------------------------


def test_values_load_from_settings(open_dialog, paths) -> None:
    settings = fresh(paths)
    settings.default_country = "GB"
    settings.clipboard_timeout = 45
    settings.card_method = "POST"
    settings.connect_timeout = 2.5
    settings.read_timeout = 60.0
    settings.external_id_param = "externalId"
    dialog = open_dialog()
    assert dialog.country.currentText() == "United Kingdom (+44)"
    assert dialog.clipboard_timeout.value() == 45
    assert dialog.card_method.currentText() == "POST"
    assert dialog.connect_timeout.value() == 2.5
    assert dialog.read_timeout.value() == 60.0
    assert dialog.external_id_param.currentData() == "externalId"
    assert {name: dialog.value(name) for name in EDITABLE} == {
        name: getattr(settings, name) for name in EDITABLE
    }
    assert not dialog.locked_note.isVisible()


def test_edits_persist_and_signal_names_exactly_what_changed(qtbot, open_dialog, paths) -> None:
    dialog = open_dialog()
    retype(qtbot, dialog.country, "gb")
    retype(qtbot, dialog.clipboard_timeout, "90")
    choose(qtbot, dialog.card_method, "POST")
    retype(qtbot, dialog.read_timeout, "45")
    with qtbot.waitSignal(dialog.settingsChanged, timeout=1000) as signal:
        save(qtbot, dialog)
    assert signal.args == [["default_country", "clipboard_timeout", "card_method", "read_timeout"]]
    assert dialog.result() == dialog.DialogCode.Accepted
    again = fresh(paths)
    assert (again.default_country, again.clipboard_timeout, again.card_method) == ("GB", 90, "POST")
    assert (again.read_timeout, again.connect_timeout) == (45.0, 5.0)


def test_an_edit_back_to_the_same_value_is_not_a_change(qtbot, open_dialog) -> None:
    dialog = open_dialog()
    retype(qtbot, dialog.clipboard_timeout, "60")
    retype(qtbot, dialog.clipboard_timeout, "30")
    choose(qtbot, dialog.card_method, "POST")
    choose(qtbot, dialog.card_method, "GET")
    with qtbot.assertNotEmitted(dialog.settingsChanged):
        save(qtbot, dialog)
    assert dialog.result() == dialog.DialogCode.Accepted


def test_cancel_writes_nothing(qtbot, open_dialog, paths) -> None:
    dialog = open_dialog()
    retype(qtbot, dialog.clipboard_timeout, "90")
    with qtbot.assertNotEmitted(dialog.settingsChanged):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Rejected
    assert fresh(paths).clipboard_timeout == 30


def test_zero_clears_the_clipboard_never(qtbot, open_dialog, paths) -> None:
    dialog = open_dialog()
    retype(qtbot, dialog.clipboard_timeout, "0")
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)  # leave the field
    assert dialog.clipboard_timeout.text() == "Never"
    with qtbot.waitSignal(dialog.settingsChanged, timeout=1000) as signal:
        save(qtbot, dialog)
    assert signal.args == [["clipboard_timeout"]]
    assert fresh(paths).clipboard_timeout == 0


def test_enter_in_a_field_saves(qtbot, open_dialog, paths) -> None:
    dialog = open_dialog()
    retype(qtbot, dialog.connect_timeout, "2.5")
    with qtbot.waitSignal(dialog.settingsChanged, timeout=1000) as signal:
        qtbot.keyClick(dialog.connect_timeout, Qt.Key.Key_Return)
    assert signal.args == [["connect_timeout"]]
    assert fresh(paths).connect_timeout == 2.5


# --- validation ----------------------------------------------------------------------


def test_too_short_clipboard_time_is_refused_with_a_sentence(qtbot, open_dialog, paths) -> None:
    dialog = open_dialog()
    retype(qtbot, dialog.clipboard_timeout, "3")
    with qtbot.assertNotEmitted(dialog.settingsChanged):
        save(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.message.text() == (
        "Choose from 5 to 600 seconds for clearing the clipboard, or 0 for never."
    )
    assert owner(dialog.focusWidget()) is dialog.clipboard_timeout
    assert fresh(paths).clipboard_timeout == 30
    retype(qtbot, dialog.clipboard_timeout, "5")
    assert dialog.message.text() == ""  # editing withdraws the complaint


def test_unclear_country_is_refused_and_nothing_is_written(qtbot, open_dialog, paths) -> None:
    dialog = open_dialog()
    retype(qtbot, dialog.clipboard_timeout, "90")
    retype(qtbot, dialog.country, "Atlantis")
    with qtbot.assertNotEmitted(dialog.settingsChanged):
        save(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.message.text() == "Choose a country from the list, for example India (+91)."
    assert owner(dialog.focusWidget()) is dialog.country
    again = fresh(paths)
    assert (again.default_country, again.clipboard_timeout) == ("IN", 30)


# --- the machine policy --------------------------------------------------------------


def test_locked_settings_are_disabled_marked_and_never_written(qtbot, open_dialog, paths) -> None:
    write_policy(paths, "default_country=GB\ncard_method=POST\nread_timeout=30\n")
    dialog = open_dialog()
    locked = {"default_country": "GB", "card_method": "POST", "read_timeout": 30.0}
    for name, value in locked.items():
        widget = dialog.findChild(
            QWidget,
            {
                "default_country": "defaultCountry",
                "card_method": "cardMethod",
                "read_timeout": "readTimeout",
            }[name],
        )
        assert not widget.isEnabled()
        assert widget.toolTip() == LOCKED_TOOLTIP
        marker = dialog.findChild(QWidget, f"{widget.objectName()}Lock")
        assert marker is not None and marker.isVisible()
        assert marker.toolTip() == LOCKED_TOOLTIP
        assert dialog.value(name) == value
    assert dialog.clipboard_timeout.isEnabled()
    assert dialog.findChild(QWidget, "clipboardTimeoutLock") is None
    assert dialog.locked_note.isVisible()
    assert dialog.locked_note.text().startswith("Some settings are managed by your IT")

    # Try anyway: keys on the disabled fields do nothing, and values forced into them
    # behind the dialog's back are still never written.
    qtbot.keyClick(dialog.card_method, Qt.Key.Key_Up)
    assert dialog.card_method.currentText() == "POST"
    dialog.card_method.setCurrentIndex(dialog.card_method.findData("GET"))
    dialog.country.setEditText("India (+91)")
    dialog.read_timeout.setValue(99.0)
    retype(qtbot, dialog.clipboard_timeout, "60")
    with qtbot.waitSignal(dialog.settingsChanged, timeout=1000) as signal:
        save(qtbot, dialog)
    assert signal.args == [["clipboard_timeout"]]
    again = fresh(paths)
    assert (again.default_country, again.card_method, again.read_timeout) == ("GB", "POST", 30.0)
    assert again.clipboard_timeout == 60


def test_restore_defaults_leaves_locked_settings_alone(qtbot, open_dialog, paths) -> None:
    # card_method is locked; read_timeout is only a pre-set default staff may change.
    write_policy(paths, "card_method=POST\nread_timeout=30\nlocked=card_method\n")
    settings = fresh(paths)
    settings.default_country = "GB"
    settings.clipboard_timeout = 90
    settings.read_timeout = 60.0
    dialog = open_dialog()
    assert dialog.read_timeout.value() == 60.0
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "Defaults restored. Press Save to keep them."
    assert dialog.country.currentText() == "India (+91)"
    assert dialog.clipboard_timeout.value() == 30
    assert dialog.read_timeout.value() == 30.0  # the policy's default, not the built-in 20
    assert dialog.card_method.currentText() == "POST"
    with qtbot.waitSignal(dialog.settingsChanged, timeout=1000) as signal:
        save(qtbot, dialog)
    assert signal.args == [["default_country", "clipboard_timeout", "read_timeout"]]
    again = fresh(paths)
    assert (again.default_country, again.clipboard_timeout) == ("IN", 30)
    assert (again.read_timeout, again.card_method) == (30.0, "POST")
    stored = paths.settings_file.read_text(encoding="utf-8")
    assert "default_country" not in stored and "read_timeout" not in stored  # forgotten


def test_an_edit_after_restore_defaults_wins(qtbot, open_dialog, paths) -> None:
    fresh(paths).clipboard_timeout = 90
    dialog = open_dialog()
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    retype(qtbot, dialog.clipboard_timeout, "120")
    with qtbot.waitSignal(dialog.settingsChanged, timeout=1000) as signal:
        save(qtbot, dialog)
    assert signal.args == [["clipboard_timeout"]]
    assert fresh(paths).clipboard_timeout == 120


def test_restore_defaults_is_off_when_everything_is_locked(open_dialog, paths) -> None:
    write_policy(paths, "locked=all\n")
    dialog = open_dialog()
    assert not dialog.restore_button.isEnabled()
    assert dialog.locked_note.text().startswith("These settings are managed by your IT")
    assert not any(
        dialog.findChild(QWidget, n).isEnabled()
        for n in (
            "defaultCountry",
            "clipboardTimeout",
            "cardMethod",
            "connectTimeout",
            "readTimeout",
            "requestDeadline",
            "externalIdParam",
        )
    )


def test_paths_are_shown_read_only(open_dialog, paths) -> None:
    dialog = open_dialog()
    assert dialog.settings_file.text() == str(paths.settings_file)
    assert dialog.policy_file.text() == f"{paths.policy_file} (none on this PC)"
    assert dialog.settings_file.isReadOnly() and dialog.policy_file.isReadOnly()
    write_policy(paths, "kiosk=0\n")
    assert open_dialog().policy_file.text() == str(paths.policy_file)


# --- keyboard and screen readers -----------------------------------------------------


def test_every_control_is_named_and_reachable_by_mnemonic_and_tab(qtbot, open_dialog) -> None:
    dialog = open_dialog()
    fields = [
        dialog.findChild(QWidget, n)
        for n in (
            "defaultCountry",
            "clipboardTimeout",
            "cardMethod",
            "connectTimeout",
            "readTimeout",
            "requestDeadline",
            "externalIdParam",
            "settingsFilePath",
            "policyFilePath",
        )
    ]
    buttons = [dialog.restore_button, dialog.save_button, dialog.cancel_button]
    for control in fields + buttons:
        assert control.accessibleName(), control.objectName()
    buddies = {
        label.buddy(): label.text() for label in dialog.findChildren(QLabel) if label.buddy()
    }
    assert set(buddies) == set(fields)
    mnemonics = [
        text[text.index("&") + 1].lower()
        for text in [*buddies.values(), *(b.text() for b in buttons[:2])]
    ]
    assert len(mnemonics) == len(set(mnemonics)) == len(fields) + 2
    fields[0].setFocus()
    visited = [owner(dialog.focusWidget())]
    for _ in range(len(fields) + len(buttons) - 1):
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        visited.append(owner(dialog.focusWidget()))
    assert visited == fields + buttons


def owner(widget: QWidget) -> QWidget:
    """The control a focused inner line edit (of a combo or spin box) belongs to."""
    parent = widget.parentWidget()
    return parent if isinstance(parent, QComboBox | QSpinBox | QDoubleSpinBox) else widget


def test_country_box_searches_anywhere_in_the_name(qtbot, open_dialog, paths) -> None:
    dialog = open_dialog()
    retype(qtbot, dialog.country, "kingdom")
    popup = dialog.country.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=1000)
    shown = [popup.model().index(row, 0).data() for row in range(popup.model().rowCount())]
    assert shown == ["United Kingdom (+44)"]
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)  # picks the country; does not save yet
    assert dialog.country.currentText() == "United Kingdom (+44)"
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.settingsChanged, timeout=1000) as signal:
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    assert signal.args == [["default_country"]]
    assert fresh(paths).default_country == "GB"
