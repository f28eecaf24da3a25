"""The OTP endpoints over real HTTP: fetch, generate, validate, expiry, limits, errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from capdesk.simulator import SimulatorError, TrainingSimulator
from tests.fake_clock import FakeClock
from tests.simulator.helpers import error_codes, fetch_otp, post

START = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def timed_sim(clock: FakeClock):
    with TrainingSimulator(clock=clock, otp_validity_seconds=900, daily_otp_limit=3) as sim:
        yield sim


def test_fetch_returns_the_customers_otp_in_capillarys_shape(simulator) -> None:
    code = simulator.customer_requests_otp("mobile", "919876543210")
    response = fetch_otp(simulator)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == code
    assert body["orgId"] == 50001 and body["userId"] == 3001 and body["warnings"] == []
    assert re.fullmatch(r"[0-9A-Z]{7}", code)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30", body["validUpto"])


def test_valid_upto_is_issue_time_plus_validity_in_the_org_offset(timed_sim, clock) -> None:
    timed_sim.customer_requests_otp("mobile", "919876543210")
    body = fetch_otp(timed_sim).json()
    assert body["validUpto"] == "2026-01-01T17:45:00+05:30"  # 12:15 UTC
    assert datetime.fromisoformat(body["validUpto"]) == START + timedelta(seconds=900)


def test_the_most_recent_valid_otp_wins(simulator) -> None:
    simulator.customer_requests_otp("mobile", "919876543210")
    newest = simulator.customer_requests_otp("mobile", "919876543210")
    assert fetch_otp(simulator).json()["code"] == newest


def test_an_otp_expires_by_the_clock(timed_sim, clock) -> None:
    code = timed_sim.customer_requests_otp("mobile", "919876543210")
    clock.advance(899)
    assert fetch_otp(timed_sim).json()["code"] == code
    clock.advance(1)
    response = fetch_otp(timed_sim)
    assert response.status_code == 400
    assert error_codes(response) == [9001]


def test_an_expired_newer_otp_falls_back_to_an_older_valid_one(clock) -> None:
    with TrainingSimulator(clock=clock, otp_validity_seconds=100) as sim:
        older = sim.customer_requests_otp("mobile", "919876543210")
        clock.advance(50)
        newer = sim.customer_requests_otp("mobile", "919876543210")
        assert fetch_otp(sim).json()["code"] == newer
        # Consume the newer one: the older, still valid, is now the most recent valid.
        assert validate(sim, newer).json()["entity"] is True
        assert fetch_otp(sim).json()["code"] == older


def test_threshold_is_a_minimum_remaining_validity(timed_sim, clock) -> None:
    code = timed_sim.customer_requests_otp("mobile", "919876543210")
    clock.advance(800)  # 100 s left
    assert fetch_otp(timed_sim, threshold="60").json()["code"] == code
    assert error_codes(fetch_otp(timed_sim, threshold="200")) == [9001]
    for harmless in ("", "abc", "-5", "nan"):
        assert fetch_otp(timed_sim, threshold=harmless).json()["code"] == code


def test_scope_coupon_and_coupons_are_the_same_and_scopes_are_separate(simulator) -> None:
    code = simulator.customer_requests_otp("mobile", "919876543210", scope="COUPON")
    assert fetch_otp(simulator, scope="COUPONS").json()["code"] == code
    assert error_codes(fetch_otp(simulator, scope="POINTS")) == [9001]


@pytest.mark.parametrize("name", ["external_id", "externalId"])
def test_external_id_accepted_under_both_spellings(simulator, name: str) -> None:
    code = simulator.customer_requests_otp("external_id", "CARD1001")
    response = fetch_otp(simulator, identifierName=name, identifierValue="CARD1001")
    assert response.json()["code"] == code


def test_sources_with_accounts(simulator) -> None:
    code = simulator.customer_requests_otp(
        "wechat", "oWX1-liwei-demo", source="WECHAT", account_id="WECHAT-DEMO1"
    )
    wechat = {"identifierName": "wechat", "identifierValue": "oWX1-liwei-demo"}
    response = fetch_otp(simulator, source="WECHAT", accountId="WECHAT-DEMO1", **wechat)
    assert response.json() | {"validUpto": None} == {
        "orgId": 50001,
        "userId": 3003,
        "code": code,
        "validUpto": None,
        "warnings": [],
    }
    john = {"identifierName": "email", "identifierValue": "john.smith@example.com"}
    simulator.customer_requests_otp("email", "john.smith@example.com")
    assert fetch_otp(simulator, source="MARTJACK", accountId="MJ-DEMO1", **john).ok


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"identifierValue": "910000000000"}, 8015),
        ({"source": "WECHAT", "accountId": "WECHAT-DEMO1"}, 8065),
        ({"identifierName": "phone"}, 8013),
        ({"identifierValue": ""}, 8013),
        ({"source": "CARRIER_PIGEON"}, 8012),
        ({"source": "WECHAT", "accountId": "NOPE"}, 8011),
        ({"source": "WECHAT"}, 8045),
        ({"source": "FACEBOOK"}, 8045),
        ({"source": "MARTJACK"}, 8045),
        ({}, 9001),
        ({"scope": "LOTTERY"}, 9001),
    ],
)
def test_fetch_errors_are_v2_bodies_with_http_400(simulator, params, code: int) -> None:
    response = fetch_otp(simulator, **params)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"status": False, "code": code, "message": response.json()["errors"][0]["message"]}
        ],
        "warnings": [],
    }
    assert error_codes(response) == [code]


def test_generate_then_fetch_then_validate_consumes(simulator) -> None:
    body = {"entityType": "MOBILE", "entityValue": "919876543210", "action": "POINTS",
            "channels": [{"type": "SMS", "value": "919876543210"}],
            "template": "Your code is {{ validation_code }}"}  # fmt: skip
    first = post(simulator, "/v2/otp/generate", body)
    second = post(simulator, "/v2/otp/generate", body)
    assert first.status_code == 200
    assert first.json() == {"createdId": 1, "warnings": []}
    assert second.json()["createdId"] == 2
    code = fetch_otp(simulator).json()["code"]
    assert validate(simulator, "WRONG00").json() == {"entity": False, "warnings": []}
    assert validate(simulator, code).json() == {"entity": True, "warnings": []}
    assert validate(simulator, code).json()["entity"] is False  # consumed


def test_validate_expired_otp_is_false(timed_sim, clock) -> None:
    code = timed_sim.customer_requests_otp("mobile", "919876543210")
    clock.advance(900)
    response = validate(timed_sim, code)
    assert response.status_code == 200 and response.json()["entity"] is False


def test_email_entity_and_lower_case_entity_type(simulator) -> None:
    body = {"entityType": "email", "entityValue": "Emma.Mueller@example.com", "action": "GENERIC"}
    assert post(simulator, "/v2/otp/generate", body).status_code == 200
    email = {"identifierName": "email", "identifierValue": "emma.mueller@example.com"}
    code = fetch_otp(simulator, scope="GENERIC", **email).json()["code"]
    check = {**body, "code": code.lower()}
    assert post(simulator, "/v2/otp/validate", check).json()["entity"] is True


def test_registration_otp_for_an_unknown_mobile(simulator) -> None:
    body = {"entityType": "MOBILE", "entityValue": "917777777777", "action": "REGISTRATION"}
    assert post(simulator, "/v2/otp/generate", body).status_code == 200
    points = {**body, "action": "POINTS"}
    refused = post(simulator, "/v2/otp/generate", points)
    assert refused.status_code == 400 and error_codes(refused) == [602]


@pytest.mark.parametrize(
    ("change", "codes"),
    [
        ({"action": "DANCE"}, [600]),
        ({"entityType": "FAX"}, [601]),
        ({"entityValue": ""}, [602]),
        ({"channels": [{"type": "PIGEON"}]}, [603]),
        ({"channels": "SMS"}, [603]),
        ({"action": None, "entityValue": None}, [600, 602]),  # like the docs' sample
    ],
)
def test_generate_errors(simulator, change, codes) -> None:
    body = {"entityType": "MOBILE", "entityValue": "919876543210", "action": "POINTS", **change}
    response = post(simulator, "/v2/otp/generate", body)
    assert response.status_code == 400
    assert error_codes(response) == codes
    assert all(e["status"] is False for e in response.json()["errors"])


def test_validate_without_code_is_604(simulator) -> None:
    body = {"entityType": "MOBILE", "entityValue": "919876543210", "action": "POINTS"}
    response = post(simulator, "/v2/otp/validate", body)
    assert response.status_code == 400 and error_codes(response) == [604]


def test_daily_limit_is_shared_by_generate_and_demo_requests(timed_sim, clock) -> None:
    body = {"entityType": "MOBILE", "entityValue": "919876543210", "action": "POINTS"}
    assert post(timed_sim, "/v2/otp/generate", body).status_code == 200
    timed_sim.customer_requests_otp("external_id", "CARD1001")  # same customer
    assert post(timed_sim, "/v2/otp/generate", body).status_code == 200
    limited = post(timed_sim, "/v2/otp/generate", body)
    assert limited.status_code == 429
    assert error_codes(limited) == [429]
    assert "Retry-After" not in limited.headers
    with pytest.raises(SimulatorError) as raised:
        timed_sim.customer_requests_otp("mobile", "919876543210")
    assert raised.value.code == 429 and raised.value.http_status == 429
    # Other customers are not affected.
    timed_sim.customer_requests_otp("mobile", "14155550123")


def test_daily_limit_resets_at_midnight_in_the_org_time_zone() -> None:
    clock = FakeClock(datetime(2026, 1, 1, 18, 0, tzinfo=UTC))  # 23:30 in +05:30
    with TrainingSimulator(clock=clock, daily_otp_limit=1) as sim:
        sim.customer_requests_otp("mobile", "919876543210")
        with pytest.raises(SimulatorError):
            sim.customer_requests_otp("mobile", "919876543210")
        clock.advance(31 * 60)  # 00:01 the next day in the org, still Jan 1st in UTC
        sim.customer_requests_otp("mobile", "919876543210")


def test_default_daily_limit_is_ten(simulator) -> None:
    for _ in range(10):
        simulator.customer_requests_otp("mobile", "919876543210")
    with pytest.raises(SimulatorError) as raised:
        simulator.customer_requests_otp("mobile", "919876543210")
    assert raised.value.code == 429


def test_demo_request_errors_are_capillary_codes(simulator) -> None:
    with pytest.raises(SimulatorError) as raised:
        simulator.customer_requests_otp("mobile", "910000000000")
    assert raised.value.code == 8015
    with pytest.raises(SimulatorError) as raised:
        simulator.customer_requests_otp("mobile", "919876543210", scope="LOTTERY")
    assert raised.value.code == 600


def validate(sim: TrainingSimulator, code: str):
    body = {"entityType": "MOBILE", "entityValue": "919876543210", "code": code, "action": "POINTS"}
    return post(sim, "/v2/otp/validate", body)
