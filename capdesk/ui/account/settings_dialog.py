"""The Settings dialog: what staff and their administrators may change, in plain words.

Values are read from and written through :class:`~capdesk.settings.Settings`, so the
machine policy is always respected: a setting the policy locks is shown greyed out
with a padlock and "Managed by your IT department", and the dialog never writes it,
whatever happens to its widget. Nothing is written until Save; then only the fields
the person actually edited (or restored to defaults) are written, so a value the
dialog cannot show exactly (say a hand-edited 2.25 s timeout) is never rewritten by
accident. :attr:`SettingsDialog.settingsChanged` lists the settings whose value
really changed, so the window only redoes the work that depends on them.

"Restore defaults" forgets the person's own values (``Settings.reset``), so the
machine policy's pre-set defaults, or the built-in ones, apply again.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from capdesk.api.errors import CapdeskError
from capdesk.settings import SETTING_NAMES, Settings
from capdesk.store.policy import REGISTRY_KEY
from capdesk.ui.account.settings_fields import (
    CONNECTION,
    COUNTER,
    EDITABLE,
    LOCKED_TOOLTIP,
    ROWS,
    camel,
)
from capdesk.ui.common.padlock import padlock
from capdesk.ui.common.plain_text import plain_label, plain_tooltip
from capdesk.ui.common.tab_order import set_tab_order
from capdesk.ui.common.tones import tone
from capdesk.ui.otp.country_box import CountryBox

__all__ = ["EDITABLE", "LOCKED_TOOLTIP", "SettingsDialog"]


class SettingsDialog(QDialog):
    """Edit :class:`Settings`; ``settingsChanged(names)`` after Save changed something."""

    settingsChanged = Signal(list)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._loading = False
        self._edited: set[str] = set()
        self._restored: set[str] = set()
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")

        self.country = CountryBox()
        self.clipboard_timeout = QSpinBox()
        self.clipboard_timeout.setRange(0, 600)
        self.clipboard_timeout.setSingleStep(5)
        self.clipboard_timeout.setSuffix(" seconds")
        self.clipboard_timeout.setSpecialValueText("Never")
        self.card_method = self._choices(("GET", "GET"), ("POST", "POST"))
        self.connect_timeout = self._seconds(0.5, 60.0, 0.5)
        self.read_timeout = self._seconds(1.0, 300.0, 1.0)
        self.request_deadline = self._seconds(3.0, 120.0, 1.0)
        self.external_id_param = self._choices(
            ("external_id (usual)", "external_id"), ("externalId", "externalId")
        )
        self._widgets: dict[str, QWidget] = {
            name: self.country if name == "default_country" else getattr(self, name)
            for name in EDITABLE
        }

        policy_text = str(settings.paths.policy_file)
        if not settings.paths.policy_file.exists():
            policy_text += " (none on this PC)"
        if sys.platform == "win32":
            policy_text += f", and the registry: HKLM\\{REGISTRY_KEY}"
        self.settings_file = self._path_line("settingsFilePath", "Settings file", settings.file)
        self.policy_file = self._path_line("policyFilePath", "Machine policy file", policy_text)

        groups = {group: QGroupBox(group) for group in (COUNTER, CONNECTION)}
        forms = {group: self._form(box) for group, box in groups.items()}
        for name, (group, label, accessible, hint) in ROWS.items():
            self._row(forms[group], name, label, accessible, hint)
        for label, line in (
            ("Settings &file:", self.settings_file),
            ("Machine &policy:", self.policy_file),
        ):
            forms[CONNECTION].addRow(self._buddy(label, line), line)

        locked = [name for name in EDITABLE if settings.is_locked(name)]
        which = "These settings are" if len(locked) == len(EDITABLE) else "Some settings are"
        self.locked_note = QLabel(
            f"{which} managed by your IT department and can't be changed here."
        )
        self.locked_note.setObjectName("settingsLockedNote")
        self.locked_note.setWordWrap(True)
        self.locked_note.setVisible(bool(locked))

        # A value label (the current problem): read as its text, so no accessibleName.
        self.message = plain_label(QLabel())
        self.message.setObjectName("settingsMessage")
        self.message.setAccessibleIdentifier("settingsMessage")
        self.message.setWordWrap(True)

        Button = QDialogButtonBox.StandardButton
        self.buttons = QDialogButtonBox(Button.Save | Button.Cancel | Button.RestoreDefaults)
        self.save_button = self._button(Button.Save, "&Save", "saveSettings", "Save settings")
        self.cancel_button = self._button(
            Button.Cancel, "Cancel", "cancelSettings", "Cancel without saving"
        )
        self.restore_button = self._button(
            Button.RestoreDefaults, "&Restore defaults", "restoreDefaults", "Restore defaults"
        )
        self.restore_button.setEnabled(len(locked) < len(EDITABLE))
        # Enter in a field saves; it must never restore defaults or cancel.
        for button in (self.restore_button, self.cancel_button):
            button.setAutoDefault(False)
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.restore_button.clicked.connect(self.restore_defaults)

        layout = QVBoxLayout(self)
        layout.addWidget(self.locked_note)
        layout.addWidget(groups[COUNTER])
        layout.addWidget(groups[CONNECTION])
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        order = [
            *self._widgets.values(),
            self.settings_file,
            self.policy_file,
            self.restore_button,
            self.save_button,
            self.cancel_button,
        ]
        set_tab_order(order)

        self._load()
        for name, widget in self._widgets.items():
            self._watch(name, widget)
        self._align_labels(*forms.values())
        self._fit(620)

    def _align_labels(self, *forms: QFormLayout) -> None:
        """One label column width for both groups, so the fields line up."""
        labels = [
            label
            for form in forms
            for row in range(form.rowCount())
            if (item := form.itemAt(row, QFormLayout.ItemRole.LabelRole)) is not None
            and isinstance(label := item.widget(), QLabel)
        ]
        width = max(label.sizeHint().width() for label in labels)
        for label in labels:
            label.setMinimumWidth(width)

    def _fit(self, width: int) -> None:
        """Open wide enough, and tall enough for the wrapped hints at that width."""
        layout = self.layout()
        assert layout is not None  # built in __init__
        layout.activate()
        width = max(width, layout.minimumSize().width())
        height = max(layout.sizeHint().height(), layout.totalHeightForWidth(width))
        self.resize(width, height)

    # --- construction helpers --------------------------------------------------------

    @staticmethod
    def _seconds(low: float, high: float, step: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(low, high)
        box.setDecimals(1)
        box.setSingleStep(step)
        box.setSuffix(" seconds")
        return box

    @staticmethod
    def _choices(*items: tuple[str, str]) -> QComboBox:
        box = QComboBox()
        for text, value in items:
            box.addItem(text, value)
        return box

    def _button(
        self, which: QDialogButtonBox.StandardButton, text: str, name: str, accessible: str
    ) -> QPushButton:
        button = self.buttons.button(which)
        button.setText(text)
        button.setObjectName(f"{name}Button")
        button.setAccessibleName(accessible)
        return button

    @staticmethod
    def _path_line(name: str, accessible: str, text: str) -> QLineEdit:
        line = QLineEdit(text)
        line.setObjectName(name)
        line.setAccessibleName(accessible)
        line.setReadOnly(True)
        line.setToolTip(plain_tooltip(text))  # a path is shown as it is, never as markup
        line.setCursorPosition(0)
        return line

    @staticmethod
    def _buddy(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    @staticmethod
    def _form(group: QGroupBox) -> QFormLayout:
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        return form

    def _row(self, form: QFormLayout, name: str, label: str, accessible: str, hint: str) -> None:
        """Label, field (with a padlock when locked) and a short hint under the field."""
        widget = self._widgets[name]
        widget.setObjectName(camel(name))
        widget.setAccessibleName(accessible)
        field = QWidget()
        row = QHBoxLayout(field)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(widget, 1)
        if self._settings.is_locked(name):
            widget.setEnabled(False)
            widget.setToolTip(LOCKED_TOOLTIP)
            widget.setAccessibleDescription(LOCKED_TOOLTIP)
            row.addWidget(self._lock_marker(name))
        form.addRow(self._buddy(label, widget), field)
        note = QLabel(hint)
        note.setWordWrap(True)
        note.setObjectName(f"{camel(name)}Hint")
        font = note.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        note.setFont(font)
        form.addRow("", note)

    def _lock_marker(self, name: str) -> QWidget:
        marker = QWidget()
        marker.setObjectName(f"{camel(name)}Lock")
        marker.setToolTip(LOCKED_TOOLTIP)
        row = QHBoxLayout(marker)
        row.setContentsMargins(4, 0, 0, 0)
        row.setSpacing(3)
        icon = QLabel()
        colour = self.palette().color(self.palette().ColorRole.WindowText)
        icon.setPixmap(padlock(14, colour, self.devicePixelRatioF()))
        word = QLabel("Locked")
        for part in (icon, word):
            part.setToolTip(LOCKED_TOOLTIP)
            row.addWidget(part)
        return marker

    def _watch(self, name: str, widget: QWidget) -> None:
        """Note which fields the person edits; programmatic loads don't count."""

        def edited(*_: object) -> None:
            if not self._loading:
                self._edited.add(name)
                self._restored.discard(name)
                self._show("")

        if isinstance(widget, QComboBox) and widget.isEditable():
            widget.currentTextChanged.connect(edited)
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(edited)
        elif isinstance(widget, QSpinBox | QDoubleSpinBox):
            widget.valueChanged.connect(edited)

    # --- values ----------------------------------------------------------------------

    def _load(self) -> None:
        for name in EDITABLE:
            self._put(name, getattr(self._settings, name))

    def _put(self, name: str, value: Any) -> None:
        """Show ``value`` in the field for ``name`` without counting it as an edit."""
        widget = self._widgets[name]
        self._loading = True
        try:
            if widget is self.country:
                self.country.set_region(value)
            elif isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(widget.findData(value), 0))
            elif isinstance(widget, QSpinBox):
                widget.setValue(int(value))
            elif isinstance(widget, QDoubleSpinBox):
                widget.setValue(float(value))
        finally:
            self._loading = False

    def value(self, name: str) -> Any:
        """What the field for ``name`` holds now (None for a country that isn't clear)."""
        widget = self._widgets[name]
        if widget is self.country:
            return self.country.region()
        if isinstance(widget, QComboBox):
            return widget.currentData()
        if isinstance(widget, QSpinBox | QDoubleSpinBox):
            return widget.value()
        raise KeyError(name)

    def _default(self, name: str) -> Any:
        """What applies once the person's own value is forgotten: policy, else built in."""
        spec = getattr(Settings, name)
        return self._settings.policy.get(spec.policy_key, spec.default)

    def _problem(self, name: str) -> str | None:
        """The sentence saying what is wrong with the field for ``name``, if anything."""
        value = self.value(name)
        if name == "default_country" and value is None:
            return "Choose a country from the list, for example India (+91)."
        spec = getattr(Settings, name)
        try:
            spec.parse(f"{value:g}" if isinstance(value, float) else str(value))
        except ValueError:
            return str(spec.invalid)
        return None

    def _show(self, sentence: str, *, problem: bool = False) -> None:
        colour = tone("error", self.message.palette())
        self.message.setStyleSheet(f"color: {colour};" if problem else "")
        self.message.setText(sentence)

    # --- actions -----------------------------------------------------------------------

    def restore_defaults(self) -> None:
        """Put the defaults in every unlocked field; Save then forgets the person's values."""
        for name in EDITABLE:
            if self._settings.is_locked(name):
                continue
            self._put(name, self._default(name))
            self._restored.add(name)
            self._edited.discard(name)
        self._show("Defaults restored. Press Save to keep them.")

    def accept(self) -> None:
        """Check every edited field, write the unlocked ones, report what changed."""
        pending = [
            name
            for name in EDITABLE
            if (name in self._edited or name in self._restored)
            and not self._settings.is_locked(name)
        ]
        for name in pending:
            if name in self._restored:
                continue
            problem = self._problem(name)
            if problem is not None:
                self._show(problem, problem=True)
                self._widgets[name].setFocus()
                return
        before = {name: getattr(self._settings, name) for name in SETTING_NAMES}
        try:
            for name in pending:
                if name in self._restored:
                    self._settings.reset(name)
                elif self.value(name) != before[name]:
                    setattr(self._settings, name, self.value(name))
        except CapdeskError as error:
            self._show(error.sentence, problem=True)
            return
        changed = [n for n in SETTING_NAMES if getattr(self._settings, n) != before[n]]
        super().accept()
        if changed:
            self.settingsChanged.emit(changed)
