"""Properties of mobile-number normalisation, over every region the phone library knows.

The rules under test are in the module docstring of :mod:`capdesk.api.identifiers`:

* a number typed internationally (``+CC…`` or ``00CC…``, any spaces, dashes, dots) is
  its E.164 digits under any default country, mobile or fixed-line alike, and that
  is what the server receives (checked where it arrives: the training simulator
  records each ``identifierValue``, reached over real HTTP on loopback);
* digits without a country prefix are read in the default country;
* idempotence holds for the E.164 form (``"+" + result``) under any default
  country, and for the bare digits only under a default country with the same
  calling code. Bare digits of a foreign number may be read as a national number of
  the default country (issue 8's two examples): the tests say so rather than hide
  it, and that is why the value is normalised once and never again.

Examples: ``phonenumbers.example_number_for_type`` for MOBILE and FIXED_LINE of every
region in ``SUPPORTED_REGIONS`` (489 numbers with the library's current metadata).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType

from capdesk.api import errors
from capdesk.api.auth import BasicCredentials
from capdesk.api.client import CapillaryClient
from capdesk.api.identifiers import (
    IdentifierName,
    country_calling_code,
    make_lookup,
    normalise_identifier,
)
from capdesk.clock import SYSTEM_CLOCK
from capdesk.simulator import TrainingSimulator
from capdesk.simulator.state import RECEIVED_IDENTIFIERS_KEPT, SimulatorConfig, SimulatorState

DEFAULT_COUNTRIES = ["IN", "CN", "US", "DE", "AE", "SG", "ID", "SA"]
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
KINDS = {"mobile": PhoneNumberType.MOBILE, "fixed_line": PhoneNumberType.FIXED_LINE}
EXAMPLES: list[tuple[str, str, PhoneNumber]] = [
    (region, kind, number)
    for region in REGIONS
    for kind, number_type in KINDS.items()
    if (number := phonenumbers.example_number_for_type(region, number_type)) is not None
]
TILL = BasicCredentials.from_password("training.till", "training123")
# A client and a simulator per example would spend the time starting servers: one of
# each serves the module (fixture "training"), and every example reads what it caused.
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)


def mobile(value: str, country: str) -> str:
    return normalise_identifier(IdentifierName.MOBILE, value, country)


def e164_digits(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164).removeprefix("+")


def international_spellings(number: PhoneNumber) -> list[str]:
    """``+CC…`` and ``00CC…`` as staff type them: compact, spaced, dashed, dotted."""
    spaced = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    digits = e164_digits(number)
    return [
        "+" + digits,
        spaced,
        spaced.replace(" ", "-"),
        spaced.replace(" ", "."),
        "00" + digits,
        "00 " + spaced.removeprefix("+"),
        "00-" + spaced.removeprefix("+").replace(" ", "."),
    ]


@st.composite
def international_typing(draw: st.DrawFn) -> tuple[str, str]:
    """(an example number typed with + or 00 and any separators, its E.164 digits)."""
    _region, _kind, number = draw(st.sampled_from(EXAMPLES))
    groups = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL).split()
    prefix = draw(st.sampled_from(["+", "00", "00 ", "+ "]))
    text = prefix + groups[0].removeprefix("+")
    for group in groups[1:]:
        text += draw(st.sampled_from(["", " ", "-", ".", " - ", ". "])) + group
    pad = draw(st.sampled_from(["", " ", "  "]))
    return pad + text + pad, e164_digits(number)


@st.composite
def any_typing(draw: st.DrawFn) -> tuple[str, str]:
    """(an accepted way to type an example number, the default country to read it in):
    internationally under any default country, or nationally in its own region."""
    if draw(st.booleans()):
        text, _digits = draw(international_typing())
        return text, draw(st.sampled_from(DEFAULT_COUNTRIES))
    region, _kind, number = draw(st.sampled_from(EXAMPLES))
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL), region


# --- international input: its E.164 digits, whatever the default country ----------------


def test_the_examples_cover_every_region_mobile_and_fixed_line() -> None:
    kinds = {kind for _region, kind, _number in EXAMPLES}
    regions = {region for region, _kind, _number in EXAMPLES}
    assert kinds == set(KINDS) and regions == set(REGIONS)
    assert len(EXAMPLES) > 400


@pytest.mark.parametrize("country", DEFAULT_COUNTRIES)
def test_every_example_typed_internationally_is_its_e164_digits(country: str) -> None:
    wrong = [
        (text, result)
        for _region, _kind, number in EXAMPLES
        for text in international_spellings(number)
        if (result := mobile(text, country)) != e164_digits(number)
    ]
    assert wrong == []


@settings(max_examples=300, deadline=None)
@given(typed=international_typing(), country=st.sampled_from(DEFAULT_COUNTRIES))
def test_international_typing_with_any_separators_is_its_e164_digits(typed, country) -> None:
    text, digits = typed
    assert mobile(text, country) == digits


def test_every_example_typed_nationally_is_read_in_its_own_country() -> None:
    wrong = []
    for region, _kind, number in EXAMPLES:
        text = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        if (result := mobile(text, region)) != e164_digits(number):
            wrong.append((region, text, result))
    assert wrong == []


# --- normalising twice ----------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(typed=any_typing(), again_in=st.sampled_from(DEFAULT_COUNTRIES))
def test_the_e164_form_of_a_result_normalises_to_itself_in_any_country(typed, again_in) -> None:
    text, country = typed
    result = mobile(text, country)
    assert mobile("+" + result, again_in) == result
    assert mobile("+" + result, country) == result


@settings(max_examples=300, deadline=None)
@given(typed=any_typing())
def test_a_result_is_stable_as_bare_digits_where_its_calling_code_is_the_default(typed) -> None:
    text, country = typed
    result = mobile(text, country)
    if phonenumbers.parse("+" + result).country_code == country_calling_code(country):
        assert mobile(result, country) == result


def test_every_example_as_bare_e164_digits_is_stable_in_its_own_country() -> None:
    wrong = [
        (region, digits, result)
        for region, _kind, number in EXAMPLES
        if (result := mobile(digits := e164_digits(number), region)) != digits
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("digits", "country", "read_as"),
    [
        # Issue 8: the form's result read again as a national number: another person.
        ("15062345678", "CN", "8615062345678"),  # from +1 506-234-5678
        ("9592123456", "IN", "919592123456"),  # from +95 9 212 3456
    ],
)
def test_bare_digits_of_a_foreign_number_may_be_read_in_the_default_country(
    digits: str, country: str, read_as: str
) -> None:
    """Not idempotent, by the documented rule: the default country wins. This is why
    the look-up carries the normalised value and nothing normalises it again."""
    assert mobile("+" + digits, country) == digits
    assert mobile(digits, country) == read_as


@pytest.mark.parametrize(
    ("digits", "country", "expected", "why"),
    [
        ("15062345678", "CN", "8615062345678", "both valid: the default country wins"),
        ("919876543210", "DE", "919876543210", "only the +91 reading is a mobile"),
        ("62218350123", "ID", "62218350123", "62 is the default country's own code"),
        ("468123456", "SE", "468123456", "46 is the default country's own code"),
        ("14155550123", "IN", "14155550123", "only the +1 reading is valid"),
        ("098765 43210", "IN", "919876543210", "a trunk 0: national only"),
    ],
)
def test_the_documented_rule_for_digits_without_a_country_prefix(
    digits: str, country: str, expected: str, why: str
) -> None:
    assert mobile(digits, country) == expected, why


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("0091 98765 43210", "US", "919876543210"),  # 00 even where the IDD is 011
        ("0091 98765 43210", "SG", "919876543210"),
        ("0091 98765 43210", "ID", "919876543210"),
        ("011 91 98765 43210", "US", "919876543210"),  # the library knows the US's 011
        ("0011 91 98765 43210", "AU", "919876543210"),  # 00 reading invalid: AU's 0011
        ("00 49 30 123456", "SA", "4930123456"),  # a fixed line, accepted as typed
    ],
)
def test_international_prefixes(text: str, country: str, expected: str) -> None:
    assert mobile(text, country) == expected


# --- what the server receives -------------------------------------------------------------


@pytest.fixture(scope="module")
def training() -> Iterator[tuple[TrainingSimulator, CapillaryClient]]:
    with (
        TrainingSimulator(daily_otp_limit=None) as simulator,
        CapillaryClient(simulator.base_url, TILL, backoff=0.01) as client,
    ):
        yield simulator, client


def received_by_server(
    training: tuple[TrainingSimulator, CapillaryClient], text: str, country: str
) -> str:
    """Fetch an OTP for ``text`` typed with ``country`` as default, as the form and the
    CLI do (make_lookup, then the client); what the simulator received."""
    simulator, client = training
    lookup = make_lookup(IdentifierName.MOBILE, text, default_country=country)
    before = simulator.request_count("/v2/otp")
    # Nobody has most example numbers: the server saw the value all the same.
    with contextlib.suppress(errors.CustomerNotFound, errors.NoValidOtp):
        client.fetch_otp(lookup)
    assert simulator.request_count("/v2/otp") == before + 1
    return simulator.received_identifier_values[-1]


@pytest.mark.parametrize(
    ("typed", "country", "expected"),
    [("+1 506-234-5678", "CN", "15062345678"), ("+95 9 212 3456", "IN", "9592123456")],
)
def test_issue_8_examples_reach_the_server_unchanged(training, typed, country, expected) -> None:
    """Before: the client normalised the form's result again and sent 8615062345678 /
    919592123456, a different customer's number."""
    assert received_by_server(training, typed, country) == expected


