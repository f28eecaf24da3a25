"""Credentials and the two auth schemes Capillary accepts.

Basic: ``Authorization: Basic base64(till_id + ":" + md5hex(password))``. Only the
md5 is ever needed, so the plain password is hashed at once and never kept.

OAuth: key + secret are exchanged for a short-lived token (see
:class:`capdesk.api.oauth.OAuthTokenManager`); the token lives in memory only.

Secret fields are excluded from ``repr`` so they cannot leak through logs or
tracebacks.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field


def md5_hex(password: str) -> str:
    """The lower-case hex md5 of the UTF-8 password, as Capillary expects."""
    return hashlib.md5(password.encode("utf-8"), usedforsecurity=False).hexdigest()


def basic_authorization(till_id: str, password_md5: str) -> str:
    """The full ``Authorization`` header value for Basic till credentials."""
    token = base64.b64encode(f"{till_id}:{password_md5}".encode()).decode("ascii")
    return f"Basic {token}"


@dataclass(frozen=True)
class BasicCredentials:
    """Till id plus md5(password). Build from a password with :meth:`from_password`."""

    till_id: str
    password_md5: str = field(repr=False)

    @classmethod
    def from_password(cls, till_id: str, password: str) -> BasicCredentials:
        return cls(till_id=till_id.strip(), password_md5=md5_hex(password))

    @property
    def display_name(self) -> str:
        """What "Signed in as …" shows."""
        return self.till_id

    def authorization_header(self) -> str:
        return basic_authorization(self.till_id, self.password_md5)

    def secrets(self) -> tuple[str, ...]:
        """Values the log redaction filter must never let through."""
        return (self.password_md5, self.authorization_header().removeprefix("Basic "))


@dataclass(frozen=True)
class OAuthCredentials:
    """Client key + secret; optional attribution headers name the till/store."""

    key: str = field(repr=False)
    secret: str = field(repr=False)
    attribution_type: str | None = None  # TILL, STORE_CODE, STORE_NAME, STORE_EXTERNAL_ID…
    attribution_code: str | None = None

    @property
    def display_name(self) -> str:
        """Never the whole key: enough for staff to recognise which one is stored."""
        if self.attribution_code:
            return self.attribution_code
        return f"OAuth key …{self.key[-4:]}" if len(self.key) > 8 else "OAuth key"

    def secrets(self) -> tuple[str, ...]:
        return (self.key, self.secret)


Credentials = BasicCredentials | OAuthCredentials
