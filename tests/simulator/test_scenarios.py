"""Scenarios (faults for teaching and retry tests), the control endpoints, and stop()."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import pytest
import requests

from capdesk.simulator import SCENARIOS, TrainingSimulator
from tests.simulator.helpers import TILL_AUTH, card, error_codes, fetch_otp


def set_scenario_over_http(sim: TrainingSimulator, name: str) -> requests.Response:
    return requests.post(f"{sim.base_url}/_training/scenario", json={"scenario": name}, timeout=5)


def raw_request(sim: TrainingSimulator, timeout: float = 2.0) -> socket.socket:
    """A connected socket that has sent one authenticated GET /v2/cardNumber."""
    sock = socket.create_connection(("127.0.0.1", sim.port), timeout=timeout)
    request = (
        "GET /v2/cardNumber HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {TILL_AUTH['Authorization']}\r\n\r\n"
    )
    sock.sendall(request.encode())
    return sock


def test_scenario_names_are_the_contract() -> None:
    assert SCENARIOS == (
        "normal",
        "slow_network",
        "outage",
        "no_response",
        "connection_reset",
        "rate_limit",
        "card_generation_disabled",
        "malformed_body",
    )


def test_scenario_chosen_at_start_and_unknown_names_refused() -> None:
    with TrainingSimulator(scenario="outage") as sim:
        assert sim.scenario == "outage"
        assert card(sim).status_code == 503
        with pytest.raises(ValueError):
            sim.set_scenario("earthquake")
    with pytest.raises(ValueError):
        TrainingSimulator(scenario="earthquake")


def test_slow_network_delays_every_answer() -> None:
    with TrainingSimulator(scenario="slow_network", slow_seconds=0.3) as sim:
        started = time.perf_counter()
        response = card(sim)
        assert time.perf_counter() - started >= 0.3
        assert response.status_code == 200
        with pytest.raises(requests.ReadTimeout):
            requests.get(f"{sim.base_url}/v2/cardNumber", headers=TILL_AUTH, timeout=0.1)


def test_outage_is_a_load_balancer_page(simulator) -> None:
    simulator.set_scenario("outage")
    response = card(simulator)
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Service Unavailable" in response.text
    assert simulator.issued_card_numbers == []


def test_no_response_hangs_until_the_client_gives_up(simulator) -> None:
    simulator.set_scenario("no_response")
    started = time.perf_counter()
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{simulator.base_url}/v2/cardNumber", headers=TILL_AUTH, timeout=0.3)
    assert time.perf_counter() - started < 1.0
    assert simulator.request_count("/v2/cardNumber") == 1
    assert simulator.issued_card_numbers == []


def test_connection_reset_sends_an_rst(simulator) -> None:
    simulator.set_scenario("connection_reset")
    with raw_request(simulator) as sock, pytest.raises(ConnectionResetError):
        sock.recv(1024)
    with pytest.raises(requests.ConnectionError):
        card(simulator)
    assert simulator.request_count("/v2/cardNumber") == 2


def test_rate_limit_is_a_gateways_429_with_retry_after(simulator) -> None:
    """Not Capillary's daily OTP limit (a v2 body with code 429 and no Retry-After,
    see test_otp.py): a load balancer's own page, saying when to come back."""
    simulator.set_scenario("rate_limit")
    for response in (fetch_otp(simulator), card(simulator)):
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "30"
        assert response.headers["Content-Type"].startswith("text/html")
        assert "429 Too Many Requests" in response.text
        assert '"errors"' not in response.text  # no Capillary code: nothing to mistake
    assert simulator.issued_card_numbers == []


def test_card_generation_disabled_refuses_every_till_only_for_cards(simulator) -> None:
    code = simulator.customer_requests_otp("mobile", "919876543210")
    simulator.set_scenario("card_generation_disabled")
    response = card(simulator)
    assert response.status_code == 403
    assert "CONF_CARD_NUMBER_GENERATION_ENABLED" in response.json()["errors"][0]["message"]
    assert fetch_otp(simulator).json()["code"] == code


def test_malformed_body_is_200_with_truncated_json(simulator) -> None:
    simulator.set_scenario("malformed_body")
    response = card(simulator)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert response.text.startswith('{"entity')
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    assert len(simulator.issued_card_numbers) == 1  # the number was used up anyway


