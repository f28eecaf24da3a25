"""HTTP behaviour shared by every endpoint: headers, keep-alive, bodies, logs, serve()."""

from __future__ import annotations

import io
import logging
import re
import socket
import threading
import time
from datetime import UTC, datetime

import pytest
import requests

from capdesk.simulator import TrainingSimulator, serve
from tests.fake_clock import FakeClock
from tests.simulator.helpers import TILL_AUTH, card, error_codes, fetch_otp, post


def test_every_response_has_date_request_id_and_length(simulator) -> None:
    responses = [
        card(simulator),
        fetch_otp(simulator),  # 400
        requests.get(f"{simulator.base_url}/v2/otp", timeout=5),  # 401
        requests.get(f"{simulator.base_url}/nowhere", timeout=5),  # 404
        card(simulator, method="PUT"),  # 405
    ]
    ids = [r.headers["X-Cap-Requestid"] for r in responses]
    assert len(set(ids)) == len(ids)
    for response in responses:
        assert response.headers["Content-Type"] == "application/json"
        assert int(response.headers["Content-Length"]) == len(response.content)
        assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", response.headers["Date"])


def test_date_header_comes_from_the_simulators_clock() -> None:
    clock = FakeClock(datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC))
    with TrainingSimulator(clock=clock) as sim:
        assert card(sim).headers["Date"] == "Thu, 01 Jan 2026 12:00:00 GMT"
        clock.advance(90)
        assert card(sim).headers["Date"] == "Thu, 01 Jan 2026 12:01:30 GMT"


def test_unknown_paths_are_404_json(simulator) -> None:
    response = requests.get(f"{simulator.base_url}/v2/customers", headers=TILL_AUTH, timeout=5)
    assert response.status_code == 404
    assert error_codes(response) == [404]


def test_keep_alive_reuses_one_connection_even_across_errors(simulator) -> None:
    with requests.Session() as session:
        url = simulator.base_url
        session.get(f"{url}/v2/cardNumber", headers=TILL_AUTH, timeout=5)
        # A body-carrying request refused before the body is used (401): the body is
        # still read, so the next request on the connection parses cleanly.
        session.post(f"{url}/v2/otp/generate", json={"entityType": "MOBILE" * 50}, timeout=5)
        session.get(f"{url}/nowhere", timeout=5)
        session.put(f"{url}/v2/cardNumber", data=b"x" * 1000, headers=TILL_AUTH, timeout=5)
        last = session.get(f"{url}/v2/cardNumber", headers=TILL_AUTH, timeout=5)
    assert last.status_code == 200
    assert simulator.connections_accepted == 1
    assert len(simulator.issued_card_numbers) == 2


def test_request_bodies_are_checked(simulator) -> None:
    url = f"{simulator.base_url}/v2/otp/generate"
    not_json = requests.post(url, data=b"{nope", headers=TILL_AUTH, timeout=5)
    assert not_json.status_code == 400
    text = requests.post(
        url, data=b"hello", headers={**TILL_AUTH, "Content-Type": "text/plain"}, timeout=5
    )
    assert text.status_code == 415
    huge = requests.post(url, data=b"x" * 70_000, headers=TILL_AUTH, timeout=5)
    assert huge.status_code == 413 and huge.headers["Connection"] == "close"
    chunked = requests.post(url, data=iter([b"{}"]), headers=TILL_AUTH, timeout=5)
    assert chunked.status_code == 411


def test_head_gets_headers_only(simulator) -> None:
    response = requests.head(f"{simulator.base_url}/v2/cardNumber", headers=TILL_AUTH, timeout=5)
    assert response.status_code == 405 and response.content == b""


def test_garbage_request_line_gets_a_json_400_and_close(simulator) -> None:
    with socket.create_connection(("127.0.0.1", simulator.port), timeout=2) as sock:
        sock.sendall(b"GET / too many words HTTP/1.1\r\n\r\n")
        reply = b""
        while chunk := sock.recv(4096):  # the server closes after answering
            reply += chunk
    reply = reply.decode()
    assert reply.startswith("HTTP/1.1 400")
    assert "Content-Length:" in reply and "X-Cap-Requestid:" in reply
    assert "Connection: close" in reply and '"code": 400' in reply


def test_logs_never_hold_credentials_codes_or_identifiers(simulator, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="capdesk.simulator")
    code = simulator.customer_requests_otp("mobile", "919876543210")
    fetch_otp(simulator)
    number = card(simulator).json()["entity"]
    post(
        simulator, "/v3/oauth/token/generate", {"key": "training-key", "secret": "training-secret"}
    )
    text = caplog.text
    assert "GET /v2/otp -> 200" in text and "GET /v2/cardNumber -> 200" in text
    secret_values = [
        code,
        "919876543210",
        number,
        TILL_AUTH["Authorization"].split()[1],
        "6780f23f0523747f787e6dbc9c770096",  # md5 of training123
        "training-secret",
    ]
    for value in secret_values:
        assert value not in text


def test_bound_to_loopback_on_a_random_port_by_default(simulator) -> None:
    assert simulator.host == "127.0.0.1"
    assert simulator.base_url == f"http://127.0.0.1:{simulator.port}"
    assert simulator.port > 0
    assert simulator.running


def test_control_endpoints_refuse_non_loopback_clients() -> None:
    from capdesk.simulator.handler import _is_loopback

    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("::ffff:127.0.0.1")
    assert not _is_loopback("192.168.1.20") and not _is_loopback("not-an-ip")


def test_serve_prints_the_url_and_demo_credentials_and_stops() -> None:
    out = io.StringIO()
    stop = threading.Event()
    runner = threading.Thread(
        target=serve, args=("127.0.0.1", 0), kwargs={"out": out, "stop_event": stop}
    )
    runner.start()
    try:
        deadline = time.monotonic() + 5
        while "Press Ctrl+C" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        text = out.getvalue()
        url = re.search(r"http://127\.0\.0\.1:\d+", text)
        assert url is not None
        assert "training.till / training123" in text and "training-key" in text
        response = requests.get(f"{url.group(0)}/v2/cardNumber", headers=TILL_AUTH, timeout=5)
        assert response.status_code == 200
    finally:
        stop.set()
        runner.join(2)
    assert not runner.is_alive()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url.group(0)}/v2/cardNumber", timeout=1)
