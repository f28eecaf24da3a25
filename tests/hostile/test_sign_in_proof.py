"""Signing in proves it is Capillary: a portal, a proxy page or another server never
gets a till "signed in", and nothing reaches the keyring.

Each non-Capillary answer is played by the raw-socket :class:`HostileServer` at the
cluster's address, for both sign-in schemes (Basic: the ``GET /v2/otp`` probe for an
identifier nobody has; OAuth: ``POST /v3/oauth/token/generate``), through
``capdesk login`` and through the real sign-in dialog in the real window. Capillary's
own answers (the training simulator, and its documented bodies played raw) still
sign in.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from capdesk.api.errors import NotCapillary
from capdesk.ui.account.sign_in_dialog import SignInDialog
from tests.api.test_staff_sentences import problems_with
from tests.cli import conftest as cli_fixtures
from tests.hostile.server import HostileServer, answers
from tests.ui import window_harness
from tests.ui.window_harness import click

# The fixtures these tests share with tests/cli and tests/ui.
run_cli = cli_fixtures.run_cli
desk = window_harness.desk

SENTENCE = NotCapillary.default_sentence
TILL, PASSWORD = "store.till", "store-password-1"
OAUTH_KEY, OAUTH_SECRET = "store-key", "store-secret-1"
TRAINING_TILL, TRAINING_PASSWORD = "training.till", "training123"
TRAINING_KEY, TRAINING_SECRET = "training-key", "training-secret"

HTML = {"Content-Type": "text/html; charset=utf-8"}
JSON = {"Content-Type": "application/json"}
Answer = tuple[int, dict[str, str], bytes]  # status, headers, body
PAGE = b"<html><head><title>%s</title></head><body><h1>%s</h1></body></html>"


def page(title: bytes) -> bytes:
    return PAGE % (title, title)


def as_json(value: object) -> bytes:
    return json.dumps(value).encode()


# Answers no Capillary cluster gives to either sign-in request: (status, headers, body).
NOT_CAPILLARY = {
    "404 html page": (404, HTML, page(b"404 Not Found")),
    "400 html page": (400, HTML, page(b"400 Bad Request")),
    "200 captive portal": (200, HTML, page(b"Welcome to Store Wi-Fi. Accept the terms")),
    "200 json of another shape": (200, JSON, as_json({"status": "ok", "message": "hello"})),
    "200 json array": (200, JSON, b"[]"),
    "200 empty": (200, JSON, b""),
    "204 no content": (204, {}, b""),
    "200 plain text": (200, {"Content-Type": "text/plain"}, b"OK"),
    "200 an otp for nobody": (
        200,
        JSON,
        as_json({"code": "123456", "validUpto": "2030-01-01T00:00:00+05:30"}),
    ),
    "302 to a login page": (302, {"Location": "http://portal.example/login"}, b""),
    "307 to another host": (307, {"Location": "https://elsewhere.example/v2/otp"}, b""),
    "401 html with a realm": (
        401,
        {**HTML, "WWW-Authenticate": 'Basic realm="portal"'},
        page(b"401 Authorization Required"),
    ),
    "401 empty": (401, {}, b""),
    "403 html firewall": (403, HTML, page(b"Access denied by policy")),
    "401 json of another api": (401, JSON, as_json({"error": "unauthorized"})),
    "404 json of another api": (404, JSON, as_json({"error": {"code": 404, "message": "x"}})),
    "errors with a text code": (400, JSON, as_json({"errors": [{"code": "8015", "message": "x"}]})),
    "errors not a list": (400, JSON, as_json({"errors": "No customer found"})),
    "errors of bare numbers": (400, JSON, as_json({"errors": [8015]})),
    "errors without a message": (400, JSON, as_json({"errors": [{"code": 8015}]})),
    "errors with a text status": (
        400,
        JSON,
        as_json({"errors": [{"status": "false", "code": 8015, "message": "x"}]}),
    ),
    "errors empty": (400, JSON, as_json({"errors": [], "warnings": []})),
    "302 with a capillary body": (
        302,
        {**JSON, "Location": "http://portal.example/"},
        as_json({"errors": [{"status": False, "code": 8015, "message": "x"}]}),
    ),
}
# Only for the Basic probe: a v2 error body, but none of the codes Capillary documents
# for a look-up of an unknown customer (the OAuth token endpoint may answer with any).
NOT_CAPILLARY_PROBE = {
    **NOT_CAPILLARY,
    "400 v2 body with an undocumented code": (
        400,
        JSON,
        as_json({"errors": [{"status": False, "code": 1234, "message": "Bad request"}]}),
    ),
}
# Only for the OAuth token endpoint: a 200 that is JSON, but not the token's shape.
NOT_CAPILLARY_TOKEN = {
    **NOT_CAPILLARY,
    "200 data without an access token": (
        200,
        JSON,
        as_json({"data": {"token": "abc", "ttlSeconds": 300}, "errors": None}),
    ),
    "200 access token outside data": (200, JSON, as_json({"accessToken": "abc"})),
    "200 token with errors": (
        200,
        JSON,
        as_json({"data": {"accessToken": "abc"}, "errors": "none"}),
    ),
}
# What Capillary answers the probe for an identifier nobody has, when the till is good.
CAPILLARY_PROBE_ANSWERS = {
    "400 no customer": (
        400,
        JSON,
        as_json(
            {
                "errors": [{"status": False, "code": 8015, "message": "No customer found"}],
                "warnings": [],
            }
        ),
    ),
    "200 no valid otp": (
        200,
        JSON,
        as_json({"errors": [{"status": False, "code": 9001, "message": "No valid OTP"}]}),
    ),
    "404 not in this source": (
        404,
        JSON,
        as_json({"errors": [{"code": 8065, "message": "Not in source"}], "warnings": None}),
    ),
    "400 identifier type": (
        400,
        JSON,
        as_json({"errors": [{"status": False, "code": 8013, "message": '"invalid"'}]}),
    ),
}


@pytest.fixture
def typed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the person types at each password prompt (the terminal's getpass)."""
    answers_typed: list[str] = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt="", stream=None: answers_typed.pop(0))
    return answers_typed


