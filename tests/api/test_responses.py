"""Classification of Capillary answers: body codes first, HTTP status second."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capdesk.api import errors as e
from capdesk.api.models import ServerTime
from capdesk.api.operations import Operation
from capdesk.api.responses import classify, parse_card_number, parse_otp
from capdesk.api.wire import parse_http_date

RID = {"X-Cap-Requestid": "req-42", "Content-Type": "application/json"}
SERVER_TIME = ServerTime(datetime(2017, 8, 7, 16, 0, tzinfo=UTC), 100.0)


def body_with(code: int, message: str = '"Some message"') -> bytes:
    return json.dumps(
        {"errors": [{"status": False, "code": code, "message": message}], "warnings": []}
    ).encode()


@pytest.mark.parametrize(
    ("code", "cls", "words"),
    [
        (9001, e.NoValidOtp, "No valid OTP"),
        (8015, e.CustomerNotFound, "No customer found"),
        (8065, e.CustomerNotFound, "in this source"),
        (8069, e.CustomerNotFound, "merged"),
        (8013, e.InvalidRequest, "identifier type"),
        (8011, e.InvalidRequest, "source account"),
        (8012, e.InvalidRequest, "source"),
        (8045, e.InvalidRequest, "account id"),
        (600, e.InvalidRequest, "scope"),
        (604, e.InvalidRequest, "OTP"),
        (605, e.NoValidOtp, "expired"),
        (606, e.ServerBusy, "right now"),
        (874, e.ServerError, "could not create"),
        (875, e.ServerError, "could not create"),
        (876, e.NoValidOtp, "did not match"),
        (429, e.RateLimited, "Too many OTPs"),
    ],
)
@pytest.mark.parametrize("status", [200, 400, 403, 500])
def test_body_codes_win_over_status(code: int, cls: type, words: str, status: int) -> None:
    error = classify(
        status, RID, body_with(code), cluster_label="EU", operation=Operation.FETCH_OTP
    )
    assert type(error) is cls
    assert words in error.sentence
    assert error.details.capillary_code == code
    assert error.details.http_status == status
    assert error.details.request_id == "req-42"
    assert error.details.message == "Some message"  # stray quotes stripped
    assert error.details.cluster == "EU"


@pytest.mark.parametrize("odd", ["\u00b2", "\u0663", "9" * 5000, " 12 ", "1e3"])
def test_odd_codes_and_headers_never_crash(odd: str) -> None:
    body = json.dumps({"errors": [{"code": odd, "message": odd}], "orgId": odd}).encode()
    headers = {"Retry-After": odd, "Date": odd, "Content-Length": odd}
    error = classify(429, headers, body)
    assert isinstance(error, e.RateLimited)
    assert error.details.capillary_code == (12 if odd == " 12 " else None)


def test_first_known_code_is_used() -> None:
    body = json.dumps({"errors": [{"code": 1234, "message": "x"}, {"code": 8015}]}).encode()
    assert isinstance(classify(400, {}, body), e.CustomerNotFound)


@pytest.mark.parametrize(
    ("status", "operation", "cls"),
    [
        (401, Operation.FETCH_OTP, e.AuthenticationFailed),
        (401, Operation.TOKEN, e.AuthenticationFailed),
        (400, Operation.TOKEN, e.AuthenticationFailed),
        (403, Operation.FETCH_OTP, e.NotPermitted),
        (403, Operation.CARD_NUMBER, e.CardGenerationNotEnabled),
        (405, Operation.CARD_NUMBER, e.WrongMethod),
        (405, Operation.FETCH_OTP, e.WrongMethod),
        (429, Operation.FETCH_OTP, e.RateLimited),
        (461, Operation.FETCH_OTP, e.ServerBusy),
        (521, Operation.FETCH_OTP, e.ServerBusy),
        (503, Operation.CARD_NUMBER, e.ServerBusy),
        (500, Operation.FETCH_OTP, e.ServerError),
        (502, Operation.FETCH_OTP, e.ServerError),
        (400, Operation.FETCH_OTP, e.InvalidRequest),
        (404, Operation.FETCH_OTP, e.InvalidRequest),
        (415, Operation.FETCH_OTP, e.InvalidRequest),
        (409, Operation.FETCH_OTP, e.InvalidRequest),
        (407, Operation.FETCH_OTP, e.NetworkError),
        (302, Operation.FETCH_OTP, e.ServerError),
    ],
)
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body><h1>Bad Gateway</h1></body></html>",
        b'{"errors": [{"code": 8',  # truncated JSON
        b'{"errors": [], "warnings": []}',
        b'{"errors": [{"code": 999999, "message": "unknown"}]}',
        b"[1, 2, 3]",
        b"\xff\xfe\x00",
    ],
)
def test_status_alone_when_body_has_no_known_code(
    status: int, operation: str, cls: type, body: bytes
) -> None:
    error = classify(status, {"Content-Type": "text/html"}, body, operation=operation)
    assert type(error) is cls
    assert error.details.http_status == status
    assert error.sentence.endswith(".")


def test_non_json_bodies_are_noted_for_support() -> None:
    error = classify(502, {"Content-Type": "text/html"}, b"<html>proxy</html>")
    assert "not JSON (text/html, 18 bytes)" in error.details.technical
    assert classify(503, {}, b"").details.technical == "Empty body"


@pytest.mark.parametrize("body", [b"", b"<html>ok</html>", b'{"entity": "1', b"[]", b"null"])
def test_success_status_with_unreadable_body(body: bytes) -> None:
    assert isinstance(classify(200, RID, body), e.UnreadableResponse)


def test_success_is_none_and_errors_on_200_are_errors() -> None:
    assert classify(200, RID, b'{"entity": "1000000010", "warnings": []}') is None
    assert classify(200, RID, b'{"code": "X", "errors": null}') is None
    unknown = classify(200, RID, b'{"errors": [{"code": 1, "message": "broken"}]}')
    assert isinstance(unknown, e.ServerError) and unknown.details.message == "broken"


def test_card_prerequisite_message_is_recognised_on_any_status() -> None:
    body = body_with(403, "Card number generation is not enabled for this source account")
    assert isinstance(
        classify(400, RID, body, operation=Operation.CARD_NUMBER), e.CardGenerationNotEnabled
    )
    assert isinstance(classify(400, RID, body, operation=Operation.FETCH_OTP), e.InvalidRequest)


def test_rate_limit_sentences_and_retry_after() -> None:
    daily = classify(429, {}, body_with(429), operation=Operation.FETCH_OTP)
    assert daily.sentence.startswith("Too many OTPs for this customer today")
    throttled = classify(429, {"Retry-After": "42"}, b"", operation=Operation.CARD_NUMBER)
    assert throttled.retry_after == 42 and "42 seconds" in throttled.sentence
    dated = classify(
        429,
        {"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT", "Date": "Wed, 21 Oct 2015 07:28:00 GMT"},
        b"",
    )
    assert dated.retry_after == 30


def test_a_rate_limited_card_number_does_not_blame_the_customers_otps() -> None:
    card = classify(429, {}, body_with(429), operation=Operation.CARD_NUMBER)
    assert isinstance(card, e.RateLimited)
    assert "OTP" not in card.sentence and "too many requests" in card.sentence


GATEWAY_PAGE = b"<html><body><h1>429 Too Many Requests</h1></body></html>"
DAILY = "Too many OTPs for this customer today. Try again tomorrow or call support."
BUSY_NOW = "Capillary is getting too many requests right now."


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, b""),  # a bare 429
        ({}, b'{"errors": [], "warnings": []}'),
        ({}, body_with(429)),
        ({"Retry-After": "30"}, body_with(429)),  # Capillary's own code wins
    ],
)
def test_the_daily_otp_limit_is_capillarys_code_or_a_bare_429(headers, body) -> None:
    for operation in (Operation.FETCH_OTP, Operation.GENERATE_OTP):
        error = classify(429, headers, body, operation=operation)
        assert isinstance(error, e.RateLimited) and error.sentence == DAILY


@pytest.mark.parametrize(
    ("headers", "body", "wait"),
    [
        ({"Retry-After": "30"}, GATEWAY_PAGE, "Wait 30 seconds, then try again."),
        ({"Retry-After": "30"}, b"", "Wait 30 seconds, then try again."),
        ({"Retry-After": "1"}, b"{}", "Wait 1 second, then try again."),
        ({"Retry-After": "0"}, b"", "Wait 1 second, then try again."),
        ({"Retry-After": "90"}, b"", "Wait 90 seconds, then try again."),
        ({"Retry-After": "120"}, b"", "Wait 2 minutes, then try again."),
        ({"Retry-After": "7200"}, b"", "Try again in an hour or two;"),
        ({}, GATEWAY_PAGE, "Wait a minute, then try again."),
        ({}, b"Too Many Requests", "Wait a minute, then try again."),
    ],
)
def test_a_gateway_429_is_not_the_customers_daily_limit(headers, body, wait) -> None:
    """Retry-After, or a page that is not Capillary's JSON: load shedding, not the customer."""
    error = classify(
        429, headers, body, cluster_label="Training (simulated)", operation=Operation.FETCH_OTP
    )
    assert isinstance(error, e.RateLimited)
    assert error.sentence.startswith(BUSY_NOW) and wait in error.sentence
    assert "OTP" not in error.sentence and "Training" not in error.sentence
    assert error.details.cluster == "Training (simulated)"


