"""Sign a till in to one cluster: Basic (till + password) or OAuth (key + secret).

"Save" only becomes available after "Test connection" succeeded with exactly the
values on screen, so staff cannot store credentials that do not work; editing any
field withdraws that approval. The password is hashed into
:class:`BasicCredentials` the moment it is tested and the secret fields are
emptied when the dialog closes, so no plain secret outlives the dialog. The test
itself is an injected coroutine function (the dialog does no network work) run
through a :class:`TaskKeeper`, so the window stays responsive meanwhile.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from capdesk.api.auth import BasicCredentials, Credentials, OAuthCredentials
from capdesk.api.errors import AuthenticationFailed, CapdeskError
from capdesk.ui.common.plain_text import plain_label, plain_tooltip
from capdesk.ui.common.tab_order import set_tab_order
from capdesk.ui.common.tasks import TaskKeeper
from capdesk.ui.common.tones import tone

TestConnection = Callable[[Credentials], Awaitable[str]]

REJECTED = "Capillary rejected these details. Check the spelling and test again."

ATTRIBUTION_TYPES = (
    ("None", None),
    ("Till", "TILL"),
    ("Store code", "STORE_CODE"),
    ("Store name", "STORE_NAME"),
    ("Store external id", "STORE_EXTERNAL_ID"),
    ("Store external id 1", "STORE_EXTERNAL_ID_1"),
    ("Store external id 2", "STORE_EXTERNAL_ID_2"),
)


class SignInDialog(QDialog):
    """Modal sign-in for ``cluster_label``; ``credentials()`` after it is accepted."""

    def __init__(
        self,
        cluster_label: str,
        test_connection: TestConnection,
        parent: QWidget | None = None,
        *,
        username: str = "",
    ) -> None:
        super().__init__(parent)
        self._test_connection = test_connection
        self._tasks = TaskKeeper()
        self._tested: Credentials | None = None  # what the last successful test used
        self._generation = 0  # bumped on every edit; a stale test result is ignored
        self._result: Credentials | None = None
        self._closed = False  # late task callbacks must not touch a closed dialog

        self.setWindowTitle(f"Sign in — {cluster_label}")
        intro = plain_label(QLabel(f"Sign a till in to {cluster_label}."))
        intro.setWordWrap(True)

        self.till_mode = QRadioButton("Ti&ll (username + password)")
        self.till_mode.setObjectName("tillMode")
        self.oauth_mode = QRadioButton("&OAuth (client key + secret)")
        self.oauth_mode.setObjectName("oauthMode")
        self.till_mode.setChecked(True)
        modes = QButtonGroup(self)
        modes.addButton(self.till_mode)
        modes.addButton(self.oauth_mode)

        self.username = self._line("tillUsername", "Till username")
        self.username.setText(username)
        self.password = self._line("tillPassword", "Till password", QLineEdit.EchoMode.Password)
        till_page = QWidget()
        till_form = QFormLayout(till_page)
        till_form.addRow(self._buddy("&Username", self.username), self.username)
        till_form.addRow(self._buddy("&Password", self.password), self.password)
        till_hint = QLabel(
            "Use this store's own till login. Ask your manager if you don't have it."
        )
        till_hint.setWordWrap(True)
        till_form.addRow(till_hint)

        self.oauth_key = self._line(
            "oauthKey", "OAuth client key", QLineEdit.EchoMode.PasswordEchoOnEdit
        )
        self.oauth_secret = self._line(
            "oauthSecret", "OAuth client secret", QLineEdit.EchoMode.Password
        )
        self.attribution_type = QComboBox()
        self.attribution_type.setObjectName("attributionType")
        self.attribution_type.setAccessibleName("Attribution type (optional)")
        for text, value in ATTRIBUTION_TYPES:
            self.attribution_type.addItem(text, value)
        self.attribution_code = self._line("attributionCode", "Attribution code")
        self.attribution_code.setEnabled(False)
        oauth_page = QWidget()
        oauth_form = QFormLayout(oauth_page)
        oauth_form.addRow(self._buddy("Client &key", self.oauth_key), self.oauth_key)
        oauth_form.addRow(self._buddy("Client s&ecret", self.oauth_secret), self.oauth_secret)
        oauth_form.addRow(
            self._buddy("Attribution t&ype", self.attribution_type), self.attribution_type
        )
        oauth_form.addRow(
            self._buddy("Attribution co&de", self.attribution_code), self.attribution_code
        )

        self.pages = QStackedWidget()
        self.pages.addWidget(till_page)
        self.pages.addWidget(oauth_page)

        self.test_button = QPushButton("&Test connection")
        self.test_button.setObjectName("testConnectionButton")
        self.test_button.setAccessibleName("Test connection")
        # Value label for the outcome: read as its text, so no accessibleName.
        self.result_label = plain_label(QLabel())  # may quote the server: never markup
        self.result_label.setObjectName("signInResult")
        self.result_label.setAccessibleIdentifier("signInResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.save_button = QPushButton("&Save")
        self.save_button.setObjectName("saveCredentialsButton")
        self.save_button.setAccessibleName("Save sign-in")
        self.save_button.setEnabled(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelSignInButton")
        self.cancel_button.setAccessibleName("Cancel sign-in")

        mode_row = QHBoxLayout()
        mode_row.addWidget(self.till_mode)
        mode_row.addWidget(self.oauth_mode)
        mode_row.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(mode_row)
        layout.addWidget(self.pages)
        layout.addWidget(self.result_label)
        layout.addLayout(buttons)

        order = [
            self.till_mode,
            self.oauth_mode,
            self.username,
            self.password,
            self.oauth_key,
            self.oauth_secret,
            self.attribution_type,
            self.attribution_code,
            self.test_button,
            self.save_button,
            self.cancel_button,
        ]
        set_tab_order(order)

        self.till_mode.toggled.connect(self._on_mode)
        for line in (
            self.username,
            self.password,
            self.oauth_key,
            self.oauth_secret,
            self.attribution_code,
        ):
            line.textEdited.connect(self._invalidate)
        self.attribution_type.currentIndexChanged.connect(self._on_attribution_type)
        self.test_button.clicked.connect(self._start_test)
        self.save_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        self._set_default(self.test_button)
        self.setMinimumWidth(self.sizeHint().width() + 60)
        (self.password if username else self.username).setFocus()

    # --- construction helpers -----------------------------------------------------

    @staticmethod
    def _line(
        name: str, accessible: str, echo: QLineEdit.EchoMode = QLineEdit.EchoMode.Normal
    ) -> QLineEdit:
        line = QLineEdit()
        line.setObjectName(name)
        line.setAccessibleName(accessible)
        line.setEchoMode(echo)
        return line

    @staticmethod
    def _buddy(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    def _set_default(self, button: QPushButton) -> None:
        for candidate in (self.test_button, self.save_button):
            candidate.setDefault(candidate is button)
            candidate.setAutoDefault(candidate is button)

    # --- public API ---------------------------------------------------------------

    def credentials(self) -> Credentials | None:
        """The tested credentials once the dialog was accepted, else ``None``."""
        return self._result

    @property
    def testing(self) -> bool:
        return self._tasks.is_running("test")

    # --- state ------------------------------------------------------------------

    def _on_mode(self, till: bool) -> None:
        self.pages.setCurrentIndex(0 if till else 1)
        self._invalidate()

    def _on_attribution_type(self) -> None:
        has_type = self.attribution_type.currentData() is not None
        self.attribution_code.setEnabled(has_type)
        if not has_type:
            self.attribution_code.clear()
        self._invalidate()

    def _invalidate(self) -> None:
        """Any edit: the last test no longer vouches for what is on screen."""
        self._generation += 1
        self.result_label.setToolTip("")
        had_result = self._tested is not None or self.testing
        self._tested = None
        self.save_button.setEnabled(False)
        self._set_default(self.test_button)
        if had_result:
            self._show("The details changed. Test the connection again.")
        elif self.result_label.text():
            self._show("")

    def _entered(self) -> Credentials | str:
        """Credentials from the fields, or the sentence saying what is missing."""
        if self.till_mode.isChecked():
            username = self.username.text().strip()
            password = self.password.text()
            if not username or not password:
                return "Enter the till username and password."
            return BasicCredentials.from_password(username, password)
        key = self.oauth_key.text().strip()
        secret = self.oauth_secret.text().strip()
        if not key or not secret:
            return "Enter the OAuth client key and secret."
        attribution_type = self.attribution_type.currentData()
        code = self.attribution_code.text().strip() or None
        if attribution_type and not code:
            return "Enter the attribution code, or set the attribution type to None."
        return OAuthCredentials(key, secret, attribution_type, code if attribution_type else None)

    def _start_test(self) -> None:
        if self.testing:
            return
        entered = self._entered()
        if isinstance(entered, str):
            self._show(entered, ok=False)
            return
        generation = self._generation
        self.test_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self._show("Testing the connection…")
        self.result_label.setToolTip("")
        self._tasks.start(
            self._run_test(entered),
            key="test",
            on_result=lambda name: self._tested_ok(generation, entered, name),
            on_error=lambda error: self._tested_failed(generation, error),
            on_done=self._test_done,
        )

    async def _run_test(self, credentials: Credentials) -> str:
        return await self._test_connection(credentials)

    def _show(self, sentence: str, *, ok: bool | None = None) -> None:
        """The outcome in words; colour only repeats what the words already say."""
        if ok is None:
            self.result_label.setStyleSheet("")
        else:
            colour = tone("success" if ok else "error", self.result_label.palette())
            self.result_label.setStyleSheet(f"color: {colour};")
        self.result_label.setText(sentence)

    def _test_done(self) -> None:
        if not self._closed:
            self.test_button.setEnabled(True)

    def _tested_ok(self, generation: int, credentials: Credentials, name: str) -> None:
        if self._closed or generation != self._generation:
            return  # the fields changed while the test ran
        self._tested = credentials
        self._show(f"Connected as {name}.", ok=True)
        self.save_button.setEnabled(True)
        self._set_default(self.save_button)
        self.save_button.setFocus()  # Enter now saves

    def _tested_failed(self, generation: int, error: BaseException) -> None:
        if self._closed or generation != self._generation:
            return
        if isinstance(error, AuthenticationFailed):
            # Its usual sentence says "Sign in again", which is what the user is doing.
            self._show(REJECTED, ok=False)
            self.result_label.setToolTip(plain_tooltip(error.for_support()))
        elif isinstance(error, CapdeskError):
            self._show(error.sentence, ok=False)
            # Support details (status, Capillary code, request id) never hold secrets;
            # they do hold the server's words, shown as text (a tooltip guesses HTML).
            self.result_label.setToolTip(plain_tooltip(error.for_support()))
        else:
            self._show(CapdeskError.default_sentence, ok=False)
        # Back to the secret, selected, ready to retype. (Focus had moved on from the
        # disabled Test button, to Cancel: Enter would have thrown everything away.)
        secret = self.password if self.till_mode.isChecked() else self.oauth_secret
        secret.setFocus()
        secret.selectAll()

    # --- closing --------------------------------------------------------------------

    def accept(self) -> None:
        if self._tested is None:
            return  # Enter pressed before a successful test: Save is not available yet
        self._result = self._tested
        super().accept()

    def done(self, result: int) -> None:
        """Every way out (Save, Cancel, Esc, close box) empties the secret fields."""
        self._closed = True
        self._tasks.cancel_all()
        for line in (self.password, self.oauth_key, self.oauth_secret):
            line.clear()
        super().done(result)
