"""Identifiers are checked and normalised before any call is made."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capdesk.api.errors import InvalidIdentifier
from capdesk.api.identifiers import (
    IdentifierName,
    MobileFormatter,
    format_mobile_as_typed,
    normalise_identifier,
    normalise_mobile,
)


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("+91 98765 43210", "IN", "919876543210"),
        ("098765 43210", "IN", "919876543210"),
        ("98765-43210", "IN", "919876543210"),
        ("0091 98765 43210", "IN", "919876543210"),
        ("919876543210", "IN", "919876543210"),
        ("919876543210", "US", "919876543210"),  # country code without "+", other default
        ("919876543210", "DE", "919876543210"),
        ("14155550123", "IN", "14155550123"),
        ("(415) 555-0123", "US", "14155550123"),
        ("8613812345678", "IN", "8613812345678"),
        ("13812345678", "CN", "8613812345678"),
        ("+49 151 23456789", "IN", "4915123456789"),
        ("  +91 98765 43210  ", "in", "919876543210"),
        ("९८७६५ ४३२१०", "IN", "919876543210"),  # Devanagari digits
        (
            "\uff19\uff18\uff17\uff16\uff15\uff14\uff13\uff12\uff11\uff10",
            "IN",
            "919876543210",
        ),  # full-width digits (IME)
    ],
)
def test_mobile_normalised_to_capillary_form(value: str, country: str, expected: str) -> None:
    assert normalise_identifier("mobile", value, country) == expected


def test_mobile_normalisation_is_idempotent() -> None:
    for country in ("IN", "US", "DE", "CN", "GB"):
        for value in ("919876543210", "14155550123", "8613812345678", "4915123456789"):
            assert normalise_identifier(IdentifierName.MOBILE, value, country) == value


def test_mobile_normalisation_is_not_cached() -> None:
    """It runs once per look-up (where the value is typed); the cache existed only
    because the form and then the client both checked the same number."""
    assert not hasattr(normalise_mobile, "cache_info")
    assert not hasattr(normalise_mobile, "__wrapped__")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "98765",  # too short
        "+9876543210",  # no such country code
        "1234567890123456789012",
        "+1 800 FLOWERS",  # letters refused
        "98765 43210 ext 5",
        "😀😀😀",
        "\x00919876543210",
        "9" * 10_000,
    ],
)
def test_bad_mobile_numbers_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalise_identifier("mobile", value, "IN")
    assert caught.value.sentence.endswith(".")


def test_unknown_default_country_still_accepts_international() -> None:
    assert normalise_identifier("mobile", "+91 98765 43210", "XX") == "919876543210"
    with pytest.raises(InvalidIdentifier):
        normalise_identifier("mobile", "98765 43210", "XX")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("asha.rao@example.com", "asha.rao@example.com"),
        ("  John.Smith@Example.COM ", "John.Smith@example.com"),
        ("a+tag@sub.example.co.in", "a+tag@sub.example.co.in"),
        ("x@xn--80ak6aa92e.com", "x@xn--80ak6aa92e.com"),
    ],
)
def test_email_accepted(value: str, expected: str) -> None:
    assert normalise_identifier(IdentifierName.EMAIL, value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "asha.rao",
        "a@@example.com",
        "a@b@example.com",
        "@example.com",
        "asha@",
        "asha@localhost",
        "asha@example",
        "asha@-example.com",
        "asha@exa mple.com",
        "as ha@example.com",
        "asha..rao@example.com",
        "asha@example.c",
        "ásha@example.com",
        "a" * 250 + "@example.com",
        "x" * 10_000,
    ],
)
def test_bad_emails_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifier):
        normalise_identifier("email", value)


def test_external_id_and_wechat() -> None:
    assert normalise_identifier("external_id", "  CARD1001 ") == "CARD1001"
    assert normalise_identifier("externalId", "EXT-2002") == "EXT-2002"
    assert normalise_identifier("wechat", "oWX1-liwei-demo") == "oWX1-liwei-demo"
    assert normalise_identifier("external_id", "x" * 50) == "x" * 50
    assert normalise_identifier("wechat", "x" * 100) == "x" * 100


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("external_id", ""),
        ("external_id", "   "),
        ("external_id", "x" * 51),
        ("external_id", "CARD 1001"),
        ("external_id", "CARD\t1001"),
        ("external_id", "CARD\u200b1001"),  # zero-width space
        ("external_id", "CARD\x001001"),
        ("wechat", "x" * 101),
        ("wechat", "li\nwei"),
        ("wechat", "x" * 10_000),
    ],
)
def test_bad_tokens_rejected(name: str, value: str) -> None:
    with pytest.raises(InvalidIdentifier):
        normalise_identifier(name, value)


def test_unknown_identifier_name_rejected() -> None:
    with pytest.raises(InvalidIdentifier, match="mobile number"):
        normalise_identifier("passport", "X1234")


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(["mobile", "email", "external_id", "wechat", "bogus"]),
    value=st.text(max_size=300),
    country=st.sampled_from(["IN", "US", "", "XX", "de"]),
)
def test_any_text_gives_a_value_or_invalid_identifier(name: str, value: str, country: str) -> None:
    try:
        result = normalise_identifier(name, value, country)
    except InvalidIdentifier:
        return
    assert result == result.strip() and result


def test_as_you_type_formatting() -> None:
    assert format_mobile_as_typed("+919876543210", "IN") == "+91 98765 43210"
    assert format_mobile_as_typed("4155550123", "US") == "(415) 555-0123"
    assert MobileFormatter().format("+9198765", "IN") == "+91 98765"
    # Not a phone number being typed: left as it is.
    assert format_mobile_as_typed("asha@example.com", "IN") == "asha@example.com"
    assert format_mobile_as_typed("", "IN") == ""
    assert format_mobile_as_typed("9" * 1000, "IN") == "9" * 1000
