"""Till credentials in the OS keyring, one entry per cluster — never in a file.

Service ``capdesk``, username ``cluster:<key>``, value a small JSON document:

* ``{"scheme": "basic", "till_id": ..., "password_md5": ...}`` — the md5 is all
  Capillary needs, so the plain password is never stored;
* ``{"scheme": "oauth", "key", "secret", "attribution_type", "attribution_code"}``.

When the PC has no usable keyring (keyring's ``fail`` or ``null`` backend, an empty
chainer, or a backend that errors) every method raises :class:`KeyringUnavailable`.
There is deliberately no plaintext fallback: a file of till passwords on a shared
counter PC is the anti-pattern this module exists to avoid.

An entry that cannot be understood (edited by hand, written by another program) is
treated as "signed out" and logged by cluster only, never with its value.

``keyring`` (and what it pulls in, ~30 ms) is imported on the first call that needs
the keyring, not with this module: the training cluster's first screen never does.

Every call may block (a Secret Service prompt, a slow D-Bus), so each first says so
with :func:`~capdesk.store.thread_guard.blocking_call`: the window tests then prove
that none runs on the GUI thread.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any

from capdesk.api.auth import BasicCredentials, Credentials, OAuthCredentials
from capdesk.api.errors import ErrorDetails, InvalidInput, KeyringIsLocked, KeyringUnavailable
from capdesk.logs import register_secret
from capdesk.store.thread_guard import blocking_call

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

__all__ = ["SERVICE", "CredentialStore"]

SERVICE = "capdesk"
# Windows Credential Manager holds at most 2,560 bytes of UTF-16: 1,280 characters.
MAX_ENTRY_CHARS = 1280
_MD5_HEX = re.compile(r"[0-9a-fA-F]{32}")


def _unavailable(reason: str) -> KeyringUnavailable:
    return KeyringUnavailable(details=ErrorDetails(technical=reason))


def _failed(action: str, error: Exception) -> KeyringUnavailable:
    """What staff are told when the backend raised: a locked store they can unlock
    themselves; anything else is a store IT must fix."""
    from keyring.errors import KeyringLocked

    reason = f"keyring could not {action}: {type(error).__name__}"
    if isinstance(error, KeyringLocked):
        return KeyringIsLocked(details=ErrorDetails(technical=reason))
    return _unavailable(reason)


def _check_backend(backend: KeyringBackend) -> None:
    """Raise :class:`KeyringUnavailable` for backends that cannot keep a secret."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring | null.Keyring):
        raise _unavailable(f"keyring backend {type(backend).__name__} ({type(backend).__module__})")
    if isinstance(backend, chainer.ChainerBackend):
        try:
            members = list(backend.backends)
        except Exception as error:
            raise _unavailable(f"keyring chainer failed: {type(error).__name__}") from None
        usable = [m for m in members if not isinstance(m, fail.Keyring | null.Keyring)]
        if not usable:
            raise _unavailable("keyring chainer has no backends")


def _username(cluster_key: str) -> str:
    if not isinstance(cluster_key, str) or not cluster_key.strip():
        raise ValueError("cluster_key must be a non-empty string")
    return f"cluster:{cluster_key.strip()}"


def _encode(credentials: Credentials) -> str:
    if isinstance(credentials, BasicCredentials):
        document: dict[str, Any] = {
            "scheme": "basic",
            "till_id": credentials.till_id,
            "password_md5": credentials.password_md5,
        }
    elif isinstance(credentials, OAuthCredentials):
        document = {
            "scheme": "oauth",
            "key": credentials.key,
            "secret": credentials.secret,
            "attribution_type": credentials.attribution_type,
            "attribution_code": credentials.attribution_code,
        }
    else:
        raise TypeError(f"not credentials: {type(credentials).__name__}")
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _text(document: dict[str, Any], name: str, *, optional: bool = False) -> str | None:
    value = document.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"field {name} missing or not text")
    return value


