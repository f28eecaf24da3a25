"""CredentialStore against a real Secret Service: gnome-keyring-daemon on a private D-Bus bus.

The in-memory backend proves the store's logic; these tests prove it against what a
Linux counter PC really runs: values cross D-Bus as UTF-8, the daemon keeps items in
its own file, searches by attributes, and refuses to work while locked. Skipped only
when the daemons are not installed (``.ci/run`` installs them, so CI runs these).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import closing

import keyring
import pytest
from keyring.backends import SecretService

from capdesk.api.auth import BasicCredentials, OAuthCredentials, md5_hex
from capdesk.api.errors import KeyringUnavailable
from capdesk.store.credentials import SERVICE, CredentialStore
from tests.secret_service import SecretServiceSession, missing_programs

if sys.platform != "linux":
    pytest.skip("the Secret Service is a Linux desktop service", allow_module_level=True)
secretstorage = pytest.importorskip("secretstorage", reason="secretstorage (keyring's dep) missing")

PASSWORD = "Till-Pa55word!"
BASIC = BasicCredentials.from_password("training.till", PASSWORD)
OAUTH = OAuthCredentials(
    key="training-key-0123456789",
    secret="training-secret-abcdefghij",
    attribution_type="TILL",
    attribution_code="Kasse-Müller-7",  # non-ASCII crosses D-Bus as UTF-8
)


@pytest.fixture(scope="module")
def daemon() -> Iterator[SecretServiceSession]:
    """One private bus + keyring daemon for this module; stopped when the module ends."""
    missing = missing_programs()
    if missing:
        pytest.skip(
            "no real Secret Service to test against: not installed: "
            + ", ".join(missing)
            + " (.ci/run installs them)"
        )
    with SecretServiceSession() as session:
        yield session


@pytest.fixture
def bus(daemon: SecretServiceSession, monkeypatch: pytest.MonkeyPatch) -> SecretServiceSession:
    """The private bus as this test's session bus, with an unlocked, empty login keyring."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", daemon.address)
    with closing(secretstorage.dbus_init()) as connection:
        locked = secretstorage.get_default_collection(connection).is_locked()
    if locked:  # an earlier test locked it; a new daemon unlocks it from stdin
        daemon.restart_keyring()
    with closing(secretstorage.dbus_init()) as connection:
        for item in secretstorage.get_default_collection(connection).get_all_items():
            item.delete()
    return daemon


@pytest.fixture
def store(bus: SecretServiceSession) -> CredentialStore:
    return CredentialStore(SecretService.Keyring())


def raw_items(**attributes: str) -> list[tuple[str, dict[str, str], bytes]]:
    """(label, attributes, secret) of the daemon's items, read over D-Bus past keyring."""
    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.get_default_collection(connection)
        items = collection.search_items(attributes) if attributes else collection.get_all_items()
        return [(item.get_label(), item.get_attributes(), item.get_secret()) for item in items]


def capdesk_items(cluster: str) -> list[tuple[str, dict[str, str], bytes]]:
    return raw_items(service=SERVICE, username=f"cluster:{cluster}")


def test_basic_round_trip_keeps_only_the_md5(store: CredentialStore) -> None:
    store.save("eu", BASIC)
    assert store.load("eu") == BASIC
    assert store.signed_in_as("eu") == "training.till"

    [(label, attributes, secret)] = capdesk_items("eu")
    assert json.loads(secret) == {
        "scheme": "basic",
        "till_id": "training.till",
        "password_md5": md5_hex(PASSWORD),
    }
    everything = secret + label.encode() + json.dumps(attributes).encode()
    assert PASSWORD.encode() not in everything
    assert md5_hex(PASSWORD).encode() not in (label + json.dumps(attributes)).encode()


def test_oauth_round_trip_with_and_without_attribution(store: CredentialStore) -> None:
    bare = OAuthCredentials(key="bare-key-98765432", secret="bare-secret-1234")
    store.save("india", OAUTH)
    store.save("us", bare)
    assert store.load("india") == OAUTH
    assert store.load("us") == bare
    assert store.signed_in_as("india") == "Kasse-Müller-7"
    assert store.signed_in_as("us") == "OAuth key …5432"

    [(label, attributes, secret)] = capdesk_items("india")
    assert json.loads(secret.decode("utf-8"))["attribution_code"] == "Kasse-Müller-7"
    # The key and secret are in the (encrypted) secret only, never in what is searchable.
    for value in (OAUTH.key, OAUTH.secret):
        assert value not in label and value not in json.dumps(attributes)


