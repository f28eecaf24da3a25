"""The fault matrix, through the window: one misbehaving cluster per case.

For every fault the real :class:`MainWindow` (with :class:`DeskService`, the keyring
credentials and the SQLite history) fetches an OTP and then asks for one card number.
Each case checks what staff and the data see:

* the right sentence in ``statusMessage``;
* the GUI thread never stalls (a 10 ms heartbeat's longest gap), also while the
  call waits out a timeout or a retry backoff;
* nothing is lost: the identifier typed is still there, the Fetch button works again;
* retries follow the policy: the OTP GET is retried on connection failures, resets
  before an answer, 503/461/521 and 429 (honouring a short Retry-After), never on a
  timeout, a TLS failure or another 4xx/5xx; the card number is never retried;
* no card number reaches the history unless the server delivered it whole.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from capdesk.api.auth import BasicCredentials
from tests.api.local_server import Answer, json_answer, self_signed_context
from tests.faults import sentences as S
from tests.faults.desk import MAX_STALL
from tests.faults.servers import (
    CARD_PATH,
    OTP_PATH,
    ConnectCounter,
    FaultAnswer,
    FaultServer,
    free_port,
    otp_body,
)

TILL = BasicCredentials.from_password("till.one", "pass-1234")
INVALID_HOST = "capdesk-fault.invalid"  # RFC 6761: never resolves, nothing leaves the PC

V2_ERROR_500 = '{"errors": [{"status": false, "code": 500, "message": "All requests failed"}]}'
HTML_PROXY_PAGE = (
    b"<!DOCTYPE html><html><head><title>Access denied</title></head><body>"
    b"<h1>Web filter</h1><p>Please sign in to the company proxy to continue.</p></body></html>"
)
HTML = {"Content-Type": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class Fault:
    name: str
    sentence: str
    otp_attempts: int  # GET /v2/otp requests (or connection attempts) for one fetch
    answer: Answer | None = None  # what a FaultServer answers to everything
    kind: str = "server"  # server | refused | dns | tls
    card_sentence: str | None = None  # when the card call's sentence differs
    max_seconds: float = 6.0


def busy(status: int, **headers: str) -> Answer:
    return json_answer(status, '{"errors": []}', **headers)


FAULTS = [
    Fault("connection-refused", S.CANT_REACH, 3, kind="refused"),
    Fault("dns-failure", S.CANT_REACH, 3, kind="dns"),
    Fault("tls-self-signed", S.NOT_SECURE, 1, kind="tls"),
    Fault("read-timeout", S.TOO_SLOW, 1, Answer(action="hang"), max_seconds=2.5),
    # Policy: the whole body must arrive within the read timeout once the headers are in.
    Fault(
        "slow-drip",
        S.TOO_SLOW,
        1,
        FaultAnswer(200, otp_body(), action="drip", interval=0.1),
        max_seconds=2.5,
    ),
    Fault("reset-before-answer", S.CUT_OFF, 3, Answer(action="reset")),
    Fault("reset-mid-body", S.CUT_OFF, 1, FaultAnswer(200, otp_body(), action="cut")),
    Fault("http-500", S.SERVER_ERROR, 1, json_answer(500, V2_ERROR_500)),
    Fault("http-503", S.BUSY_503, 3, Answer(503, b"<html>503</html>", HTML)),
    Fault("http-461", S.BUSY_461, 3, busy(461)),
    Fault("http-521", S.BUSY_521, 3, busy(521)),
    Fault(
        "http-429-retry-after-1",
        S.TOO_MANY_1_SECOND,
        3,
        busy(429, Retry_After="1"),
        card_sentence=S.TOO_MANY_1_SECOND,
    ),
    Fault(
        "http-429-retry-after-120",
        S.TOO_MANY_2_MINUTES,
        1,
        busy(429, Retry_After="120"),
        card_sentence=S.TOO_MANY_2_MINUTES,
    ),
    Fault(
        "http-429-no-retry-after",
        S.OTP_DAILY_LIMIT,
        1,
        busy(429),
        card_sentence=S.TOO_MANY_MINUTE,
    ),
    Fault("http-401", S.REJECTED, 1, json_answer(401, '{"errors": [{"code": 401}]}')),
    Fault("malformed-json", S.UNREADABLE, 1, json_answer(200, b'{"code": "7K3Q9ZB", "valid')),
    Fault("html-proxy-page", S.UNREADABLE, 1, Answer(200, HTML_PROXY_PAGE, HTML)),
    Fault("html-proxy-error-page", S.SERVER_ERROR, 1, Answer(502, HTML_PROXY_PAGE, HTML)),
    Fault("empty-body", S.UNREADABLE, 1, json_answer(200, b"")),
    Fault(
        "huge-body-announced",
        S.UNREADABLE,
        1,
        json_answer(200, b"{" + b" " * (11 * 1024 * 1024) + b"}"),
    ),
]


@dataclass
class Target:
    base_url: str
    attempts: Callable[[str], int]  # requests (or connection attempts) so far for a path
    server: FaultServer | None = None


@contextlib.contextmanager
def fault_target(fault: Fault, tmp_path: Path) -> Iterator[Target]:
    """The cluster address that misbehaves as ``fault`` says, and a way to count attempts."""
    if fault.kind == "refused":
        port = free_port()
        with ConnectCounter("127.0.0.1", port).watch() as counter:
            yield Target(f"http://127.0.0.1:{port}", lambda _path: counter.connects)
    elif fault.kind == "dns":
        with ConnectCounter(INVALID_HOST).watch() as counter:
            yield Target(f"https://{INVALID_HOST}", lambda _path: counter.lookups)
    elif fault.kind == "tls":
        ok = json_answer(200, otp_body())
        with FaultServer(ok, tls=self_signed_context(tmp_path)) as server:
            port = int(server.base_url.rsplit(":", 1)[1])
            with ConnectCounter("127.0.0.1", port).watch() as counter:
                yield Target(server.base_url, lambda _path: counter.connects, server)
            assert server.count() == 0  # not one request went over the unverified link
    else:
        assert fault.answer is not None
        with FaultServer(fault.answer) as server:
            yield Target(server.base_url, server.count, server)


@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.name)
def test_fault_through_the_window(fault: Fault, open_window, tmp_path: Path) -> None:
    with fault_target(fault, tmp_path) as target:
        desk = open_window(target.base_url, TILL)
        desk.type_identifier("mobile", "+91 98765 43210")
        typed = desk.identifier_text

        before = target.attempts(OTP_PATH)
        otp = desk.fetch()
        assert otp.error is not None, otp.result
        assert (desk.status_kind, desk.status_text) == ("error", fault.sentence)
        assert desk.identifier_text == typed
        assert desk.window.identifier_form.fetch_button.isEnabled()
        assert target.attempts(OTP_PATH) - before == fault.otp_attempts
        assert otp.max_gap < MAX_STALL, f"GUI stalled {otp.max_gap:.3f} s"
        assert otp.seconds < fault.max_seconds

        before = target.attempts(CARD_PATH)
        cards = desk.generate(1)
        assert cards.entries == [] and cards.error is not None
        assert desk.status_text == (fault.card_sentence or fault.sentence)
        assert target.attempts(CARD_PATH) - before == 1  # a card number is never retried
        assert desk.history_numbers() == []
        assert desk.window.card_panel.generate_button.isEnabled()
        assert cards.max_gap < MAX_STALL, f"GUI stalled {cards.max_gap:.3f} s"

        if target.server is not None and fault.kind == "server":
            # The same window works again as soon as the server does.
            target.server.responder = json_answer(200, otp_body())
            again = desk.fetch()
            assert again.error is None and desk.status_text == S.OTP_FOUND
            assert desk.identifier_text == typed


def test_a_huge_body_is_refused_without_reading_it_all(open_window) -> None:
    """50 MB without a length: the client stops at the 2 MiB cap and hangs up."""
    flood = FaultAnswer(200, action="flood", stream_bytes=50 * 1024 * 1024)
    with FaultServer(flood) as server:
        desk = open_window(server.base_url, TILL)
        desk.type_identifier("mobile", "919876543210")
        outcome = desk.fetch()
        assert outcome.error is not None
        assert desk.status_text == S.UNREADABLE
        assert "too large" in (outcome.error.details.technical or "")
        assert server.client_hung_up.wait(5), "the client kept the connection open"
        assert server.bytes_sent < 10 * 1024 * 1024, server.bytes_sent
        assert server.count(OTP_PATH) == 1
        assert outcome.max_gap < MAX_STALL


def test_a_drip_is_abandoned_not_left_open(open_window) -> None:
    """After giving up on a drip the client closes the connection (the server notices)."""
    drip = FaultAnswer(200, otp_body(), action="drip", interval=0.05)
    with FaultServer(drip) as server:
        desk = open_window(server.base_url, TILL)
        desk.type_identifier("mobile", "919876543210")
        outcome = desk.fetch()
        assert desk.status_text == S.TOO_SLOW
        assert 0.9 < outcome.seconds < 2.5  # the read timeout is 1 s: the whole body's budget
        assert server.drip_abandoned.wait(3)


def test_401_mid_session_is_not_retried_and_keeps_the_customer(open_window) -> None:
    """Basic credentials that worked a moment ago are refused (the password was changed)."""
    answers = [json_answer(200, otp_body()), json_answer(401, '{"errors": [{"code": 401}]}')]
    with FaultServer(answers) as server:
        desk = open_window(server.base_url, TILL)
        desk.type_identifier("email", "asha.rao@example.com")
        assert desk.fetch().error is None
        assert desk.status_text == S.OTP_FOUND
        outcome = desk.fetch()
        assert desk.status_text == S.REJECTED
        assert server.count(OTP_PATH) == 2
        assert desk.identifier_text == "asha.rao@example.com"
        assert outcome.error is not None and outcome.error.details.http_status == 401
        assert all("Basic " in r.headers.get("Authorization", "") for r in server.requests)
