"""The whole-request deadline holds against every way a server can hold a call open.

Each fault class (see :mod:`tests.faults.hostile`) keeps every single socket wait
short, so only the whole-request deadline can end the call: it must fail as a
``NetworkError(reason="timeout")`` with the staff sentence within the deadline plus a
small margin, with GET retries on or off (retries share the deadline; they never
restart it). The per-wait timeouts are set far longer than the deadline on purpose.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from urllib3.util.retry import RequestHistory

from capdesk.api.auth import BasicCredentials
from capdesk.api.client import CapillaryClient
from capdesk.api.deadline import Deadline
from capdesk.api.errors import NetworkError
from capdesk.api.retry import CappedRetry
from capdesk.api.transport import Timeouts, make_session, send
from capdesk.simulator import TrainingSimulator
from capdesk.simulator.demo_data import TILL
from tests.api.local_server import LocalServer, json_answer
from tests.hostile import server as hostile

DEADLINE = 1.0
WATCHDOG = "capdesk-request-deadlines"
MARGIN = 1.0  # scheduling, thread wake-up and closing on a loaded 2-core machine
# Every single wait is allowed far longer than the deadline: only the deadline can end it.
PATIENT = Timeouts(connect=30.0, read=30.0, deadline=DEADLINE)
SENTENCE = "Capillary did not answer within 1 second. Check the network connection, then try again."

# name -> (server factory, URL scheme, HTTP method, request body)
FAULTS: dict[str, tuple[Callable[[], AbstractContextManager], str, str, bytes | None]] = {
    "header-drip": (lambda: hostile.HostileServer(hostile.header_drip), "http", "GET", None),
    "body-drip": (lambda: hostile.HostileServer(hostile.body_drip), "http", "GET", None),
    "never-answers": (lambda: hostile.HostileServer(hostile.never_answers), "http", "GET", None),
    "never-reads": (lambda: hostile.HostileServer(hostile.never_reads), "http", "GET", None),
    # A body far larger than the socket buffers: the client's send itself blocks.
    "never-reads-big-post": (
        lambda: hostile.HostileServer(hostile.never_reads),
        "http",
        "POST",
        b"x" * (32 * 1024 * 1024),
    ),
    "never-accepts": (hostile.NeverAccepts, "http", "GET", None),
    "tls-stall": (lambda: hostile.HostileServer(hostile.tls_stall), "https", "GET", None),
    "tls-drip": (lambda: hostile.HostileServer(hostile.tls_drip), "https", "GET", None),
}

needs_dropped_syns = pytest.mark.skipif(
    sys.platform == "win32", reason="Windows refuses (RST) when the backlog is full"
)


def _params() -> Iterator[object]:
    for name in FAULTS:
        marks = [needs_dropped_syns] if name == "never-accepts" else []
        for retries in (0, 2):
            yield pytest.param(name, retries, id=f"{name}-retries{retries}", marks=marks)


def _fails_within_the_deadline(url: str, method: str, body: bytes | None, retries: int) -> float:
    session = make_session(retries, 0.5)
    started = time.monotonic()
    try:
        with pytest.raises(NetworkError) as caught:
            send(
                session,
                method,
                url,
                headers={"Accept": "application/json"},
                data=body,
                timeouts=PATIENT,
                cluster_label="Training (simulated)",
            )
    finally:
        elapsed = time.monotonic() - started
        session.close()
    error = caught.value
    assert error.reason == "timeout", error.details.technical
    assert error.sentence == SENTENCE
    assert "Training" not in error.sentence  # no cluster label in the sentence
    assert error.details.cluster == "Training (simulated)"
    assert error.details.technical and "deadline" in error.details.technical
    return elapsed


@pytest.mark.parametrize(("fault", "retries"), list(_params()))
def test_every_fault_class_ends_at_the_deadline(fault: str, retries: int) -> None:
    factory, scheme, method, body = FAULTS[fault]
    with factory() as server:
        elapsed = _fails_within_the_deadline(server.url(scheme), method, body, retries)
    assert DEADLINE - 0.05 <= elapsed < DEADLINE + MARGIN, f"{fault}: {elapsed:.2f} s"


@pytest.mark.parametrize(
    "behaviour",
    [hostile.header_drip, hostile.body_drip, hostile.never_answers],
    ids=["header-drip", "body-drip", "never-answers"],
)
def test_a_reused_keep_alive_connection_keeps_to_the_deadline(behaviour) -> None:
    """The socket is watched again at each request, not only when it connected."""
    with hostile.HostileServer(hostile.keep_alive_then(behaviour)) as server:
        session = make_session(2, 0.5)
        try:
            first = send(session, "GET", server.url(), headers={}, timeouts=PATIENT)
            assert first.status == 200
            time.sleep(DEADLINE + 0.2)  # the first call's deadline has long passed
            started = time.monotonic()
            with pytest.raises(NetworkError) as caught:
                send(session, "GET", server.url(), headers={}, timeouts=PATIENT)
            elapsed = time.monotonic() - started
        finally:
            session.close()
    assert caught.value.reason == "timeout"
    assert caught.value.sentence == SENTENCE
    assert elapsed < DEADLINE + MARGIN
    assert server.connections == 1  # it really was the same connection


def test_retries_share_the_deadline_instead_of_restarting_it() -> None:
    """Resets are retried, but the retry that then meets a drip ends at the one deadline."""
    with hostile.HostileServer(hostile.reset_first_then(hostile.header_drip)) as server:
        elapsed = _fails_within_the_deadline(server.url(), "GET", None, retries=2)
    assert server.connections == 2  # retried once after the reset, then held by the drip
    assert elapsed < DEADLINE + MARGIN


def test_a_retry_after_longer_than_what_is_left_is_handed_back_at_once() -> None:
    """503 + Retry-After 5 (under MAX_RETRY_AFTER) with 1 s left: no 5 s sleep, no retry."""
    busy = json_answer(503, b'{"errors": []}', Retry_After="5")
    with LocalServer(busy) as server:
        session = make_session(2, 0.5)
        started = time.monotonic()
        try:
            raw = send(session, "GET", server.base_url + "/v2/otp", headers={}, timeouts=PATIENT)
        finally:
            session.close()
        elapsed = time.monotonic() - started
        assert raw.status == 503 and raw.headers["Retry-After"] == "5"
        assert server.count() == 1
    assert elapsed < 0.5


def test_the_backoff_pause_is_capped_by_what_is_left() -> None:
    policy = CappedRetry(total=5, backoff_factor=100.0, backoff_max=100.0)
    failed = RequestHistory("GET", "/v2/otp", None, None, None)
    policy = policy.new(history=(failed, failed, failed))  # a long backoff is due
    assert policy.get_backoff_time() == 100.0
    started = time.monotonic()
    with Deadline(0.3):
        policy.sleep()
    assert time.monotonic() - started < 0.6


def test_one_watchdog_thread_and_no_descriptor_left_behind() -> None:
    """Calls share one watchdog thread, which ends when idle; no duplicate is leaked."""
    fds = "/proc/self/fd"
    with LocalServer(json_answer(200, b"{}")) as server:
        session = make_session(2, 0.5)
        send(session, "GET", server.base_url + "/v2/otp", headers={}, timeouts=PATIENT)
        before = len(os.listdir(fds)) if os.path.isdir(fds) else None
        for _ in range(20):
            send(session, "GET", server.base_url + "/v2/otp", headers={}, timeouts=PATIENT)
        during = len(os.listdir(fds)) if before is not None else None
        session.close()
        watchdogs = [t for t in threading.enumerate() if t.name == WATCHDOG]
        assert len(watchdogs) == 1 and watchdogs[0].daemon
    if before is not None:
        assert during == before  # keep-alive: one connection and its one duplicate
    ends_by = time.monotonic() + 2.0
    while watchdogs[0].is_alive() and time.monotonic() < ends_by:
        time.sleep(0.02)
    assert not watchdogs[0].is_alive()  # idle: it ended, as a closing app needs


def test_the_sentence_names_the_deadline_in_words_staff_read() -> None:
    from capdesk.api.transport import deadline_error

    assert deadline_error(15.0, "EU").sentence == (
        "Capillary did not answer within 15 seconds. Check the network connection, then try again."
    )
    assert "2.5 seconds" in deadline_error(2.5).sentence
    error = deadline_error(15.0, "EU", TimeoutError("read timed out"))
    assert error.reason == "timeout" and error.details.cluster == "EU"
    assert "TimeoutError" in (error.details.technical or "")
    for word in ("HTTP", "JSON", "Error", "(", "EU"):
        assert word not in error.sentence


def test_no_response_simulator_scenario_fails_with_the_sentence_in_time() -> None:
    """The training simulator's no_response, through CapillaryClient.fetch_otp."""
    from capdesk.api.identifiers import make_lookup

    deadline = 2.0
    with TrainingSimulator(scenario="no_response") as simulator:
        client = CapillaryClient(
            simulator.base_url,
            BasicCredentials.from_password(TILL.username, TILL.password),
            cluster_label="Training (simulated)",
            timeouts=Timeouts(deadline=deadline),  # connect 5 s and read 20 s as shipped
        )
        started = time.monotonic()
        try:
            with pytest.raises(NetworkError) as caught:
                client.fetch_otp(make_lookup("mobile", "919876543210", default_country="IN"))
        finally:
            elapsed = time.monotonic() - started
            client.close()
    assert caught.value.reason == "timeout"
    assert caught.value.sentence == (
        "Capillary did not answer within 2 seconds. Check the network connection, then try again."
    )
    assert deadline - 0.05 <= elapsed < deadline + MARGIN


