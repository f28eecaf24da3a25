"""Raw-socket servers that hold a client without ever letting one socket wait time out.

Each one acts out a whole class of fault against the whole-request deadline: the status
line and headers dripped a byte at a time, a body dripped, a request read and never
answered, a connection accepted and never read from, a listening socket that never
accepts (its backlog full, so the kernel drops the client's SYNs), and TLS that stalls
or drips its handshake. They speak raw TCP because ``http.server`` cannot misbehave
below the HTTP level, and they stop promptly: every wait is on the stop event.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import struct
import threading
from collections.abc import Callable, Mapping, Sequence

DRIP_INTERVAL = 0.2  # seconds between dripped bytes: far below any single-wait timeout

Behaviour = Callable[[socket.socket, threading.Event], None]


def _read_request(conn: socket.socket, stop: threading.Event) -> bytes | None:
    """Bytes up to the end of one request's headers (None if the client left)."""
    data = b""
    conn.settimeout(0.05)
    while b"\r\n\r\n" not in data and not stop.is_set():
        try:
            chunk = conn.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    return data


def _drip(conn: socket.socket, stop: threading.Event, data: bytes) -> None:
    """Send ``data`` (cycled forever) a byte every DRIP_INTERVAL until the client leaves."""
    index = 0
    while not stop.wait(DRIP_INTERVAL):
        try:
            conn.sendall(data[index % len(data) : index % len(data) + 1])
        except OSError:
            return
        index += 1


def header_drip(conn: socket.socket, stop: threading.Event) -> None:
    """Reads the request, then drips the status line and an endless header."""
    if _read_request(conn, stop) is not None:
        _drip(conn, stop, b"HTTP/1.1 200 OK\r\nX-Drip: " + b"a" * 4096)


def body_drip(conn: socket.socket, stop: threading.Event) -> None:
    """Reads the request, sends headers at once, then drips a long announced body."""
    if _read_request(conn, stop) is None:
        return
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    conn.sendall(b"Content-Length: 1000000\r\n\r\n")
    _drip(conn, stop, b'{"a": "' + b"b" * 4096)


def never_answers(conn: socket.socket, stop: threading.Event) -> None:
    """Reads the request (and anything after it), never answers."""
    if _read_request(conn, stop) is not None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                if not conn.recv(65536):
                    return


def never_reads(conn: socket.socket, stop: threading.Event) -> None:
    """Accepts the connection and never reads a byte, nor answers."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stop.wait()


def tls_stall(conn: socket.socket, stop: threading.Event) -> None:
    """Accepts TCP for an https:// URL and never says a word of TLS."""
    stop.wait()


def tls_drip(conn: socket.socket, stop: threading.Event) -> None:
    """Drips a TLS handshake record header and its body, a byte at a time, forever."""
    # A handshake record (0x16), TLS 1.2, 16 KiB long: the client waits for all of it.
    _drip(conn, stop, b"\x16\x03\x03\x40\x00" + b"\x02" + b"\x00" * 16000)


def keep_alive_then(behaviour: Behaviour) -> Behaviour:
    """Answers the first request properly on a keep-alive connection, then misbehaves
    on the next request over the *same* connection."""

    def act(conn: socket.socket, stop: threading.Event) -> None:
        if _read_request(conn, stop) is None:
            return
        body = b'{"ok": true}'
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        behaviour(conn, stop)

    return act


def reset_first_then(behaviour: Behaviour) -> Behaviour:
    """Resets the first connection after reading its request (a GET retries that), then
    treats every later connection with ``behaviour``."""
    seen = itertools.count()

    def act(conn: socket.socket, stop: threading.Event) -> None:
        if next(seen) > 0:
            behaviour(conn, stop)
        elif _read_request(conn, stop) is not None:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    return act


class HostileServer:
    """A loopback TCP server that runs ``behaviour`` on each accepted connection."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.connections = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._accepted: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}/v2/otp"

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._accepted.append(conn)
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(worker)
            worker.start()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self.behaviour(conn, self._stop)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        for worker in self._threads:
            worker.join(2)
        for conn in self._accepted:
            conn.close()
        self._listener.close()


class NeverAccepts:
    """A listening socket that never calls accept(), its backlog filled.

    The kernel completes the TCP handshake for a listener by itself until the accept
    queue is full; with ``listen(0)`` and that queue filled by a few parked clients,
    Linux drops every further SYN, so a client's connect() hangs, as it does towards a
    firewall that drops packets. (Windows answers with a reset instead: connection
    refused, which is not this fault; the test is for Linux and macOS.)
    """

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self._parked: list[socket.socket] = []

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}/v2/otp"

    def __enter__(self) -> NeverAccepts:
        address = self._listener.getsockname()
        for _ in range(16):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.settimeout(0.3)
            try:
                probe.connect(address)
            except TimeoutError:
                probe.close()
                return self  # the queue is full: SYNs are dropped from now on
            self._parked.append(probe)
        raise RuntimeError("the listen backlog never filled")

    def __exit__(self, *exc: object) -> None:
        for probe in self._parked:
            probe.close()
        self._listener.close()


def answers(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None, reason: str = "Answer"
) -> Behaviour:
    """Reads each request on the connection and sends this exact answer to it, as a
    captive portal, a proxy's error page or another web server would.

    Headers are sent as given (nothing added but ``Content-Length`` and
    ``Connection: close``), so an answer can lack a ``Content-Type`` or lie in it.
    """
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    reply = "\r\n".join(lines).encode("latin-1") + body

    def act(conn: socket.socket, stop: threading.Event) -> None:
        request = _read_request(conn, stop)
        if request is None:
            return
        head, _, received = request.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length" and value.strip().isdigit():
                length = int(value.strip())
        while len(received) < length and not stop.is_set():  # a POST's body: read it all,
            try:  # or closing with unread bytes resets the connection before the answer
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                return
            received += chunk
        conn.sendall(reply)

    return act


def raw_reply(status: int, headers: Sequence[tuple[str, str]], body: bytes) -> bytes:
    """An HTTP/1.1 answer built byte for byte, ``Connection: close``.

    Header values go out exactly as given: latin-1 where they fit (so ``"\\x9b"`` is the
    single C1 byte 0x9B), else UTF-8 (a bidi override arrives as its three bytes).
    ``http.server`` would not send escape sequences or C1 bytes in a header at all.
    """

    def encode(text: str) -> bytes:
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError:
            return text.encode("utf-8", "surrogatepass")

    head = [f"HTTP/1.1 {status} Answer".encode()]
    head += [name.encode("ascii") + b": " + encode(value) for name, value in headers]
    head += [b"Content-Length: %d" % len(body), b"Connection: close", b"", b""]
    return b"\r\n".join(head) + body


def answers_by_path(replies: Mapping[str, bytes]) -> Behaviour:
    """Reads one request and sends the first reply whose key starts its path ("" matches
    any path; none matching: 404), then closes, as one scripted web server would."""

    def act(conn: socket.socket, stop: threading.Event) -> None:
        request = _read_request(conn, stop)
        if request is None:
            return
        path = (
            request.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1") if b" " in request else ""
        )
        for prefix, reply in replies.items():
            if path.startswith(prefix):
                conn.sendall(reply)
                return
        conn.sendall(raw_reply(404, [("Content-Type", "text/plain")], b"not here"))

    return act
