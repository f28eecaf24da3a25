"""OAuth tokens expiring mid-session, through the window: one re-auth, never a loop.

The training simulator stands in for the cluster, with the OAuth demo client saved in
the keyring. Time is a FakeClock: the server's is moved to expire the token behind the
client's back (the client learns of it from a 401), or both are moved together (the
client refreshes before it sends).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from capdesk.api.auth import OAuthCredentials
from capdesk.simulator import TrainingSimulator
from capdesk.simulator.demo_data import OAUTH_KEY, OAUTH_SECRET
from tests.api.local_server import Recorded, json_answer
from tests.fake_clock import FakeClock
from tests.faults import sentences as S
from tests.faults.desk import MAX_STALL
from tests.faults.servers import CARD_PATH, OTP_PATH, FaultServer, otp_body

TOKEN_PATH = "/v3/oauth/token/generate"
TTL = 300
OAUTH = OAuthCredentials(OAUTH_KEY, OAUTH_SECRET)
ASHA = "919876543210"


def fake_clock() -> FakeClock:
    return FakeClock(start=datetime.now(UTC), monotonic_start=time.monotonic())


def test_token_expired_on_the_server_is_renewed_once(open_window) -> None:
    server_clock = fake_clock()
    with TrainingSimulator(clock=server_clock, token_ttl_seconds=TTL) as cluster:
        desk = open_window(cluster.base_url, OAUTH)  # the client keeps real time
        cluster.customer_requests_otp("mobile", ASHA)
        desk.type_identifier("mobile", ASHA)
        assert desk.fetch().error is None
        assert cluster.request_count(TOKEN_PATH) == 1

        server_clock.advance(TTL + 1)  # the server forgets the token; the client can't know
        otp = desk.fetch()
        assert otp.error is None and desk.status_text == S.OTP_FOUND
        assert cluster.request_count(TOKEN_PATH) == 2  # exactly one re-auth
        assert cluster.request_count(OTP_PATH) == 3  # the refused call, then once more
        assert otp.max_gap < MAX_STALL

        server_clock.advance(TTL + 1)
        cards = desk.generate(1)
        assert cards.error is None and len(cards.entries) == 1
        assert cluster.request_count(TOKEN_PATH) == 3
        # The refused call consumed nothing (auth comes first), so repeating it is safe.
        assert cluster.request_count(CARD_PATH) == 2
        assert desk.history_numbers() == cluster.issued_card_numbers


def test_token_about_to_expire_is_renewed_before_sending(open_window) -> None:
    clock = fake_clock()
    with TrainingSimulator(clock=clock, token_ttl_seconds=TTL) as cluster:
        desk = open_window(cluster.base_url, OAUTH, clock=clock)
        cluster.customer_requests_otp("mobile", ASHA)
        desk.type_identifier("mobile", ASHA)
        assert desk.fetch().error is None
        clock.advance(TTL - 10)  # inside the refresh margin
        assert desk.fetch().error is None
        assert cluster.request_count(TOKEN_PATH) == 2
        assert cluster.request_count(OTP_PATH) == 2  # no request was refused


def test_a_token_refused_twice_is_not_renewed_again(open_window) -> None:
    """A 401 after a fresh token means the client itself was refused: stop, say so."""

    def cluster(request: Recorded):
        if request.path == TOKEN_PATH:
            token = f"token-{len(request.body)}-{time.monotonic_ns()}"
            return json_answer(200, json.dumps({"data": {"accessToken": token, "ttlSeconds": TTL}}))
        if request.path == OTP_PATH and server.count(OTP_PATH) == 1:
            return json_answer(200, otp_body())
        return json_answer(401, '{"errors": [{"code": 401, "message": "Unauthorized"}]}')

    with FaultServer(cluster) as server:
        desk = open_window(server.base_url, OAUTH)
        desk.type_identifier("mobile", ASHA)
        typed = desk.identifier_text
        assert desk.fetch().error is None
        outcome = desk.fetch()
        assert desk.status_text == S.REJECTED
        assert outcome.error is not None and outcome.error.details.http_status == 401
        assert server.count(TOKEN_PATH) == 2  # one re-auth, not a loop
        assert server.count(OTP_PATH) == 3
        assert desk.identifier_text == typed


def test_revoked_client_says_the_key_or_secret_was_rejected(open_window) -> None:
    def cluster(request: Recorded):
        if request.path == TOKEN_PATH:
            if server.count(TOKEN_PATH) == 1:
                return json_answer(200, json.dumps({"data": {"accessToken": "tok-1-abcdef"}}))
            return json_answer(401, '{"errors": [{"code": 401, "message": "Invalid client"}]}')
        if request.headers.get("X-CAP-API-OAUTH-TOKEN") == "tok-1-abcdef" and (
            server.count(OTP_PATH) == 1
        ):
            return json_answer(200, otp_body())
        return json_answer(401, '{"errors": [{"code": 401}]}')

    with FaultServer(cluster) as server:
        desk = open_window(server.base_url, OAUTH)
        desk.type_identifier("mobile", ASHA)
        assert desk.fetch().error is None
        desk.fetch()
        assert desk.status_text == (
            "The OAuth key or secret was rejected. Check them and sign in again."
        )
        assert server.count(TOKEN_PATH) == 2 and server.count(OTP_PATH) == 2