def test_an_oauth_call_and_its_token_fetch_share_one_deadline() -> None:
    """A slow token (1.5 s) then a hung call: over at 2 s, not at 1.5 + 2 s."""
    from capdesk.api.auth import OAuthCredentials
    from tests.api.local_server import Answer, Recorded
    from tests.faults.servers import FaultAnswer, FaultServer

    def respond(request: Recorded) -> Answer:
        if request.path == "/v3/oauth/token/generate":
            token = b'{"data": {"accessToken": "tok-1", "ttlSeconds": 300}, "errors": null}'
            return FaultAnswer(200, token, action="late", interval=1.5)
        return Answer(action="hang")

    deadline = 2.0
    with FaultServer(respond) as server:
        client = CapillaryClient(
            server.base_url,
            OAuthCredentials("deadline-test-key", "deadline-test-secret"),
            timeouts=Timeouts(connect=30.0, read=30.0, deadline=deadline),
        )
        started = time.monotonic()
        try:
            with pytest.raises(NetworkError) as caught:
                client.generate_card_number()
        finally:
            elapsed = time.monotonic() - started
            client.close()
        assert server.count("/v3/oauth/token/generate") == 1
    assert caught.value.reason == "timeout"
    assert caught.value.sentence.startswith("Capillary did not answer within 2 seconds.")
    assert deadline - 0.05 <= elapsed < deadline + MARGIN
