"""Customer identifiers: checked and normalised before any call is made.

A bad identifier is caught here with a sentence staff can act on, so Capillary
never sees (and never rate-limits or logs) obviously wrong input. Mobile numbers
are normalised to Capillary's form: country code + national number, digits only,
no ``+`` (``919876543210``), whatever way the customer said them.

Normalisation happens once, where the value is typed (:func:`make_lookup`, called by
the window's form and the CLI); the client sends the result as it is. It must not be
normalised again: the result has no ``+``, so a second pass may read it as a
national number of the default country (China as default: ``+1 506-234-5678`` gives
``15062345678``, and that read again is the Chinese mobile ``8615062345678``).

How a mobile number is read:

* ``+CC…`` or ``00CC…`` (with any spaces, dashes, dots, brackets) is international
  and is sent as its E.164 digits whatever the default country, fixed-line numbers
  included (a customer may have registered one; it is never turned into another
  number). ``00`` is taken as the international prefix everywhere because no
  national number starts with it; other international prefixes (``011`` from the
  US, ``0011`` from Australia…) work only where the phone library knows them as the
  default country's own.
* Digits without ``+``/``00`` are read in the default country. The one rule where
  they could also be read as starting with a country code (both readings valid,
  different numbers): **the national reading wins, unless only the other one is a
  mobile number, or the code is the default country's own** (both readings are then
  its numbers; the digits are taken to carry its code, as this module's own results
  do). So with China as default ``15062345678`` is a Chinese mobile (type ``+1…`` for
  Canada), ``919876543210`` with Germany as default is the Indian mobile, and
  ``62218350123`` with Indonesia as default is ``+62 21 8350123``.

Idempotence, stated honestly: re-reading the result *in E.164 form* (``"+" +
result``) gives the result back under any default country; re-reading the bare
digits gives it back under a default country with the same calling code (the digits
then carry the default country's own code), but not in general — which is why
nothing downstream re-normalises.

Every function here raises only :class:`InvalidIdentifier` on bad input, however
odd the input (empty, Unicode, 10,000 characters).

The phone-number library (``phonenumbers``, ~40 ms to import) is loaded on the first
mobile number, not with this module: the window's first screen does not need it.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from types import ModuleType
from typing import TYPE_CHECKING, cast

from capdesk.api.errors import InvalidIdentifier

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber

    from capdesk.api.models import OtpLookup


class IdentifierName(StrEnum):
    """The identifier types ``GET /v2/otp`` accepts (its ``identifierName``)."""

    MOBILE = "mobile"
    EMAIL = "email"
    EXTERNAL_ID = "external_id"
    WECHAT = "wechat"

    @property
    def label(self) -> str:
        """What staff see in the identifier selector."""
        return _LABELS[self]


_LABELS = {
    IdentifierName.MOBILE: "Mobile number",
    IdentifierName.EMAIL: "Email",
    IdentifierName.EXTERNAL_ID: "Card number / external id",
    IdentifierName.WECHAT: "WeChat id",
}

# Spellings seen in Capillary's docs or typed on a command line.
_NAME_ALIASES = {
    "mobile": IdentifierName.MOBILE,
    "phone": IdentifierName.MOBILE,
    "email": IdentifierName.EMAIL,
    "external_id": IdentifierName.EXTERNAL_ID,
    "externalid": IdentifierName.EXTERNAL_ID,
    "external-id": IdentifierName.EXTERNAL_ID,
    "card": IdentifierName.EXTERNAL_ID,
    "wechat": IdentifierName.WECHAT,
}

MAX_EMAIL_LENGTH = 254
MAX_EXTERNAL_ID_LENGTH = 50
MAX_WECHAT_LENGTH = 100
_MAX_MOBILE_TEXT = 40  # generous for "+91 (0) 98765-43210"-style typing

# What a typed phone number may contain besides digits. Letters are refused outright:
# phonenumbers would otherwise read "1-800-FLOWERS" style vanity letters as digits.
_MOBILE_ALLOWED = re.compile(r"^\+?[\d\s\-().\/]+$")
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


_phone_library: ModuleType | None = None


def phone_library() -> ModuleType:
    """The ``phonenumbers`` module, imported on first use (it costs ~40 ms).

    Thread-safe: a second thread importing it at the same time waits for the first.
    """
    global _phone_library
    if _phone_library is None:
        import phonenumbers

        _phone_library = phonenumbers
    return _phone_library


def phone_library_loaded() -> bool:
    """Whether :func:`phone_library` is loaded, i.e. using it now costs nothing."""
    return _phone_library is not None


def country_calling_code(region: str) -> int | None:
    """``"IN"`` → ``91``; None for a region the phone library does not know."""
    code = phone_library().country_code_for_region((region or "").strip().upper())
    return code or None


def identifier_name(name: IdentifierName | str) -> IdentifierName:
    """The :class:`IdentifierName` for ``name`` (also ``externalId`` and similar)."""
    if isinstance(name, IdentifierName):
        return name
    key = str(name).strip().lower() if isinstance(name, str) else ""
    found = _NAME_ALIASES.get(key)
    if found is None:
        raise InvalidIdentifier(
            "Choose what the customer gave you: a mobile number, an email, a card number "
            "(external id) or a WeChat id."
        )
    return found


def normalise_identifier(
    name: IdentifierName | str, value: str, default_country: str = "IN"
) -> str:
    """The value as Capillary expects it, or :class:`InvalidIdentifier` with a sentence."""
    kind = identifier_name(name)
    if not isinstance(value, str):
        raise InvalidIdentifier()
    if kind is IdentifierName.MOBILE:
        return normalise_mobile(value, default_country)
    if kind is IdentifierName.EMAIL:
        return normalise_email(value)
    if kind is IdentifierName.EXTERNAL_ID:
        return _normalise_token(value, MAX_EXTERNAL_ID_LENGTH, "card number (external id)")
    return _normalise_token(value, MAX_WECHAT_LENGTH, "WeChat id")


def make_lookup(
    name: IdentifierName | str,
    value: str,
    *,
    default_country: str = "IN",
    source: str = "INSTORE",
    account_id: str | None = None,
    scope: str = "POINTS",
    threshold: int | None = None,
) -> OtpLookup:
    """The one place a typed identifier becomes what is sent (see :class:`OtpLookup`).

    Raises :class:`InvalidIdentifier` with a sentence when the identifier is not valid.
    """
    from capdesk.api.models import OtpLookup

    kind = identifier_name(name)
    return OtpLookup(
        name=kind,
        value=normalise_identifier(kind, value, default_country),
        source=source,
        account_id=account_id,
        scope=scope,
        threshold=threshold,
    )


# --- mobile -------------------------------------------------------------------------


def _region(default_country: str) -> str | None:
    region = (default_country or "").strip().upper()
    return region if region in phone_library().SUPPORTED_REGIONS else None


def _parse(text: str, region: str | None) -> PhoneNumber | None:
    """A *valid* parsed number, or None (never raises)."""
    phonenumbers = phone_library()
    try:
        number = phonenumbers.parse(text, region)
    except (phonenumbers.NumberParseException, ValueError, TypeError, IndexError):
        return None
    if number.extension or not phonenumbers.is_valid_number(number):
        return None
    return cast("PhoneNumber", number)


def _is_mobile(number: PhoneNumber) -> bool:
    phonenumbers = phone_library()
    mobile_types = (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    try:
        return phonenumbers.number_type(number) in mobile_types
    except Exception:  # metadata gaps in the lite package: treat as unknown
        return False


def normalise_mobile(value: str, default_country: str = "IN") -> str:
    """Country code + national number, digits only: ``+91 98765 43210`` → ``919876543210``.

    Accepted: international (``+91 …``, ``0091 …``), national for the default country
    (``098765 43210``), and numbers that already carry a country code without ``+``
    (``14155550123``). How ambiguous digits are read: see the module docstring.
    Not cached: it runs once per look-up, where the value is typed.
    """
    text = value.strip()
    # The same rule as the form's hint: national numbers are read in the default
    # country, others need "+" and their country code (never "always type the code").
    bad = InvalidIdentifier(
        "That mobile number isn't valid. Check the digits with the customer; a number "
        "from another country starts with + and its country code."
    )
    if not text:
        raise InvalidIdentifier("Type the customer's mobile number.")
    if len(text) > _MAX_MOBILE_TEXT or not _MOBILE_ALLOWED.match(text):
        raise bad
    # Unicode digits (e.g. Devanagari) become ASCII digits here.
    text = "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in text)
    digits = re.sub(r"\D", "", text)
    # 4: a national number can be that short (Tokelau: 7290 → +690 7290); the library
    # checks validity below, this only turns away what cannot be a number at all.
    if not 4 <= len(digits) <= 17:
        raise bad
    region = _region(default_country)

    if text.startswith("+"):
        number = _parse("+" + digits, None)
    elif digits.startswith("00"):
        # 00 is the international prefix whatever the default country (the library
        # alone would not know it in the US or Singapore). Only if that reading is not
        # a number: the default country's own prefix, e.g. Australia's 0011.
        number = _parse("+" + digits[2:], None)
        if number is None and region:
            number = _parse(text, region)
    else:
        national = _parse(text, region) if region else None
        international = _parse("+" + digits, None) if not digits.startswith("0") else None
        number = _choose(national, international, region)
    if number is None:
        raise bad
    phonenumbers = phone_library()
    e164: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164.lstrip("+")


def _choose(
    national: PhoneNumber | None, international: PhoneNumber | None, region: str | None
) -> PhoneNumber | None:
    """Digits without ``+``: read in the default country, or as carrying a country code?

    Only one valid reading: that one. Both valid and different, the documented rule
    (module docstring): the national reading, unless the country code read is the
    default country's own (the digits are an E.164 number of that country, e.g. what
    this module returned: reading them so keeps them stable) or only the
    international reading is a mobile number (OTP identifiers are mobiles).
    """
    if national is None or international is None:
        return national or international
    if national == international:
        return national
    if region and international.country_code == country_calling_code(region):
        return international
    if not _is_mobile(national) and _is_mobile(international):
        return international
    return national


class MobileFormatter:
    """Formats a mobile number as it is typed, for display in the identifier field.

    Only the look changes (spaces, grouping); :func:`normalise_mobile` decides what is
    sent. Text that isn't a phone number being typed is returned unchanged.
    """

    def format(self, text: str, default_country: str = "IN") -> str:
        return format_mobile_as_typed(text, default_country)


def format_mobile_as_typed(text: str, default_country: str = "IN") -> str:
    """``"+919876543210"`` → ``"+91 98765 43210"`` as the user types; never raises."""
    if not isinstance(text, str) or not text or len(text) > _MAX_MOBILE_TEXT:
        return text if isinstance(text, str) else ""
    stripped = text.strip()
    if not stripped or not _MOBILE_ALLOWED.match(stripped):
        return text
    try:
        formatter = phone_library().AsYouTypeFormatter(_region(default_country) or "ZZ")
        result = ""
        for ch in stripped:
            if ch == "+" or ch.isdigit():
                result = formatter.input_digit(ch)
        return result or text
    except Exception:  # the formatter is best-effort display only
        return text


# --- email --------------------------------------------------------------------------


def normalise_email(value: str) -> str:
    """Trimmed, one ``@``, a sane domain; the domain is lower-cased (it is case-blind)."""
    text = value.strip()
    bad = InvalidIdentifier("That email address isn't valid. Check it with the customer.")
    if not text:
        raise InvalidIdentifier("Type the customer's email address.")
    if len(text) > MAX_EMAIL_LENGTH or text.count("@") != 1:
        raise bad
    local, domain = text.split("@")
    # fullmatch: "$" alone would let a trailing newline through ("asha\n@example.com").
    if not local or len(local) > 64 or not _EMAIL_LOCAL.fullmatch(local):
        raise bad
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise bad
    if not _valid_domain(domain):
        raise bad
    return f"{local}@{domain.lower()}"


def _valid_domain(domain: str) -> bool:
    if not domain or len(domain) > 253 or not domain.isascii():
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        return False
    tld = labels[-1]
    return (tld.isalpha() and len(tld) >= 2) or tld.lower().startswith("xn--")


# --- external id and WeChat ---------------------------------------------------------


def _normalise_token(value: str, max_length: int, what: str) -> str:
    """Trimmed; non-empty; no spaces or control characters inside; bounded length."""
    text = value.strip()
    if not text:
        raise InvalidIdentifier(f"Type the customer's {what}.")
    if len(text) > max_length:
        raise InvalidIdentifier(
            f"That {what} is too long (at most {max_length} characters). Check it."
        )
    for ch in text:
        if ch.isspace() or not ch.isprintable() or unicodedata.category(ch).startswith("C"):
            raise InvalidIdentifier(
                f"That {what} has spaces or hidden characters in it. Type it again."
            )
    return text
