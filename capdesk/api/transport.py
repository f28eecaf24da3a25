"""HTTP plumbing: verified TLS through the OS trust store, proxies, retries, read caps.

* TLS is always verified, against the operating system's trust store (truststore),
  so a company proxy whose root certificate IT installed in Windows just works and
  nobody is ever tempted to switch verification off.
* System proxy settings are honoured (``trust_env``), read at most every
  :data:`ENVIRONMENT_TTL` seconds rather than on every call. ``~/.netrc`` is never
  consulted: capdesk sends its own credentials.
* Only GETs are retried (connection failures, resets, 461/503/521, and 429 when it
  says ``Retry-After``: without it, 429 is the daily OTP limit), with a short
  backoff. ``Retry-After`` is honoured up to :data:`MAX_RETRY_AFTER`; a longer or
  unreadable one is not waited out but surfaced, so staff see "wait N seconds" instead
  of a frozen app (see :mod:`capdesk.api.retry`). Timeouts are not retried: staff have
  already waited long enough.
* Bodies are streamed and refused past :data:`MAX_BODY` without reading them all.
* Whole-request deadline: ``Timeouts.deadline`` (15 s by default) covers connect, TLS,
  status line, headers, body and any GET retries with their pauses. The connections
  keep to it through :mod:`capdesk.api.deadline` (a watchdog thread shuts the socket
  down when it runs out), so a server dripping headers or body a byte at a time, one
  that never answers, never reads, or never finishes the TLS handshake, cannot hold
  the counter longer; staff then read "Capillary did not answer within 15 seconds…".
  Name resolution is the one part it cannot interrupt (see that module).
* Slow drip: the read timeout bounds each wait for data, and also the body: once the
  headers are in, the rest must arrive within ``Timeouts.read`` seconds too (or by the
  deadline, whichever is first), or the call fails as a timeout (not retried).
* Every requests/urllib3 failure becomes a :class:`NetworkError` with a ``reason``
  (worded in :mod:`capdesk.api.network_errors`).
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import truststore
import urllib3.exceptions as u3
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests.sessions import merge_setting as _merge_setting
from requests.utils import get_environ_proxies
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from capdesk.api.deadline import Deadline, SocketWatch, current_deadline
from capdesk.api.errors import NetworkError, UnreadableResponse
from capdesk.api.network_errors import deadline_error, network_error
from capdesk.api.responses import unreadable
from capdesk.api.retry import MAX_RETRY_AFTER, RETRY_STATUSES, CappedRetry
from capdesk.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)

MAX_BODY = 2 * 1024 * 1024
ENVIRONMENT_TTL = 30.0  # seconds a session keeps the proxy settings it read
USER_AGENT = "capdesk/0.1"
_CHUNK = 64 * 1024

# requests' own merge of a request's and a session's setting (its stubs leave it untyped).
merge_setting: Callable[[Any, Any], Any] = _merge_setting


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for a connection, for each read of the answer, and for it all.

    ``connect`` and ``read`` bound one wait each; ``deadline`` bounds the whole exchange
    (connect, TLS, status line, headers, body, and any GET retries with their pauses),
    because a server dripping a byte at a time never lets a single wait run out.
    """

    connect: float = 5.0
    read: float = 20.0
    deadline: float = 15.0

    def as_tuple(self) -> tuple[float, float]:
        return (self.connect, self.read)


DEFAULT_TIMEOUTS = Timeouts()


# --- the whole-request deadline inside urllib3 ------------------------------------------


class _DeadlineConnection(HTTPConnection):
    """An urllib3 connection that keeps to the current :class:`Deadline` (if any).

    Its connect timeout and every per-wait socket timeout are cut to the time left, and
    its socket is handed to the deadline's watchdog at connect and again at each request
    on a reused keep-alive connection, so that a server dripping bytes is cut off too.
    Outside :func:`send` (no current deadline) it behaves exactly as urllib3's own.
    """

    _watch: SocketWatch | None = None

    def _cut_timeout(self, deadline: Deadline) -> None:
        left = max(deadline.left(), 0.001)
        timeout = self.timeout
        if not isinstance(timeout, int | float) or timeout > left:
            self.timeout = left

    def _new_conn(self) -> socket.socket:
        deadline = current_deadline()
        if deadline is not None:
            if deadline.ran_out():
                raise u3.ConnectTimeoutError(
                    self, f"Whole-request deadline ({deadline.seconds:g} s) ran out"
                )
            self._cut_timeout(deadline)
        sock = super()._new_conn()
        if self._watch is not None:  # a reconnect without close(): drop the old watch
            self._watch.release()
        self._watch = SocketWatch.of(sock)
        if deadline is not None:
            deadline.watch(self._watch)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        deadline = current_deadline()
        if deadline is not None and self.sock is not None:  # a reused connection
            if deadline.ran_out():
                raise TimeoutError(f"Whole-request deadline ({deadline.seconds:g} s) ran out")
            self._cut_timeout(deadline)
            deadline.watch(self._watch)
        super().request(*args, **kwargs)

    def getresponse(self) -> Any:
        deadline = current_deadline()
        if deadline is not None:
            self._cut_timeout(deadline)
        return super().getresponse()

    def close(self) -> None:
        try:
            super().close()
        finally:
            watch, self._watch = self._watch, None
            if watch is not None:
                watch.release()


