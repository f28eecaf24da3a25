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
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import select
import socket
import struct
import sys
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


class SimulatorHTTPServer(ThreadingHTTPServer):
    """A threading server that remembers its open connections so stop() can cut them."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], state: SimulatorState) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        self._connections: set[socket.socket] = set()
        super().__init__(address, SimulatorHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS look-up (getfqdn) that can stall
        # on an offline PC; we do not need the name.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.state.connection_lock:
            self._connections.add(request)
        self.state.count_connection()
        super().process_request(request, client_address)

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
    _request_id: str | None = None
    _status: int | None = None

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
        """Unparseable requests (raised by the base class): a JSON error, then close."""
        reply = v2_error(code, code, HTTPStatus(code).phrase)
        reply.close = True
        self._send(reply)

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_GET

    # --- one request ---------------------------------------------------------------

    def _handle(self) -> None:
        started = time.perf_counter()
        self._request_id = str(uuid.uuid4())
        self._status = None
        state = self.server.state
        split = urlsplit(self.path)
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
        """The whole request body, or None after answering a body we cannot read."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._send(_closing(411, "Send the request body with a Content-Length"))
            return None
        text = self.headers.get("Content-Length")
        if not text:
            return b""
        try:
            length = int(text)
            if length < 0:
                raise ValueError(text)
        except ValueError:
            self._send(_closing(400, "Invalid Content-Length"))
            return None
        if length > MAX_BODY_BYTES:
            self._send(_closing(413, "Request body too large"))
            return None
        return self.rfile.read(length)

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
    """The JSON body ({} when empty), or None when it is not JSON."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))
