"""CredentialStore against the in-memory keyring and keyring's own failing backends."""

from __future__ import annotations

import json
import logging

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import InitError, KeyringError, KeyringLocked, NoKeyringError

from capdesk.api.auth import BasicCredentials, OAuthCredentials, md5_hex
from capdesk.api.errors import InvalidInput, KeyringIsLocked, KeyringUnavailable
from capdesk.logs import redact
from capdesk.store.credentials import SERVICE, CredentialStore
from tests.memory_keyring import MemoryKeyring

BASIC = BasicCredentials.from_password("training.till", "training123")
OAUTH = OAuthCredentials(
    key="training-key",
    secret="training-secret",
    attribution_type="TILL",
    attribution_code="till-7",
)


def test_basic_round_trip_stores_till_and_md5_only(memory_keyring: MemoryKeyring) -> None:
    store = CredentialStore()
    store.save("eu", BASIC)
    assert store.load("eu") == BASIC
    stored = memory_keyring.store[(SERVICE, "cluster:eu")]
    assert json.loads(stored) == {
        "scheme": "basic",
        "till_id": "training.till",
        "password_md5": md5_hex("training123"),
    }
    assert "training123" not in stored


def test_oauth_round_trip_with_and_without_attribution(memory_keyring: MemoryKeyring) -> None:
    store = CredentialStore(memory_keyring)
    store.save("india", OAUTH)
    bare = OAuthCredentials(key="k" * 12, secret="s" * 12)
    store.save("us", bare)
    assert store.load("india") == OAUTH
    assert store.load("us") == bare
    assert json.loads(memory_keyring.store[(SERVICE, "cluster:india")]) == {
        "scheme": "oauth",
        "key": "training-key",
        "secret": "training-secret",
        "attribution_type": "TILL",
        "attribution_code": "till-7",
    }


def test_clusters_are_separate_and_save_replaces() -> None:
    store = CredentialStore()
    store.save("eu", BASIC)
    store.save("us", OAUTH)
    other = BasicCredentials.from_password("other.till", "pw")
    store.save("eu", other)
    assert store.load("eu") == other
    assert store.load("us") == OAUTH
    assert store.load("apac") is None


def test_delete_forgets_and_is_quiet_when_nothing_stored(memory_keyring: MemoryKeyring) -> None:
    store = CredentialStore()
    store.save("eu", BASIC)
    store.delete("eu")
    assert store.load("eu") is None
    assert memory_keyring.store == {}
    store.delete("eu")  # nothing there: no error


def test_signed_in_as_is_the_display_name() -> None:
    store = CredentialStore()
    assert store.signed_in_as("eu") is None
    store.save("eu", BASIC)
    store.save("us", OAUTH)
    store.save("sea", OAuthCredentials(key="abcdefgh1234", secret="s" * 10))
    assert store.signed_in_as("eu") == "training.till"
    assert store.signed_in_as("us") == "till-7"
    assert store.signed_in_as("sea") == "OAuth key …1234"


def test_saving_and_loading_registers_secrets_for_the_log(memory_keyring: MemoryKeyring) -> None:
    creds = BasicCredentials.from_password("till.reg", "a-password-for-logs")
    CredentialStore().save("eu", creds)
    assert redact(f"md5 is {creds.password_md5}") == "md5 is ***"
    oauth_key = "loaded-key-7f3a9c"
    memory_keyring.store[(SERVICE, "cluster:us")] = json.dumps(
        {"scheme": "oauth", "key": oauth_key, "secret": "loaded-secret-1b2c"}
    )
    assert CredentialStore().load("us") is not None
    assert redact(f"k={oauth_key}!") == "k=***!"


@pytest.mark.parametrize(
    "credentials",
    [
        BasicCredentials(till_id="", password_md5=md5_hex("x")),
        BasicCredentials(till_id="till", password_md5="not-an-md5"),
        OAuthCredentials(key="", secret="secret"),
    ],
)
def test_incomplete_credentials_are_refused_with_a_sentence(credentials) -> None:
    with pytest.raises(InvalidInput, match="incomplete"):
        CredentialStore().save("eu", credentials)
    assert CredentialStore().load("eu") is None


