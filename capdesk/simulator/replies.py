"""Response bodies in Capillary's shapes, and the error the endpoints raise.

v2 errors: ``{"errors": [{"status": false, "code": N, "message": "…"}], "warnings": []}``.
HTTP statuses follow Capillary's list: 400 for invalid input (8011/8012/8013/8015/
8045/8065/9001 and the 600-series), 401 authentication, 403 prerequisites not
enabled, 404, 405, 415, 429 rate limit, 503 outage.

Two different 429s: Capillary's own daily OTP limit (a v2 body with code 429, no
``Retry-After``), and a gateway in front of it shedding load (its own HTML page and a
``Retry-After``), which is what the ``rate_limit`` training scenario plays. Staff get
a different sentence for each, so the simulator must not blur them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JSON = "application/json"
HTML = "text/html; charset=utf-8"

# Codes named in Capillary's documentation.
NO_VALID_OTP = 9001
NO_CUSTOMER = 8015
NOT_IN_SOURCE = 8065
BAD_IDENTIFIER = 8013
BAD_SOURCE = 8012
BAD_ACCOUNT = 8011
ACCOUNT_MISSING = 8045
BAD_ACTION = 600
BAD_ENTITY_TYPE = 601
BAD_ENTITY_VALUE = 602
BAD_CHANNEL = 603
NO_OTP_PASSED = 604
OTP_INVALID = 605
CANNOT_GENERATE = 606
RATE_LIMITED = 429
# Not pinned by the docs: the prerequisite refusal of /v2/cardNumber carries HTTP 403
# and code 403; clients should rely on the status and the named settings.
CARD_PREREQUISITE = 403

CARD_PREREQUISITE_MESSAGE = (
    "Card number generation is not enabled for this source account. Enable "
    "CONF_CARD_NUMBER_GENERATION_ENABLED and CONF_CLIENT_V2_API_ENABLED, and add the "
    "account to SOURCE_ACCOUNTS_EXTERNALID_ENABLED."
)

# Longer than the client's MAX_RETRY_AFTER (10 s), so a GET is not retried: the
# trainee sees "wait 30 seconds" at once instead of a frozen window first.
GATEWAY_RETRY_AFTER = 30
GATEWAY_429_PAGE = (
    "<html><head><title>429 Too Many Requests</title></head>\n"
    "<body><h1>429 Too Many Requests</h1>\n"
    "<p>The gateway is receiving too many requests. Retry later.</p></body></html>\n"
)

OUTAGE_PAGE = (
    "<html><head><title>503 Service Unavailable</title></head>\n"
    "<body><h1>503 Service Unavailable</h1>\n"
    "<p>No server is available to handle this request.</p></body></html>\n"
)


class SimulatorError(Exception):
    """A Capillary error answer: HTTP status, Capillary code and message.

    Raised by the endpoint logic and by the Python control API
    (e.g. :meth:`TrainingSimulator.customer_requests_otp`). Never carries a secret.
    """

    def __init__(
        self,
        http_status: int,
        code: int,
        message: str,
        more: list[tuple[int, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message
        self.more = more or []  # further (code, message) errors reported in the same body

    def reply(self) -> Reply:
        return v2_error(self.http_status, self.code, self.message, self.more)


@dataclass
class Reply:
    """Everything the handler needs to write one response."""

    status: int
    body: bytes
    content_type: str = JSON
    headers: list[tuple[str, str]] = field(default_factory=list)
    close: bool = False


def json_reply(status: int, payload: Any) -> Reply:
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def v2_error(
    status: int, code: int, message: str, more: list[tuple[int, str]] | None = None
) -> Reply:
    """A v2 error body. Messages carry Capillary's stray quotes only where the docs
    show them (the 600 series); the client must cope with both."""
    pairs = [(code, message), *(more or [])]
    errors = [{"status": False, "code": c, "message": m} for c, m in pairs]
    return json_reply(status, {"errors": errors, "warnings": []})


def auth_error(message: str) -> Reply:
    return json_reply(401, {"errors": [{"code": 401, "message": message}]})


def outage_reply() -> Reply:
    return Reply(503, OUTAGE_PAGE.encode("utf-8"), content_type=HTML)


def gateway_rate_limit_reply() -> Reply:
    """The rate_limit fault: a gateway's 429 page with ``Retry-After``, not Capillary's
    daily OTP limit (which is a v2 body with code 429)."""
    return Reply(
        429,
        GATEWAY_429_PAGE.encode("utf-8"),
        content_type=HTML,
        headers=[("Retry-After", str(GATEWAY_RETRY_AFTER))],
    )


def truncate(reply: Reply) -> Reply:
    """The malformed_body fault: HTTP 200 with the first half of the JSON text.

    A strict prefix of a JSON object is never valid JSON, so this always fails to parse.
    """
    cut = max(1, len(reply.body) // 2)
    return Reply(200, reply.body[:cut], reply.content_type, list(reply.headers), reply.close)
