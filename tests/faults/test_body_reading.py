"""How the transport reads an answer's body: every framing works, none can drip forever.

The slow-drip policy (the whole body within the read timeout once the headers are in)
reads with ``read1`` and a shrinking socket timeout; these check that chunked, gzip
and close-delimited bodies still arrive whole, and that a chunked drip is cut off too.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from capdesk.api.errors import NetworkError
from capdesk.api.transport import Timeouts, make_session, send

BIG = b'{"z": "' + b"q" * 300_000 + b'"}'


class Framings(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_GET(self) -> None:
        self.send_response(200)
        if self.path in ("/chunked", "/chunked-drip"):
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            pieces = [BIG[i : i + 70_000] for i in range(0, len(BIG), 70_000)]
            if self.path == "/chunked-drip":
                pieces = [bytes([b]) for b in b'{"a": "dripping slowly"}']
            for piece in pieces:
                if self.path == "/chunked-drip":
                    time.sleep(0.1)
                try:
                    self._chunk(piece)
                except OSError:
                    return
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/gzip":
            body = gzip.compress(BIG)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:  # close-delimited: no length, the end of the connection ends the body
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(BIG)
            self.close_connection = True


@pytest.fixture
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Framings)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["/chunked", "/gzip", "/close"])
def test_every_framing_arrives_whole(base_url: str, path: str) -> None:
    session = make_session(2, 0.01)
    try:
        for _ in range(2):  # the second time on a reused connection where there is one
            raw = send(session, "GET", base_url + path, headers={}, timeouts=Timeouts(1, 1))
            assert raw.body == BIG
    finally:
        session.close()


def test_a_chunked_drip_is_a_timeout_too(base_url: str) -> None:
    session = make_session(2, 0.01)
    started = time.monotonic()
    try:
        with pytest.raises(NetworkError) as caught:
            send(session, "GET", base_url + "/chunked-drip", headers={}, timeouts=Timeouts(1, 1))
    finally:
        session.close()
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 2.0  # 25 pieces 0.1 s apart would take 2.5 s
