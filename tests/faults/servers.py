"""Misbehaving servers for the fault matrix, and a way to count connection attempts.

:class:`FaultServer` extends the scripted :class:`tests.api.local_server.LocalServer`
with the faults it cannot act out: a body dripped a byte at a time, a body cut off by
a reset half-way, and a flood without a length whose sender notices when the client
hangs up. :class:`CardIssuer` plays Capillary's card-number endpoint with a script of
faults and remembers which numbers it issued and which it actually delivered.
:class:`ConnectCounter` counts the client's connection attempts and name look-ups
(through a ``sys.audit`` hook), for the faults where no server ever sees a request:
refused, DNS, TLS.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import ssl
import struct
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

from tests.api.local_server import Answer, LocalServer, Recorded, Responder, json_answer

OTP_PATH = "/v2/otp"
_JSON = {"Content-Type": "application/json"}
CARD_PATH = "/v2/cardNumber"
SEND_BUFFER = 64 * 1024  # small, so a flood's sender notices a hang-up quickly


@dataclass
class FaultAnswer(Answer):
    """An :class:`Answer` with the extra faults: ``drip``, ``cut`` and ``flood``.

    * ``drip``: Content-Length of ``body``, then one byte every ``interval`` seconds;
    * ``cut``: Content-Length of ``body``, the first half of it, then a TCP reset;
    * ``flood``: no Content-Length, ``stream_bytes`` of filler until the client leaves;
    * ``late``: a normal answer, sent ``interval`` seconds after the request arrived.
    """

    interval: float = 0.0


def free_port() -> int:
    """A loopback port nobody listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _reset(handler: BaseHTTPRequestHandler) -> None:
    sock = handler.connection
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    handler.rfile.close()
    sock.close()


