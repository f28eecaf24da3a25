"""Authentication: Basic till credentials, OAuth tokens and their expiry, checked first."""

from __future__ import annotations

import base64

import pytest
import requests

from capdesk.api.auth import basic_authorization, md5_hex
from capdesk.simulator import TrainingSimulator
from tests.fake_clock import FakeClock
from tests.simulator.helpers import TILL_AUTH, card, error_codes, fetch_otp, post


def token_for(sim: TrainingSimulator, key: str = "training-key", secret: str = "training-secret"):
    return requests.post(
        f"{sim.base_url}/v3/oauth/token/generate", json={"key": key, "secret": secret}, timeout=5
    )


def test_basic_with_md5_of_the_password_is_accepted(simulator) -> None:
    assert card(simulator).status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [
        basic_authorization("training.till", "training123"),  # plain password, not its md5
        basic_authorization("training.till", md5_hex("wrong")),
        basic_authorization("nobody", md5_hex("training123")),
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"training.till").decode(),  # no colon
        "Bearer something",
    ],
)
def test_bad_basic_credentials_are_401(simulator, authorization: str) -> None:
    response = card(simulator, headers={"Authorization": authorization})
    assert response.status_code == 401
    body = response.json()
    assert list(body) == ["errors"]
    assert body["errors"][0]["code"] == 401
    assert body["errors"][0]["message"]
    assert simulator.issued_card_numbers == []


def test_missing_credentials_are_401_in_the_pinned_shape(simulator) -> None:
    response = requests.get(f"{simulator.base_url}/v2/cardNumber", timeout=5)
    assert response.status_code == 401
    assert response.json() == {
        "errors": [{"code": 401, "message": response.json()["errors"][0]["message"]}]
    }
    assert response.headers["Content-Type"] == "application/json"


def test_auth_is_checked_before_the_parameters(simulator) -> None:
    bad_identifier = {"identifierName": "nonsense"}
    assert fetch_otp(simulator, **bad_identifier).status_code == 400
    wrong = {"Authorization": basic_authorization("training.till", md5_hex("x"))}
    assert fetch_otp(simulator, headers=wrong, **bad_identifier).status_code == 401
    assert post(simulator, "/v2/otp/generate", {}, headers=wrong).status_code == 401
    assert card(simulator, headers=wrong, method="PUT").status_code == 401  # before 405


def test_oauth_token_in_either_header(simulator) -> None:
    response = token_for(simulator)
    assert response.status_code == 200
    body = response.json()
    assert body["errors"] is None
    assert body["data"]["ttlSeconds"] == 300
    token = body["data"]["accessToken"]
    assert card(simulator, headers={"X-CAP-API-OAUTH-TOKEN": token}).status_code == 200
    assert card(simulator, headers={"CAP-API-ACCESS-TOKEN": token}).status_code == 200
    assert token_for(simulator).json()["data"]["accessToken"] != token


@pytest.mark.parametrize(
    ("key", "secret"), [("training-key", "wrong"), ("other-key", "training-secret")]
)
def test_bad_oauth_client_is_401_with_errors(simulator, key: str, secret: str) -> None:
    response = token_for(simulator, key, secret)
    assert response.status_code == 401
    assert response.json()["data"] is None
    assert error_codes(response) == [401]


def test_oauth_body_that_is_not_an_object_is_400(simulator) -> None:
    response = requests.post(
        f"{simulator.base_url}/v3/oauth/token/generate",
        data=b"[1, 2]",
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 400


def test_unknown_token_is_401(simulator) -> None:
    response = card(simulator, headers={"X-CAP-API-OAUTH-TOKEN": "made-up"})
    assert response.status_code == 401
    assert error_codes(response) == [401]


def test_tokens_expire_by_the_clock() -> None:
    clock = FakeClock()
    with TrainingSimulator(clock=clock, token_ttl_seconds=60) as sim:
        body = token_for(sim).json()
        assert body["data"]["ttlSeconds"] == 60
        headers = {"X-CAP-API-OAUTH-TOKEN": body["data"]["accessToken"]}
        clock.advance(59.5)
        assert card(sim, headers=headers).status_code == 200
        clock.advance(0.5)
        expired = card(sim, headers=headers)
        assert expired.status_code == 401
        assert "expired" in expired.json()["errors"][0]["message"]
        # Basic credentials do not expire.
        assert card(sim, headers=TILL_AUTH).status_code == 200


def test_oauth_attribution_header_selects_the_till(simulator) -> None:
    token = token_for(simulator).json()["data"]["accessToken"]
    headers = {
        "X-CAP-API-OAUTH-TOKEN": token,
        "X-CAP-API-ATTRIBUTION-ENTITY-TYPE": "TILL",
        "X-CAP-API-ATTRIBUTION-ENTITY-CODE": "training.till2",
    }
    assert card(simulator, headers=headers).status_code == 403
