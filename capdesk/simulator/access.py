"""Who is calling: Basic till credentials or an OAuth access token, as Capillary checks.

Basic: ``Authorization: Basic base64(till_id + ":" + md5hex(password))`` — the plain
password is refused, as on the real server. OAuth: ``X-CAP-API-OAUTH-TOKEN`` (the
OAuth page's name) or ``CAP-API-ACCESS-TOKEN`` (one newer page's name) carrying a
token from ``/v3/oauth/token/generate``. OAuth calls act as the client's default
till unless the attribution headers name a till (``X-CAP-API-ATTRIBUTION-ENTITY-TYPE:
TILL`` and ``…-CODE: training.till2``).

Failure messages say what is wrong without echoing anything the caller sent.
"""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass
from email.message import Message

from capdesk.simulator import demo_data
from capdesk.simulator.state import TokenStore

TOKEN_HEADERS = ("X-CAP-API-OAUTH-TOKEN", "CAP-API-ACCESS-TOKEN")


class AuthError(Exception):
    """Authentication failed; ``message`` goes into the 401 body."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Caller:
    till: demo_data.Till
    scheme: str  # "basic" | "oauth"


def authenticate(headers: Message, tokens: TokenStore) -> Caller:
    """The calling till, or AuthError. A token header wins over Basic when both come."""
    for name in TOKEN_HEADERS:
        token = headers.get(name)
        if token:
            return _from_token(token.strip(), headers, tokens)
    authorization = headers.get("Authorization")
    if authorization:
        return _from_basic(authorization)
    raise AuthError("Authentication required: send Basic till credentials or an OAuth token")


def _from_basic(authorization: str) -> Caller:
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise AuthError("Unsupported authorization scheme: use Basic or an OAuth token")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError as exc:  # binascii.Error, non-ASCII text, or not UTF-8
        raise AuthError("Malformed Basic authorization header") from exc
    username, separator, password_md5 = decoded.partition(":")
    till = demo_data.TILLS.get(username)
    if not separator or till is None:
        raise AuthError("Invalid till credentials")
    if not hmac.compare_digest(
        password_md5.strip().lower().encode("utf-8"), till.password_md5.encode("ascii")
    ):
        raise AuthError("Invalid till credentials")
    return Caller(till, "basic")


def _from_token(token: str, headers: Message, tokens: TokenStore) -> Caller:
    status, client_key = tokens.lookup(token)
    if status == "expired":
        raise AuthError("The access token has expired: generate a new one")
    if status != "ok" or client_key is None:
        raise AuthError("Invalid access token")
    till_name = demo_data.OAUTH_CLIENTS[client_key][1]
    entity_type = (headers.get("X-CAP-API-ATTRIBUTION-ENTITY-TYPE") or "").strip().upper()
    entity_code = (headers.get("X-CAP-API-ATTRIBUTION-ENTITY-CODE") or "").strip()
    if entity_type == "TILL" and entity_code in demo_data.TILLS:
        till_name = entity_code
    return Caller(demo_data.TILLS[till_name], "oauth")


def check_client(key: object, secret: object) -> str | None:
    """The OAuth client key if ``key``/``secret`` match a demo client, else None."""
    if not isinstance(key, str) or not isinstance(secret, str):
        return None
    client = demo_data.OAUTH_CLIENTS.get(key)
    if client is None:
        return None
    return key if hmac.compare_digest(secret.encode(), client[0].encode()) else None
