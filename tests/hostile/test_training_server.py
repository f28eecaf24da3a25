"""The training cluster under load and under malformed requests, over raw sockets.

Trainers run one simulator for a classroom, and the app embeds one that every window
call goes through, so it must never go silent: every request gets an answer, every
malformed one a 4xx with a v2 error body, and it keeps serving afterwards. The
requests are written byte by byte on loopback sockets, because an HTTP library would
refuse to send most of them.

The load bound is a correctness property, not a benchmark. With the old listen
backlog of 5, a burst of 200 connections overflowed the accept queue and the
kernel dropped SYNs; the client retransmits after its initial RTO, 1 second on
Linux (3 s on Windows), so a third of the connections took at least 1 s. Served
properly, each of the 200 requests costs about a millisecond of server time, so the
whole burst is over in well under half a second even on a loaded 2-core machine.
p99 < 0.9 s therefore separates the two cleanly (the 0.1 s below the retransmit
keeps a retransmitted connection from passing), and the median must stay under
0.5 s.
"""

from __future__ import annotations

import contextlib
import json
import socket
import statistics
import threading
import time
from collections.abc import Iterator

import pytest

from capdesk.simulator import TrainingSimulator
from capdesk.simulator.handler import MAX_BODY_BYTES, SimulatorHandler
from tests.simulator.helpers import TILL_AUTH

CONNECTIONS = 200
P99_BOUND_S = 0.9  # below the 1 s SYN retransmit that a full accept queue causes
MEDIAN_BOUND_S = 0.5
SOCKET_TIMEOUT_S = 10.0  # every wait of a test socket is bounded
AUTH = TILL_AUTH["Authorization"].encode()


@pytest.fixture
def cluster() -> Iterator[TrainingSimulator]:
    with TrainingSimulator(host="127.0.0.1", port=0) as simulator:
        yield simulator


