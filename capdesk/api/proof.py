"""Proof that an answer is Capillary's, before credentials count as accepted.

Counter PCs talk to whatever sits at the configured address: a captive portal, a
TLS-inspecting proxy's error page, another web server at a mistyped address. Such a
server answers the sign-in probe with a 404 or 400 page, an empty 200 or a redirect,
and the ordinary classification (:func:`~capdesk.api.responses.classify`) reads some
of those as "no such customer", which the probe takes to mean "the till was
accepted". So signing in asks for more than "not an error": the answer must have the
shape Capillary documents (``capillary-api.md``).

* **Basic** (``GET /v2/otp`` for an identifier nobody has): a v2 error body,
  ``{"errors": [{"status": false, "code": 8015, "message": "..."}], "warnings": []}``,
  whose codes include one of the documented look-up codes (no such customer, no
  valid OTP, identifier type / source / account not accepted, the daily OTP limit).
  A 401 or 403 with a v2 error body is Capillary refusing the till.
* **OAuth** (``POST /v3/oauth/token/generate``): a 2xx with
  ``{"data": {"accessToken": "..."}, "errors": null}``, or a v2 error body (Capillary
  refusing the key or secret).

Anything else (HTML, empty, JSON of another shape, ``errors`` of the wrong types, a
redirect, a 2xx without the documented body) is :class:`NotCapillary`. A 5xx, or a
429 without Capillary's body, is left to the ordinary classification: a gateway or
an outage proves nothing either way, and its sentence (wait, try again) is the
useful one. Those are failures, so nothing is stored after them either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from capdesk.api.errors import (
    AuthenticationFailed,
    CapdeskError,
    NotCapillary,
    NotPermitted,
)
from capdesk.api.operations import Operation
from capdesk.api.responses import classify, unreadable
from capdesk.api.wire import NOT_JSON, non_json_note

__all__ = ["PROBE_CODES", "judge_probe", "judge_token", "v2_errors"]

# What GET /v2/otp may answer for an identifier no customer has, when the till is
# accepted: 8015/8065/8069 no such customer, 9001 no valid OTP, 8011/8012/8013/8045
# the source, account or identifier type not accepted, 429 the daily OTP limit.
PROBE_CODES = frozenset({8011, 8012, 8013, 8015, 8045, 8065, 8069, 9001, 429})
MAX_ERRORS = 50


def v2_errors(doc: Any) -> list[int] | None:
    """The codes of a v2 error body, or None when ``doc`` is not one.

    The documented shape: an object whose ``errors`` is a non-empty list of objects,
    each with an integer ``code`` and a text ``message`` (``status``, when present,
    is a boolean); ``warnings``, when present, is a list or null.
    """
    if not isinstance(doc, dict):
        return None
    errors = doc.get("errors")
    if not isinstance(errors, list) or not 0 < len(errors) <= MAX_ERRORS:
        return None
    warnings = doc.get("warnings")
    if warnings is not None and not isinstance(warnings, list):
        return None
    codes: list[int] = []
    for item in errors:
        if not isinstance(item, dict):
            return None
        code, message = item.get("code"), item.get("message")
        if isinstance(code, bool) or not isinstance(code, int) or not isinstance(message, str):
            return None
        if "status" in item and not isinstance(item["status"], bool):
            return None
        codes.append(code)
    return codes


def _token_body(doc: Any) -> bool:
    """``{"data": {"accessToken": "..."}, "errors": null}`` (``errors`` may be absent or [])."""
    if not isinstance(doc, dict) or doc.get("errors") not in (None, []):
        return False
    data = doc.get("data")
    return isinstance(data, dict) and isinstance(data.get("accessToken"), str)


def _not_capillary(
    status: int, headers: Mapping[str, str] | None, body: bytes | None, doc: Any, label: str
) -> NotCapillary:
    if doc is NOT_JSON:
        technical = non_json_note(headers, body)
    elif 300 <= status < 400:
        technical = "Redirect instead of an answer"
    else:
        technical = "JSON, but not in Capillary's documented shape"
    return unreadable(
        technical, status=status, headers=headers, cluster_label=label, kind=NotCapillary
    )


def _proves_nothing(status: int, codes: list[int] | None) -> bool:
    """An outage or a gateway shedding load: the ordinary sentence (wait, retry) fits."""
    return status >= 500 or (status == 429 and codes is None)


def judge_probe(
    status: int,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    doc: Any,
    *,
    cluster_label: str = "",
) -> CapdeskError | None:
    """None when the Basic probe's answer shows Capillary accepted the till; else the
    error to raise (refused credentials, not Capillary, or busy)."""
    codes = v2_errors(doc)
    busy = _proves_nothing(status, codes)
    if codes is None and not busy:
        return _not_capillary(status, headers, body, doc, cluster_label)
    error = classify(
        status, headers, body, cluster_label=cluster_label, operation=Operation.CHECK, doc=doc
    )
    if busy:
        return error or _not_capillary(status, headers, body, doc, cluster_label)
    assert codes is not None  # not busy, so a v2 body
    if status in (401, 403):  # Capillary refusing the till, whatever codes it names
        if isinstance(error, AuthenticationFailed | NotPermitted):
            return error
        refused = AuthenticationFailed if status == 401 else NotPermitted
        return refused(details=error.details if error is not None else None)
    if isinstance(error, AuthenticationFailed | NotPermitted):
        return error
    answered = status < 300 or 400 <= status < 500  # never on the word of a redirect
    if answered and any(code in PROBE_CODES for code in codes):
        return None
    return _not_capillary(status, headers, body, doc, cluster_label)


def judge_token(
    status: int,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    doc: Any,
    *,
    cluster_label: str = "",
) -> CapdeskError | None:
    """None when the token endpoint answered with Capillary's token body (its values
    are checked by the token manager); else the error to raise."""
    codes = v2_errors(doc)
    if 200 <= status < 300 and _token_body(doc):
        return None
    if _proves_nothing(status, codes) or codes is not None:
        error = classify(
            status, headers, body, cluster_label=cluster_label, operation=Operation.TOKEN, doc=doc
        )
        return error or _not_capillary(status, headers, body, doc, cluster_label)
    return _not_capillary(status, headers, body, doc, cluster_label)