def test_card_generation_not_enabled_names_the_settings_only_in_details() -> None:
    error = classify(403, RID, body_with(403, "not enabled"), operation=Operation.CARD_NUMBER)
    assert isinstance(error, e.CardGenerationNotEnabled)
    assert error.sentence == (
        "Card numbers can't be generated for this till yet. Ask your Capillary administrator "
        "to switch on card-number generation for it."
    )
    help_line = next(line for line in error.details.lines() if "CONF_" in line)
    assert help_line.startswith("For the administrator: In InTouch > Settings")
    for name in (
        "CONF_CARD_NUMBER_GENERATION_ENABLED",
        "CONF_CLIENT_V2_API_ENABLED",
        "SOURCE_ACCOUNTS_EXTERNALID_ENABLED",
    ):
        assert name in help_line and name in error.for_support()
    assert error.details.message == "not enabled"  # the server's own words are kept too


def test_a_405_on_card_numbers_tells_the_administrator_which_setting() -> None:
    error = classify(405, RID, b"", operation=Operation.CARD_NUMBER)
    assert isinstance(error, e.WrongMethod) and "GET" not in error.sentence
    assert "GET or POST" in error.details.help
    assert classify(405, RID, b"", operation=Operation.FETCH_OTP).details.help is None


def test_the_cluster_label_stays_out_of_the_proxy_sentence() -> None:
    error = classify(407, RID, b"", cluster_label="EU", operation=Operation.FETCH_OTP)
    assert error.sentence == (
        "This PC's network proxy would not let capdesk reach Capillary. Ask IT to allow it."
    )
    assert error.details.cluster == "EU"


