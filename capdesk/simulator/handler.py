"""HTTP mechanics of the training cluster: reading requests, scenarios, auth, routing.

HTTP/1.1 with keep-alive: every response carries Content-Length, so clients reuse
connections, and the request body is always read in full so the next request on the
connection starts at the right byte. Every response also carries ``Date`` (from the
simulator's clock, so FakeClock tests see server time move) and a unique
``X-Cap-Requestid``.

Order for an API request: count it (faulted requests count too, retry tests rely on
it) → read the body → gateway-level scenario → route (404) → auth (401, before
anything else about the request, so a bad identifier with good credentials gives 400,
never 401) → method (405) → the endpoint → malformed_body truncation.

Logs name method, path, status, scenario and request id only: never headers,
query strings or bodies, which carry credentials, tokens, identifiers and codes.

Hostile or broken clients: every malformed request gets a 4xx with a v2 error body
and ``Connection: close`` — an empty or HTTP/0.9 request line, an unsupported
version, an unknown method (405, not the base class's 501), a malformed or folded
header, a bad, duplicated or conflicting Content-Length, any Transfer-Encoding (411),
a body over :data:`MAX_BODY_BYTES` (413), one shorter than announced (400) or too
slow (408), and bodies that are not JSON, not UTF-8 or nested too deeply (400). After
such a reply the rest of the request is drained briefly before closing, so the
client reads the answer instead of a reset. Under load the listen backlog takes a
classroom's burst (:data:`LISTEN_BACKLOG`), and handler threads are daemons, at most
:data:`MAX_CONNECTIONS`; past that a connection gets a 503 at once, never silence.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import re
import select
import socket
import struct
import sys
import threading
import time
import uuid
from datetime import UTC
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from capdesk.simulator import access, control, scenarios
from capdesk.simulator.endpoints import ROUTES
from capdesk.simulator.replies import (
    Reply,
    SimulatorError,
    auth_error,
    gateway_rate_limit_reply,
    outage_reply,
    truncate,
    v2_error,
)
from capdesk.simulator.state import SimulatorState

log = logging.getLogger("capdesk.simulator")

MAX_BODY_BYTES = 64 * 1024
_POLL_SECONDS = 0.05
# listen() backlog. socketserver's default (5) made a third of 200 simultaneous
# connections wait for SYN retransmits (1 s, then 3 s). The OS caps it (Linux
# somaxconn, 4096 by default; Windows about 200), which is enough either way.
LISTEN_BACKLOG = 1024
# Connections served at once, one daemon thread each (idle keep-alive ones included).
# A classroom needs tens; the bound keeps a runaway client from exhausting threads.
MAX_CONNECTIONS = 512
# How long a body that was announced may take to arrive (then 408).
BODY_TIMEOUT_S = 10.0
# After an error reply that closes the connection: how long, and how much, of the
# rest of the request is read and discarded so that closing sends FIN, not RST.
LINGER_S = 1.0
LINGER_MAX_BYTES = 1 << 20
_INVALID_TARGET = "<invalid request target>"
_CONTENT_LENGTH = re.compile(r"[0-9]{1,18}")  # ASCII digits only: no sign, no spaces
_BUSY_REPLY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
)


class SimulatorHTTPServer(ThreadingHTTPServer):
    """A threading server that remembers its open connections so stop() can cut them."""

    daemon_threads = True  # never joined: stop() must not wait for a hung client
    block_on_close = False
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], state: SimulatorState) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        self._connections: set[socket.socket] = set()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(address, SimulatorHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS look-up (getfqdn) that can stall
        # on an offline PC; we do not need the name.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self._refuse_busy(request)
            return
        with self.state.connection_lock:
            self._connections.add(request)
        self.state.count_connection()
        try:
            super().process_request(request, client_address)  # starts the thread
        except BaseException:  # no thread (the OS refused one): the caller closes it
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def _refuse_busy(self, request: socket.socket) -> None:
        """Every thread is taken: say so at once (503, retry in a second) and close,
        from the accepting thread; the reply fits in the socket's send buffer."""
        body = v2_error(503, 503, "The training cluster is busy").body
        log.warning("training cluster: %d connections open, one refused", MAX_CONNECTIONS)
        with contextlib.suppress(OSError):
            request.settimeout(1.0)
            request.sendall(_BUSY_REPLY % (len(body), body))
            request.shutdown(socket.SHUT_WR)
            # Read what already arrived (without waiting: this is the accepting thread),
            # so that closing does not reset the connection over an unread request.
            request.setblocking(False)
            for _ in range(16):
                if not request.recv(65536):
                    break
        self.shutdown_request(request)

    def shutdown_request(self, request: Any) -> None:
        with self.state.connection_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection broke mid-request (client gone, reset): log quietly, no stderr."""
        log.debug("training cluster: connection error", exc_info=True)

    def abort_connections(self) -> None:
        """Shut down every open connection (idle keep-alive ones and hung ones)."""
        with self.state.connection_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class SimulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CapillaryTraining/1.0"
    timeout = 300  # seconds an idle keep-alive connection is kept open

    server: SimulatorHTTPServer
    raw_requestline: bytes  # set by the base class before parse_request (typeshed omits it)
    _request_id: str | None = None
    _status: int | None = None
    _linger = False  # drain the rest of the request before closing (see _drain)
    body_timeout = BODY_TIMEOUT_S  # a class attribute, so tests can shorten it

    # --- BaseHTTPRequestHandler hooks ------------------------------------------------

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle's algorithm
        # and the client's delayed ACK can add ~40 ms to every keep-alive response.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        if timestamp is not None:
            return super().date_time_string(timestamp)
        return format_datetime(self.server.state.clock.now().astimezone(UTC), usegmt=True)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silenced: :meth:`_log` writes one line per request without the query string."""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("training cluster: " + format, *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Unparseable requests (raised by the base class): a JSON error, then close.

        Always a 4xx: an unknown method is 405 (the base class says 501) and an HTTP
        version other than 1.x is 400 (505), since both are the client's mistake.
        """
        reply: Reply | None = None
        if code == HTTPStatus.NOT_IMPLEMENTED:  # no do_<METHOD>
            reply = v2_error(405, 405, "Method not allowed")
            reply.headers.append(("Allow", ", ".join(_allowed_methods(self.path))))
        elif code >= 500:
            code = 400
        if reply is None:
            reply = v2_error(code, code, HTTPStatus(code).phrase)
        if self.request_version == "HTTP/0.9":  # the base class's guess: write a status line
            self.request_version = self.protocol_version
        reply.close = True
        self._linger = True
        self._send(reply)

    def parse_request(self) -> bool:
        """The base class's parsing, plus what it lets through: an empty request line
        (it closes without a word), HTTP/0.9 (no status line possible) and broken
        header lines (it drops them and the headers after them)."""
        if not self.raw_requestline.strip():
            # What the base class would have set before answering.
            self.command, self.path, self.requestline = "", "", ""
            self.request_version = self.protocol_version
            self.send_error(400, "Empty request line")
            return False
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":
            self.send_error(400, "HTTP/0.9 is not supported")
            return False
        if self.headers.defects or any(
            "\r" in value or "\n" in value for value in self.headers.values()
        ):
            self.send_error(400, "Malformed or folded header line")
            return False
        return True

    def finish(self) -> None:
        if self._linger:
            self._drain()
        super().finish()

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_GET

    # --- one request ---------------------------------------------------------------

    def _handle(self) -> None:
        started = time.perf_counter()
        self._request_id = str(uuid.uuid4())
        self._status = None
        state = self.server.state
        try:
            split = urlsplit(self.path)
        except ValueError:  # e.g. "http://[::1/" (an unclosed IPv6 host)
            # Named, not quoted, in counts and logs: a target may carry an identifier.
            state.count_request(_INVALID_TARGET)
            self._refuse(400, "Invalid request target")
            self._log(_INVALID_TARGET, state.scenario, started)
            return
        path = split.path.rstrip("/") or "/"
        state.count_request(path)
        scenario = state.scenario
        raw = self._read_body()
        if raw is not None:
            if path.startswith(control.PREFIX):
                reply: Reply | None = self._control(path, raw)
            else:
                reply = self._answer(path, split.query, raw, scenario)
            if reply is not None:
                self._send(reply)
        self._log(path, scenario, started)

    def _answer(self, path: str, query_text: str, raw: bytes, scenario: str) -> Reply | None:
        """The reply under ``scenario``; None when the scenario sends nothing at all."""
        state = self.server.state
        if scenario == scenarios.SLOW_NETWORK and state.stopping.wait(state.config.slow_seconds):
            self.close_connection = True  # stopped while waiting
            return None
        if scenario == scenarios.OUTAGE:
            return outage_reply()
        if scenario == scenarios.RATE_LIMIT:
            return gateway_rate_limit_reply()
        if scenario == scenarios.NO_RESPONSE:
            self._hang()
            return None
        if scenario == scenarios.CONNECTION_RESET:
            self._reset()
            return None
        reply = self._api(path, query_text, raw)
        return truncate(reply) if scenario == scenarios.MALFORMED_BODY else reply

    def _read_body(self) -> bytes | None:
        """The whole request body, or None after answering a body we cannot read.

        Only Content-Length framing is supported (Capillary's clients send it): any
        Transfer-Encoding is 411, and a Content-Length must be one plain number, the
        same in every copy, since a server that guesses the framing reads the next
        request from the wrong byte (request smuggling).
        """
        if self.headers.get_all("Transfer-Encoding"):
            self._refuse(411, "Send the request body with a Content-Length")
            return None
        texts = {text.strip() for text in self.headers.get_all("Content-Length") or []}
        if not texts:
            return b""
        text = texts.pop()
        if texts or not _CONTENT_LENGTH.fullmatch(text):
            self._refuse(400, "Invalid Content-Length")
            return None
        length = int(text)
        if length > MAX_BODY_BYTES:
            self._refuse(413, "Request body too large")
            return None
        previous = self.connection.gettimeout()
        try:
            self.connection.settimeout(self.body_timeout)
            raw = self.rfile.read(length)
        except TimeoutError:
            self._refuse(408, "The request body did not arrive in time")
            return None
        finally:
            with contextlib.suppress(OSError):
                self.connection.settimeout(previous)
        if len(raw) < length:  # the client stopped sending (half-closed)
            self._refuse(400, "The request body is shorter than its Content-Length")
            return None
        return raw

    def _refuse(self, status: int, message: str) -> None:
        """Answer a request whose body cannot be read, and close (draining first)."""
        self._send(_closing(status, message))
        self._linger = True

    def _api(self, path: str, query_text: str, raw: bytes) -> Reply:
        route = ROUTES.get(path)
        if route is None:
            return v2_error(404, 404, "Resource not found")
        state = self.server.state
        caller = None
        if route.needs_auth:
            try:
                caller = access.authenticate(self.headers, state.tokens)
            except access.AuthError as error:
                return auth_error(error.message)
        if self.command not in route.methods:
            reply = v2_error(405, 405, "Method not allowed")
            reply.headers.append(("Allow", ", ".join(route.methods)))
            return reply
        body: Any = {}
        if route.json_body:
            content_type = self.headers.get("Content-Type") or ""
            if raw and content_type and "json" not in content_type.lower():
                return v2_error(415, 415, "Unsupported media type: send application/json")
            body = _parse_json(raw)
            if not isinstance(body, dict):
                return v2_error(400, 400, "The request body must be a JSON object")
        query = {name: values[0] for name, values in parse_qs(query_text).items()}
        try:
            return route.endpoint(state, caller, query, body)
        except SimulatorError as error:
            return error.reply()
        except Exception:
            log.exception("training cluster: internal error on %s %s", self.command, path)
            return v2_error(500, 500, "All requests have failed due to errors")

    def _control(self, path: str, raw: bytes) -> Reply:
        if not _is_loopback(self.client_address[0]):
            return v2_error(403, 403, "Training controls are only available on this computer")
        return control.handle(self.server.state, self.command, path, _parse_json(raw))

    def _drain(self) -> None:
        """Before closing after an error reply: the client may still be sending (the
        body of a 413, say). Closing with unread input makes the kernel send a reset,
        which can destroy the reply before the client reads it. So: end our side
        (FIN), then read and discard for at most :data:`LINGER_S` /
        :data:`LINGER_MAX_BYTES`, until the client closes too."""
        self.close_connection = True
        deadline = time.monotonic() + LINGER_S
        drained = 0
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            while drained < LINGER_MAX_BYTES and not self.server.state.stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.connection.settimeout(min(left, _POLL_SECONDS * 4))
                try:
                    chunk = self.connection.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    break
                drained += len(chunk)
        except (OSError, ValueError):
            pass

    # --- faults ------------------------------------------------------------------

    def _hang(self) -> None:
        """no_response: never answer; return when the client leaves or the server stops."""
        self.close_connection = True
        state = self.server.state
        connection = self.connection
        while not state.stopping.is_set():
            try:
                readable, _, _ = select.select([connection], [], [], _POLL_SECONDS)
                if readable and not connection.recv(1, socket.MSG_PEEK):
                    return  # the client closed the connection
            except (OSError, ValueError):
                return
            if readable:  # the client sent more; keep ignoring it
                state.stopping.wait(_POLL_SECONDS)

    def _reset(self) -> None:
        """connection_reset: close with SO_LINGER 0, so the client gets an RST."""
        self.close_connection = True
        linger = struct.pack("HH" if sys.platform == "win32" else "ii", 1, 0)
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        # The makefile() reader holds a reference; the socket only really closes (and
        # resets) once that is released too.
        self.rfile.close()
        self.connection.close()

    # --- writing -----------------------------------------------------------------

    def _send(self, reply: Reply) -> None:
        if self._request_id is None:
            self._request_id = str(uuid.uuid4())
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("X-Cap-Requestid", self._request_id)
            for name, value in reply.headers:
                self.send_header(name, value)
            if reply.close:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
        self._status = reply.status

    def _log(self, path: str, scenario: str, started: float) -> None:
        log.info(
            "training cluster: %s %s -> %s (%s, %.0f ms, request id %s)",
            self.command,
            path,
            self._status or "no answer",
            scenario,
            (time.perf_counter() - started) * 1000,
            self._request_id,
        )


def _closing(status: int, message: str) -> Reply:
    reply = v2_error(status, status, message)
    reply.close = True
    return reply


def _parse_json(raw: bytes) -> Any:
    """The JSON body ({} when empty), or None when it is not JSON.

    Nesting deeper than the interpreter's recursion limit (``[[[[…`` 60,000 deep fits
    in the body cap) raises RecursionError inside json: that too is "not JSON", a
    400, instead of an exception that dropped the connection without a reply.
    """
    if not raw.strip():
        return {}
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError too
        return None


def _allowed_methods(target: str) -> list[str]:
    """The Allow header of a 405: the route's methods, or every method we handle."""
    try:
        path = urlsplit(target).path.rstrip("/") or "/"
    except ValueError:
        path = ""
    route = ROUTES.get(path)
    if route is not None:
        return list(route.methods)
    return ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]


def _is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))
