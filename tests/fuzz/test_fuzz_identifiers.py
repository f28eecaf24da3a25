"""Fuzzing identifier checks: any text, any default country → a normalised value or
InvalidIdentifier, and a normalised value stays the same when normalised again.

tests/api/test_identifiers.py throws short plain text at five countries; here every
supported country, Unicode of every category (surrogates, controls, NULs, marks,
digits of other scripts), 10,000-character strings, and real mobile numbers, emails
and card numbers typed the many ways staff type them — which must be accepted.
"""

from __future__ import annotations

import re

import phonenumbers
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from capdesk.api.errors import InvalidIdentifier
from capdesk.api.identifiers import (
    MAX_EMAIL_LENGTH,
    MAX_EXTERNAL_ID_LENGTH,
    MAX_WECHAT_LENGTH,
    IdentifierName,
    MobileFormatter,
    identifier_name,
    normalise_identifier,
)
from tests.fuzz.strategies import awkward_char, long_text, odd_text, pick

FUZZ = settings.get_profile("capdesk-fuzz")
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
MOBILE_REGIONS = [
    region
    for region in REGIONS
    if phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE) is not None
]

names = st.one_of(
    st.sampled_from(list(IdentifierName)),
    st.sampled_from(["mobile", "phone", "email", "externalId", "external-id", "card", "wechat"]),
    st.sampled_from(["Mobile", " EMAIL ", "ExternalID", "WeChat\t", "passport", "", "\x00"]),
    odd_text,
)
countries = st.one_of(
    st.sampled_from(REGIONS),
    st.sampled_from(REGIONS).map(lambda region: f" {region.lower()} "),
    st.sampled_from(["", "XX", "ZZ", "001", "UK", "\uff29\uff2e", "I\u0307N", "IN\x00"]),
    odd_text,
)
values = st.one_of(odd_text, long_text(limit=10_000), st.text(max_size=60))


def check_normalised(kind: IdentifierName, result: str) -> None:
    """What Capillary may be sent for each kind."""
    assert isinstance(result, str) and result and result == result.strip()
    if kind is IdentifierName.MOBILE:
        assert result.isascii() and result.isdigit() and 5 <= len(result) <= 17
        assert phonenumbers.is_valid_number(phonenumbers.parse("+" + result, None))
    elif kind is IdentifierName.EMAIL:
        local, domain = result.split("@")  # exactly one @
        assert result.isascii() and len(result) <= MAX_EMAIL_LENGTH
        assert domain == domain.lower() and "." in domain and local
    else:
        limit = MAX_EXTERNAL_ID_LENGTH if kind is IdentifierName.EXTERNAL_ID else MAX_WECHAT_LENGTH
        assert len(result) <= limit and result.isprintable()
        assert not any(ch.isspace() for ch in result)


def normalised_or_refused(name, value: str, country: str) -> str | None:
    try:
        result = normalise_identifier(name, value, country)
    except InvalidIdentifier as error:
        assert error.sentence.endswith(".") and error.sentence.isprintable()
        return None
    kind = identifier_name(name)
    check_normalised(kind, result)
    # Stable when normalised again; for a mobile number in its E.164 form, since bare
    # digits may be read in the default country (see capdesk.api.identifiers).
    again = "+" + result if kind is IdentifierName.MOBILE else result
    assert normalise_identifier(kind, again, country) == result
    return result


@FUZZ
@given(name=names, value=values, country=countries)
def test_any_text_is_normalised_or_refused_with_a_sentence(name, value, country) -> None:
    normalised_or_refused(name, value, country)


VALID = [
    (IdentifierName.MOBILE, "+91 98765 43210"),
    (IdentifierName.EMAIL, "asha.rao@example.com"),
    (IdentifierName.EXTERNAL_ID, "CARD1001"),
    (IdentifierName.WECHAT, "oWX1-liwei-demo"),
]


@FUZZ
@given(
    case=st.sampled_from(VALID),
    junk=st.lists(awkward_char, min_size=1, max_size=3),
    where=st.integers(0, 20),
    country=st.sampled_from(REGIONS),
)
@example(case=VALID[1], junk=["\n"], where=8, country="IN")  # "asha.rao\n@…" was accepted
def test_valid_values_with_stray_characters(case, junk, where, country) -> None:
    """A pasted value with a hidden character: refused or cleaned, never passed on raw."""
    name, valid = case
    value = valid[:where] + "".join(junk) + valid[where:]
    result = normalised_or_refused(name, value, country)
    hidden = [ch for ch in junk if not ch.isprintable() or ch.isspace()]
    if result is not None and name is not IdentifierName.MOBILE:
        assert not any(ch in result for ch in hidden)
    if hidden and 0 < where < len(valid) and name is not IdentifierName.MOBILE:
        assert result is None  # inside the value: refused, not silently changed