def test_parse_http_date() -> None:
    assert parse_http_date("Mon, 07 Aug 2017 16:14:20 GMT") == datetime(
        2017, 8, 7, 16, 14, 20, tzinfo=UTC
    )
    for bad in (None, "", "yesterday", "Mon, 99 Aug 2017 16:14:20 GMT", "x" * 500):
        assert parse_http_date(bad) is None


def otp_body(**fields: object) -> bytes:
    base: dict[str, object] = {
        "orgId": 966,
        "userId": 313302314,
        "code": "538AD87",
        "validUpto": "2017-08-07T21:44:20+05:30",
        "warnings": [{"status": False, "code": 1, "message": '"Minor thing"'}],
    }
    base.update(fields)
    return json.dumps(base).encode()


def test_parse_otp() -> None:
    result = parse_otp(otp_body(), RID, server_time=SERVER_TIME)
    assert result.code == "538AD87"
    assert result.valid_upto == datetime(
        2017, 8, 7, 21, 44, 20, tzinfo=timezone(timedelta(hours=5.5))
    )
    assert result.valid_upto_text == "2017-08-07T21:44:20+05:30"
    assert (result.org_id, result.user_id, result.request_id) == (966, 313302314, "req-42")
    assert result.warnings[0].message == "Minor thing"
    # 16:00 UTC server time; valid until 16:14:20 UTC
    assert result.seconds_left(100.0) == 14 * 60 + 20
    assert "538AD87" not in repr(result)


