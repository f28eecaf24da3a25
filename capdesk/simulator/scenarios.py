"""Scenario names: the faults a trainer (or a test) can switch the training cluster into.

Gateway-level faults (slow_network, outage, no_response, connection_reset,
rate_limit) hit every API path before authentication, as a load balancer or an
overloaded gateway would: rate_limit is the gateway's 429 page with ``Retry-After``,
not Capillary's daily OTP limit per customer (that one the demo customers reach by
asking for more than 10 OTPs a day). App-level ones act after authentication:
card_generation_disabled refuses ``/v2/cardNumber`` for every till, and
malformed_body processes the request normally and then sends a truncated JSON body
with HTTP 200 (so a card number *is* consumed, as when a real response is cut off).
The ``/_training/*`` control endpoints are never affected.
"""

from __future__ import annotations

NORMAL = "normal"
SLOW_NETWORK = "slow_network"
OUTAGE = "outage"
NO_RESPONSE = "no_response"
CONNECTION_RESET = "connection_reset"
RATE_LIMIT = "rate_limit"
CARD_GENERATION_DISABLED = "card_generation_disabled"
MALFORMED_BODY = "malformed_body"

SCENARIOS = (
    NORMAL,
    SLOW_NETWORK,
    OUTAGE,
    NO_RESPONSE,
    CONNECTION_RESET,
    RATE_LIMIT,
    CARD_GENERATION_DISABLED,
    MALFORMED_BODY,
)


def check_scenario(name: str) -> str:
    """``name`` if it is a scenario, else ValueError listing the valid ones."""
    if name not in SCENARIOS:
        raise ValueError(f"Unknown scenario {name!r}; use one of: {', '.join(SCENARIOS)}")
    return name
