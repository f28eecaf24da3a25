"""Turning Capillary's answers into typed results or one staff sentence.

Capillary's docs don't pin which HTTP status goes with which error body, so the
body's Capillary codes are read first and the HTTP status second. Bodies may be
anything (a proxy's HTML page, nothing, half a JSON document): every function here
returns a result or a :class:`CapdeskError`, and never raises anything else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar, overload

from capdesk.api.errors import (
    AuthenticationFailed,
    CapdeskError,
    CardGenerationNotEnabled,
    CustomerNotFound,
    ErrorDetails,
    InvalidRequest,
    NetworkError,
    NotPermitted,
    NoValidOtp,
    RateLimited,
    ServerBusy,
    ServerError,
    UnreadableResponse,
    WrongMethod,
)
from capdesk.api.models import CardNumberResult, OtpResult, ServerTime
from capdesk.api.operations import Operation
from capdesk.api.wire import (
    NOT_JSON,
    SANE_YEARS,
    as_int,
    entries,
    header,
    load_json,
    non_json_note,
    parse_http_date,
    request_id_of,
    retry_after_seconds,
    warnings_of,
)

MAX_CODE_LENGTH = 64
MAX_CARD_NUMBER_LENGTH = 50

_UNPARSED = object()  # "doc" not given: parse ``body`` (callers that parsed it pass it on)

# Capillary codes → (error class, sentence or None for the class default).
_CODES: dict[int, tuple[type[CapdeskError], str | None]] = {
    9001: (NoValidOtp, None),
    8015: (CustomerNotFound, None),
    8065: (
        CustomerNotFound,
        "No customer found with that identifier in this source. Check the source and account id.",
    ),
    8069: (
        CustomerNotFound,
        "This customer's account was merged into another one. Ask the customer for the "
        "identifier of their current account.",
    ),
    8013: (
        InvalidRequest,
        "Capillary did not accept that identifier type. Check the type (mobile, email, "
        "card number, WeChat id).",
    ),
    8011: (InvalidRequest, "Capillary does not know that source account id. Check it."),
    8012: (InvalidRequest, "Capillary does not know that source. Choose another source."),
    8045: (InvalidRequest, "This source needs an account id. Type the account id and try again."),
    600: (InvalidRequest, "Capillary did not accept the OTP scope. Choose another scope."),
    601: (
        InvalidRequest,
        "Capillary can only send an OTP to a mobile number or an email. Choose one of those.",
    ),
    602: (InvalidRequest, "Capillary did not accept that identifier for an OTP. Check it."),
    603: (InvalidRequest, "Capillary did not accept the way the OTP should be sent. Call support."),
    604: (InvalidRequest, "No OTP was given. Type the customer's OTP."),
    605: (NoValidOtp, "That OTP is wrong or has expired. Ask the customer for a new one."),
    606: (ServerBusy, "Capillary can't create an OTP right now. Wait a moment and try again."),
    874: (
        ServerError,
        "Capillary could not create a code. Try again; if it keeps happening, call support.",
    ),
    875: (
        ServerError,
        "Capillary could not create a code. Try again; if it keeps happening, call support.",
    ),
    876: (NoValidOtp, "That OTP did not match. Ask the customer to check it."),
}

_BUSY_SENTENCES = {
    461: "Capillary's customer search is busy. Wait a moment and try again.",
    521: "Another action is running for this customer. Wait a moment and try again.",
    503: "Capillary is busy or down for maintenance. Wait a moment and try again.",
}


# --- classification -----------------------------------------------------------------


def classify(
    status: int,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    *,
    cluster_label: str = "",
    operation: Operation | None = None,
    doc: Any = _UNPARSED,
) -> CapdeskError | None:
    """None for a success, else the error to raise: body codes first, HTTP status second.

    ``operation`` is the call answered (None: none in particular); ``doc`` is
    ``load_json(body)`` when the caller has it already.
    """
    if doc is _UNPARSED:
        doc = load_json(body)
    if 200 <= status < 300:
        if not isinstance(doc, dict):
            note = non_json_note(headers, body) if doc is NOT_JSON else None
            return unreadable(
                note or "Body was JSON but not an object",
                status=status,
                headers=headers,
                cluster_label=cluster_label,
            )
        listed = doc.get("errors")
        if not isinstance(listed, list) or not listed:
            return None  # the usual answer: a JSON object without errors (see _by_status)
    errors = entries(doc, "errors")
    details = ErrorDetails(
        http_status=status,
        request_id=request_id_of(headers),
        cluster=cluster_label or None,
        technical=non_json_note(headers, body) if doc is NOT_JSON else None,
    )
    retry_after = retry_after_seconds(headers)

    for code, message in errors:
        if code == 429:  # Capillary's own code: its per-customer OTP limit
            here = replace(details, capillary_code=code, message=message)
            return _rate_limited(here, retry_after, daily=operation in _ISSUES_OTPS)
        if code in _CODES:
            cls, sentence = _CODES[code]
            return cls(sentence, replace(details, capillary_code=code, message=message))
    if errors:
        code, message = errors[0]
        details = replace(details, capillary_code=code, message=message)
        if operation is Operation.CARD_NUMBER and _mentions_card_setup(message):
            return CardGenerationNotEnabled(details=details)
    return _by_status(status, body, doc, errors, details, retry_after, operation)


def _mentions_card_setup(message: str | None) -> bool:
    text = (message or "").upper()
    return any(
        word in text
        for word in ("CONF_CARD", "EXTERNALID_ENABLED", "CARD NUMBER GENERATION", "NOT ENABLED")
    )


# Calls that count against Capillary's "10 OTPs per customer per day" limit.
_ISSUES_OTPS = frozenset({Operation.FETCH_OTP, Operation.GENERATE_OTP})


def _from_gateway(body: bytes | None, doc: Any, retry_after: float | None) -> bool:
    """Whether a 429 without Capillary's code came from a gateway shedding load.

    Capillary documents its daily OTP limit as code 429 and no ``Retry-After``; a load
    balancer or API gateway says when to come back, or answers with its own page
    (HTML, plain text) instead of a Capillary JSON body. Telling them apart matters
    to staff: one means "wait a minute", the other "this customer is done for today".
    """
    if retry_after is not None:
        return True
    return doc is NOT_JSON and bool(body and body.strip())


def _rate_limited(details: ErrorDetails, retry_after: float | None, *, daily: bool) -> RateLimited:
    """The daily-OTP-limit sentence, or "too many requests right now, wait N"."""
    # None: the class default, too many OTPs for this customer today.
    sentence = None if daily else _too_many_requests(retry_after)
    return RateLimited(sentence, details, retry_after=retry_after)


def _too_many_requests(retry_after: float | None) -> str:
    """How long to wait, in words a counter reads at a glance.

    Each case is a whole sentence (no pieces glued together) so that a translator
    sees it entire; up to 90 seconds is said in seconds, longer in whole minutes.
    """
    if retry_after is None:
        return "Capillary is getting too many requests right now. Wait a minute, then try again."
    seconds = max(1, math.ceil(retry_after))
    if seconds == 1:
        return "Capillary is getting too many requests right now. Wait 1 second, then try again."
    if seconds <= 90:
        return (
            f"Capillary is getting too many requests right now. Wait {seconds} seconds, "
            "then try again."
        )
    minutes = math.ceil(seconds / 60)
    if minutes <= 60:
        return (
            f"Capillary is getting too many requests right now. Wait {minutes} minutes, "
            "then try again."
        )
    return (
        "Capillary is getting too many requests right now. Try again in an hour or two; "
        "if it keeps happening, call support."
    )


def _by_status(
    status: int,
    body: bytes | None,
    doc: Any,
    errors: list[tuple[int | None, str | None]],
    details: ErrorDetails,
    retry_after: float | None,
    operation: Operation | None,
) -> CapdeskError | None:
    if 200 <= status < 300:  # a JSON object (see classify) that lists errors
        if errors:
            return ServerError(
                "Capillary could not do that. Try again; if it keeps happening, call support.",
                details,
            )
        return None
    if status == 429:
        # Without Capillary's code: on an OTP call it is still the daily limit, unless
        # the answer is plainly a gateway's (see _from_gateway).
        daily = operation in _ISSUES_OTPS and not _from_gateway(body, doc, retry_after)
        return _rate_limited(details, retry_after, daily=daily)
    if status in _BUSY_SENTENCES:
        return ServerBusy(_BUSY_SENTENCES[status], details)
    if operation is Operation.TOKEN and status in (400, 401, 403):
        return AuthenticationFailed(
            "The OAuth key or secret was rejected. Check them and sign in again.", details
        )
    card = operation is Operation.CARD_NUMBER
    if status == 401:
        return AuthenticationFailed(details=details)
    if status == 403:
        return CardGenerationNotEnabled(details=details) if card else NotPermitted(details=details)
    if status == 405:
        if card:
            return WrongMethod(details=replace(details, help=_SWITCH_CARD_METHOD))
        return WrongMethod(_CHECK_ADDRESS_METHOD, details)
    if status == 407:
        return NetworkError(
            "This PC's network proxy would not let capdesk reach Capillary. Ask IT to allow it.",
            details,
            reason="other",
        )
    if status in _OTHER_SENTENCES:
        return InvalidRequest(_OTHER_SENTENCES[status], details)
    if status >= 500:
        return ServerError(details=details)
    if 400 <= status < 500:
        return InvalidRequest(details=details)
    return ServerError(
        "Capillary answered in an unexpected way. Check the cluster address in settings, "
        "or call support.",
        details,
    )


_SWITCH_CARD_METHOD = (
    "This cluster refused the card-number method in use. Switch Settings > card-number "
    "method to the other one (GET or POST)."
)
_CHECK_ADDRESS_METHOD = (
    "The server does not accept this kind of request. Check the cluster address in "
    "settings, or call support."
)
_OTHER_SENTENCES = {
    404: "Capillary does not offer this at that address. Check the cluster address in "
    "settings, or call support.",
    415: "Capillary did not accept the request format. Call support.",
}


# --- successful bodies --------------------------------------------------------------


_Unreadable = TypeVar("_Unreadable", bound=UnreadableResponse)


@overload
def unreadable(
    technical: str,
    *,
    status: int | None,
    headers: Mapping[str, str] | None,
    cluster_label: str,
) -> UnreadableResponse: ...


@overload
def unreadable(
    technical: str,
    *,
    status: int | None,
    headers: Mapping[str, str] | None,
    cluster_label: str,
    kind: type[_Unreadable],
) -> _Unreadable: ...


def unreadable(
    technical: str,
    *,
    status: int | None,
    headers: Mapping[str, str] | None,
    cluster_label: str,
    kind: type[UnreadableResponse] = UnreadableResponse,
) -> UnreadableResponse:
    """THE builder of an answer that cannot be used (``kind``: or one that is not
    Capillary's at all, :class:`~capdesk.api.errors.NotCapillary`), with what support
    needs: status, request id, cluster and, in ``technical``, what was wrong.

    The transport (a body too large), the token manager, the client and the parsers
    here all build it this way, so every unreadable answer carries the same details.
    """
    return kind(
        details=ErrorDetails(
            http_status=status,
            request_id=request_id_of(headers),
            cluster=cluster_label or None,
            technical=technical,
        )
    )


def _json_object(
    body: bytes | None,
    headers: Mapping[str, str] | None,
    status: int | None,
    label: str,
    doc: Any,
) -> dict[str, Any]:
    """The success body as a JSON object (parsed unless ``doc`` is given), or UnreadableResponse."""
    if doc is _UNPARSED:
        doc = load_json(body)
    if not isinstance(doc, dict):
        raise unreadable(
            non_json_note(headers, body), status=status, headers=headers, cluster_label=label
        )
    return doc


def parse_valid_upto(text: Any) -> datetime | None:
    """ISO 8601 with an offset (``2017-08-07T21:44:20+05:30``) → aware datetime, else None."""
    if not isinstance(text, str) or not 10 <= len(text) <= 40:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        return None
    try:  # shown in local time and counted down: it must be a representable instant
        year = value.astimezone(UTC).year
    except OverflowError:
        return None
    return value if SANE_YEARS[0] <= year <= SANE_YEARS[1] else None


def _valid_code(code: Any) -> bool:
    return (
        isinstance(code, str)
        and 0 < len(code) <= MAX_CODE_LENGTH
        and code.isprintable()
        and code.strip() == code
    )


def parse_otp(
    body: bytes | None,
    headers: Mapping[str, str] | None,
    *,
    server_time: ServerTime,
    status: int | None = 200,
    cluster_label: str = "",
    doc: Any = _UNPARSED,
) -> OtpResult:
    """The ``GET /v2/otp`` success body as an :class:`OtpResult` (or UnreadableResponse).

    ``doc`` is ``load_json(body)`` when the caller has it already.
    """
    doc = _json_object(body, headers, status, cluster_label, doc)
    code = doc.get("code")
    if not _valid_code(code):
        raise unreadable(
            "OTP code missing or malformed",
            status=status,
            headers=headers,
            cluster_label=cluster_label,
        )
    valid_upto = parse_valid_upto(doc.get("validUpto"))
    if valid_upto is None:
        raise unreadable(
            "validUpto missing or malformed",
            status=status,
            headers=headers,
            cluster_label=cluster_label,
        )
    return OtpResult(
        code=code,
        valid_upto=valid_upto,
        org_id=as_int(doc.get("orgId")),
        user_id=as_int(doc.get("userId")),
        warnings=warnings_of(doc),
        server_time=server_time,
        request_id=request_id_of(headers),
        valid_upto_text=doc["validUpto"].strip(),
    )


def parse_card_number(
    body: bytes | None,
    headers: Mapping[str, str] | None,
    *,
    status: int | None = 200,
    cluster_label: str = "",
    doc: Any = _UNPARSED,
) -> CardNumberResult:
    """The ``/v2/cardNumber`` success body (``{"entity": "1000000010"}``).

    ``doc`` is ``load_json(body)`` when the caller has it already.
    """
    doc = _json_object(body, headers, status, cluster_label, doc)
    entity = doc.get("entity")
    if isinstance(entity, int) and not isinstance(entity, bool) and entity >= 0:
        entity = str(entity)
    if (
        not isinstance(entity, str)
        or not 0 < len(entity) <= MAX_CARD_NUMBER_LENGTH
        or not entity.isprintable()
        or any(ch.isspace() for ch in entity)
    ):
        raise unreadable(
            "Card number missing or malformed",
            status=status,
            headers=headers,
            cluster_label=cluster_label,
        )
    return CardNumberResult(
        number=entity,
        warnings=warnings_of(doc),
        request_id=request_id_of(headers),
        server_date=parse_http_date(header(headers, "Date")),
    )
