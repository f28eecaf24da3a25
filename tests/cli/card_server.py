"""A tiny card-number server of the tests' own: N good answers, then a failure.

The training simulator switches scenarios for all requests at once; this server
fails at an exact request, so "failure mid-batch" and "Ctrl+C mid-batch" are
deterministic. It also counts requests, to prove nothing is retried.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CardServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, good: int, on_request: Callable[[int], None] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.good = good
        self.on_request = on_request
        self.requests = 0
        self.issued: list[str] = []
        self.methods: list[str] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: CardServer

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def _answer(self) -> None:
        with self.server.lock:
            self.server.requests += 1
            self.server.methods.append(self.command)
            number = self.server.requests
        if self.server.on_request is not None:
            self.server.on_request(number)
        if not self.path.startswith("/v2/cardNumber"):
            self._send(404, {"errors": [{"status": False, "code": 404, "message": "not here"}]})
        elif number <= self.server.good:
            card = f"77{number:08d}"
            self.server.issued.append(card)
            self._send(200, {"entity": card, "warnings": []})
        else:
            body = b"<html><body>503 Service Unavailable</body></html>"
            self.send_response(503)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def _send(self, status: int, document: object) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Cap-Requestid", f"req-{self.server.requests}")
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer


@contextmanager
def card_server(good: int, on_request: Callable[[int], None] | None = None) -> Iterator[CardServer]:
    server = CardServer(good, on_request)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