def test_every_example_typed_internationally_reaches_the_server_as_e164(training) -> None:
    wrong = []
    for index, (_region, _kind, number) in enumerate(EXAMPLES):
        country = DEFAULT_COUNTRIES[index % len(DEFAULT_COUNTRIES)]
        spellings = international_spellings(number)
        text = spellings[index % len(spellings)]
        if (got := received_by_server(training, text, country)) != e164_digits(number):
            wrong.append((text, country, got))
    assert wrong == []


@PROPERTY_SETTINGS
@given(typed=international_typing(), country=st.sampled_from(DEFAULT_COUNTRIES))
def test_international_input_reaches_the_server_as_e164(training, typed, country) -> None:
    text, digits = typed
    assert received_by_server(training, text, country) == digits


def test_the_simulator_records_what_it_received_oldest_first(simulator) -> None:
    code = simulator.customer_requests_otp("mobile", "919876543210")
    with CapillaryClient(simulator.base_url, TILL) as client:
        assert client.fetch_otp(make_lookup("mobile", "+91 98765 43210")).code == code
        with pytest.raises(errors.NoValidOtp):
            client.fetch_otp(make_lookup("mobile", "(415) 555-0123", default_country="US"))
        with pytest.raises(errors.CustomerNotFound):
            client.fetch_otp(make_lookup("email", "Nobody@Example.com"))
    assert simulator.received_identifier_values == [
        "919876543210",
        "14155550123",
        "Nobody@example.com",
    ]
    simulator.reset()
    assert simulator.received_identifier_values == []


def test_the_simulators_record_is_bounded() -> None:
    state = SimulatorState(SYSTEM_CLOCK, SimulatorConfig(), "normal")
    for index in range(RECEIVED_IDENTIFIERS_KEPT + 5):
        state.record_identifier_value(str(index))
    kept = state.received_identifier_values
    assert len(kept) == RECEIVED_IDENTIFIERS_KEPT
    assert kept[0] == "5" and kept[-1] == str(RECEIVED_IDENTIFIERS_KEPT + 4)