def base_of(server: HostileServer) -> str:
    return server.url().removesuffix("/v2/otp")


@pytest.fixture
def hostile() -> Iterator[Callable[[Answer], HostileServer]]:
    """``hostile(answer)`` starts a server giving that answer to every request."""
    servers: list[HostileServer] = []

    def start(answer: Answer) -> HostileServer:
        status, headers, body = answer
        server = HostileServer(answers(status, body, headers))
        servers.append(server.__enter__())
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def login(run_cli, typed: list[str], base_url: str, scheme: str):
    if scheme == "basic":
        typed.append(PASSWORD)
        return run_cli("login", "--base-url", base_url, "--username", TILL)
    typed.append(OAUTH_SECRET)
    return run_cli("login", "--base-url", base_url, "--oauth-key", OAUTH_KEY)


def test_the_sentence_is_plain_words_with_something_to_do() -> None:
    assert problems_with(SENTENCE) == []


# --- the command line -------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(NOT_CAPILLARY_PROBE))
def test_basic_login_to_a_server_that_is_not_capillary_stores_nothing(
    case,
    hostile,
    run_cli,
    typed,
    memory_keyring,
) -> None:
    server = hostile(NOT_CAPILLARY_PROBE[case])
    result = login(run_cli, typed, base_of(server), "basic")
    assert result.code == NotCapillary.exit_code == 6, result.err
    assert result.err.startswith(SENTENCE)
    assert "Signed in" not in result.out
    assert memory_keyring.store == {}
    assert server.connections >= 1  # it was asked, and did not convince


@pytest.mark.parametrize("case", sorted(NOT_CAPILLARY_TOKEN))
def test_oauth_login_to_a_server_that_is_not_capillary_stores_nothing(
    case,
    hostile,
    run_cli,
    typed,
    memory_keyring,
) -> None:
    server = hostile(NOT_CAPILLARY_TOKEN[case])
    result = login(run_cli, typed, base_of(server), "oauth")
    assert result.code == 6, result.err
    assert result.err.startswith(SENTENCE)
    assert memory_keyring.store == {}
    assert OAUTH_SECRET not in result.err


@pytest.mark.parametrize("case", sorted(CAPILLARY_PROBE_ANSWERS))
def test_capillarys_own_answers_to_the_probe_still_sign_in(
    case,
    hostile,
    run_cli,
    typed,
    memory_keyring,
) -> None:
    server = hostile(CAPILLARY_PROBE_ANSWERS[case])
    result = login(run_cli, typed, base_of(server), "basic")
    assert result.code == 0, result.err
    assert len(memory_keyring.store) == 1


