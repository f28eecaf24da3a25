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
# OTP scopes (fetch) — the same words Capillary uses as actions (generate/validate).
SCOPES: tuple[str, ...] = (
    "POINTS",
    "COUPON",
    "REGISTRATION",
    "USERGROUP",
    "SUBSCRIPTION",
    "GENERIC",
)
