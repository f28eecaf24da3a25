"""Typed results of Capillary calls.

Remaining OTP validity is computed against the *server's* clock: the ``Date``
header of the response fixes the server time at the moment the response arrived,
and a monotonic clock measures time since then. A PC whose clock is minutes off
still shows the right countdown, and changing the PC's clock mid-countdown does not
make it jump.

Secrets (the OTP code) are excluded from ``repr`` so they never land in a log line
or a traceback by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from capdesk.api.identifiers import IdentifierName


@dataclass(frozen=True)
class ApiWarning:
    """A secondary failure reported beside a successful result: shown, never hidden."""

    code: int | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class ServerTime:
    """Anchors server time to this process's monotonic clock at receipt of a response.

    ``server_date`` comes from the ``Date`` header (whole seconds). Without a usable
    header, the local wall clock at receipt stands in for it.
    """

    server_date: datetime  # aware
    received_monotonic: float
    from_header: bool = True

    def server_now(self, now_monotonic: float) -> datetime:
        return self.server_date + timedelta(seconds=now_monotonic - self.received_monotonic)

    def offset_from(self, local_wall_at_receipt: datetime) -> timedelta:
        """How far the server's clock is ahead of the PC's (for display/diagnostics)."""
        return self.server_date - local_wall_at_receipt


@dataclass(frozen=True)
class OtpResult:
    """``GET /v2/otp``: the most recent valid OTP of a customer."""

    code: str = field(repr=False)
    valid_upto: datetime  # aware, with the server's offset preserved
    org_id: int | None
    user_id: int | None
    warnings: tuple[ApiWarning, ...]
    server_time: ServerTime
    request_id: str | None = None
    valid_upto_text: str = ""  # exactly as the server sent it

    def seconds_left(self, now_monotonic: float) -> float:
        """Seconds of validity left at ``now_monotonic``, by the server's clock (may be < 0)."""
        return (self.valid_upto - self.server_time.server_now(now_monotonic)).total_seconds()

    def to_json(self, now_monotonic: float) -> dict[str, Any]:
        """The server's fields plus ``secondsLeft`` — the CLI's ``--json`` contract."""
        return {
            "orgId": self.org_id,
            "userId": self.user_id,
            "code": self.code,
            "validUpto": self.valid_upto_text or self.valid_upto.isoformat(),
            "warnings": [w.to_json() for w in self.warnings],
            "secondsLeft": max(0, int(self.seconds_left(now_monotonic))),
        }


@dataclass(frozen=True)
class CardNumberResult:
    """``/v2/cardNumber``: one freshly generated card number / external id."""

    number: str
    warnings: tuple[ApiWarning, ...]
    request_id: str | None = None
    server_date: datetime | None = None


@dataclass(frozen=True)
class OtpLookup:
    """Whose OTP to fetch, exactly as it will be sent.

    Built once, where staff typed it (the window's form, the CLI's arguments), by
    :func:`capdesk.api.identifiers.make_lookup`; ``value`` is already normalised (a
    mobile number as its E.164 digits without ``+``). Nothing downstream normalises
    it again: a second pass could read those digits as a national number of the
    default country and fetch another person's code.
    """

    name: IdentifierName
    value: str
    source: str = "INSTORE"
    account_id: str | None = None
    scope: str = "POINTS"
    threshold: int | None = None