def test_clusters_are_independent(store: CredentialStore) -> None:
    store.save("eu", BASIC)
    store.save("india", OAUTH)
    store.delete("eu")
    assert store.load("eu") is None
    assert store.load("india") == OAUTH
    assert capdesk_items("eu") == [] and len(capdesk_items("india")) == 1


def test_saving_again_replaces_the_single_item(store: CredentialStore) -> None:
    other = BasicCredentials.from_password("till.2", "another-password")
    store.save("eu", BASIC)
    store.save("eu", other)
    assert store.load("eu") == other
    assert len(capdesk_items("eu")) == 1
    store.save("eu", OAUTH)  # switching scheme also replaces
    assert store.load("eu") == OAUTH
    assert len(capdesk_items("eu")) == 1


def test_delete_forgets_and_a_missing_entry_is_quiet(store: CredentialStore) -> None:
    store.save("eu", BASIC)
    store.delete("eu")
    assert store.load("eu") is None and store.signed_in_as("eu") is None
    store.delete("eu")  # already gone
    store.delete("never-signed-in")
    assert raw_items() == []


def test_delete_leaves_other_programs_items_alone(store: CredentialStore) -> None:
    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.get_default_collection(connection)
        collection.create_item(
            "another program", {"service": "not-capdesk", "username": "cluster:eu"}, b"theirs"
        )
    store.save("eu", BASIC)
    store.delete("eu")
    assert [secret for _, _, secret in raw_items()] == [b"theirs"]


def test_entries_survive_a_new_backend_and_a_new_daemon(
    bus: SecretServiceSession, store: CredentialStore
) -> None:
    store.save("eu", BASIC)
    store.save("india", OAUTH)
    assert CredentialStore(SecretService.Keyring()).load("eu") == BASIC

    bus.restart_keyring()  # the new daemon reads the login keyring back from disk
    fresh = CredentialStore(SecretService.Keyring())
    assert fresh.load("eu") == BASIC
    assert fresh.load("india") == OAUTH
    # On disk the keyring is encrypted: no credential in clear.
    on_disk = b"".join(path.read_bytes() for path in bus.keyring_files)
    assert on_disk
    for secret in (PASSWORD, BASIC.password_md5, OAUTH.key, OAUTH.secret, "training.till"):
        assert secret.encode() not in on_disk


def test_the_process_wide_keyring_is_used_when_no_backend_is_given(bus) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(SecretService.Keyring())
    try:
        CredentialStore().save("eu", BASIC)
    finally:
        keyring.set_keyring(previous)
    assert CredentialStore(SecretService.Keyring()).load("eu") == BASIC


def test_unreadable_entry_written_by_someone_else_is_signed_out(store: CredentialStore) -> None:
    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.get_default_collection(connection)
        collection.create_item(
            "hand-made", {"service": SERVICE, "username": "cluster:eu"}, b"\xff\xfe not json"
        )
    assert store.load("eu") is None
    store.delete("eu")
    assert raw_items() == []


def test_a_locked_keyring_is_unavailable_not_a_crash(store: CredentialStore) -> None:
    store.save("eu", BASIC)
    with closing(secretstorage.dbus_init()) as connection:
        secretstorage.get_default_collection(connection).lock()
    # Unlocking needs a prompt; the private bus has no prompter, so it is refused at once.
    for action in (
        lambda: store.load("eu"),
        lambda: store.save("eu", OAUTH),
        lambda: store.delete("eu"),
        lambda: store.signed_in_as("eu"),
    ):
        with pytest.raises(KeyringUnavailable) as caught:
            action()
        text = caught.value.for_support()
        assert "password store" in caught.value.sentence  # "is locked" or "no secure"
        for secret in (PASSWORD, BASIC.password_md5, OAUTH.key, OAUTH.secret):
            assert secret not in text