# --- real values, typed the ways people type them: accepted ------------------------------

DIGITS = {  # scripts whose digits staff may type with an IME or a local keyboard
    "ascii": "0123456789",
    "devanagari": "".join(chr(0x0966 + i) for i in range(10)),
    "fullwidth": "".join(chr(0xFF10 + i) for i in range(10)),
    "arabic-indic": "".join(chr(0x0660 + i) for i in range(10)),
}
FORMATS = {
    "e164": PhoneNumberFormat.E164,
    "international": PhoneNumberFormat.INTERNATIONAL,
    "national": PhoneNumberFormat.NATIONAL,
    "bare": PhoneNumberFormat.E164,
}


@st.composite
def typed_mobiles(draw: st.DrawFn) -> tuple[str, str, str]:
    """(what staff typed, the default country, the E.164 digits Capillary needs)."""
    region = pick(draw, MOBILE_REGIONS)
    number = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    expected = phonenumbers.format_number(number, PhoneNumberFormat.E164).lstrip("+")
    style = pick(draw, sorted(FORMATS))
    text = phonenumbers.format_number(number, FORMATS[style])
    if style == "bare":  # the country code without "+", as read off a form
        text = text.lstrip("+")
    country = region if style in ("national", "bare") else pick(draw, REGIONS)
    script = DIGITS[pick(draw, sorted(DIGITS))]
    text = "".join(script[int(ch)] if ch.isdigit() else ch for ch in text)
    pads = ["", " ", "\t", "\u3000", "\xa0", "\n"]
    return pick(draw, pads) + text + pick(draw, pads), country, expected


@FUZZ
@given(typed=typed_mobiles())
def test_real_mobile_numbers_are_accepted_however_typed(typed) -> None:
    text, country, expected = typed
    assert normalise_identifier(IdentifierName.MOBILE, text, country) == expected


_LOCAL = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"


_WORDS = st.lists(st.text(_LOCAL, min_size=1, max_size=10), min_size=1, max_size=3)
_LABELS = st.lists(
    st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?", fullmatch=True),
    min_size=1,
    max_size=3,
)
_TLDS = st.text("abcdefghijklmnopqrstuvwxyzCOM", min_size=2, max_size=6)


@st.composite
def emails(draw: st.DrawFn) -> tuple[str, str]:
    local = ".".join(draw(_WORDS))
    domain = ".".join([*draw(_LABELS), draw(_TLDS)])
    assume(len(local) <= 64 and len(local) + len(domain) < MAX_EMAIL_LENGTH)
    return f"{local}@{domain}", f"{local}@{domain.lower()}"


@FUZZ
@given(email=emails(), pad=st.sampled_from(["", " ", "\t\n", "\u2003"]))
def test_real_emails_are_accepted(email, pad) -> None:
    text, expected = email
    assert normalise_identifier("email", pad + text + pad) == expected


token_chars = st.characters(categories=["L", "M", "N", "P", "S"])


@FUZZ
@given(
    name=st.sampled_from([IdentifierName.EXTERNAL_ID, IdentifierName.WECHAT]),
    token=st.text(token_chars, min_size=1, max_size=MAX_EXTERNAL_ID_LENGTH),
    pad=st.sampled_from(["", " ", "\u3000"]),
)
def test_printable_card_numbers_and_wechat_ids_pass_unchanged(name, token, pad) -> None:
    assume(token == token.strip())
    assert normalise_identifier(name, pad + token + pad) == token


# --- the as-you-type display ---------------------------------------------------------------


@FUZZ
@given(text=st.one_of(values, typed_mobiles().map(lambda typed: typed[0])), country=countries)
def test_as_you_type_formatting_never_raises_and_keeps_the_digits(text, country) -> None:
    shown = MobileFormatter().format(text, country)
    assert isinstance(shown, str)
    if text.strip() and re.fullmatch(r"\+?[0-9 ()./-]+", text.strip()):
        assert re.sub(r"\D", "", shown) == re.sub(r"\D", "", text)