def test_faulted_requests_are_counted_per_path(simulator) -> None:
    simulator.set_scenario("outage")
    for _ in range(3):
        card(simulator)
    fetch_otp(simulator)
    assert simulator.request_count("/v2/cardNumber") == 3
    assert simulator.request_count("/v2/otp") == 1
    assert simulator.request_count("/v2/otp/generate") == 0


def test_control_endpoints_switch_scenarios_and_are_never_faulted(simulator) -> None:
    for name in ("outage", "no_response", "connection_reset", "rate_limit", "malformed_body"):
        response = set_scenario_over_http(simulator, name)
        assert response.status_code == 200 and response.json() == {"scenario": name}
        assert simulator.scenario == name
    current = requests.get(f"{simulator.base_url}/_training/scenario", timeout=5).json()
    assert current["scenario"] == "malformed_body" and current["scenarios"] == list(SCENARIOS)
    bad = set_scenario_over_http(simulator, "earthquake")
    assert bad.status_code == 400 and error_codes(bad) == [400]
    assert set_scenario_over_http(simulator, "normal").status_code == 200
    assert card(simulator).status_code == 200


def test_control_otp_request_over_http(simulator) -> None:
    simulator.set_scenario("outage")  # controls still work during an outage
    url = f"{simulator.base_url}/_training/otp"
    body = {"identifierName": "mobile", "identifierValue": "919876543210", "scope": "POINTS"}
    response = requests.post(url, json=body, timeout=5)
    assert response.status_code == 200
    assert set(response.json()) == {"code", "validUpto"}
    simulator.set_scenario("normal")
    assert fetch_otp(simulator).json()["code"] == response.json()["code"]
    unknown = requests.post(url, json={**body, "identifierValue": "910000000000"}, timeout=5)
    assert unknown.status_code == 400 and error_codes(unknown) == [8015]
    not_json = requests.post(url, data=b"{", timeout=5)
    assert not_json.status_code == 400


def test_reset_forgets_otps_and_counts(simulator) -> None:
    simulator.customer_requests_otp("mobile", "919876543210")
    simulator.set_scenario("outage")
    card(simulator)
    assert requests.post(f"{simulator.base_url}/_training/reset", timeout=5).status_code == 200
    assert simulator.scenario == "normal"
    assert simulator.request_count("/v2/cardNumber") == 0
    assert error_codes(fetch_otp(simulator)) == [9001]


def test_stop_is_quick_with_hung_and_idle_connections() -> None:
    sim = TrainingSimulator(scenario="no_response").start()
    session = requests.Session()
    sim.set_scenario("normal")
    assert session.get(f"{sim.base_url}/v2/cardNumber", headers=TILL_AUTH, timeout=5).ok
    sim.set_scenario("no_response")
    hung = [raw_request(sim, timeout=5) for _ in range(3)]
    errors: list[BaseException] = []

    def waiting_client() -> None:
        try:
            requests.get(f"{sim.base_url}/v2/otp", headers=TILL_AUTH, timeout=5)
        except requests.RequestException as exc:
            errors.append(exc)

    client = threading.Thread(target=waiting_client)
    client.start()
    time.sleep(0.1)
    started = time.perf_counter()
    sim.stop()
    assert time.perf_counter() - started < 1.0
    client.join(2)
    assert not client.is_alive() and len(errors) == 1  # the client got a closed connection
    for sock in hung:
        assert sock.recv(1024) == b""  # closed by the server, never answered
        sock.close()
    with pytest.raises(requests.ConnectionError):
        session.get(f"{sim.base_url}/v2/cardNumber", headers=TILL_AUTH, timeout=1)
    session.close()
    sim.stop()  # twice is fine


def test_stop_is_quick_during_a_slow_answer() -> None:
    sim = TrainingSimulator(scenario="slow_network", slow_seconds=30).start()
    client = threading.Thread(target=lambda: _swallow(lambda: card(sim)), daemon=True)
    client.start()
    time.sleep(0.1)
    started = time.perf_counter()
    sim.stop()
    assert time.perf_counter() - started < 1.0
    client.join(2)
    assert not client.is_alive()
    assert sim.issued_card_numbers == []


def _swallow(call) -> None:
    with contextlib.suppress(requests.RequestException):
        call()