class _DeadlineHTTPSConnection(_DeadlineConnection, HTTPSConnection):
    """The same for TLS: the watch is taken on the TCP socket before the handshake."""


class _DeadlineHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineConnection


class _DeadlineHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


_POOL_CLASSES = {"http": _DeadlineHTTPConnectionPool, "https": _DeadlineHTTPSConnectionPool}


class TrustStoreAdapter(HTTPAdapter):
    """An HTTPAdapter whose pools verify TLS with the OS trust store (truststore) and
    whose connections keep to the whole-request deadline (also through HTTP(S) proxies)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._ssl_context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        super().__init__(*args, **kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._ssl_context
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOL_CLASSES

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs["ssl_context"] = self._ssl_context
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS brings its own connections
            manager.pool_classes_by_scheme = _POOL_CLASSES
        return manager

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """Always verify. No certifi bundle: the OS store decides (plus a CA file IT set)."""
        if not url.lower().startswith("https"):
            return
        conn.cert_reqs = "CERT_REQUIRED"
        conn.ca_certs = verify if isinstance(verify, str) and verify else None
        conn.ca_cert_dir = None


class _OwnAuthorization(AuthBase):
    """capdesk puts its own credentials on each request: with this as the session's
    auth, requests never looks in ``~/.netrc`` (a stat or two per call) for a login
    that would replace capdesk's ``Authorization`` header."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class _Session(requests.Session):
    """A ``requests.Session`` that asks the environment at most every ENVIRONMENT_TTL s.

    With ``trust_env`` requests reads the proxy settings (every environment variable,
    twice, and on Windows the registry) and the CA-bundle variables on every request:
    about a quarter of a millisecond of Python per call, holding the GIL that the
    window's thread needs when several answers arrive at once. capdesk talks to one
    address per session, so the answer is kept per address for a short while; a changed
    proxy setting still applies within ENVIRONMENT_TTL seconds.
    """

    def __init__(self) -> None:
        super().__init__()
        # origin -> (monotonic time read, proxies from the environment, CA bundle or None)
        self._environment: dict[str, tuple[float, dict[str, str], str | None]] = {}

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        """As ``requests.Session.merge_environment_settings``, with the lookup cached."""
        if not self.trust_env or not isinstance(url, str) or (proxies and "no_proxy" in proxies):
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        now = time.monotonic()
        known = self._environment.get(origin)
        if known is None or not 0 <= now - known[0] < ENVIRONMENT_TTL:
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            known = (now, get_environ_proxies(url, no_proxy=None), bundle)
            self._environment[origin] = known
        _read_at, environment_proxies, bundle = known
        proxies = dict(proxies or {})
        for scheme, proxy in environment_proxies.items():
            proxies.setdefault(scheme, proxy)
        if verify is True or verify is None:
            verify = bundle or verify
        return {
            "proxies": merge_setting(proxies, self.proxies),
            "stream": merge_setting(stream, self.stream),
            "verify": merge_setting(verify, self.verify),
            "cert": merge_setting(cert, self.cert),
        }


def make_session(
    retries: int, backoff: float, *, max_retry_after: float = MAX_RETRY_AFTER, pool_size: int = 8
) -> requests.Session:
    """A session that verifies TLS, honours proxies, and retries GETs ``retries`` times."""
    retries = max(0, int(retries))
    if retries:
        policy: Retry = CappedRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            redirect=0,
            allowed_methods=frozenset({"GET"}),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=max(0.0, backoff),
            backoff_max=4.0,
            respect_retry_after_header=True,
            retry_after_max=max_retry_after,
            raise_on_status=False,
            raise_on_redirect=False,
            max_retry_after=max_retry_after,
        )
    else:
        policy = Retry(
            total=0,
            connect=0,
            read=False,
            status=0,
            other=0,
            redirect=0,
            raise_on_status=False,
            raise_on_redirect=False,
        )
    session = _Session()
    session.trust_env = True
    session.verify = True
    session.auth = _OwnAuthorization()
    session.headers["User-Agent"] = USER_AGENT
    for prefix in ("https://", "http://"):
        session.mount(
            prefix,
            TrustStoreAdapter(max_retries=policy, pool_connections=4, pool_maxsize=pool_size),
        )
    return session


