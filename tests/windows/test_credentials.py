"""Till credentials in the Windows Credential Manager through keyring's WinVaultKeyring.

The Linux suite uses an in-memory keyring; here :class:`CredentialStore` runs with no
backend given, so keyring picks its Windows backend itself (pywin32-ctypes calling
``CredWriteW``/``CredReadW``/``CredDeleteW`` in advapi32), as on a counter PC.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from capdesk.api.auth import BasicCredentials, OAuthCredentials
from capdesk.store.credentials import MAX_ENTRY_CHARS, SERVICE, CredentialStore


@pytest.fixture
def cluster() -> str:
    """A cluster key no other run uses, so leftovers of a killed run never collide."""
    return f"wine-test-{uuid.uuid4().hex[:8]}"


def test_keyring_chooses_the_windows_credential_manager(real_keyring: Any) -> None:
    from keyring.backends.Windows import WinVaultKeyring

    assert isinstance(real_keyring, WinVaultKeyring)


def test_basic_credentials_round_trip_and_delete(real_keyring: Any, cluster: str) -> None:
    store = CredentialStore()
    assert store.load(cluster) is None
    saved = BasicCredentials.from_password("till-007", "pässwörd ✓")
    store.save(cluster, saved)
    assert store.load(cluster) == saved
    assert store.signed_in_as(cluster) == "till-007"
    # What the Credential Manager holds is capdesk's JSON under service "capdesk".
    raw = real_keyring.get_password(SERVICE, f"cluster:{cluster}")
    assert raw is not None and '"scheme":"basic"' in raw and "pässwörd" not in raw
    store.delete(cluster)
    assert store.load(cluster) is None
    store.delete(cluster)  # nothing stored is not an error


def test_oauth_credentials_replace_and_stay_per_cluster(real_keyring: Any, cluster: str) -> None:
    store = CredentialStore()
    other = cluster + "-b"
    try:
        store.save(cluster, BasicCredentials.from_password("till-1", "one"))
        oauth = OAuthCredentials("key-ü", "s3cret-☃", "TILL", "till-1")
        store.save(cluster, oauth)  # replaces
        store.save(other, BasicCredentials.from_password("till-2", "two"))
        assert store.load(cluster) == oauth
        loaded = store.load(other)
        assert isinstance(loaded, BasicCredentials) and loaded.till_id == "till-2"
    finally:
        store.delete(cluster)
        store.delete(other)
    assert store.load(cluster) is None and store.load(other) is None


def test_an_entry_at_the_credential_manager_size_limit_is_kept_whole(
    real_keyring: Any, cluster: str
) -> None:
    """2,560 bytes of UTF-16 is the Credential Manager's limit: capdesk's cap fits in it."""
    store = CredentialStore()
    overhead = len(
        '{"scheme":"oauth","key":"","secret":"","attribution_type":null,"attribution_code":null}'
    )
    secret = "x" * (MAX_ENTRY_CHARS - overhead - 1)
    credentials = OAuthCredentials("k", secret)
    try:
        store.save(cluster, credentials)
        assert store.load(cluster) == credentials
    finally:
        store.delete(cluster)
