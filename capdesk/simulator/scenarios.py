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

DESCRIPTIONS = {
    NORMAL: "Everything works.",
    SLOW_NETWORK: "Every answer is delayed.",
    OUTAGE: "The server is down (503 page from the load balancer).",
    NO_RESPONSE: "Requests are received but never answered.",
    CONNECTION_RESET: "The connection is cut as soon as a request arrives.",
    RATE_LIMIT: "The gateway refuses every call as too many requests (429, retry in 30 s).",
    CARD_GENERATION_DISABLED: "Card number generation is not enabled for any till.",
    MALFORMED_BODY: "Answers arrive cut off (unreadable JSON).",
}


def check_scenario(name: str) -> str:
    """``name`` if it is a scenario, else ValueError listing the valid ones."""
    if name not in SCENARIOS:
        raise ValueError(f"Unknown scenario {name!r}; use one of: {', '.join(SCENARIOS)}")
    return name