def _decode(text: str) -> Credentials:
    """The credentials in an entry; ValueError (naming no value) when it is not one."""
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError("not JSON") from None
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    scheme = document.get("scheme")
    if scheme == "basic":
        till_id = _text(document, "till_id")
        md5 = _text(document, "password_md5")
        if not _MD5_HEX.fullmatch(md5 or ""):
            raise ValueError("password_md5 is not 32 hex digits")
        return BasicCredentials(till_id=till_id or "", password_md5=md5 or "")
    if scheme == "oauth":
        return OAuthCredentials(
            key=_text(document, "key") or "",
            secret=_text(document, "secret") or "",
            attribution_type=_text(document, "attribution_type", optional=True),
            attribution_code=_text(document, "attribution_code", optional=True),
        )
    raise ValueError("unknown scheme")


def _register(credentials: Credentials) -> None:
    """Make sure the log never shows these secrets, whoever logs what."""
    for secret in credentials.secrets():
        register_secret(secret)


class CredentialStore:
    """Save, load and delete one set of credentials per cluster in the OS keyring.

    ``backend`` defaults to keyring's configured backend, looked up on each call so a
    backend set later (tests, keyring config) is honoured.
    """

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        self._backend = backend

    def _usable_backend(self) -> KeyringBackend:
        try:
            if self._backend is not None:
                backend = self._backend
            else:
                import keyring

                backend = keyring.get_keyring()
        except Exception as error:
            raise _unavailable(f"keyring failed to start: {type(error).__name__}") from None
        _check_backend(backend)
        return backend

    def save(self, cluster_key: str, credentials: Credentials) -> None:
        """Store ``credentials`` for the cluster, replacing what was there."""
        blocking_call("keyring write")
        username = _username(cluster_key)
        value = _encode(credentials)
        try:
            _decode(value)  # what load() would refuse must not be stored
        except ValueError:
            raise InvalidInput(
                "Those credentials are incomplete. Enter the till id and password again."
            ) from None
        if len(value) > MAX_ENTRY_CHARS:
            raise InvalidInput("Those credentials are too long to store. Check them and try again.")
        _register(credentials)
        backend = self._usable_backend()
        try:
            backend.set_password(SERVICE, username, value)
        except Exception as error:
            raise _failed("save", error) from None
        log.info("credentials saved for cluster %s (%s)", cluster_key, type(credentials).__name__)

    def load(self, cluster_key: str) -> Credentials | None:
        """The stored credentials, or None when there are none (or they are unreadable)."""
        blocking_call("keyring read")
        username = _username(cluster_key)
        backend = self._usable_backend()
        try:
            value = backend.get_password(SERVICE, username)
        except UnicodeDecodeError:
            # Secret Service entries are bytes: another program's non-UTF-8 entry is
            # unreadable, not a missing keyring (save() can still replace it).
            log.warning(
                "stored credentials for cluster %s are unreadable (not UTF-8); "
                "treated as signed out",
                cluster_key,
            )
            return None
        except Exception as error:
            raise _failed("read", error) from None
        if value is None:
            return None
        try:
            credentials = _decode(value)
        except (ValueError, TypeError) as error:
            # Only the reason, never the value: it may hold a secret.
            log.warning(
                "stored credentials for cluster %s are unreadable (%s); treated as signed out",
                cluster_key,
                error,
            )
            return None
        _register(credentials)
        return credentials

    def delete(self, cluster_key: str) -> None:
        """Forget the cluster's credentials; nothing stored is not an error."""
        blocking_call("keyring delete")
        from keyring.errors import PasswordDeleteError

        username = _username(cluster_key)
        backend = self._usable_backend()
        try:
            backend.delete_password(SERVICE, username)
        except PasswordDeleteError:
            if self._still_there(backend, username):
                raise _unavailable("keyring could not delete the entry") from None
        except Exception as error:
            raise _failed("delete", error) from None
        log.info("credentials deleted for cluster %s", cluster_key)

    @staticmethod
    def _still_there(backend: KeyringBackend, username: str) -> bool:
        try:
            return backend.get_password(SERVICE, username) is not None
        except Exception:
            return True

    def signed_in_as(self, cluster_key: str) -> str | None:
        """The display name of the stored credentials ("Signed in as …"), or None."""
        blocking_call("keyring read")
        credentials = self.load(cluster_key)
        return credentials.display_name if credentials is not None else None
