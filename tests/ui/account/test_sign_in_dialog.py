"""Sign-in dialog: test first, then save; edits withdraw the approval; secrets cleared.

``test_connection`` is the dialog's injected collaborator (the window passes the
service's coroutine); here each test defines its own small coroutine function.
"""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from capdesk.api.auth import BasicCredentials, OAuthCredentials, md5_hex
from capdesk.api.errors import AuthenticationFailed, NetworkError
from tests.ui.window_harness import show_active


class FakeServer:
    """Records what was tested; answers with a name or raises the given error."""

    def __init__(self, error: Exception | None = None, delay: float = 0.0) -> None:
        self.calls: list[object] = []
        self.error = error
        self.delay = delay

    async def test_connection(self, credentials):
        self.calls.append(credentials)
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return credentials.display_name


@pytest.fixture
def make_dialog(qtbot, async_loop):
    from capdesk.ui.account.sign_in_dialog import SignInDialog

    def make(server: FakeServer, **kwargs):
        dialog = SignInDialog("EU", server.test_connection, **kwargs)
        qtbot.addWidget(dialog)
        show_active(qtbot, dialog)
        return dialog

    return make


def _click(qtbot, button):
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _type_till(qtbot, dialog, user="training.till", password="training123"):
    qtbot.keyClicks(dialog.username, user)
    qtbot.keyClicks(dialog.password, password)


def test_secret_fields_are_masked(make_dialog):
    dialog = make_dialog(FakeServer())
    assert dialog.password.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.oauth_secret.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.oauth_key.echoMode() != QLineEdit.EchoMode.Normal
    assert dialog.windowTitle() == "Sign in — EU"


def test_successful_test_enables_save_and_returns_hashed_credentials(qtbot, make_dialog):
    server = FakeServer()
    dialog = make_dialog(server)
    _type_till(qtbot, dialog)
    assert not dialog.save_button.isEnabled()
    _click(qtbot, dialog.test_button)
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=2000)
    assert dialog.result_label.text() == "Connected as training.till."
    assert server.calls == [BasicCredentials("training.till", md5_hex("training123"))]
    _click(qtbot, dialog.save_button)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.credentials() == BasicCredentials("training.till", md5_hex("training123"))
    assert dialog.password.text() == ""  # the plain password does not outlive the dialog


def test_test_button_is_disabled_while_the_test_runs(qtbot, make_dialog):
    server = FakeServer(delay=0.1)
    dialog = make_dialog(server)
    _type_till(qtbot, dialog)
    _click(qtbot, dialog.test_button)
    assert not dialog.test_button.isEnabled()
    assert dialog.result_label.text() == "Testing the connection…"
    _click(qtbot, dialog.test_button)  # a disabled button: no second call
    qtbot.waitUntil(dialog.test_button.isEnabled, timeout=2000)
    assert len(server.calls) == 1


def test_failure_shows_the_errors_sentence_and_keeps_save_off(qtbot, make_dialog):
    dialog = make_dialog(FakeServer(error=AuthenticationFailed()))
    _type_till(qtbot, dialog, password="wrong")
    _click(qtbot, dialog.test_button)
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=2000)
    assert dialog.result_label.text() == (
        "Capillary rejected these details. Check the spelling and test again."
    )
    assert not dialog.save_button.isEnabled()


def test_unexpected_error_becomes_a_plain_sentence(qtbot, make_dialog):
    dialog = make_dialog(FakeServer(error=RuntimeError("socket.gaierror internals")))
    _type_till(qtbot, dialog)
    _click(qtbot, dialog.test_button)
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=2000)
    assert dialog.result_label.text() == "Something went wrong. Try again, or call support."


def test_editing_after_a_good_test_withdraws_save(qtbot, make_dialog):
    dialog = make_dialog(FakeServer())
    _type_till(qtbot, dialog)
    _click(qtbot, dialog.test_button)
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=2000)
    qtbot.keyClicks(dialog.password, "x")
    assert not dialog.save_button.isEnabled()
    assert dialog.result_label.text() == "The details changed. Test the connection again."
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)  # Enter now means "test", not "save"
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=2000)
    assert dialog.isVisible()