def _read_reply(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response: status, headers (lower-case names), body by Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed without a complete reply: {data[:200]!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("iso-8859-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the middle of the body")
        body += chunk
    return int(status_line.split()[1]), headers, body[:length]


def _exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT_S) as sock:
        # The server may answer early (413) and stop reading: the answer is still there.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(raw)
        return _read_reply(sock)


def _card_request() -> bytes:
    return (
        b"GET /v2/cardNumber HTTP/1.1\r\nHost: training\r\nAuthorization: "
        + AUTH
        + b"\r\nConnection: close\r\n\r\n"
    )


def _post(path: bytes, body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"POST " + path + b" HTTP/1.1\r\nHost: training\r\nAuthorization: " + AUTH + b"\r\n"
        b"Content-Type: application/json\r\n"
        + extra
        + b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


def _assert_still_serving(cluster: TrainingSimulator) -> None:
    status, _headers, body = _exchange(cluster.port, _card_request())
    assert status == 200, body
    assert json.loads(body)["entity"] in cluster.issued_card_numbers


# --- 200 connections at once -------------------------------------------------------


def test_200_concurrent_connections_are_all_answered_promptly(cluster) -> None:
    """All 200 connect at the same instant (a barrier), each asks for a card number."""
    barrier = threading.Barrier(CONNECTIONS, timeout=SOCKET_TIMEOUT_S)
    latencies: list[float] = []
    statuses: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def client() -> None:
        try:
            barrier.wait()
            started = time.perf_counter()
            status, _headers, _body = _exchange(cluster.port, _card_request())
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses.append(status)
        except BaseException as error:  # reported below, never lost in a thread
            with lock:
                failures.append(error)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * SOCKET_TIMEOUT_S)
    assert not any(thread.is_alive() for thread in threads), "a client is still waiting"
    assert failures == []
    assert statuses == [200] * CONNECTIONS
    assert len(set(cluster.issued_card_numbers)) == CONNECTIONS
    latencies.sort()
    p99 = latencies[int(0.99 * CONNECTIONS) - 1]
    assert p99 < P99_BOUND_S, f"p99 {p99:.3f} s, slowest {latencies[-1]:.3f} s"
    assert statistics.median(latencies) < MEDIAN_BOUND_S
    _assert_still_serving(cluster)


# --- malformed requests --------------------------------------------------------------

DEEP_LIST = b"[" * 30_000 + b"]" * 30_000  # 60,000 bytes, nested 30,000 deep
DEEP_OBJECT = b'{"a":' * 9_000 + b"1" + b"}" * 9_000
OPENERS_ONLY = b"[" * 60_000  # the 60,000-deep body

MALFORMED: dict[str, tuple[bytes, int]] = {
    "garbage request line": (b"GARBAGE\r\n\r\n", 400),
    "empty request line": (b"\r\n\r\n", 400),
    "HTTP/0.9 request": (b"GET /v2/cardNumber\r\n\r\n", 400),
    "unknown HTTP version": (b"GET /v2/cardNumber HTTP/9.9\r\nHost: t\r\n\r\n", 400),
    "version not HTTP": (b"GET /v2/cardNumber FTP/1.1\r\nHost: t\r\n\r\n", 400),
    "unknown method": (b"BREW /v2/cardNumber HTTP/1.1\r\nHost: t\r\n\r\n", 405),
    "lower-case method": (b"get /v2/cardNumber HTTP/1.1\r\nHost: t\r\n\r\n", 405),
    "request target not a URL": (b"GET http://[::1/ HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    "request line over 64 KiB": (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
    "header line over 64 KiB": (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    "over 100 headers": (
        b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n",
        431,
    ),
    "header line without a colon": (
        b"GET /v2/cardNumber HTTP/1.1\r\nHost: t\r\nNo colon here\r\nAuthorization: "
        + AUTH
        + b"\r\n\r\n",
        400,
    ),
    "folded header": (b"GET /v2/cardNumber HTTP/1.1\r\nHost: t\r\nX-A: one\r\n two\r\n\r\n", 400),
    "Content-Length not a number": (
        b"POST /v2/otp/generate HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        400,
    ),
    "negative Content-Length": (
        b"POST /v2/otp/generate HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        400,
    ),
    "signed Content-Length": (
        b"POST /v2/otp/generate HTTP/1.1\r\nContent-Length: +2\r\n\r\n{}",
        400,
    ),
    "two different Content-Lengths": (
        b"POST /v2/otp/generate HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x",
        400,
    ),
    "body shorter than Content-Length": (
        b"POST /v2/otp/generate HTTP/1.1\r\nContent-Length: 50\r\n\r\n{}",
        400,  # the client half-closes after sending (see the test)
    ),
    "body over the cap": (
        b"POST /v2/otp/generate HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (4 * MAX_BODY_BYTES)
        + b"x" * (4 * MAX_BODY_BYTES),
        413,
    ),
    "chunked body": (
        b"POST /v2/otp/generate HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        411,
    ),
    "other transfer coding": (
        b"POST /v2/otp/generate HTTP/1.1\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}",
        411,
    ),
    "not JSON": (_post(b"/v2/otp/generate", b"{nope"), 400),
    "JSON but not an object": (_post(b"/v2/otp/generate", b"[1, 2]"), 400),
    "not UTF-8": (_post(b"/v2/otp/generate", b'{"entityValue": "\xff\xfe"}'), 400),
    "JSON list nested 30,000 deep": (_post(b"/v2/otp/generate", DEEP_LIST), 400),
    "JSON object nested 9,000 deep": (_post(b"/v2/otp/generate", DEEP_OBJECT), 400),
    "60,000 openers": (_post(b"/v2/otp/generate", OPENERS_ONLY), 400),
    "deep JSON to the training controls": (_post(b"/_training/scenario", DEEP_LIST), 400),
    "Authorization not ASCII": (
        b"GET /v2/cardNumber HTTP/1.1\r\nHost: t\r\nAuthorization: Basic \xff\xfe\r\n\r\n",
        401,
    ),
}


@pytest.mark.parametrize(("raw", "expected"), MALFORMED.values(), ids=MALFORMED.keys())
def test_each_malformed_request_gets_a_4xx_json_error_and_the_server_goes_on(
    cluster, capfd, raw: bytes, expected: int
) -> None:
    with socket.create_connection(("127.0.0.1", cluster.port), timeout=SOCKET_TIMEOUT_S) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # answered early
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)  # nothing more is coming (matters for short bodies)
        status, headers, body = _read_reply(sock)
    assert status == expected, body
    assert 400 <= status < 500
    assert headers["content-type"] == "application/json"
    assert [error["code"] for error in json.loads(body)["errors"]] == [status]
    _assert_still_serving(cluster)
    assert "Traceback" not in capfd.readouterr().err


def test_a_body_that_stops_arriving_gets_408(cluster, monkeypatch) -> None:
    """Content-Length promised, part of the body sent, then silence (connection open)."""
    monkeypatch.setattr(SimulatorHandler, "body_timeout", 0.3)
    with socket.create_connection(("127.0.0.1", cluster.port), timeout=SOCKET_TIMEOUT_S) as sock:
        sock.sendall(_post(b"/v2/otp/generate", b"{}")[:-2] + b"{")  # 1 of 2 bytes
        started = time.monotonic()
        status, headers, body = _read_reply(sock)
    assert status == 408 and headers["connection"] == "close"
    assert time.monotonic() - started < SOCKET_TIMEOUT_S / 2
    assert json.loads(body)["errors"][0]["code"] == 408
    _assert_still_serving(cluster)


def test_connections_past_the_thread_bound_get_503_not_silence(monkeypatch) -> None:
    """The handler threads are bounded; a connection past the bound is answered at once."""
    from capdesk.simulator import handler

    monkeypatch.setattr(handler, "MAX_CONNECTIONS", 2)
    with TrainingSimulator() as simulator:
        idle = [socket.create_connection(("127.0.0.1", simulator.port)) for _ in range(2)]
        try:
            # The answer comes at once, before the request is even sent.
            with socket.create_connection(("127.0.0.1", simulator.port), timeout=5) as third:
                status, headers, body = _read_reply(third)
            # stop() never joins them: a hung client cannot hold the app's exit.
            handlers = [t for t in threading.enumerate() if "process_request" in t.name]
            assert len(handlers) >= 2 and all(t.daemon for t in handlers)
            assert status == 503 and headers["retry-after"] == "1"
            assert json.loads(body)["errors"][0]["code"] == 503
        finally:
            for sock in idle:
                sock.close()
        # The idle connections are gone: their threads are free again.
        deadline = time.monotonic() + SOCKET_TIMEOUT_S
        while True:
            status, _headers, _body = _exchange(simulator.port, _card_request())
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert status == 200
