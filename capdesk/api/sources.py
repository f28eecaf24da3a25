"""Capillary's sources and OTP scopes: the facts both the form and the simulator need.

One list, so the lookup form never offers a source the training cluster would call
unknown, and both agree on which sources need an account id (the ones where an org
may have several accounts, e.g. several WeChat official accounts). No Qt here.
"""

from __future__ import annotations

# The sources Capillary knows, in the order staff see them (most used first).
KNOWN_SOURCES: tuple[str, ...] = (
    "INSTORE",
    "WECHAT",
    "FACEBOOK",
    "MARTJACK",
    "MOBILE_APP",
    "WEBSITE",
    "ECOMMERCE",
    "WEB_ENGAGE",
    "LINE",
    "TMALL",
    "TAOBAO",
    "JD",
    "OTHERS",
)
# Sources with several accounts per org: a call must name the accountId.
SOURCES_NEEDING_ACCOUNT = frozenset({"WECHAT", "FACEBOOK", "MARTJACK"})
DEFAULT_SOURCE = "INSTORE"
# An identifier type that exists in one source only: choosing it chooses that source.
IMPLIED_SOURCES = {"wechat": "WECHAT"}
# The training cluster's demo accounts (``capdesk.simulator.demo_data.SOURCE_ACCOUNTS``,
# not imported: the window's first screen does not load the simulator), so a trainer's
# WeChat look-up is "pick WeChat id, type, Enter", as it is once IT has set the brand's.
TRAINING_ACCOUNT_IDS = {"WECHAT": "WECHAT-DEMO1", "FACEBOOK": "FB-DEMO1", "MARTJACK": "MJ-DEMO1"}


def source_for(identifier_name: str, source: str | None) -> str:
    """The source to use: the one given, else the one the identifier type implies."""
    return source or IMPLIED_SOURCES.get(identifier_name, DEFAULT_SOURCE)


# OTP scopes (fetch) — the same words Capillary uses as actions (generate/validate).
SCOPES: tuple[str, ...] = (
    "POINTS",
    "COUPON",
    "REGISTRATION",
    "USERGROUP",
    "SUBSCRIPTION",
    "GENERIC",
)
