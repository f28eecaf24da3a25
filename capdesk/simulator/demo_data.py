"""The seeded demo org of the training cluster: tills, OAuth client, customers, sources.

These values are a public contract (docs/ARCHITECTURE.md, "Training cluster demo
data"): the README lists them for trainers and tests rely on them, so change them
only together with those. They are demo values on a local simulator, which is why
they may be printed when the simulator starts; real credentials never are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta, timezone

from capdesk.api.auth import md5_hex
from capdesk.api.client_factory import TRAINING_TILL_NAME, TRAINING_TILL_PASSWORD

ORG_ID = 50001
ORG_NAME = "Capdesk Training Org"
# validUpto carries the org's offset, like the docs' "2017-08-07T21:44:20+05:30".
ORG_TIMEZONE = timezone(timedelta(hours=5, minutes=30))

# The source accounts for which the org generates card numbers
# (SOURCE_ACCOUNTS_EXTERNALID_ENABLED, written "SOURCE:ACCOUNT" as on InTouch).
EXTERNALID_ENABLED_ACCOUNTS = frozenset({"INSTORE:"})


@dataclass(frozen=True)
class Till:
    """A till login. Only the md5 of the password is compared, as Capillary does."""

    username: str
    password: str = field(repr=False)
    source_account: str  # "SOURCE:ACCOUNT", matched against EXTERNALID_ENABLED_ACCOUNTS

    @property
    def password_md5(self) -> str:
        return md5_hex(self.password)

    @property
    def card_generation_enabled(self) -> bool:
        return self.source_account in EXTERNALID_ENABLED_ACCOUNTS


TILL = Till(TRAINING_TILL_NAME, TRAINING_TILL_PASSWORD, "INSTORE:")
TILL_WITHOUT_CARDS = Till("training.till2", "training123", "INSTORE:TRAINING-KIOSK")
TILLS: dict[str, Till] = {t.username: t for t in (TILL, TILL_WITHOUT_CARDS)}

OAUTH_KEY = "training-key"
OAUTH_SECRET = "training-secret"
# OAuth client key -> (secret, the till its calls act as unless attribution headers name one)
OAUTH_CLIENTS: dict[str, tuple[str, str]] = {OAUTH_KEY: (OAUTH_SECRET, TILL.username)}

# The demo accounts of the sources that need one (capdesk.api.sources).
SOURCE_ACCOUNTS: dict[str, frozenset[str]] = {
    "WECHAT": frozenset({"WECHAT-DEMO1"}),
    "FACEBOOK": frozenset({"FB-DEMO1"}),
    "MARTJACK": frozenset({"MJ-DEMO1"}),
}


@dataclass(frozen=True)
class Customer:
    """A demo customer. ``sources`` maps source -> account ids (empty for INSTORE)."""

    user_id: int
    name: str
    identifiers: dict[str, str]  # "mobile" | "email" | "external_id" | "wechat" -> value
    sources: dict[str, frozenset[str]]

    def in_source(self, source: str, account_id: str | None) -> bool:
        if source not in self.sources:
            return False
        accounts = self.sources[source]
        return not accounts or account_id in accounts

    def otp_entity(self) -> tuple[str, str] | None:
        """Where an OTP for this customer is sent: the mobile, else the email."""
        if "mobile" in self.identifiers:
            return "MOBILE", self.identifiers["mobile"]
        if "email" in self.identifiers:
            return "EMAIL", self.identifiers["email"]
        return None


CUSTOMERS: tuple[Customer, ...] = (
    Customer(
        3001,
        "Asha Rao",
        {"mobile": "919876543210", "email": "asha.rao@example.com", "external_id": "CARD1001"},
        {"INSTORE": frozenset()},
    ),
    Customer(
        3002,
        "John Smith",
        {"mobile": "14155550123", "email": "john.smith@example.com", "external_id": "EXT-2002"},
        {"INSTORE": frozenset(), "MARTJACK": frozenset({"MJ-DEMO1"})},
    ),
    Customer(
        3003,
        "Li Wei",
        {"wechat": "oWX1-liwei-demo", "mobile": "8613812345678"},
        {"WECHAT": frozenset({"WECHAT-DEMO1"})},
    ),
    Customer(
        3004,
        "Emma Müller",
        {"email": "emma.mueller@example.com", "mobile": "4915123456789"},
        {"FACEBOOK": frozenset({"FB-DEMO1"}), "INSTORE": frozenset()},
    ),
)

# identifierName as sent -> our key. The OTP page says external_id, other v2 pages
# externalId: both are accepted (case-insensitively).
IDENTIFIER_NAMES = {
    "mobile": "mobile",
    "email": "email",
    "external_id": "external_id",
    "externalid": "external_id",
    "wechat": "wechat",
}


def canonical_identifier_name(name: str | None) -> str | None:
    """Our key for an identifierName, or None when Capillary would answer 8013."""
    return IDENTIFIER_NAMES.get((name or "").strip().lower())


def _normalise_value(key: str, value: str) -> str:
    value = value.strip()
    if key == "mobile":
        return value.removeprefix("+").replace(" ", "").replace("-", "")
    if key == "email":
        return value.lower()
    return value


def find_customer(key: str, value: str) -> Customer | None:
    """The customer whose identifier ``key`` (canonical) equals ``value``."""
    wanted = _normalise_value(key, value)
    for customer in CUSTOMERS:
        have = customer.identifiers.get(key)
        if have is not None and _normalise_value(key, have) == wanted:
            return customer
    return None


def demo_credentials_text() -> str:
    """The lines ``serve`` prints for trainers (demo values only)."""
    lines = [
        f"Org: {ORG_ID} {ORG_NAME}",
        f"Till (Basic): {TILL.username} / {TILL.password}",
        f"Till without card generation: {TILL_WITHOUT_CARDS.username} / "
        f"{TILL_WITHOUT_CARDS.password}",
        f"OAuth: key {OAUTH_KEY} / secret {OAUTH_SECRET}",
        "Customers:",
    ]
    for c in CUSTOMERS:
        ids = ", ".join(f"{k} {v}" for k, v in c.identifiers.items())
        sources = ", ".join(
            f"{s} ({', '.join(sorted(a))})" if a else s for s, a in c.sources.items()
        )
        lines.append(f"  {c.user_id} {c.name}: {ids}; sources {sources}")
    return "\n".join(lines)
