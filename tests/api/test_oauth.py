"""OAuth tokens: fetched once, refreshed before expiry by the monotonic clock, and
re-fetched once when Capillary answers 401."""

from __future__ import annotations

import json
import threading

import pytest

from capdesk.api.auth import OAuthCredentials
from capdesk.api.client import CapillaryClient
from capdesk.api.errors import AuthenticationFailed, UnreadableResponse
from capdesk.api.oauth import OAuthTokenManager
from capdesk.api.transport import make_session
from capdesk.simulator import TrainingSimulator
from tests.api.local_server import LocalServer, Recorded, json_answer
from tests.fake_clock import FakeClock

TRAINING_OAUTH = OAuthCredentials("training-key", "training-secret")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def oauth_sim(clock: FakeClock):
    with TrainingSimulator(clock=clock, token_ttl_seconds=300) as sim:
        yield sim


def test_token_is_reused_then_refreshed_before_expiry(oauth_sim, clock: FakeClock) -> None:
    client = CapillaryClient(oauth_sim.base_url, TRAINING_OAUTH, clock=clock)
    manager = client._oauth
    client.generate_card_number()
    client.generate_card_number()
    assert manager.fetch_count == 1
    clock.advance(269)  # refresh margin: min(30, 300 / 5) = 30 s before the 300 s TTL
    client.generate_card_number()
    assert manager.fetch_count == 1
    clock.advance(2)
    client.generate_card_number()
    assert manager.fetch_count == 2
    assert oauth_sim.request_count("/v3/oauth/token/generate") == 2
    assert oauth_sim.request_count("/v2/cardNumber") == 4  # never a 401 on the way
    client.close()


def test_expired_token_on_the_server_means_one_reauth() -> None:
    # The client's clock stands still while the server's runs on: the server sees the
    # token expire first, answers 401, and the client re-authenticates exactly once.
    server_clock = FakeClock()
    with TrainingSimulator(clock=server_clock, token_ttl_seconds=300) as sim:
        client = CapillaryClient(sim.base_url, TRAINING_OAUTH, clock=FakeClock())
        client.generate_card_number()
        server_clock.advance(301)
        assert client.generate_card_number().number
        client.close()
        assert sim.request_count("/v3/oauth/token/generate") == 2
        assert sim.request_count("/v2/cardNumber") == 3  # ok, 401, ok
        assert len(sim.issued_card_numbers) == 2


def test_bad_secret_is_authentication_failed(oauth_sim) -> None:
    bad = OAuthCredentials("training-key", "wrong-secret")
    client = CapillaryClient(oauth_sim.base_url, bad)
    with pytest.raises(AuthenticationFailed) as caught:
        client.check_credentials()
    assert "wrong-secret" not in caught.value.for_support()
    with pytest.raises(AuthenticationFailed):
        client.generate_card_number()
    assert oauth_sim.request_count("/v2/cardNumber") == 0
    client.close()


def token_server(tokens: list[str], api_statuses: list[int]) -> LocalServer:
    """Hands out ``tokens`` in order; API calls answer ``api_statuses`` in order."""
    state = {"token": 0, "api": 0}

    def respond(request: Recorded):
        if request.path == "/v3/oauth/token/generate":
            token = tokens[min(state["token"], len(tokens) - 1)]
            state["token"] += 1
            payload = {"data": {"accessToken": token, "ttlSeconds": 300}, "errors": None}
            return json_answer(200, json.dumps(payload))
        status = api_statuses[min(state["api"], len(api_statuses) - 1)]
        state["api"] += 1
        if status == 200:
            return json_answer(200, '{"entity": "1000000010", "warnings": []}')
        return json_answer(status, '{"errors": [{"code": 401, "message": "expired"}]}')

    return LocalServer(respond)


def test_401_gives_exactly_one_reauth_with_the_new_token() -> None:
    with token_server(["tok-A", "tok-B"], [401, 200]) as server:
        client = CapillaryClient(server.base_url, TRAINING_OAUTH, clock=FakeClock())
        assert client.generate_card_number().number == "1000000010"
        client.close()
        sent = [r.headers.get("X-CAP-API-OAUTH-TOKEN") for r in server.requests]
        first_token_request = server.requests[0]
    assert sent == [None, "tok-A", None, "tok-B"]
    assert json.loads(first_token_request.body) == {
        "key": "training-key",
        "secret": "training-secret",
    }
    assert "Authorization" not in first_token_request.headers


def test_repeated_401_is_authentication_failed_not_a_loop() -> None:
    with token_server(["tok-A", "tok-B", "tok-C"], [401]) as server:
        client = CapillaryClient(server.base_url, TRAINING_OAUTH, clock=FakeClock())
        with pytest.raises(AuthenticationFailed):
            client.generate_card_number()
        client.close()
        assert server.count("/v2/cardNumber") == 2
        assert server.count("/v3/oauth/token/generate") == 2


def test_attribution_headers_are_sent() -> None:
    credentials = OAuthCredentials("k" * 12, "s", "TILL", "till.042")
    with token_server(["tok-A"], [200]) as server:
        client = CapillaryClient(server.base_url, credentials, clock=FakeClock())
        client.generate_card_number()
        client.close()
        api = server.requests[-1].headers
    assert api["X-CAP-API-ATTRIBUTION-ENTITY-TYPE"] == "TILL"
    assert api["X-CAP-API-ATTRIBUTION-ENTITY-CODE"] == "till.042"


@pytest.mark.parametrize(
    "payload",
    [
        "{}",
        '{"data": {"accessToken": "", "ttlSeconds": 300}}',
        '{"data": {"accessToken": "t", "ttlSeconds": "soon"}}',
        '{"data": {"accessToken": "t", "ttlSeconds": -5}}',
        '{"data": null, "errors": null}',
        "<html>login</html>",
    ],
)
def test_unusable_token_answers(payload: str) -> None:
    with LocalServer(json_answer(200, payload)) as server:
        session = make_session(0, 0)
        manager = OAuthTokenManager(server.base_url, TRAINING_OAUTH, session, clock=FakeClock())
        with pytest.raises(UnreadableResponse):
            manager.token()
        session.close()


def test_concurrent_callers_share_one_refresh(oauth_sim, clock: FakeClock) -> None:
    session = make_session(0, 0)
    manager = OAuthTokenManager(oauth_sim.base_url, TRAINING_OAUTH, session, clock=clock)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(manager.token())) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(set(results)) == 1 and len(results) == 6
    assert manager.fetch_count == 1
    manager.invalidate("some-older-token")  # a stale 401 does not drop the current token
    assert manager.token() == results[0]
    manager.invalidate()
    assert manager.token() != results[0]
    assert "training" not in repr(manager)
    session.close()