# --- sending --------------------------------------------------------------------------


@dataclass(frozen=True)
class RawResponse:
    """What came back, read in full (within the cap), with when it arrived."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed: float
    received_monotonic: float
    local_now: datetime


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    params: Mapping[str, str] | None = None,
    data: bytes | None = None,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    cluster_label: str = "",
    clock: Clock = SYSTEM_CLOCK,
    max_body: int = MAX_BODY,
) -> RawResponse:
    """One HTTP exchange within ``timeouts.deadline`` seconds, retries included; raises
    only NetworkError or UnreadableResponse."""
    started = clock.monotonic()
    with Deadline(timeouts.deadline) as deadline:
        try:
            response = session.request(
                method,
                url,
                headers=dict(headers),
                params=params,
                data=data,
                timeout=timeouts.as_tuple(),
                stream=True,
                allow_redirects=False,  # never carry credentials to another address
            )
        except Exception as exc:
            raise _failure(exc, deadline, cluster_label) from None
        try:
            body = _read_capped(response, max_body, cluster_label, timeouts.read, deadline)
        except UnreadableResponse:
            raise
        except Exception as exc:
            raise _failure(exc, deadline, cluster_label) from None
        finally:
            response.close()
    received = clock.monotonic()
    return RawResponse(
        status=response.status_code,
        headers=response.headers,
        body=body,
        elapsed=received - started,
        received_monotonic=received,
        local_now=clock.now(),
    )


def _failure(exc: BaseException, deadline: Deadline, cluster_label: str) -> NetworkError:
    """The error for a failed exchange: the deadline's sentence once it has run out
    (whatever the watchdog's shutdown looked like to urllib3: a reset, an end of file,
    a TLS error), else the failure's own."""
    if deadline.ran_out():
        return deadline_error(deadline.seconds, cluster_label, exc)
    return network_error(exc, cluster_label)


def _read_capped(
    response: requests.Response,
    max_body: int,
    cluster_label: str,
    budget: float,
    deadline: Deadline | None = None,
) -> bytes:
    """The body, refused past ``max_body`` and failed as a timeout past ``budget`` seconds
    from now or at the whole-request ``deadline``, whichever comes first.

    Reads with ``read1`` (at most one receive per call) and shrinks the socket's timeout
    to the time left, so neither a flood nor a drip can outlast the limits. Real time
    (not the injected clock) is used: it is the network that is being timed.
    """

    def too_big(size: str) -> UnreadableResponse:
        return unreadable(
            f"Answer too large ({size}); refused past {max_body} bytes",
            status=response.status_code,
            headers=response.headers,
            cluster_label=cluster_label,
        )

    length = response.headers.get("Content-Length", "").strip()
    announced = int(length) if length.isascii() and length.isdigit() else None
    if announced is not None and announced > max_body:
        raise too_big(f"{length} bytes announced")
    # Without a content coding the body is exactly the announced length: once that is in,
    # asking for the end of it again would be one more trip through urllib3 for nothing.
    complete_at = None if response.headers.get("Content-Encoding") else announced
    raw = response.raw
    ends_at = time.monotonic() + budget
    if deadline is not None:
        ends_at = min(ends_at, deadline.expires_at)
    chunks: list[bytes] = []
    total = 0
    while True:
        left = ends_at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"The answer did not arrive completely within {budget:g} s")
        _wait_at_most(raw, left)
        chunk = raw.read1(_CHUNK, decode_content=True)
        if not chunk:
            break
        total += len(chunk)
        if total > max_body:
            raise too_big("over the limit")
        chunks.append(chunk)
        if total == complete_at:
            break
    return b"".join(chunks)


def _wait_at_most(raw: Any, seconds: float) -> None:
    """Lower the socket timeout for the next receive to ``seconds`` (urllib3 resets it
    before the connection's next request)."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is None:
        return
    current = sock.gettimeout()
    if current is None or current > seconds:
        sock.settimeout(max(seconds, 0.001))
