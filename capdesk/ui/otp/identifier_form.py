"""Who is the customer: identifier type and value, source, account id, scope.

A bad identifier is caught here, before any call, with one sentence under the field
that says what to fix. The sentence turns red only once the person has paused or
left the field — never while they are still typing the first digits — and goes away
the moment the value becomes valid. Mobile numbers are grouped as they are typed
(for the default country). Pressing Enter fetches; when the value is invalid, focus
returns to the field and nothing typed is lost.

The phone-number library is not needed to draw the form, so it is loaded just after
the form's first paint (or on the first mobile number, whichever comes first): the
window appears without waiting for it.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QKeySequence, QPaintEvent, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from capdesk.api.errors import InvalidIdentifier
from capdesk.api.identifiers import (
    IdentifierName,
    MobileFormatter,
    make_lookup,
    phone_library,
    phone_library_loaded,
)
from capdesk.api.models import OtpLookup
from capdesk.api.sources import (
    IMPLIED_SOURCES,
    KNOWN_SOURCES,
    SCOPES,
    SOURCES_NEEDING_ACCOUNT,
    source_for,
)
from capdesk.ui.common.announcer import announce
from capdesk.ui.common.tab_order import set_tab_order
from capdesk.ui.otp.account_id_field import AccountIdField
from capdesk.ui.otp.identifier_hints import (
    PLACEHOLDERS,
    hint,
    preview,
    regroup_mobile,
    show_sentence,
)
from capdesk.ui.otp.lookup_names import (
    api_value_of,
    fill_with_names,
    select_api_value,
    source_name,
)

VALIDATION_DELAY_MS = 800


# The checked request the form emits is the api's look-up (``value`` normalised here,
# once): one type, so nothing is copied or re-normalised on the way to the call.
OtpQuery = OtpLookup


class IdentifierForm(QWidget):
    """The customer lookup form. Emits ``fetchRequested(OtpQuery)`` only when valid.

    ``lookupChanged`` is emitted at once on any edit of what would be looked up (type,
    value, source, account id, scope, threshold): a code fetched for the previous
    look-up belongs to another customer. While a fetch runs, Cancel and Esc emit
    ``cancelRequested`` and keep everything typed.
    """

    fetchRequested = Signal(object)
    newCustomerRequested = Signal()
    cancelRequested = Signal()
    lookupChanged = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, validation_delay_ms: int = VALIDATION_DELAY_MS
    ) -> None:
        super().__init__(parent)
        self.setObjectName("identifierForm")
        self._country = "IN"
        self._formatter = MobileFormatter()
        self._busy = False
        self._painted = False
        self._last_text = ""
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(validation_delay_ms)
        self._pause.timeout.connect(lambda: self.validate(show=True))
        self._build()
        self._on_name_changed()
        self._on_source_changed()

    # --- construction -------------------------------------------------------------

    def _build(self) -> None:
        self._name = QComboBox()
        self._name.setObjectName("identifierName")
        self._name.setAccessibleName("Look up by")
        for kind in IdentifierName:
            self._name.addItem(kind.label, kind.value)
        self._name.currentIndexChanged.connect(self._on_name_changed)

        self._value = QLineEdit()
        self._value.setObjectName("identifierValue")
        self._value.setAccessibleName("Customer identifier")
        self._value.setClearButtonEnabled(True)
        for button in self._value.findChildren(QToolButton):  # Qt leaves the clear button
            button.setAccessibleName("Clear")  # unnamed: readers said just "push button"
        self._value.setMinimumWidth(260)
        self._value.textEdited.connect(self._on_text_edited)
        self._value.editingFinished.connect(self._on_editing_finished)
        self._hint = QLabel()
        self._hint.setObjectName("identifierHint")
        self._hint.setAccessibleIdentifier("identifierHint")
        self._hint.setWordWrap(True)
        value_box = QVBoxLayout()
        value_box.setSpacing(2)
        value_box.addWidget(self._value)
        value_box.addWidget(self._hint)

        self._source = QComboBox()
        self._source.setObjectName("sourceSelector")
        self._source.setAccessibleName("Source")
        self._source.setEditable(True)
        source_text = self._source.lineEdit()
        assert source_text is not None  # editable: it has one
        source_text.setAccessibleName("Source")  # its text field, else unnamed
        self._source.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        fill_with_names(self._source, KNOWN_SOURCES, sources=True)
        self._source.currentTextChanged.connect(self._on_source_changed)

        self._account_row = AccountIdField()
        self._account = self._account_row.line_edit
        self._account_row.edited.connect(self.lookupChanged)

        self._scope = QComboBox()
        self._scope.setObjectName("scopeSelector")
        self._scope.setAccessibleName("Scope")
        fill_with_names(self._scope, SCOPES, sources=False)
        self._scope.currentIndexChanged.connect(self._on_scope_changed)

        self._advanced = QToolButton()
        self._advanced.setObjectName("advancedToggle")
        self._advanced.setText("Ad&vanced")
        self._advanced.setCheckable(True)
        self._advanced.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._advanced.setArrowType(Qt.ArrowType.RightArrow)
        self._advanced.setAutoRaise(True)
        self._advanced.toggled.connect(self._on_advanced_toggled)
        self._threshold = QSpinBox()
        self._threshold.setObjectName("otpThreshold")
        self._threshold.setAccessibleName("Threshold in seconds")
        self._threshold.setRange(0, 86400)
        self._threshold.setSuffix(" s")
        self._threshold.setSpecialValueText("Not sent")
        self._threshold.setToolTip("Validity of the OTP to fetch, in seconds. 0 = not sent.")
        self._threshold.valueChanged.connect(lambda _value: self.lookupChanged.emit())

        self._fetch = QPushButton("&Fetch OTP")
        self._fetch.setObjectName("fetchOtpButton")
        self._fetch.setDefault(True)
        self._fetch.clicked.connect(self.request_fetch)
        self._new = QPushButton("&New customer")
        self._new.setObjectName("newCustomerButton")
        self._new.setToolTip("Clear the form for the next customer (Esc).")
        self._new.clicked.connect(self._on_new_customer)
        self._cancel = QPushButton("Ca&ncel")
        self._cancel.setObjectName("cancelFetchButton")
        self._cancel.setAccessibleName("Cancel fetching the OTP")
        self._cancel.setToolTip("Stop waiting for Capillary (Esc). What you typed stays.")
        self._cancel.clicked.connect(self.cancelRequested)
        self._cancel.hide()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form = form
        form.addRow(self._label("&Look up by", self._name), self._name)
        form.addRow(self._label("Customer &identifier", self._value), value_box)
        form.addRow(self._label("Sou&rce", self._source), self._source)
        self._account_label = self._label("&Account id", self._account)
        form.addRow(self._account_label, self._account_row)
        form.addRow(self._label("Sc&ope", self._scope), self._scope)
        form.addRow("", self._advanced)
        self._threshold_label = self._label("Threshol&d", self._threshold)
        form.addRow(self._threshold_label, self._threshold)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self._new)
        buttons.addWidget(self._cancel)
        buttons.addWidget(self._fetch)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addStretch(1)

        order = [
            self._name,
            self._value,
            self._source,
            self._account,
            self._scope,
            self._advanced,
            self._threshold,
            self._fetch,
            self._cancel,
            self._new,
        ]
        set_tab_order(order)
        for field in (self._name, self._value, self._source, self._account, self._scope):
            field.installEventFilter(self)  # Enter fetches (eventFilter)
        self._threshold.installEventFilter(self)

        self._escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self._escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._escape.activated.connect(self._on_escape)
        self._on_advanced_toggled(False)
        # Focusing the form means typing the identifier (see focusInEvent). Not a focus
        # proxy: Qt's Tab chain skips the widgets before a child proxy (Look up by).

    def focusInEvent(self, event: QFocusEvent) -> None:
        self._value.setFocus(event.reason())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter in any field fetches. Filtered here, on each field, because the fields
        do not agree: combo boxes and the spin box pass Enter on to the form, but the
        editable source box keeps it when its inline completion "accepts" the text; and
        a plain QWidget has no default button to take Enter as a dialog does. A combo's
        open list is its own popup: Enter there still picks the item."""
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if enter and plain == Qt.KeyboardModifier.NoModifier:
                self.request_fetch()
                return True
        return super().eventFilter(watched, event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self, self._load_phone_library)  # once this paint is out

    @staticmethod
    def _label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    # --- public API ---------------------------------------------------------------

    @property
    def identifier_name(self) -> IdentifierName:
        return IdentifierName(self._name.currentData())

    @property
    def default_country(self) -> str:
        return self._country

    @property
    def fetch_button(self) -> QPushButton:
        return self._fetch

    def set_identifier(self, name: str, value: str) -> None:
        """Fill in the type and value as a person would (used by ``--smoke-test``)."""
        index = self._name.findData(IdentifierName(name).value)
        self._name.setCurrentIndex(index)
        self._value.setText(value)
        self._on_text_edited(value)

    def set_default_country(self, code: str) -> None:
        """Country assumed for mobile numbers typed without a country code (e.g. "IN")."""
        self._country = (code or "IN").strip().upper()
        if self._painted:  # on screen already: the hint shows the calling code at once
            phone_library()
        self._on_name_changed()

    @property
    def cancel_button(self) -> QPushButton:
        return self._cancel

    @property
    def busy(self) -> bool:
        return self._busy

    def set_busy(self, busy: bool) -> None:
        """While a call runs Fetch is disabled and Cancel shown; the form stays editable."""
        self._busy = busy
        self._fetch.setEnabled(not busy)
        self._cancel.setVisible(busy)

    def set_account_ids(self, account_ids: dict[str, str]) -> None:
        """The account ids known for the current cluster, per source (settings/policy).

        The account field follows the source: an id staff typed themselves is kept
        until the source changes."""
        self._account_row.set_known(account_ids, self.source)

    def clear(self) -> None:
        """Ready for the next customer: value and account id go; source and scope stay."""
        self._pause.stop()
        self._value.clear()
        self._last_text = ""
        self._account_row.reset(self.source)
        self._show_hint()
        self._value.setFocus(Qt.FocusReason.OtherFocusReason)

    def query(self) -> OtpQuery:
        """The checked query; raises :class:`InvalidIdentifier` with a sentence if not valid."""
        source = self.source
        if not source:
            raise InvalidIdentifier("Choose the source the customer is registered in.")
        account = self._account_row.text or None
        threshold = self._threshold.value() or None
        return make_lookup(
            self.identifier_name,
            self._value.text(),
            default_country=self._country,
            source=source,
            account_id=account if source in SOURCES_NEEDING_ACCOUNT else None,
            scope=api_value_of(self._scope),
            threshold=threshold,
        )

    @property
    def source(self) -> str:
        """The API value of the chosen source (``INSTORE``), or what was typed, in capitals."""
        return api_value_of(self._source)

    def set_source(self, api_value: str) -> None:
        select_api_value(self._source, api_value)

    def set_scope(self, api_value: str) -> None:
        select_api_value(self._scope, api_value)

    def validate(self, *, show: bool = True) -> bool:
        """Check the value; with ``show``, put the reason under the field when invalid."""
        text = self._value.text()
        try:
            lookup = make_lookup(self.identifier_name, text, default_country=self._country)
        except InvalidIdentifier as error:
            if show and text.strip():
                self._show_error(error.sentence)
            elif not self._showing_error:
                self._show_hint()
            return False
        self._show_hint(lookup)
        return True

    def current_query(self) -> OtpQuery | None:
        """The checked query, or ``None`` after saying why under the field at fault.

        Focus goes to that field; nothing typed is changed.
        """
        self._pause.stop()
        try:
            query = self.query()
        except InvalidIdentifier as error:
            self._show_error(error.sentence)
            announce(self, error.sentence, assertive=True)
            self._value.setFocus(Qt.FocusReason.OtherFocusReason)
            return None
        if self.source in SOURCES_NEEDING_ACCOUNT and not query.account_id:
            sentence = (
                f"Type the {source_name(self.source)} account id: this source needs one. "
                "Ask your administrator for it; capdesk remembers it after the first look-up."
            )
            self._account_row.say_needed(sentence)
            announce(self, sentence, assertive=True)
            return None
        self._show_hint(query)
        return query

    def request_fetch(self) -> bool:
        """Emit ``fetchRequested`` if everything is valid (Enter, Fetch OTP)."""
        if self._busy:
            return False
        query = self.current_query()
        if query is None:
            return False
        self.fetchRequested.emit(query)
        return True

    # --- reactions ----------------------------------------------------------------

    def _on_text_edited(self, text: str) -> None:
        if self.identifier_name is IdentifierName.MOBILE:
            self._reformat_mobile(text)
        self._pause.start()
        self.lookupChanged.emit()
        # Quietly: the preview ("Looks up …") follows every keystroke, and an error
        # sentence goes as soon as the value is fixed; a new error waits for a pause.
        self.validate(show=False)

    def _on_editing_finished(self) -> None:
        if not shiboken6.isValid(self._hint):
            return  # focus left the field because the window is being torn down
        self._pause.stop()
        if self._value.text().strip():
            self.validate(show=True)

    def _on_name_changed(self, _index: int = 0) -> None:
        kind = self.identifier_name
        if kind.value in IMPLIED_SOURCES:
            self.set_source(source_for(kind.value, None))  # a WeChat id only exists in WeChat
        elif self.source in IMPLIED_SOURCES.values():
            self.set_source(source_for(kind.value, None))  # leaving it: the usual source
        self.lookupChanged.emit()
        self._value.setPlaceholderText(PLACEHOLDERS[kind])
        if kind is IdentifierName.MOBILE and self._value.text():
            self._reformat_mobile(self._value.text())
        if self._value.text().strip():
            self.validate(show=True)
        else:
            self._show_hint()

    def _on_source_changed(self, _text: str = "") -> None:
        source = self.source
        needs = source in SOURCES_NEEDING_ACCOUNT
        self._form.setRowVisible(self._account_row, needs)
        self._source.setToolTip(
            f"Where the customer is registered (Capillary: {source}). "
            "Type another source if needed."
        )
        if not needs:
            self._account_row.hide_sentence()
        self._account_row.follow(source)
        self.lookupChanged.emit()

    def _on_scope_changed(self, _index: int) -> None:
        scope = api_value_of(self._scope)
        self._scope.setToolTip(f"What the OTP is for (Capillary: {scope}).")
        self.lookupChanged.emit()

    def _on_escape(self) -> None:
        """Esc stops a fetch that is running (keeping what was typed); otherwise it
        clears the form for the next customer."""
        if self._busy:
            self.cancelRequested.emit()
        else:
            self._on_new_customer()

    def _on_advanced_toggled(self, open_: bool) -> None:
        self._form.setRowVisible(self._threshold, open_)
        self._advanced.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)

    def _on_new_customer(self) -> None:
        self.clear()
        self.newCustomerRequested.emit()

    # --- mobile formatting as typed -----------------------------------------------

    def _reformat_mobile(self, text: str) -> None:
        formatted, position = regroup_mobile(
            text, self._last_text, self._value.cursorPosition(), self._formatter, self._country
        )
        if formatted != self._value.text():
            self._value.setText(formatted)
            self._value.setCursorPosition(position)
        self._last_text = self._value.text()

    # --- hint and error sentence --------------------------------------------------

    @property
    def _showing_error(self) -> bool:
        return self._hint.property("error") is True

    def _show_error(self, sentence: str) -> None:
        show_sentence(self._value, self._hint, sentence, error=True)

    def _load_phone_library(self) -> None:
        """After the first paint: load the phone library and put the calling code in the hint."""
        if not shiboken6.isValid(self._hint):
            return
        was_loaded = phone_library_loaded()
        phone_library()
        if not was_loaded and not self._showing_error:
            self.validate(show=False)

    def _show_hint(self, lookup: OtpLookup | None = None) -> None:
        """What ``lookup`` will look up ("Looks up +1 506 234 5678 · Canada"), or without
        one the hint for the identifier type."""
        sentence = preview(lookup) if lookup else hint(self.identifier_name, self._country)
        show_sentence(self._value, self._hint, sentence, error=False)