def test_a_v2_refusal_is_still_wrong_credentials_not_a_stranger(
    hostile,
    run_cli,
    typed,
    memory_keyring,
) -> None:
    refusal = as_json({"errors": [{"status": False, "code": 401, "message": "Invalid"}]})
    for scheme in ("basic", "oauth"):
        server = hostile((401, JSON, refusal))
        result = login(run_cli, typed, base_of(server), scheme)
        assert result.code == 3, result.err
        assert SENTENCE not in result.err
    assert memory_keyring.store == {}


@pytest.mark.parametrize("scheme", ["basic", "oauth"])
def test_the_training_simulator_still_signs_in(
    scheme,
    simulator,
    run_cli,
    typed,
    memory_keyring,
) -> None:
    typed.append(TRAINING_PASSWORD if scheme == "basic" else TRAINING_SECRET)
    flag, who = (
        ("--username", TRAINING_TILL) if scheme == "basic" else ("--oauth-key", TRAINING_KEY)
    )
    result = run_cli("login", "--base-url", simulator.base_url, flag, who)
    assert result.code == 0, result.err
    assert len(memory_keyring.store) == 1


# --- the real window ----------------------------------------------------------------------


def store_cluster(base_url: str) -> None:
    """An administrator's cluster entry pointing at ``base_url`` (http on loopback)."""
    machine = Path(os.environ["CAPDESK_MACHINE_CONFIG"])
    (machine / "clusters.toml").write_text(
        f'[clusters.store]\nlabel = "Store server"\nbase_url = "{base_url}"\n',
        encoding="utf-8",
    )


def try_connection(qtbot, d, scheme: str, *, key: str, secret: str) -> SignInDialog:
    click(qtbot, d.child("signInButton"))
    dialog = d.window.findChild(SignInDialog)
    assert dialog is not None and dialog.isVisible()
    if scheme == "basic":
        qtbot.keyClicks(dialog.username, key)
        qtbot.keyClicks(dialog.password, secret)
    else:
        click(qtbot, dialog.oauth_mode)
        qtbot.keyClicks(dialog.oauth_key, key)
        qtbot.keyClicks(dialog.oauth_secret, secret)
    click(qtbot, dialog.test_button)
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=10_000)
    return dialog


WINDOW_CASES = [("basic", case) for case in sorted(NOT_CAPILLARY_PROBE)] + [
    ("oauth", case) for case in sorted(NOT_CAPILLARY_TOKEN)
]


@pytest.mark.parametrize(("scheme", "case"), WINDOW_CASES)
def test_the_sign_in_dialog_says_it_is_not_capillary_and_saves_nothing(
    scheme,
    case,
    qtbot,
    desk,
    hostile,
    memory_keyring,
) -> None:
    cases = NOT_CAPILLARY_PROBE if scheme == "basic" else NOT_CAPILLARY_TOKEN
    server = hostile(cases[case])
    store_cluster(base_of(server))
    d = desk(cluster="store")
    secret = PASSWORD if scheme == "basic" else OAUTH_SECRET
    dialog = try_connection(
        qtbot, d, scheme, key=TILL if scheme == "basic" else OAUTH_KEY, secret=secret
    )
    assert dialog.result_label.text() == SENTENCE
    assert not dialog.save_button.isEnabled()
    qtbot.keyClick(dialog.test_button, Qt.Key.Key_Return)  # Enter: never saves an untested till
    assert dialog.isVisible()
    dialog.reject()
    assert memory_keyring.store == {}
    assert d.text("signedInAs") == "Not signed in"


@pytest.mark.parametrize("scheme", ["basic", "oauth"])
def test_the_sign_in_dialog_still_signs_in_to_the_training_simulator(
    scheme,
    qtbot,
    desk,
    simulator,
    memory_keyring,
) -> None:
    store_cluster(simulator.base_url)
    d = desk(cluster="store")
    key, secret = (
        (TRAINING_TILL, TRAINING_PASSWORD) if scheme == "basic" else (TRAINING_KEY, TRAINING_SECRET)
    )
    dialog = try_connection(qtbot, d, scheme, key=key, secret=secret)
    assert dialog.save_button.isEnabled(), dialog.result_label.text()
    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: d.text("signedInAs").startswith("Signed in as"), timeout=5000)
    assert list(memory_keyring.store) == [("capdesk", "cluster:store")]
