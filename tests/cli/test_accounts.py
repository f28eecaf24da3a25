"""``login``/``logout``/``clusters`` in-process with the in-memory keyring.

The password prompt is the terminal's (``getpass``); feeding it is the only thing
replaced here.
"""

from __future__ import annotations

import getpass
import json

import pytest

from capdesk.api.auth import md5_hex
from tests.cli.conftest import (
    ASHA_MOBILE,
    DEMO_PASSWORD,
    DEMO_TILL,
    OAUTH_KEY,
    OAUTH_SECRET,
    assert_no_secrets,
)


class Keyboard:
    """What the person types at each password prompt, and the prompts they saw."""

    def __init__(self) -> None:
        self.answers: list[str] = []
        self.prompts: list[str] = []

    def append(self, answer: str) -> None:
        self.answers.append(answer)

    def getpass(self, prompt: str = "Password: ", stream: object = None) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0)


@pytest.fixture
def typed(monkeypatch: pytest.MonkeyPatch) -> Keyboard:
    keyboard = Keyboard()
    monkeypatch.setattr(getpass, "getpass", keyboard.getpass)
    return keyboard


def _otp(sim, run_cli):
    return run_cli(
        "otp", "--base-url", sim.base_url, "--identifier-name", "mobile",
        "--identifier-value", ASHA_MOBILE, "--json",
    )  # fmt: skip


def test_login_otp_logout_round_trip(simulator, run_cli, typed, memory_keyring) -> None:
    typed.append(DEMO_PASSWORD)
    login = run_cli("login", "--base-url", simulator.base_url, "--username", DEMO_TILL)
    assert login.code == 0, login.err
    assert f"as {DEMO_TILL}" in login.out
    assert typed.prompts == [f"Password for till {DEMO_TILL}: "]
    stored = "".join(memory_keyring.store.values())
    assert md5_hex(DEMO_PASSWORD) in stored
    assert DEMO_PASSWORD not in stored  # only the md5 is kept

    code = simulator.customer_requests_otp("mobile", ASHA_MOBILE)
    fetched = _otp(simulator, run_cli)
    assert fetched.code == 0, fetched.err
    assert json.loads(fetched.out)["code"] == code

    listed = run_cli("clusters")
    assert listed.code == 0

    logout = run_cli("logout", "--base-url", simulator.base_url)
    assert logout.code == 0
    assert DEMO_TILL in logout.out
    assert memory_keyring.store == {}
    after = _otp(simulator, run_cli)
    assert after.code == 3
    assert "capdesk login" in after.err
    again = run_cli("logout", "--base-url", simulator.base_url)
    assert again.code == 0
    assert "No till was signed in" in again.out
    for outcome in (login, fetched, listed, logout, after, again):
        assert_no_secrets(outcome.text)


def test_wrong_password_is_not_stored(simulator, run_cli, typed, memory_keyring) -> None:
    typed.append("wrong-password")
    result = run_cli("login", "--base-url", simulator.base_url, "--username", DEMO_TILL)
    assert result.code == 3
    assert memory_keyring.store == {}
    assert_no_secrets(result.text, "wrong-password", md5_hex("wrong-password"))


def test_empty_password_is_exit_2(simulator, run_cli, typed, memory_keyring) -> None:
    typed.append("")
    result = run_cli("login", "--base-url", simulator.base_url, "--username", DEMO_TILL)
    assert result.code == 2
    assert memory_keyring.store == {}
    assert simulator.request_count("/v2/otp") == 0


def test_oauth_login(simulator, run_cli, typed, memory_keyring) -> None:
    typed.append(OAUTH_SECRET)
    result = run_cli("login", "--base-url", simulator.base_url, "--oauth-key", OAUTH_KEY)
    assert result.code == 0, result.err
    assert typed.prompts == ["OAuth secret: "]
    assert len(memory_keyring.store) == 1
    assert_no_secrets(result.text)
    code = simulator.customer_requests_otp("mobile", ASHA_MOBILE)
    fetched = _otp(simulator, run_cli)
    assert fetched.code == 0, fetched.err
    assert json.loads(fetched.out)["code"] == code


def test_custom_addresses_have_their_own_entries(simulator, run_cli, typed, memory_keyring):
    typed.append(DEMO_PASSWORD)
    url = simulator.base_url
    assert run_cli("login", "--base-url", url + "/", "--username", DEMO_TILL).code == 0
    other = url.replace("127.0.0.1", "localhost")
    # The same address spelled with a trailing slash or upper case finds the entry ...
    simulator.customer_requests_otp("mobile", ASHA_MOBILE)
    assert _otp(simulator, run_cli).code == 0
    upper = run_cli("logout", "--base-url", url.replace("http://", "HTTP://"))
    assert DEMO_TILL in upper.out
    # ... while another address is another entry.
    typed.append(DEMO_PASSWORD)
    assert run_cli("login", "--base-url", other, "--username", DEMO_TILL).code == 0
    assert len(memory_keyring.store) == 1
    assert _otp(simulator, run_cli).code == 3