def test_a_result_for_values_edited_meanwhile_is_ignored(qtbot, make_dialog):
    server = FakeServer(delay=0.1)
    dialog = make_dialog(server)
    _type_till(qtbot, dialog)
    _click(qtbot, dialog.test_button)
    qtbot.keyClicks(dialog.username, "2")
    qtbot.waitUntil(dialog.test_button.isEnabled, timeout=2000)
    assert not dialog.save_button.isEnabled()
    assert "Test the connection again" in dialog.result_label.text()


@pytest.mark.parametrize("mode", ["till", "oauth"])
def test_empty_fields_get_a_sentence_and_no_call(qtbot, make_dialog, mode):
    server = FakeServer()
    dialog = make_dialog(server)
    if mode == "oauth":
        _click(qtbot, dialog.oauth_mode)
        qtbot.keyClicks(dialog.oauth_key, "training-key")
    else:
        qtbot.keyClicks(dialog.username, "training.till")
    _click(qtbot, dialog.test_button)
    assert server.calls == []
    expected = {
        "till": "Enter the till username and password.",
        "oauth": "Enter the OAuth client key and secret.",
    }[mode]
    assert dialog.result_label.text() == expected


def test_oauth_with_attribution(qtbot, make_dialog):
    server = FakeServer()
    dialog = make_dialog(server)
    _click(qtbot, dialog.oauth_mode)
    assert dialog.pages.currentIndex() == 1
    qtbot.keyClicks(dialog.oauth_key, "training-key")
    qtbot.keyClicks(dialog.oauth_secret, "training-secret")
    assert not dialog.attribution_code.isEnabled()
    dialog.attribution_type.setCurrentIndex(dialog.attribution_type.findData("TILL"))
    _click(qtbot, dialog.test_button)
    assert dialog.result_label.text() == (
        "Enter the attribution code, or set the attribution type to None."
    )
    qtbot.keyClicks(dialog.attribution_code, "till-042")
    _click(qtbot, dialog.test_button)
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=2000)
    assert dialog.result_label.text() == "Connected as till-042."
    _click(qtbot, dialog.save_button)
    assert dialog.credentials() == OAuthCredentials(
        "training-key", "training-secret", "TILL", "till-042"
    )
    assert dialog.oauth_secret.text() == "" and dialog.oauth_key.text() == ""


def test_switching_mode_withdraws_a_good_test(qtbot, make_dialog):
    dialog = make_dialog(FakeServer())
    _type_till(qtbot, dialog)
    _click(qtbot, dialog.test_button)
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=2000)
    _click(qtbot, dialog.oauth_mode)
    assert not dialog.save_button.isEnabled()


def test_cancel_clears_secrets_and_returns_nothing(qtbot, make_dialog):
    server = FakeServer(delay=5)
    dialog = make_dialog(server)
    _type_till(qtbot, dialog)
    _click(qtbot, dialog.test_button)  # still running when the dialog closes
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == dialog.DialogCode.Rejected
    assert dialog.credentials() is None
    assert dialog.password.text() == ""
    qtbot.waitUntil(lambda: not dialog.testing, timeout=2000)


def test_network_error_details_are_for_support_only(qtbot, make_dialog):
    from capdesk.api.errors import ErrorDetails

    error = NetworkError(
        "Can't reach Capillary (EU). Check the network.",
        ErrorDetails(cluster="EU", technical="ConnectTimeout"),
    )
    dialog = make_dialog(FakeServer(error=error))
    _type_till(qtbot, dialog)
    _click(qtbot, dialog.test_button)
    qtbot.waitUntil(dialog.test_button.isEnabled, timeout=2000)
    assert dialog.result_label.text() == "Can't reach Capillary (EU). Check the network."
    assert "ConnectTimeout" in dialog.result_label.toolTip()
    assert "training123" not in dialog.result_label.toolTip()


def test_prefilled_username_focuses_the_password(qtbot, make_dialog):
    dialog = make_dialog(FakeServer(), username="training.till")
    qtbot.waitUntil(lambda: dialog.password.hasFocus(), timeout=1000)
    assert dialog.username.text() == "training.till"
    assert dialog.password.text() == ""  # a stored secret is never shown
