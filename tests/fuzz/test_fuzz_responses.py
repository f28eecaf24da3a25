"""Fuzzing Capillary's answers: any status, headers and body give a typed result or a
CapdeskError — and a result is one the window and the command line can really use.

tests/api/test_responses.py already throws flat JSON and short bytes at the parser;
here the bodies look like real ones (errors/warnings arrays, OTP and card fields)
with odd types and values inside, nested junk, other encodings, truncation, and
dates and numbers from the edges of what Python can represent.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from capdesk.api import errors as e
from capdesk.api.models import ApiWarning, CardNumberResult, OtpResult
from capdesk.api.operations import Operation
from capdesk.api.responses import classify, parse_card_number, parse_otp
from capdesk.api.wire import MAX_MESSAGE, server_time_from
from tests.fuzz.strategies import (
    any_aware_datetime,
    between,
    http_dates,
    huge_int,
    json_scalar,
    json_values,
    long_text,
    minute_offsets,
    odd_text,
    pick,
)

FUZZ = settings.get_profile("capdesk-fuzz")
OPERATIONS = (*Operation, None)
RECEIVED = 1_000.0
LOCAL_NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

# Capillary's documented codes and the error each must give, whatever the HTTP status.
KNOWN: dict[int, type[e.CapdeskError]] = {
    9001: e.NoValidOtp,
    8015: e.CustomerNotFound,
    8065: e.CustomerNotFound,
    8069: e.CustomerNotFound,
    8013: e.InvalidRequest,
    8011: e.InvalidRequest,
    8012: e.InvalidRequest,
    8045: e.InvalidRequest,
    600: e.InvalidRequest,
    601: e.InvalidRequest,
    602: e.InvalidRequest,
    603: e.InvalidRequest,
    604: e.InvalidRequest,
    605: e.NoValidOtp,
    606: e.ServerBusy,
    874: e.ServerError,
    875: e.ServerError,
    876: e.NoValidOtp,
    429: e.RateLimited,
}
FIELDS = ["errors", "warnings", "code", "message", "status", "validUpto", "entity", "orgId"]

# --- strategies ------------------------------------------------------------------------

statuses = st.one_of(
    st.sampled_from([200, 201, 204, 400, 401, 403, 404, 405, 407, 415, 429, 461, 500, 503, 521]),
    st.integers(100, 599),
    st.integers(-1, 10_000),
)
code_values = st.one_of(
    st.sampled_from(sorted(KNOWN)),
    st.sampled_from(sorted(KNOWN)).map(lambda code: f" {code} "),
    st.sampled_from(sorted(KNOWN)).map(float),
    st.sampled_from(sorted(KNOWN)).map(lambda code: f"{code}.0"),
    st.sampled_from(sorted(KNOWN)).map(lambda code: -code),
    st.booleans(),
    huge_int,
    json_scalar,
    json_values(max_leaves=4),
)
error_entries = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "code": code_values,
            "message": st.one_of(odd_text, long_text(limit=2000), json_values(max_leaves=4)),
            "status": json_scalar,
        },
    ),
    json_values(st.sampled_from(FIELDS), max_leaves=6),
)
error_lists = st.one_of(st.lists(error_entries, max_size=6), json_values(max_leaves=6))
valid_upto_values = st.one_of(
    any_aware_datetime.map(datetime.isoformat),
    any_aware_datetime.map(lambda moment: moment.isoformat(timespec="minutes")),
    any_aware_datetime.map(lambda moment: moment.replace(tzinfo=None).isoformat() + "Z"),
    any_aware_datetime.map(lambda moment: moment.isoformat(sep=" ")),
    st.datetimes().map(datetime.isoformat),  # no offset
    st.sampled_from(
        [
            "9999-12-31T23:59:59-23:59",
            "9999-12-31T23:59:59.999999+00:00",
            "0001-01-01T00:00:00+23:59",
            "0001-01-01T00:00:00-00:01",
            "2017-08-07T21:44:20+05:30",
            "2017-08-07T21:44:20+24:00",
            "2017-W32-1T21:44:20+05:30",
            "2017-08-07",
            "20170807T214420+0530",
            " 2017-08-07T21:44:20+05:30 ",
        ]
    ),
    json_scalar,
)
otp_codes = st.one_of(
    st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=10),
    odd_text,
    long_text(limit=100),
    json_scalar,
)
bodies_like_real_ones = st.fixed_dictionaries(
    {},
    optional={
        "errors": error_lists,
        "warnings": error_lists,
        "code": otp_codes,
        "validUpto": valid_upto_values,
        "orgId": code_values,
        "userId": code_values,
        "entity": st.one_of(huge_int, odd_text, long_text(limit=80), json_scalar),
        "response": json_values(),
    },
)
small_error_entries = st.fixed_dictionaries(
    {},
    optional={
        "code": st.one_of(st.sampled_from(sorted(KNOWN)), st.booleans(), huge_int, odd_text),
        "message": st.one_of(st.none(), odd_text, huge_int),
    },
)
light_extras = st.fixed_dictionaries(  # cheaper to draw, for the exactness tests
    {},
    optional={
        "errors": st.lists(small_error_entries, max_size=2),
        "warnings": st.lists(small_error_entries, max_size=2),
        "orgId": code_values,
        "userId": code_values,
        "response": json_scalar,
    },
)
documents = st.one_of(bodies_like_real_ones, json_values(st.sampled_from(FIELDS) | odd_text))


_PADDING = st.binary(max_size=8)


@st.composite
def encoded(draw: st.DrawFn, document: object) -> bytes:
    """The document as a server might send it: any encoding, maybe cut short or padded."""
    try:
        text = json.dumps(document, ensure_ascii=bool(between(draw, 0, 1)))
    except (ValueError, RecursionError):
        text = "NaN"
    encoding = pick(draw, ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
    body = text.encode(encoding, errors="surrogatepass")
    change = pick(draw, ["none", "none", "truncate", "pad", "flip"])
    if change == "truncate" and body:
        body = body[: between(draw, 0, len(body) - 1)]
    elif change == "pad":
        body = draw(_PADDING) + body + draw(_PADDING)
    elif change == "flip" and body:
        at = between(draw, 0, len(body) - 1)
        body = body[:at] + bytes([between(draw, 0, 255)]) + body[at + 1 :]
    return body


bodies = st.one_of(
    documents.flatmap(encoded),
    st.binary(max_size=300),
    st.sampled_from([b"", b"null", b"[" * 100_000, b"1" * 5000, b'{"code": "' + b"9" * 5000]),
)
header_names = st.sampled_from(
    [
        *("Retry-After", "retry-after", "RETRY-AFTER", "Date", "date"),
        *("X-Cap-Requestid", "x-cap-requestid", "Content-Type", "Content-Length"),
    ]
)
header_values = st.one_of(
    http_dates(),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["0", "-1", "1e3", " 5 ", "\u0663", "99999999999", "3600", "86401"]),
    odd_text,
    long_text(limit=10_000),
)
headers = st.one_of(
    st.none(),
    st.dictionaries(header_names, header_values, max_size=5),
    st.dictionaries(header_names, header_values, max_size=5).map(CaseInsensitiveDict),
)


# --- what a usable answer looks like ----------------------------------------------------


def check_error(error: object, status: int | None) -> None:
    """A CapdeskError with a sentence for staff and bounded, printable details."""
    assert isinstance(error, e.CapdeskError), type(error)
    assert isinstance(error.sentence, str) and error.sentence.endswith(".")
    assert str(error) == error.sentence
    details = error.details
    assert details.http_status == status
    code = details.capillary_code
    assert code is None or (type(code) is int and abs(code) < 10**12)
    message = details.message
    assert message is None or (0 < len(message) <= MAX_MESSAGE and message.isprintable())
    assert details.request_id is None or len(details.request_id) <= 200
    assert error.sentence in error.for_support()
    if isinstance(error, e.RateLimited) and error.retry_after is not None:
        assert math.isfinite(error.retry_after) and 0 <= error.retry_after <= 86_400


def check_warnings(warnings: tuple[ApiWarning, ...]) -> None:
    assert isinstance(warnings, tuple) and len(warnings) <= 50
    for warning in warnings:
        assert warning.code is None or (type(warning.code) is int and abs(warning.code) < 10**12)
        assert isinstance(warning.message, str) and len(warning.message) <= MAX_MESSAGE
        json.dumps(warning.to_json())


def check_otp(result: OtpResult) -> None:
    """Everything the window and the command line do with an OTP works on this one."""
    assert isinstance(result, OtpResult)
    assert 0 < len(result.code) <= 64 and result.code.isprintable()
    assert result.code == result.code.strip()
    assert result.valid_upto.utcoffset() is not None
    result.valid_upto.astimezone()  # "valid until HH:MM:SS" in local time
    result.valid_upto.astimezone(UTC)
    for ids in (result.org_id, result.user_id):
        assert ids is None or (type(ids) is int and abs(ids) < 10**12)
    check_warnings(result.warnings)
    for later in (0.0, 1.0, 900.0, 86_400.0):  # the countdown ticking
        left = result.seconds_left(result.server_time.received_monotonic + later)
        assert math.isfinite(left)
    json.dumps(result.to_json(result.server_time.received_monotonic + 1.0))
    assert f"code={result.code!r}" not in repr(result)  # the OTP never reaches a log via repr


def check_card(result: CardNumberResult) -> None:
    assert isinstance(result, CardNumberResult)
    assert 0 < len(result.number) <= 50 and result.number.isprintable()
    assert not any(ch.isspace() for ch in result.number)
    check_warnings(result.warnings)
    if result.server_date is not None:
        assert result.server_date.utcoffset() == timedelta(0)


def every_parser(status: int, header_map, body: bytes) -> None:
    """What the client does with an answer: classify it, then parse it if it is a success."""
    for operation in OPERATIONS:
        error = classify(status, header_map, body, cluster_label="EU", operation=operation)
        if error is not None:
            check_error(error, status)
        elif operation is Operation.CARD_NUMBER:
            assert 200 <= status < 300
    server_time = server_time_from(header_map, received_monotonic=RECEIVED, local_now=LOCAL_NOW)
    server_time.server_now(RECEIVED + 86_400.0)
    try:
        check_otp(parse_otp(body, header_map, server_time=server_time, status=status))
    except e.UnreadableResponse as error:
        check_error(error, status)
    try:
        check_card(parse_card_number(body, header_map, status=status, cluster_label="EU"))
    except e.UnreadableResponse as error:
        check_error(error, status)


# --- never an unexpected exception -------------------------------------------------------


@FUZZ
@given(status=statuses, header_map=headers, body=bodies)
@example(status=200, header_map={"Date": "Fri, 31 Dec 9999 23:59:59 GMT"}, body=b"")  # found
def test_any_answer_gives_a_usable_result_or_a_capdesk_error(status, header_map, body) -> None:
    every_parser(status, header_map, body)


@FUZZ
@given(
    code=st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8),
    valid_upto=valid_upto_values,
    header_map=headers,
)
@example(code="A", valid_upto="9999-12-31T23:59:59-23:59", header_map=None)  # found by fuzzing
def test_any_valid_upto_gives_a_usable_countdown_or_unreadable(code, valid_upto, header_map):
    body = json.dumps({"code": code, "validUpto": valid_upto}).encode("utf-8", "surrogatepass")
    every_parser(200, header_map, body)


# --- and the right answer when the body is right -----------------------------------------

junk_codes = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(10_000, 10**6),
    st.integers(-(10**6), -1),
    st.text("abcxyz -_", max_size=8),
    json_values(st.sampled_from(FIELDS), max_leaves=3).filter(lambda v: isinstance(v, list)),
)


@FUZZ
@given(
    status=statuses,
    operation=st.sampled_from(OPERATIONS),
    before=st.lists(
        st.fixed_dictionaries({"code": junk_codes, "message": json_scalar}), max_size=4
    ),
    code=st.sampled_from(sorted(KNOWN)),
    spelled=st.sampled_from([int, str, lambda c: f"  {c}\t"]),
    after=st.lists(small_error_entries, max_size=3),
    rest=light_extras.map(lambda doc: {k: v for k, v in doc.items() if k != "errors"}),
)
def test_the_first_known_code_decides_whatever_surrounds_it(
    status, operation, before, code, spelled, after, rest
) -> None:
    document = {**rest, "errors": [*before, {"code": spelled(code), "message": "x"}, *after]}
    body = json.dumps(document).encode("utf-8", errors="surrogatepass")
    error = classify(status, {}, body, operation=operation)
    assert type(error) is KNOWN[code]
    assert error.details.capillary_code == code and error.details.message == "x"
    check_error(error, status)


valid_codes = st.text(
    st.characters(categories=["Lu", "Ll", "Nd", "Pd", "Sm"]), min_size=1, max_size=64
)
good_moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(9000, 1, 1), timezones=minute_offsets
)


@FUZZ
@given(
    code=valid_codes,
    moment=good_moments,
    timespec=st.sampled_from(["seconds", "milliseconds", "microseconds", "auto"]),
    extra=light_extras,
    date=st.one_of(st.none(), http_dates()),
    status=st.sampled_from([200, 201]),
)
def test_a_valid_otp_body_is_read_exactly(code, moment, timespec, extra, date, status) -> None:
    text = moment.isoformat(timespec=timespec)
    body = json.dumps({**extra, "code": code, "validUpto": text}).encode(
        "utf-8", errors="surrogatepass"
    )
    header_map = {"Date": date} if date is not None else {}
    if "errors" not in extra:
        assert classify(status, header_map, body, operation=Operation.FETCH_OTP) is None
    server_time = server_time_from(header_map, received_monotonic=RECEIVED, local_now=LOCAL_NOW)
    result = parse_otp(body, header_map, server_time=server_time, status=status)
    sent = datetime.fromisoformat(text)  # ``timespec`` may have cut the microseconds
    assert (result.code, result.valid_upto, result.valid_upto_text) == (code, sent, text)
    expected = (sent - server_time.server_date).total_seconds() - 5.0
    assert math.isclose(result.seconds_left(RECEIVED + 5.0), expected, abs_tol=1e-6)
    check_otp(result)


@FUZZ
@given(
    entity=st.one_of(
        st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabc-_", min_size=1, max_size=50),
        st.integers(0, 10**49),
    ),
    extra=light_extras,
)
def test_a_valid_card_number_body_is_read_exactly(entity, extra) -> None:
    body = json.dumps({**extra, "entity": entity}).encode("utf-8", errors="surrogatepass")
    result = parse_card_number(body, {"X-Cap-Requestid": "r-1"})
    assert result.number == str(entity) and result.request_id == "r-1"
    check_card(result)