def test_too_long_for_windows_credential_manager_is_refused(memory_keyring) -> None:
    with pytest.raises(InvalidInput, match="too long"):
        CredentialStore().save("eu", OAuthCredentials(key="k" * 20, secret="s" * 2000))
    assert memory_keyring.store == {}


# --- no usable keyring ----------------------------------------------------------------


class EmptyChainer(chainer.ChainerBackend):
    """A chainer that found no backends, as on a Linux box without a secret service."""

    backends = []  # type: ignore[assignment]  # noqa: RUF012


class BrokenBackend(KeyringBackend):
    """A backend that is configured but fails on use (locked, D-Bus gone, ...)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service, username):
        raise self.error

    def set_password(self, service, username, password):
        raise self.error

    def delete_password(self, service, username):
        raise self.error


def _all_operations(store: CredentialStore) -> list:
    return [
        lambda: store.save("eu", BASIC),
        lambda: store.load("eu"),
        lambda: store.delete("eu"),
        lambda: store.signed_in_as("eu"),
    ]


@pytest.mark.parametrize(
    "backend",
    [
        fail.Keyring(),
        null.Keyring(),
        EmptyChainer(),
        BrokenBackend(NoKeyringError("no backend")),
        BrokenBackend(InitError("dbus gone")),
        BrokenBackend(KeyringLocked("locked")),
        BrokenBackend(KeyringError("generic")),
    ],
    ids=["fail", "null", "empty-chainer", "no-keyring", "init", "locked", "generic"],
)
def test_no_usable_backend_raises_keyring_unavailable(backend: KeyringBackend) -> None:
    store = CredentialStore(backend)
    # A locked store is one the person at the counter can unlock: its own sentence.
    locked = isinstance(getattr(backend, "error", None), KeyringLocked)
    expected = KeyringIsLocked if locked else KeyringUnavailable
    for operation in _all_operations(store):
        with pytest.raises(KeyringUnavailable) as caught:
            operation()
        assert caught.value.sentence == expected.default_sentence


def test_process_wide_fail_backend_is_detected() -> None:
    keyring.set_keyring(fail.Keyring())  # the autouse fixture restores the previous one
    with pytest.raises(KeyringUnavailable):
        CredentialStore().load("eu")


def test_backend_errors_never_carry_the_secret_into_the_exception() -> None:
    secret_md5 = BASIC.password_md5
    store = CredentialStore(BrokenBackend(KeyringError(f"cannot store {secret_md5}")))
    with pytest.raises(KeyringUnavailable) as caught:
        store.save("eu", BASIC)
    text = caught.value.for_support() + repr(caught.value) + str(caught.value)
    assert secret_md5 not in text
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


# --- corrupt entries ------------------------------------------------------------------

LEAKY = "LEAKY-SECRET-VALUE-9431"


@pytest.mark.parametrize(
    "raw",
    [
        f"not json {LEAKY}",
        json.dumps([LEAKY]),
        json.dumps({"scheme": "basic", "till_id": "t", "password_md5": LEAKY}),
        json.dumps({"scheme": "basic", "password_md5": md5_hex(LEAKY)}),
        json.dumps({"scheme": "oauth", "key": LEAKY}),
        json.dumps({"scheme": "oauth", "key": LEAKY, "secret": 5}),
        json.dumps({"scheme": "ldap", "password": LEAKY}),
        "[" * 100_000,
    ],
)
def test_corrupt_entry_is_signed_out_and_logged_without_its_value(
    raw: str, memory_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    memory_keyring.store[(SERVICE, "cluster:eu")] = raw
    store = CredentialStore()
    with caplog.at_level(logging.WARNING, logger="capdesk.store.credentials"):
        assert store.load("eu") is None
        assert store.signed_in_as("eu") is None
    assert "eu" in caplog.text and "unreadable" in caplog.text
    assert LEAKY not in caplog.text
    assert md5_hex(LEAKY) not in caplog.text
    store.save("eu", BASIC)  # signing in again replaces the broken entry
    assert store.load("eu") == BASIC
