"""Everything the training cluster remembers during a run: OTPs, tokens, cards, counts.

All time comes from the injected :class:`~capdesk.clock.Clock`: OTP validity and the
daily limit use the wall clock (``validUpto`` is wall time, and tests move it with
FakeClock), token lifetimes use the monotonic clock. Every store has its own lock,
because the server answers each connection on its own thread.
"""

from __future__ import annotations

import secrets
import string
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from capdesk.api.sources import SCOPES
from capdesk.clock import Clock
from capdesk.simulator import demo_data, scenarios
from capdesk.simulator.cards import CardNumberFormat, CardNumberGenerator
from capdesk.simulator.replies import RATE_LIMITED, SimulatorError

OTP_ALPHABET = string.digits + string.ascii_uppercase
OTP_LENGTH = 7

# How many received identifierValues are remembered (tests read the latest few; a
# simulator left running all day must not grow).
RECEIVED_IDENTIFIERS_KEPT = 1000

# Scopes (fetch) and actions (generate/validate) share one namespace. The seed's
# COUPONS and the docs' COUPON are the same scope.
_SCOPE_ALIASES = {"COUPONS": "COUPON"}


def normalise_scope(scope: str | None) -> str | None:
    """The canonical scope, or None if Capillary would not know it."""
    upper = (scope or "").strip().upper()
    upper = _SCOPE_ALIASES.get(upper, upper)
    return upper if upper in SCOPES else None


@dataclass
class OtpRecord:
    """One issued OTP. ``owner`` keys the daily limit and look-ups: ``user:<id>`` for a
    known customer, ``<TYPE>:<value>`` for a REGISTRATION OTP to an unknown entity."""

    id: int
    owner: str
    user_id: int | None
    entity_type: str
    entity_value: str
    scope: str
    code: str = field(repr=False)
    created_at: datetime
    valid_until: datetime
    consumed: bool = False

    def seconds_left(self, now: datetime) -> float:
        return (self.valid_until - now).total_seconds()


class OtpStore:
    """Issues, finds and consumes OTPs; enforces the per-customer daily limit."""

    def __init__(self, clock: Clock, validity_seconds: float, daily_limit: int | None) -> None:
        self._clock = clock
        self.validity_seconds = validity_seconds
        self.daily_limit = daily_limit  # None or 0: unlimited
        self._lock = threading.Lock()
        self._records: list[OtpRecord] = []
        self._next_id = 1

    def _org_date(self, moment: datetime) -> date:
        return moment.astimezone(demo_data.ORG_TIMEZONE).date()

    def issue(
        self, owner: str, user_id: int | None, entity_type: str, entity_value: str, scope: str
    ) -> OtpRecord:
        """A new OTP, or SimulatorError 429 once ``owner`` had ``daily_limit`` today
        (today in the org's time zone)."""
        with self._lock:
            now = self._clock.now()
            if self.daily_limit:
                today = self._org_date(now)
                issued_today = sum(
                    1
                    for r in self._records
                    if r.owner == owner and self._org_date(r.created_at) == today
                )
                if issued_today >= self.daily_limit:
                    raise SimulatorError(
                        429,
                        RATE_LIMITED,
                        f"OTP limit reached: at most {self.daily_limit} OTPs per customer per day",
                    )
            valid_until = (now + timedelta(seconds=self.validity_seconds)).replace(microsecond=0)
            record = OtpRecord(
                id=self._next_id,
                owner=owner,
                user_id=user_id,
                entity_type=entity_type,
                entity_value=entity_value,
                scope=scope,
                code="".join(secrets.choice(OTP_ALPHABET) for _ in range(OTP_LENGTH)),
                created_at=now,
                valid_until=valid_until,
            )
            self._next_id += 1
            self._records.append(record)
            return record

    def latest_valid(self, owner: str, scope: str, min_seconds_left: float = 0) -> OtpRecord | None:
        """The most recently issued unconsumed, unexpired OTP of ``owner`` for ``scope``
        that is still valid for at least ``min_seconds_left`` seconds."""
        with self._lock:
            now = self._clock.now()
            for record in reversed(self._records):
                if record.owner != owner or record.scope != scope or record.consumed:
                    continue
                left = record.seconds_left(now)
                if left > 0 and left >= min_seconds_left:
                    return record
            return None

    def consume(self, owner: str, scope: str, code: str) -> bool:
        """True (and the OTP is used up) if ``code`` is a valid OTP of ``owner``/``scope``."""
        wanted = code.strip().upper().encode("utf-8")
        with self._lock:
            now = self._clock.now()
            for record in reversed(self._records):
                if (
                    record.owner == owner
                    and record.scope == scope
                    and not record.consumed
                    and record.seconds_left(now) > 0
                    and secrets.compare_digest(record.code.encode("ascii"), wanted)
                ):
                    record.consumed = True
                    return True
            return False

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