class FaultServer(LocalServer):
    """A LocalServer that can also drip, cut and flood (see :class:`FaultAnswer`)."""

    def __init__(self, responder: Responder, *, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(responder, tls=tls)
        self._server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        self.bytes_sent = 0  # flood bytes the client accepted before it hung up
        self.client_hung_up = threading.Event()  # a flood's write failed: the client left
        self.drip_abandoned = threading.Event()  # a drip's write failed: the client left

    def _serve(self, handler: BaseHTTPRequestHandler, answer: Answer) -> None:
        action = answer.action
        if action == "late":
            if not self._stop.wait(getattr(answer, "interval", 0.0)):
                super()._serve(handler, Answer(answer.status, answer.body, answer.headers))
            return
        if action not in ("drip", "cut", "flood"):
            super()._serve(handler, answer)
            return
        handler.send_response_only(answer.status)
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        if action == "flood":
            handler.send_header("Connection", "close")
        else:
            handler.send_header("Content-Length", str(len(answer.body)))
        handler.end_headers()
        handler.wfile.flush()
        if action == "cut":
            handler.wfile.write(answer.body[: len(answer.body) // 2])
            handler.wfile.flush()
            time.sleep(0.05)  # let the half body arrive before the reset
            _reset(handler)
        elif action == "drip":
            self._drip(handler, answer)
        else:
            self._flood(handler, answer.stream_bytes)

    def _drip(self, handler: BaseHTTPRequestHandler, answer: FaultAnswer) -> None:
        handler.close_connection = True
        interval = getattr(answer, "interval", 0.1)
        for index in range(len(answer.body)):
            if self._stop.wait(interval):
                return
            try:
                handler.wfile.write(answer.body[index : index + 1])
                handler.wfile.flush()
            except OSError:
                self.drip_abandoned.set()
                return

    def _flood(self, handler: BaseHTTPRequestHandler, total: int) -> None:
        handler.close_connection = True
        chunk = b"x" * 16384
        try:
            while self.bytes_sent < total and not self._stop.is_set():
                handler.connection.sendall(chunk)
                self.bytes_sent += len(chunk)
        except OSError:
            self.client_hung_up.set()


def otp_body(code: str = "7K3Q9ZB", valid_for: float = 900) -> bytes:
    """A Capillary ``GET /v2/otp`` success body valid for ``valid_for`` seconds."""
    from datetime import UTC, datetime, timedelta

    until = (datetime.now(UTC) + timedelta(seconds=valid_for)).replace(microsecond=0)
    return json.dumps(
        {"code": code, "validUpto": until.isoformat(), "orgId": 1, "userId": 7, "warnings": []}
    ).encode()


# --- card numbers -----------------------------------------------------------------------

#: What the card endpoint does with one request. "ok" delivers a number; the faults
#: before the number is issued (503, 429, reset_before) consume nothing; the faults after
#: it (cut, hang, malformed, html) consume a number that never reaches the till.
CARD_FAULTS_BEFORE_ISSUE = ("503", "429", "500_before", "reset_before")
CARD_FAULTS_AFTER_ISSUE = ("cut", "hang", "malformed", "empty")


class CardIssuer:
    """Plays ``/v2/cardNumber`` from a script of outcomes, one per request in arrival order.

    Once the script runs out every request gets "ok". ``issued`` holds every number the
    server consumed, ``delivered`` the ones it sent whole in a well-formed answer.
    Other paths get an OTP success body.
    """

    def __init__(self, script: list[str] | None = None, *, delay: float = 0.0) -> None:
        self.script = list(script or [])
        self.delay = delay  # seconds before each "ok" answer is sent
        self.issued: list[str] = []
        self.delivered: list[str] = []
        self.outcomes: list[str] = []
        self._lock = threading.Lock()
        self._numbers = itertools.count(5_000_001)

    def __call__(self, request: Recorded) -> Answer:
        if request.path != CARD_PATH:
            return json_answer(200, otp_body())
        with self._lock:
            outcome = self.script.pop(0) if self.script else "ok"
            self.outcomes.append(outcome)
            if outcome in CARD_FAULTS_BEFORE_ISSUE:
                return _card_fault_before(outcome)
            number = str(next(self._numbers))
            self.issued.append(number)
            if outcome == "ok":
                self.delivered.append(number)
        body = json.dumps({"entity": number, "warnings": []}).encode()
        if outcome == "ok" and self.delay:
            return FaultAnswer(200, body, _JSON, action="late", interval=self.delay)
        if outcome == "ok":
            return json_answer(200, body)
        if outcome == "cut":
            return FaultAnswer(200, body + b" " * 64, action="cut")
        if outcome == "hang":
            return Answer(action="hang")
        if outcome == "malformed":
            return json_answer(200, body[: len(body) // 2])
        if outcome == "empty":
            return json_answer(200, b"")
        raise ValueError(f"unknown card outcome {outcome!r}")


def _card_fault_before(outcome: str) -> Answer:
    if outcome == "503":
        return Answer(503, b"<html>503 Service Unavailable</html>", {"Content-Type": "text/html"})
    if outcome == "429":
        return json_answer(429, '{"errors": [{"code": 429, "message": "Too many requests"}]}')
    if outcome == "500_before":
        return json_answer(500, '{"errors": [{"code": 500, "message": "Internal error"}]}')
    return Answer(action="reset")


# --- counting connection attempts ------------------------------------------------------


class ConnectCounter:
    """Counts ``socket.connect`` and ``socket.getaddrinfo`` calls for one host (and port).

    Audit hooks cannot be removed, so a single module-level hook is installed on first
    use and only records while a :meth:`watch` block is active.
    """

    _installed: ClassVar[bool] = False
    _active: ClassVar[list[ConnectCounter]] = []
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, host: str, port: int | None = None) -> None:
        self.host = host
        self.port = port
        self.connects = 0
        self.lookups = 0

    @classmethod
    def _hook(cls, event: str, args: tuple) -> None:
        if not cls._active or event not in ("socket.connect", "socket.getaddrinfo"):
            return
        with cls._lock:
            for counter in cls._active:
                counter._record(event, args)

    def _record(self, event: str, args: tuple) -> None:
        if event == "socket.connect":
            address = args[1]
            if (
                isinstance(address, tuple)
                and address[0] == self.host
                and (self.port is None or address[1] == self.port)
            ):
                self.connects += 1
        elif args and args[0] in (self.host, self.host.encode()):
            self.lookups += 1

    @contextlib.contextmanager
    def watch(self) -> Iterator[ConnectCounter]:
        with ConnectCounter._lock:
            if not ConnectCounter._installed:
                sys.addaudithook(ConnectCounter._hook)
                ConnectCounter._installed = True
            ConnectCounter._active.append(self)
        try:
            yield self
        finally:
            with ConnectCounter._lock:
                ConnectCounter._active.remove(self)
