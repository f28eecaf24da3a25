"""What each Capillary endpoint of the training cluster answers.

Every function takes the shared state, the authenticated caller (None where no auth
is needed), the query parameters and the parsed JSON body, and returns a
:class:`Reply` or raises :class:`SimulatorError`. HTTP mechanics (auth, bodies,
scenarios) live in :mod:`capdesk.simulator.handler`.

``GET /v2/otp`` checks, in this order: identifierName (8013), identifierValue (8013),
source (8012; a missing source means INSTORE, as in the older docs), accountId for
WECHAT/FACEBOOK/MARTJACK (8045 missing, 8011 unknown; ignored for other sources),
scope (unknown or missing: 9001, since no OTP of such a scope can exist), the
customer (8015), the customer's membership of that source/account (8065), and
finally a valid OTP (9001). All these errors come with HTTP 400, Capillary's status
for invalid input.

``threshold`` (undocumented upstream: "the validity of the OTP (in seconds) that you
want to fetch") is read as the *minimum remaining validity*: an OTP with fewer
seconds left is skipped. It is harmless: absent, empty, non-numeric or negative
values mean 0 (any valid OTP), and it never returns an expired or used OTP.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from capdesk.api.sources import KNOWN_SOURCES, SOURCES_NEEDING_ACCOUNT
from capdesk.simulator import demo_data, scenarios
from capdesk.simulator.access import Caller, check_client
from capdesk.simulator.cards import CardSpaceExhausted
from capdesk.simulator.demo_data import Customer
from capdesk.simulator.replies import (
    ACCOUNT_MISSING,
    BAD_ACCOUNT,
    BAD_ACTION,
    BAD_CHANNEL,
    BAD_ENTITY_TYPE,
    BAD_ENTITY_VALUE,
    BAD_IDENTIFIER,
    BAD_SOURCE,
    CARD_PREREQUISITE,
    CARD_PREREQUISITE_MESSAGE,
    NO_CUSTOMER,
    NO_OTP_PASSED,
    NO_VALID_OTP,
    NOT_IN_SOURCE,
    Reply,
    SimulatorError,
    json_reply,
)
from capdesk.simulator.state import OtpRecord, SimulatorState, normalise_scope

Query = Mapping[str, str]
Body = Mapping[str, Any]

ENTITY_TYPES = {"MOBILE": "mobile", "EMAIL": "email"}
CHANNEL_TYPES = frozenset({"SMS", "EMAIL"})


def valid_upto_text(record: OtpRecord) -> str:
    """ISO 8601 in the org's offset, whole seconds: ``2026-01-01T17:45:00+05:30``."""
    return record.valid_until.astimezone(demo_data.ORG_TIMEZONE).isoformat(timespec="seconds")


def _bad(code: int, message: str) -> SimulatorError:
    return SimulatorError(400, code, message)


def resolve_customer(
    identifier_name: str | None,
    identifier_value: str | None,
    source: str | None,
    account_id: str | None,
) -> Customer:
    """The customer ``GET /v2/otp`` (and a demo OTP request) is about, or SimulatorError."""
    key = demo_data.canonical_identifier_name(identifier_name)
    if key is None:
        raise _bad(
            BAD_IDENTIFIER, "Invalid identifierName: use mobile, email, external_id or wechat"
        )
    if not (identifier_value or "").strip():
        raise _bad(BAD_IDENTIFIER, "Customer identifier value is missing")
    source_name = (source or "INSTORE").strip().upper()
    if source_name not in KNOWN_SOURCES:
        raise _bad(BAD_SOURCE, "Invalid source")
    account = (account_id or "").strip() or None
    if source_name in SOURCES_NEEDING_ACCOUNT:
        if account is None:
            raise _bad(ACCOUNT_MISSING, f"Account id is required for source {source_name}")
        if account not in demo_data.SOURCE_ACCOUNTS.get(source_name, frozenset()):
            raise _bad(BAD_ACCOUNT, "Invalid source account")
    customer = demo_data.find_customer(key, identifier_value or "")
    if customer is None:
        raise _bad(NO_CUSTOMER, "No customer found with the given identifier")
    if not customer.in_source(source_name, account):
        raise _bad(NOT_IN_SOURCE, "No customer found in the given source with the given identifier")
    return customer


def owner_of(customer: Customer) -> str:
    return f"user:{customer.user_id}"


def parse_threshold(text: str | None) -> float:
    """See the module docstring: minimum seconds left; anything unusable means 0."""
    try:
        value = float(text or 0)
    except ValueError:
        return 0.0
    return value if math.isfinite(value) and value > 0 else 0.0


def fetch_otp(state: SimulatorState, caller: Caller | None, query: Query, body: Body) -> Reply:
    """``GET /v2/otp``: the most recent valid OTP of the customer for the scope."""
    received = query.get("identifierValue")
    if received is not None:  # before any check: what was sent, found or not
        state.record_identifier_value(received)
    customer = resolve_customer(
        query.get("identifierName"),
        query.get("identifierValue"),
        query.get("source"),
        query.get("accountId"),
    )
    scope = normalise_scope(query.get("scope"))
    if scope is None:
        raise _bad(NO_VALID_OTP, "No valid OTP found for this scope")
    record = state.otps.latest_valid(
        owner_of(customer), scope, parse_threshold(query.get("threshold"))
    )
    if record is None:
        raise _bad(NO_VALID_OTP, "No valid OTP found")
    return json_reply(
        200,
        {
            "orgId": demo_data.ORG_ID,
            "userId": customer.user_id,
            "code": record.code,
            "validUpto": valid_upto_text(record),
            "warnings": [],
        },
    )


