"""CapillaryClient over real HTTP: the training simulator and small scripted servers."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from capdesk.api import errors as e
from capdesk.api.auth import BasicCredentials
from capdesk.api.client import CapillaryClient
from capdesk.api.identifiers import IdentifierName, make_lookup
from capdesk.api.models import OtpLookup
from capdesk.api.transport import Timeouts
from tests.api.local_server import Answer, LocalServer, json_answer
from tests.fake_clock import FakeClock

TILL = BasicCredentials.from_password("training.till", "training123")
TILL_WITHOUT_CARDS = BasicCredentials.from_password("training.till2", "training123")
DOCS_VECTOR = "Basic c3RvcmUuc2VydmVyOjhhMTZhNmI3MDUwNWViMWYxZmY3Y2RjMGNkNTU1OWE3"
OTP_BODY = (
    '{"orgId": 966, "userId": 313302314, "code": "538AD87", '
    '"validUpto": "2017-08-07T21:44:20+05:30", "warnings": []}'
)
FAST = Timeouts(connect=1.0, read=0.3)


def client_for(base_url: str, credentials=TILL, **kwargs) -> CapillaryClient:
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("cluster_label", "Training")
    return CapillaryClient(base_url, credentials, **kwargs)


# --- what goes on the wire ------------------------------------------------------------


def test_docs_basic_vector_and_json_headers_are_sent() -> None:
    credentials = BasicCredentials.from_password("store.server", "server123")
    assert credentials.password_md5 == "8a16a6b70505eb1f1ff7cdc0cd5559a7"
    with LocalServer(json_answer(200, OTP_BODY)) as server:
        with client_for(server.base_url, credentials) as client:
            client.fetch_otp(make_lookup("mobile", "+91 98765 43210"))
        headers = server.requests[0].headers
    assert headers["Authorization"] == DOCS_VECTOR
    assert headers["Accept"] == "application/json"
    assert headers["Content-Type"] == "application/json"
    assert "X-CAP-API-OAUTH-TOKEN" not in headers


def test_fetch_otp_query_parameters() -> None:
    with LocalServer(json_answer(200, OTP_BODY)) as server:
        with client_for(server.base_url) as client:
            client.fetch_otp(make_lookup("mobile", "098765 43210"))
            client.fetch_otp(
                make_lookup(
                    "external_id",
                    " CARD1001 ",
                    source="wechat",
                    account_id="WX-1",
                    scope="coupon",
                    threshold=60,
                )
            )
        with client_for(server.base_url, external_id_param="externalId") as client:
            client.fetch_otp(make_lookup("external_id", "CARD1001"))
        first, second, third = (r.query for r in server.requests)
        paths = {r.path for r in server.requests}
    assert first == {
        "identifierName": "mobile",
        "identifierValue": "919876543210",
        "source": "INSTORE",
        "scope": "POINTS",
    }
    assert second == {
        "identifierName": "external_id",
        "identifierValue": "CARD1001",
        "source": "WECHAT",
        "accountId": "WX-1",
        "scope": "COUPON",
        "threshold": "60",
    }
    assert third["identifierName"] == "externalId"
    assert paths == {"/v2/otp"}


@pytest.mark.parametrize(
    ("name", "value", "kwargs"),
    [
        ("mobile", "12", {}),
        ("email", "not-an-email", {}),
        ("passport", "X1", {}),
        ("mobile", "+91 98765 43210", {"source": ""}),
        ("mobile", "+91 98765 43210", {"threshold": -1}),
    ],
)
def test_bad_input_makes_no_call(name: str, value: str, kwargs: dict) -> None:
    with LocalServer(json_answer(200, OTP_BODY)) as server:
        with client_for(server.base_url) as client, pytest.raises(e.InvalidInput):
            client.fetch_otp(make_lookup(name, value, **kwargs))
        assert server.count() == 0


@pytest.mark.parametrize("value", ["+91 98765 43210", "098765 43210", "91-98765-43210", "९१९८"])
def test_a_mobile_value_not_normalised_is_refused_not_reinterpreted(value: str) -> None:
    """The client never reads a mobile number itself: a look-up built without
    make_lookup, with a value that is not E.164 digits, is refused and nothing is sent."""
    with LocalServer(json_answer(200, OTP_BODY)) as server:
        with client_for(server.base_url) as client:
            with pytest.raises(e.InvalidInput):
                client.fetch_otp(OtpLookup(IdentifierName.MOBILE, value))
            with pytest.raises(e.InvalidInput):
                client.generate_otp("MOBILE", value)
            with pytest.raises(e.InvalidInput):
                client.validate_otp("MOBILE", value, "ABC1234")
        assert server.count() == 0


def test_the_client_sends_the_lookup_value_as_it_is() -> None:
    """Digits a national reading would change (CN: 15062345678 is also a Chinese
    mobile) go out unchanged: the client has no default country to read them in."""
    with LocalServer(json_answer(200, OTP_BODY)) as server:
        with client_for(server.base_url) as client:
            client.fetch_otp(OtpLookup(IdentifierName.MOBILE, "15062345678"))
            client.fetch_otp(OtpLookup(IdentifierName.EMAIL, "Asha@example.com"))
        mobile, email = (r.query["identifierValue"] for r in server.requests)
    assert (mobile, email) == ("15062345678", "Asha@example.com")


def test_constructor_refuses_plain_http_and_bad_settings() -> None:
    with pytest.raises(e.InvalidInput):
        CapillaryClient("http://eu.api.capillarytech.com", TILL)
    with pytest.raises(e.InvalidInput):
        CapillaryClient("https://eu.api.capillarytech.com", TILL, card_method="PUT")
    client = CapillaryClient("https://eu.api.capillarytech.com/", TILL)
    assert client.base_url == "https://eu.api.capillarytech.com"
    assert TILL.password_md5 not in repr(client)
    client.close()


def test_server_time_falls_back_to_the_local_clock_without_a_date_header() -> None:
    clock = FakeClock(start=datetime(2017, 8, 7, 16, 0, tzinfo=UTC))
    answer = json_answer(200, OTP_BODY, X_Cap_Requestid="rq-1")
    with LocalServer(answer) as server, client_for(server.base_url, clock=clock) as client:
        result = client.fetch_otp(make_lookup("mobile", "919876543210"))
    assert not result.server_time.from_header
    assert result.request_id == "rq-1"
    assert result.seconds_left(clock.monotonic()) == 14 * 60 + 20


def test_card_number_get_or_post() -> None:
    with LocalServer(json_answer(200, '{"entity": "BUK003870381", "warnings": []}')) as server:
        with client_for(server.base_url) as client:
            assert client.generate_card_number().number == "BUK003870381"
        with client_for(server.base_url, card_method="post") as client:
            client.generate_card_number()
        get, post = server.requests
    assert (get.method, get.body) == ("GET", b"")
    assert (post.method, post.body) == ("POST", b"{}")


@pytest.mark.parametrize(
    "answer",
    [json_answer(503, "{}"), json_answer(429, "{}", Retry_After="0"), Answer(action="reset")],
)
def test_card_numbers_are_never_retried(answer: Answer) -> None:
    expected = (e.ServerBusy, e.RateLimited, e.NetworkError)
    with LocalServer(answer) as server:
        with client_for(server.base_url, get_retries=3) as client, pytest.raises(expected):
            client.generate_card_number()
        assert server.count("/v2/cardNumber") == 1


def test_wrong_card_method_is_named() -> None:
    with (
        LocalServer(json_answer(405, "")) as server,
        client_for(server.base_url) as client,
        pytest.raises(e.WrongMethod) as caught,
    ):
        client.generate_card_number()
    assert "card-number method" in caught.value.sentence
    assert "GET or POST" in caught.value.details.help  # the exact setting: for the admin


def test_long_retry_after_is_surfaced_with_its_value() -> None:
    with LocalServer(json_answer(429, "", Retry_After="90")) as server:
        with client_for(server.base_url) as client, pytest.raises(e.RateLimited) as caught:
            client.fetch_otp(make_lookup("mobile", "919876543210"))
        assert server.count() == 1
    assert caught.value.retry_after == 90
    assert "90 seconds" in caught.value.sentence


# --- against the training simulator -----------------------------------------------------


def test_fetch_returns_the_code_the_customer_requested(simulator) -> None:
    code = simulator.customer_requests_otp("mobile", "919876543210")
    with client_for(simulator.base_url) as client:
        result = client.fetch_otp(make_lookup("mobile", "+91 98765 43210"))
    assert result.code == code
    assert result.server_time.from_header
    assert result.user_id == 3001 and result.org_id == 50001
    assert 890 <= result.seconds_left(result.server_time.received_monotonic) <= 901


@pytest.mark.parametrize("skew", [timedelta(hours=-3), timedelta(minutes=47)])
def test_seconds_left_ignores_a_wrong_pc_clock(simulator, skew: timedelta) -> None:
    code = simulator.customer_requests_otp("email", "john.smith@example.com")
    clock = FakeClock(start=datetime.now(UTC) + skew)
    with client_for(simulator.base_url, clock=clock) as client:
        result = client.fetch_otp(make_lookup("email", "john.smith@example.com"))
    assert result.code == code
    assert 890 <= result.seconds_left(clock.monotonic()) <= 901
    clock.advance(100)
    assert 790 <= result.seconds_left(clock.monotonic()) <= 801
    clock.set_wall(datetime(1999, 1, 1, tzinfo=UTC))  # someone changes the PC clock
    assert 790 <= result.seconds_left(clock.monotonic()) <= 801


@pytest.mark.parametrize(
    ("name", "value", "kwargs", "cls", "code"),
    [
        ("mobile", "919876543210", {}, e.NoValidOtp, 9001),
        ("email", "nobody@example.com", {}, e.CustomerNotFound, 8015),
        ("wechat", "oWX1-liwei-demo", {"source": "WECHAT"}, e.InvalidRequest, 8045),
        (
            "wechat",
            "oWX1-liwei-demo",
            {"source": "WECHAT", "account_id": "NOPE"},
            e.InvalidRequest,
            8011,
        ),
        ("mobile", "919876543210", {"source": "PIGEON"}, e.InvalidRequest, 8012),
    ],
)
def test_simulator_errors_become_sentences(simulator, name, value, kwargs, cls, code) -> None:
    with client_for(simulator.base_url) as client, pytest.raises(cls) as caught:
        client.fetch_otp(make_lookup(name, value, **kwargs))
    assert caught.value.details.capillary_code == code
    assert caught.value.details.cluster == "Training"
    assert caught.value.details.request_id


def test_wrong_password_and_credential_check(simulator) -> None:
    wrong = BasicCredentials.from_password("training.till", "nope")
    with client_for(simulator.base_url, wrong) as client:
        with pytest.raises(e.AuthenticationFailed):
            client.check_credentials()
        with pytest.raises(e.AuthenticationFailed):
            client.fetch_otp(make_lookup("mobile", "919876543210"))
    with client_for(simulator.base_url) as client:
        client.check_credentials()
    assert simulator.issued_card_numbers == []


def test_cards_through_the_simulator(simulator) -> None:
    with client_for(simulator.base_url) as client:
        numbers = [client.generate_card_number().number for _ in range(3)]
    assert numbers == simulator.issued_card_numbers and len(set(numbers)) == 3
    with (
        client_for(simulator.base_url, TILL_WITHOUT_CARDS) as client,
        pytest.raises(e.CardGenerationNotEnabled) as caught,
    ):
        client.generate_card_number()
    # The staff sentence says who can fix it; the InTouch setting is in the details.
    assert "CONF_" not in caught.value.sentence and "administrator" in caught.value.sentence
    assert "SOURCE_ACCOUNTS_EXTERNALID_ENABLED" in caught.value.details.help


def test_outage_is_retried_for_gets_only(simulator) -> None:
    simulator.set_scenario("outage")
    with client_for(simulator.base_url, get_retries=2) as client:
        with pytest.raises(e.ServerBusy):
            client.fetch_otp(make_lookup("mobile", "919876543210"))
        with pytest.raises(e.ServerBusy):
            client.generate_card_number()
    assert simulator.request_count("/v2/otp") == 3
    assert simulator.request_count("/v2/cardNumber") == 1


@pytest.mark.parametrize(
    ("scenario", "cls", "reason"),
    [
        ("no_response", e.NetworkError, "timeout"),
        ("connection_reset", e.NetworkError, "reset"),
        ("card_generation_disabled", e.CardGenerationNotEnabled, None),
        ("malformed_body", e.UnreadableResponse, None),
    ],
)
def test_card_scenarios_never_retry(simulator, scenario: str, cls: type, reason) -> None:
    simulator.set_scenario(scenario)
    with client_for(simulator.base_url, timeouts=FAST) as client, pytest.raises(cls) as caught:
        client.generate_card_number()
    assert simulator.request_count("/v2/cardNumber") == 1
    if reason:
        assert caught.value.reason == reason
        assert "(" not in caught.value.sentence  # no cluster label inside the sentence
        assert caught.value.details.cluster == "Training"


def test_rate_limit_scenario(simulator) -> None:
    simulator.set_scenario("rate_limit")
    with client_for(simulator.base_url) as client, pytest.raises(e.RateLimited) as caught:
        client.fetch_otp(make_lookup("mobile", "919876543210"))
    # A gateway's 429, not the customer's daily OTP limit; its Retry-After (30 s) is
    # longer than capdesk waits out, so the GET is handed back at once, not retried.
    assert caught.value.sentence == (
        "Capillary is getting too many requests right now. Wait 30 seconds, then try again."
    )
    assert caught.value.retry_after == 30
    assert simulator.request_count("/v2/otp") == 1


def test_generate_and_validate_otp(simulator) -> None:
    with client_for(simulator.base_url) as client:
        created = client.generate_otp("MOBILE", make_lookup("mobile", "+91 98765 43210").value)
        assert isinstance(created, int)
        code = client.fetch_otp(make_lookup("mobile", "919876543210")).code
        assert client.validate_otp("mobile", "919876543210", code) is True
        wrong = "0000000" if code != "0000000" else "1111111"
        assert client.validate_otp("MOBILE", "919876543210", wrong) is False


def test_logs_name_calls_but_never_secrets(simulator, caplog: pytest.LogCaptureFixture) -> None:
    code = simulator.customer_requests_otp("mobile", "919876543210")
    with (
        caplog.at_level(logging.DEBUG, logger="capdesk"),
        client_for(simulator.base_url) as client,
    ):
        client.fetch_otp(make_lookup("mobile", "919876543210"))
        with pytest.raises(e.CustomerNotFound):
            client.fetch_otp(make_lookup("email", "nobody@example.com"))
    text = caplog.text
    assert "GET /v2/otp -> 200" in text and "GET /v2/otp -> 400" in text
    for secret in (code, TILL.password_md5, *TILL.secrets()):
        assert secret not in text


# --- training: "the customer requests an OTP" -------------------------------------------


def test_a_simulated_request_is_posted_to_the_training_control_and_its_code_dropped() -> None:
    answer = json_answer(200, '{"code": "SECRET7", "validUpto": "2030-01-01T00:00:00+00:00"}')
    with LocalServer(answer) as server:
        with client_for(server.base_url) as client:
            lookup = make_lookup(
                "wechat", "oWX1-liwei-demo", source="wechat", account_id="WECHAT-DEMO1"
            )
            assert client.simulate_customer_otp_request(lookup) is None
            client.simulate_customer_otp_request(make_lookup("mobile", "+91 98765 43210"))
        first, second = server.requests
    assert (first.method, first.path) == ("POST", "/_training/otp")
    assert json.loads(first.body) == {
        "identifierName": "wechat",
        "identifierValue": "oWX1-liwei-demo",
        "source": "WECHAT",
        "accountId": "WECHAT-DEMO1",
        "scope": "POINTS",
    }
    assert json.loads(second.body)["identifierValue"] == "919876543210"
    assert json.loads(second.body)["accountId"] is None


def test_a_simulated_request_lets_staff_fetch_the_code(
    simulator, caplog: pytest.LogCaptureFixture
) -> None:
    simulator.set_scenario("outage")  # a trainer's fault never blocks the training controls
    with (
        caplog.at_level(logging.DEBUG, logger="capdesk"),
        client_for(simulator.base_url) as client,
    ):
        client.simulate_customer_otp_request(make_lookup("mobile", "+91 98765 43210"))
        simulator.set_scenario("normal")
        code = client.fetch_otp(make_lookup("mobile", "+91 98765 43210")).code
    assert simulator.request_count("/_training/otp") == 1  # over HTTP, not in-process
    assert "POST /_training/otp -> 200" in caplog.text
    assert code not in caplog.text


def test_a_simulated_request_speaks_capillarys_sentences(simulator) -> None:
    asha = make_lookup("mobile", "+91 98765 43210")
    with client_for(simulator.base_url) as client:
        with pytest.raises(e.CustomerNotFound) as nobody:
            client.simulate_customer_otp_request(make_lookup("email", "nobody@example.com"))
        for _ in range(10):
            client.simulate_customer_otp_request(asha)
        with pytest.raises(e.RateLimited) as eleventh:  # 10 a day, as on Capillary
            client.simulate_customer_otp_request(asha)
    assert nobody.value.sentence == e.CustomerNotFound.default_sentence
    assert nobody.value.details.capillary_code == 8015
    assert nobody.value.details.cluster == "Training" and nobody.value.details.request_id
    assert eleventh.value.sentence == (
        "Too many OTPs for this customer today. Try again tomorrow or call support."
    )
    assert eleventh.value.details.capillary_code == 429
    assert simulator.request_count("/_training/otp") == 12  # never retried