class TokenStore:
    """OAuth access tokens; they expire ``ttl_seconds`` after issue by the monotonic clock."""

    _FORGET_AFTER = 86400.0  # expired tokens are still recognised (as expired) this long

    def __init__(self, clock: Clock, ttl_seconds: float) -> None:
        self._clock = clock
        self.ttl_seconds = ttl_seconds
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}  # token -> (client key, expires at)

    def issue(self, client_key: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock.monotonic()
            self._tokens = {
                t: v for t, v in self._tokens.items() if v[1] + self._FORGET_AFTER > now
            }
            self._tokens[token] = (client_key, now + self.ttl_seconds)
        return token

    def lookup(self, token: str) -> tuple[str, str | None]:
        """("ok", client key) | ("expired", None) | ("unknown", None)."""
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None:
                return "unknown", None
            if self._clock.monotonic() >= entry[1]:
                return "expired", None
            return "ok", entry[0]

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


@dataclass
class SimulatorConfig:
    """The knobs of one simulator run (defaults as in docs/ARCHITECTURE.md)."""

    card_format: CardNumberFormat = field(default_factory=CardNumberFormat)
    otp_validity_seconds: float = 900.0
    token_ttl_seconds: float = 300.0
    slow_seconds: float = 3.0
    daily_otp_limit: int | None = 10
    # Numbers earlier runs issued (the app's card history): never issued again.
    card_numbers_taken: frozenset[str] = frozenset()
    # Each run starts its sequence at a random point (unless an offset is set), so two
    # runs that know nothing of each other do not issue the same numbers.
    card_random_start: bool = True


class SimulatorState:
    """The shared state behind the HTTP handler and the Python control API."""

    def __init__(self, clock: Clock, config: SimulatorConfig, scenario: str) -> None:
        self.clock = clock
        self.config = config
        self.otps = OtpStore(clock, config.otp_validity_seconds, config.daily_otp_limit)
        self.tokens = TokenStore(clock, config.token_ttl_seconds)
        self.stopping = threading.Event()
        self.connection_lock = threading.Lock()  # guards the server's open-connection set
        self._lock = threading.Lock()
        self._scenario = scenarios.check_scenario(scenario)
        self._cards = CardNumberGenerator(
            config.card_format,
            taken=config.card_numbers_taken,
            random_start=config.card_random_start,
        )
        self._issued: list[str] = []
        self._counts: Counter[str] = Counter()
        self._identifier_values: deque[str] = deque(maxlen=RECEIVED_IDENTIFIERS_KEPT)
        self.connections_accepted = 0

    @property
    def scenario(self) -> str:
        with self._lock:
            return self._scenario

    def set_scenario(self, name: str) -> None:
        scenarios.check_scenario(name)
        with self._lock:
            self._scenario = name

    def issue_card_number(self) -> str:
        with self._lock:  # one lock over both, so the list is in issue order
            number = self._cards.next()
            self._issued.append(number)
        return number

    @property
    def issued_card_numbers(self) -> list[str]:
        with self._lock:
            return list(self._issued)

    def count_request(self, path: str) -> None:
        with self._lock:
            self._counts[path] += 1

    def count_connection(self) -> None:
        with self._lock:
            self.connections_accepted += 1

    def record_identifier_value(self, value: str) -> None:
        """Remember an ``identifierValue`` exactly as ``GET /v2/otp`` received it, so
        tests can check on the server side what the client really sent."""
        with self._lock:
            self._identifier_values.append(value)

    @property
    def received_identifier_values(self) -> list[str]:
        """The latest ``identifierValue``s received, oldest first (a copy)."""
        with self._lock:
            return list(self._identifier_values)

    def request_count(self, path: str | None = None) -> int:
        """Requests seen on ``path`` (without query string), or on all paths."""
        with self._lock:
            return self._counts[path] if path is not None else sum(self._counts.values())

    def reset(self) -> None:
        """Forget OTPs, tokens, counts and received identifiers; scenario back to
        normal. Issued card numbers are kept so numbers stay unique for the whole run."""
        self.otps.clear()
        self.tokens.clear()
        with self._lock:
            self._counts.clear()
            self._identifier_values.clear()
            self._scenario = scenarios.NORMAL