@pytest.mark.parametrize(
    "fields",
    [
        {"code": ""},
        {"code": None},
        {"code": 538},
        {"code": "x" * 65},
        {"code": " 538AD87"},
        {"code": "53\n8"},
        {"validUpto": "2017-08-07T21:44:20"},  # no offset
        {"validUpto": "tomorrow"},
        {"validUpto": 1502122460},
        {"validUpto": None},
    ],
)
def test_parse_otp_rejects_bad_fields(fields: dict[str, object]) -> None:
    with pytest.raises(e.UnreadableResponse) as caught:
        parse_otp(otp_body(**fields), RID, server_time=SERVER_TIME, cluster_label="EU")
    assert caught.value.details.request_id == "req-42"
    assert "538AD87" not in caught.value.for_support()


def test_parse_card_number() -> None:
    headers = {**RID, "Date": "Mon, 07 Aug 2017 16:14:20 GMT"}
    result = parse_card_number(b'{"entity": "BUK003870381", "warnings": []}', headers)
    assert result.number == "BUK003870381" and result.request_id == "req-42"
    assert result.server_date == datetime(2017, 8, 7, 16, 14, 20, tzinfo=UTC)
    assert parse_card_number(b'{"entity": 1000000010}', {}).number == "1000000010"
    for bad in (b'{"entity": ""}', b'{"entity": "a b"}', b'{"entity": true}', b"{}", b"[]"):
        with pytest.raises(e.UnreadableResponse):
            parse_card_number(bad, {})
    with pytest.raises(e.UnreadableResponse):
        parse_card_number(json.dumps({"entity": "9" * 51}).encode(), {})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["errors", "warnings", "code", "message", "validUpto", "entity", "x"]),
            children,
            max_size=5,
        )
    ),
    max_leaves=15,
)
header_values = st.dictionaries(
    st.sampled_from(["Retry-After", "Date", "X-Cap-Requestid", "Content-Type"]),
    st.text(max_size=40),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(status=st.integers(0, 999), headers=header_values, body=st.binary(max_size=200))
def test_classify_and_parse_never_raise_on_bytes(status: int, headers: dict, body: bytes) -> None:
    assert_only_capdesk_errors(status, headers, body)


@settings(max_examples=100, deadline=None)
@given(status=st.integers(100, 599), headers=header_values, doc=json_values)
def test_classify_and_parse_never_raise_on_json(status: int, headers: dict, doc: object) -> None:
    try:
        body = json.dumps(doc).encode()
    except ValueError:
        body = b"NaN"
    assert_only_capdesk_errors(status, headers, body)


def assert_only_capdesk_errors(status: int, headers: dict, body: bytes) -> None:
    for operation in (Operation.FETCH_OTP, Operation.CARD_NUMBER, Operation.TOKEN):
        result = classify(status, headers, body, cluster_label="EU", operation=operation)
        assert result is None or isinstance(result, e.CapdeskError)
        if result is not None:
            assert result.sentence and result.details.http_status == status
    for parse in (
        lambda: parse_otp(body, headers, server_time=SERVER_TIME),
        lambda: parse_card_number(body, headers),
    ):
        with contextlib.suppress(e.UnreadableResponse):
            parse()
