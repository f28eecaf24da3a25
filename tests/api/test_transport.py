"""Transport: verified TLS, retries for GETs only, caps, and failures as NetworkError."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import requests
import truststore
import urllib3.exceptions as u3

from capdesk.api.errors import NetworkError, UnreadableResponse
from capdesk.api.network_errors import network_error
from capdesk.api.transport import Timeouts, make_session, send
from tests.api.local_server import Answer, LocalServer, json_answer, self_signed_context

FAST = Timeouts(connect=1.0, read=0.3)


def get(server: LocalServer, path: str = "/v2/otp", *, retries: int = 2, method: str = "GET"):
    session = make_session(retries, 0.01)
    try:
        return send(
            session,
            method,
            server.base_url + path,
            headers={"Accept": "application/json"},
            timeouts=FAST,
            cluster_label="EU",
        )
    finally:
        session.close()


def test_sessions_verify_with_the_os_trust_store_and_honour_proxies() -> None:
    session = make_session(2, 0.5)
    adapter = session.get_adapter("https://eu.api.capillarytech.com")
    assert isinstance(adapter.poolmanager.connection_pool_kw["ssl_context"], truststore.SSLContext)
    assert session.trust_env and session.verify is True
    proxy_manager = adapter.proxy_manager_for("http://proxy.example:3128")
    assert isinstance(proxy_manager.connection_pool_kw["ssl_context"], truststore.SSLContext)
    session.close()


def test_self_signed_server_is_a_tls_failure(tmp_path: Path) -> None:
    tls = self_signed_context(tmp_path)
    with (
        LocalServer(json_answer(200, "{}"), tls=tls) as server,
        pytest.raises(NetworkError) as caught,
    ):
        get(server)
    error = caught.value
    assert error.reason == "tls"
    assert "could not be checked as safe" in error.sentence
    assert "IT" in error.sentence
    assert "verif" not in error.sentence  # never "turn verification off"
    assert "(" not in error.sentence and error.details.cluster == "EU"  # cluster: details
    assert server.count() == 0  # no request was ever sent over the unverified connection


def test_a_ca_file_set_by_it_is_trusted_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REQUESTS_CA_BUNDLE (e.g. a company proxy's root) adds to the OS store."""
    tls = self_signed_context(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "cert.pem"))
    with LocalServer(json_answer(200, '{"ok": 1}'), tls=tls) as server:
        assert get(server).body == b'{"ok": 1}'


def test_read_timeout_is_quick_and_not_retried() -> None:
    with LocalServer(Answer(action="hang")) as server:
        started = time.monotonic()
        with pytest.raises(NetworkError) as caught:
            get(server, retries=2)
        elapsed = time.monotonic() - started
        assert server.count() == 1
    assert caught.value.reason == "timeout"
    assert caught.value.sentence == (
        "Capillary did not answer in time. Check the network and try again."
    )
    assert caught.value.details.cluster == "EU"
    assert elapsed < 0.9


def test_refused_connection() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = make_session(0, 0)
    with pytest.raises(NetworkError) as caught:
        send(session, "GET", f"http://127.0.0.1:{port}/v2/otp", headers={}, cluster_label="EU")
    assert caught.value.reason == "refused"
    assert caught.value.sentence == "Can't reach Capillary. Check the network and try again."
    assert caught.value.details.cluster == "EU"
    assert caught.value.details.technical


@pytest.mark.parametrize("status", [503, 461, 521])
def test_gets_are_retried_on_busy_statuses(status: int) -> None:
    with LocalServer(json_answer(status, "{}")) as server:
        raw = get(server, retries=2)
        assert server.count() == 3
    assert raw.status == status  # the last answer is handed back for classification


def test_a_429_without_retry_after_is_not_retried() -> None:
    """Capillary's daily OTP limit: retrying only wastes the customer's time."""
    with LocalServer(json_answer(429, "{}")) as server:
        raw = get(server, retries=2)
        assert server.count() == 1
    assert raw.status == 429


def test_get_retry_then_success() -> None:
    answers = [json_answer(503, "{}"), Answer(action="reset"), json_answer(200, '{"ok": 1}')]
    with LocalServer(answers) as server:
        raw = get(server, retries=2)
        assert server.count() == 3
    assert raw.status == 200 and raw.body == b'{"ok": 1}'


@pytest.mark.parametrize("answer", [json_answer(503, "{}"), Answer(action="reset")])
def test_posts_are_never_retried(answer: Answer) -> None:
    with LocalServer(answer) as server:
        try:
            get(server, "/v2/cardNumber", retries=2, method="POST")
        except NetworkError as error:
            assert error.reason == "reset"
        assert server.count() == 1


def test_short_retry_after_is_honoured_long_one_is_surfaced() -> None:
    with LocalServer(json_answer(429, "{}", Retry_After="0")) as server:
        get(server, retries=2)
        assert server.count() == 3
    with LocalServer(json_answer(503, "{}", Retry_After="120")) as server:
        started = time.monotonic()
        raw = get(server, retries=2)
        assert server.count() == 1
    assert raw.status == 503 and raw.headers["Retry-After"] == "120"
    assert time.monotonic() - started < 1


def test_reset_without_retries_is_reset() -> None:
    with LocalServer(Answer(action="reset")) as server, pytest.raises(NetworkError) as caught:
        get(server, retries=0)
    assert caught.value.reason == "reset"
    assert "cut off" in caught.value.sentence


def test_oversized_bodies_are_refused_without_reading_them_all() -> None:
    announced = Answer(200, b"x" * (3 * 1024 * 1024))
    with LocalServer(announced) as server, pytest.raises(UnreadableResponse) as caught:
        get(server)
    assert "too large" in caught.value.details.technical
    streamed = Answer(200, action="stream", stream_bytes=200 * 1024 * 1024)
    started = time.monotonic()
    with LocalServer(streamed) as server, pytest.raises(UnreadableResponse):
        get(server)
    assert time.monotonic() - started < 2  # 200 MiB would take far longer to read


def test_connections_are_reused() -> None:
    with LocalServer(json_answer(200, "{}")) as server:
        session = make_session(2, 0.01)
        for _ in range(3):
            send(session, "GET", server.base_url + "/v2/otp", headers={}, timeouts=FAST)
        session.close()
        ports = {r.client_port for r in server.requests}
    assert len(ports) == 1


def test_redirects_are_not_followed() -> None:
    redirect = Answer(302, b"", {"Location": "http://127.0.0.1:1/elsewhere"})
    with LocalServer(redirect) as server:
        raw = get(server)
    assert raw.status == 302


def test_reason_for_dns_failures() -> None:
    dns = u3.NameResolutionError("nowhere.invalid", None, socket.gaierror(-2, "Name unknown"))
    wrapped = requests.exceptions.ConnectionError(u3.MaxRetryError(None, "/v2/otp", dns))
    error = network_error(wrapped, "India")
    assert error.reason == "dns"
    assert error.sentence == "Can't reach Capillary. Check the network and try again."
    assert error.details.cluster == "India"
    assert network_error(requests.exceptions.ProxyError("proxy down"), "").sentence.startswith(
        "Can't reach Capillary through this PC's network proxy"
    )