def request_otp(
    state: SimulatorState,
    identifier_name: str | None,
    identifier_value: str | None,
    source: str | None = "INSTORE",
    account_id: str | None = None,
    scope: str | None = "POINTS",
) -> OtpRecord:
    """A demo customer asks for an OTP: same checks as a fetch, then the generate
    logic (and its daily limit)."""
    customer = resolve_customer(identifier_name, identifier_value, source, account_id)
    action = normalise_scope(scope)
    if action is None:
        raise _bad(BAD_ACTION, '"Invalid or Null action passed"')
    entity = customer.otp_entity()
    if entity is None:
        raise _bad(BAD_ENTITY_VALUE, '"Invalid or Null entity value passed"')
    return state.otps.issue(owner_of(customer), customer.user_id, entity[0], entity[1], action)


def _entity_fields(body: Body, *, need_code: bool) -> tuple[str | None, str | None, str | None]:
    """(action, entity type, entity value) after the 600-series checks; all problems
    are reported together, like the docs' sample failure (600 and 602 at once)."""
    problems: list[tuple[int, str]] = []
    action = normalise_scope(_text(body.get("action")))
    if action is None:
        problems.append((BAD_ACTION, '"Invalid or Null action passed"'))
    entity_type = _text(body.get("entityType")).upper()
    if entity_type not in ENTITY_TYPES:
        problems.append((BAD_ENTITY_TYPE, '"Invalid or Null entity type passed"'))
    entity_value = _text(body.get("entityValue")).strip()
    if not entity_value:
        problems.append((BAD_ENTITY_VALUE, '"Invalid or Null entity value passed"'))
    if need_code and not _text(body.get("code")).strip():
        problems.append((NO_OTP_PASSED, '"No OTP passed"'))
    if problems:
        raise SimulatorError(400, problems[0][0], problems[0][1], problems[1:])
    return action, entity_type, entity_value


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _owner_for_entity(entity_type: str, entity_value: str) -> tuple[str, Customer | None]:
    customer = demo_data.find_customer(ENTITY_TYPES[entity_type], entity_value)
    if customer is not None:
        return owner_of(customer), customer
    return f"{entity_type}:{entity_value.lower()}", None


def generate_otp(state: SimulatorState, caller: Caller | None, query: Query, body: Body) -> Reply:
    """``POST /v2/otp/generate``. Unknown entities only get REGISTRATION OTPs."""
    action, entity_type, entity_value = _entity_fields(body, need_code=False)
    assert action and entity_type and entity_value
    channels = body.get("channels")
    if channels is not None and not (
        isinstance(channels, list)
        and all(
            isinstance(c, dict) and _text(c.get("type")).upper() in CHANNEL_TYPES for c in channels
        )
    ):
        raise _bad(BAD_CHANNEL, '"Invalid channel passed"')
    owner, customer = _owner_for_entity(entity_type, entity_value)
    if customer is None and action != "REGISTRATION":
        raise _bad(BAD_ENTITY_VALUE, '"Invalid or Null entity value passed"')
    user_id = customer.user_id if customer else None
    record = state.otps.issue(owner, user_id, entity_type, entity_value, action)
    return json_reply(200, {"createdId": record.id, "warnings": []})


def validate_otp(state: SimulatorState, caller: Caller | None, query: Query, body: Body) -> Reply:
    """``POST /v2/otp/validate``: 200 with ``entity`` true (OTP consumed) or false."""
    action, entity_type, entity_value = _entity_fields(body, need_code=True)
    assert action and entity_type and entity_value
    owner, _ = _owner_for_entity(entity_type, entity_value)
    ok = state.otps.consume(owner, action, _text(body.get("code")))
    return json_reply(200, {"entity": ok, "warnings": []})


def card_number(state: SimulatorState, caller: Caller | None, query: Query, body: Body) -> Reply:
    """``/v2/cardNumber`` (GET or POST): a new unique number, if the till may have one."""
    assert caller is not None
    disabled = state.scenario == scenarios.CARD_GENERATION_DISABLED
    if disabled or not caller.till.card_generation_enabled:
        raise SimulatorError(403, CARD_PREREQUISITE, CARD_PREREQUISITE_MESSAGE)
    try:
        number = state.issue_card_number()
    except CardSpaceExhausted as exc:
        raise SimulatorError(500, 500, "Unable to generate a unique card number") from exc
    return json_reply(200, {"entity": number, "warnings": []})


def oauth_token(state: SimulatorState, caller: Caller | None, query: Query, body: Body) -> Reply:
    """``POST /v3/oauth/token/generate`` with ``{"key", "secret"}``."""
    client = check_client(body.get("key"), body.get("secret"))
    if client is None:
        errors = [{"code": 401, "message": "Invalid client key or secret"}]
        return json_reply(401, {"data": None, "errors": errors})
    token = state.tokens.issue(client)
    ttl = state.tokens.ttl_seconds
    ttl_value = int(ttl) if float(ttl).is_integer() else ttl
    return json_reply(
        200, {"data": {"accessToken": token, "ttlSeconds": ttl_value}, "errors": None}
    )


Endpoint = Callable[[SimulatorState, Caller | None, Query, Body], Reply]


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    endpoint: Endpoint
    needs_auth: bool = True
    json_body: bool = False


ROUTES: dict[str, Route] = {
    "/v2/otp": Route(("GET",), fetch_otp),
    "/v2/otp/generate": Route(("POST",), generate_otp, json_body=True),
    "/v2/otp/validate": Route(("POST",), validate_otp, json_body=True),
    "/v2/cardNumber": Route(("GET", "POST"), card_number),
    "/v3/oauth/token/generate": Route(("POST",), oauth_token, needs_auth=False, json_body=True),
}