def test_login_to_training_needs_nothing(run_cli, typed, memory_keyring) -> None:
    for argv in (
        ["login", "--username", "x"],
        ["login", "--cluster", "training", "--username", "x"],
    ):
        result = run_cli(*argv)
        assert result.code == 0
        assert "needs no sign-in" in result.out
    assert memory_keyring.store == {}


def test_login_needs_a_till_or_key(run_cli) -> None:
    assert run_cli("login", "--cluster", "eu").code == 2
    assert run_cli("login", "--cluster", "eu", "--username", "a", "--oauth-key", "b").code == 2


def test_clusters_lists_presets_admin_clusters_and_who_is_signed_in(
    run_cli, memory_keyring, isolated_home
) -> None:
    from capdesk.api.auth import BasicCredentials
    from capdesk.paths import default_paths
    from capdesk.store.credentials import CredentialStore

    paths = default_paths()
    paths.machine_config_dir.mkdir(parents=True, exist_ok=True)
    (paths.machine_config_dir / "clusters.toml").write_text(
        '[clusters.mybrand]\nlabel = "MyBrand EU"\nbase_url = "https://mybrand.example.com"\n',
        encoding="utf-8",
    )
    CredentialStore().save("eu", BasicCredentials.from_password("eu.till.7", "pw-eu-secret"))
    result = run_cli("clusters")
    assert result.code == 0, result.err
    rows = {line.split()[0]: line for line in result.out.splitlines() if line.strip()}
    assert "https://mybrand.example.com" in rows["mybrand"]
    assert "MyBrand EU" in rows["mybrand"]
    assert rows["eu"].rstrip().endswith("eu.till.7")
    assert "https://eu.intouch.capillarytech.com" in rows["eu"]
    assert rows["training"].rstrip().endswith(DEMO_TILL)
    assert rows["us"].rstrip().endswith("-")
    assert_no_secrets(result.text, "pw-eu-secret", md5_hex("pw-eu-secret"))


def test_clusters_without_a_password_store_still_lists(run_cli) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # the autouse keyring fixture puts the old one back
    result = run_cli("clusters")
    assert result.code == 0
    assert "eu" in result.out
    assert "secure password store" in result.out


def test_end_of_input_at_the_prompt_is_nothing_typed(simulator, run_cli, monkeypatch) -> None:
    def closed_terminal(prompt: str = "", stream: object = None) -> str:
        raise EOFError

    monkeypatch.setattr(getpass, "getpass", closed_terminal)
    result = run_cli("login", "--base-url", simulator.base_url, "--username", DEMO_TILL)
    assert result.code == 2
    assert "No password was typed" in result.err


def test_ctrl_c_at_the_prompt_is_exit_130(simulator, run_cli, monkeypatch, memory_keyring):
    def interrupted(prompt: str = "", stream: object = None) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(getpass, "getpass", interrupted)
    result = run_cli("login", "--base-url", simulator.base_url, "--username", DEMO_TILL)
    assert result.code == 130
    assert "Traceback" not in result.err
    assert memory_keyring.store == {}


def test_an_unexpected_failure_is_one_sentence_and_a_logged_traceback(
    simulator, run_cli, monkeypatch
) -> None:
    """A broken terminal raising something odd: plain words on screen, the rest in the log."""

    def broken_terminal(prompt: str = "", stream: object = None) -> str:
        raise RuntimeError("terminal exploded")

    monkeypatch.setattr(getpass, "getpass", broken_terminal)
    result = run_cli("login", "--base-url", simulator.base_url, "--username", DEMO_TILL)
    assert result.code == 5
    assert result.out == ""
    assert result.err.startswith("Something went wrong inside capdesk.")
    assert "Traceback" not in result.err
    assert "terminal exploded" not in result.err
    from capdesk.paths import default_paths

    log_text = default_paths().log_file.read_text(encoding="utf-8")
    assert "Traceback" in log_text
    assert "RuntimeError: terminal exploded" in log_text
    assert str(default_paths().log_file) in result.err


def test_a_user_folder_that_cannot_be_created_is_a_plain_sentence(run_cli, isolated_home):
    isolated_home.parent.mkdir(parents=True, exist_ok=True)
    isolated_home.write_text("not a folder", encoding="utf-8")  # CAPDESK_HOME is a file
    result = run_cli("clusters")
    assert result.code == 5
    assert result.err.startswith("Something went wrong inside capdesk.")
    assert "could not use its folders" in result.err
    assert "Traceback" not in result.err
