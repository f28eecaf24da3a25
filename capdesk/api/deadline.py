"""One deadline for a whole HTTP exchange: connect, TLS, status line, headers and body.

Why: socket timeouts bound each *wait* for data. A server that sends its status line,
headers or body one byte a second never lets a single wait run out, so it could hold a
counter (or a CLI call) for as long as it liked. Staff need one promise instead: after
``Timeouts.deadline`` seconds the call is over, whatever the server is doing.

How:

* :func:`capdesk.api.transport.send` opens a :class:`Deadline` around the call. It is
  *current* for the calling thread (a thread-local) while urllib3 works, because
  urllib3 calls back into capdesk's connection class on that same thread.
* The connection class (``transport``) bounds its connect and per-wait socket timeouts
  by the time left, and :meth:`Deadline.watch` watches its socket: at connect, and at each
  request on a reused keep-alive connection.
* A single daemon watchdog thread keeps the open deadlines in a heap, under one lock and
  condition. When one runs out it shuts down (``SHUT_RDWR``) every socket watched for
  it: a ``recv``/``send``/TLS handshake blocked on it returns at once, with an end of
  file or an error, and ``send()`` reports a timeout because :meth:`Deadline.ran_out`.
  No thread per call: opening and closing a deadline is a lock, a heap push and a
  thread-local assignment, a few microseconds. The thread ends when no call has been
  in flight for a moment, and the next call starts it again.
* :class:`CappedRetry` (``retry``) never sleeps past the deadline and never retries
  once it has run out, so retries share the one deadline instead of restarting it.
* Deadlines nest: ``CapillaryClient`` opens one around an OAuth call, whose token
  fetch and sends each open their own; an inner one keeps to the outer's expiry when
  that is earlier, so the whole staff action gets one deadline, not one per request.

Limits (documented, not fixable from Python):

* Name resolution (``getaddrinfo``) runs before there is a socket to shut down and
  cannot be interrupted: a resolver that hangs holds the call for the resolver's own
  timeout (typically 5 s per server and attempt on Linux, similar on Windows) past
  the deadline. A deadline that ran out meanwhile is reported as soon as it returns.
* A host name with several addresses is tried address by address by urllib3; each
  attempt waits at most the time left *when the connection started*, and the watchdog
  can only shut a socket down once the connect returned it. With ``n`` unreachable
  addresses the connect phase can therefore take up to ``n`` x the time left.
* A SOCKS proxy (``socks://`` in the environment) uses urllib3's own connection class:
  its waits are not bounded by the deadline (HTTP and HTTPS proxies are).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import socket
import threading
import time

log = logging.getLogger(__name__)

__all__ = ["Deadline", "SocketWatch", "current_deadline"]

_local = threading.local()
IDLE_EXIT = 0.25  # seconds: how often the watchdog looks, and how idle before it ends


def current_deadline() -> Deadline | None:
    """The deadline of the HTTP call this thread is making, or None outside one."""
    return getattr(_local, "deadline", None)


class SocketWatch:
    """A duplicate of one connection's socket that the watchdog may shut down.

    A duplicate, not the socket itself, because the connection's own socket object can
    change under us: wrapping it for TLS *detaches* its descriptor into a new SSLSocket
    before the handshake starts, and ``SSLSocket.shutdown`` is not safe to call from
    another thread. ``shutdown(2)`` acts on the connection whichever descriptor names
    it, so shutting the duplicate down unblocks the original. The duplicate stays open
    while the connection holds it or an open deadline watches it (a count kept under
    the watchdog's lock), so a descriptor number is never shut down after reuse.
    """

    __slots__ = ("_holders", "_sock")

    def __init__(self, sock: socket.socket) -> None:
        self._sock: socket.socket | None = sock.dup()
        self._holders = 1  # the connection

    @classmethod
    def of(cls, sock: socket.socket) -> SocketWatch | None:
        """A watch on ``sock``, or None when it cannot be duplicated (out of descriptors:
        the per-wait timeouts, which are bounded by the time left, still apply)."""
        try:
            return cls(sock)
        except OSError as error:
            log.debug("Socket not watched (%s)", error)
            return None

    def release(self) -> None:
        """The connection is done with it (closed); closed once no deadline watches it."""
        with _WATCHDOG.lock:
            self._release_locked()

    def _release_locked(self) -> None:
        self._holders -= 1
        if self._holders <= 0 and self._sock is not None:
            sock, self._sock = self._sock, None
            sock.close()

    def _shutdown_locked(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):  # already closed by the peer, or not connected
                self._sock.shutdown(socket.SHUT_RDWR)


class Deadline:
    """The whole-request deadline of one call; use as a context manager around it.

    Real (monotonic) time, not an injected clock: it is the network being timed.
    """

    __slots__ = ("_open", "_previous", "_watched", "expires_at", "fired", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires_at = time.monotonic() + seconds
        self.fired = False  # set by the watchdog when it shut the sockets down
        self._open = True
        self._watched: list[SocketWatch] = []
        self._previous: Deadline | None = None

    def left(self) -> float:
        """Seconds until the deadline (negative once it has passed)."""
        return self.expires_at - time.monotonic()

    def ran_out(self) -> bool:
        """Whether the deadline has passed (so any failure now is the deadline's)."""
        return self.fired or time.monotonic() >= self.expires_at

    def watch(self, watch: SocketWatch | None) -> None:
        """Shut this socket down when the deadline runs out (at once if it has)."""
        if watch is None:
            return
        with _WATCHDOG.lock:
            if not self._open or watch._sock is None or watch in self._watched:
                return
            watch._holders += 1
            self._watched.append(watch)
            if self.fired:
                watch._shutdown_locked()

    def __enter__(self) -> Deadline:
        outer = self._previous = getattr(_local, "deadline", None)
        if outer is not None and outer._open and outer.expires_at < self.expires_at:
            # Inside a deadline for a larger whole (an OAuth call with its token fetch):
            # keep to that one, and name it when it runs out.
            self.expires_at = outer.expires_at
            self.seconds = outer.seconds
        _local.deadline = self
        _WATCHDOG.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _local.deadline = self._previous
        self._previous = None
        _WATCHDOG.finish(self)

    def __repr__(self) -> str:
        return f"Deadline({self.seconds:g} s, {self.left():.3f} s left, fired={self.fired})"


class _Watchdog:
    """One daemon thread for every open deadline: a heap by expiry and one condition.

    Finished deadlines are left in the heap and dropped when they reach its top (a
    lazy delete: no O(n) removal on the caller's path). The thread is only woken by a
    caller when a new deadline becomes the earliest, which for deadlines of one length
    is only when none was pending; otherwise it looks every :data:`IDLE_EXIT` seconds.
    It ends once no call has been in flight for that long (and the next call starts
    it again), so closing the app or a test never finds it left running.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._wake = threading.Condition(self.lock)
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._open = 0  # deadlines added and not finished
        self._added = 0  # deadlines ever added: tells the thread whether it was idle

    def add(self, deadline: Deadline) -> None:
        with self.lock:
            heapq.heappush(self._heap, (deadline.expires_at, next(self._order), deadline))
            self._open += 1
            self._added += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="capdesk-request-deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is deadline:
                self._wake.notify()

    def finish(self, deadline: Deadline) -> None:
        with self.lock:
            if deadline._open:
                self._open -= 1
            deadline._open = False
            watched, deadline._watched = deadline._watched, []
            for watch in watched:
                watch._release_locked()

    def _run(self) -> None:
        heap = self._heap
        added_before = -1
        with self.lock:
            while True:
                now = time.monotonic()
                while heap and (not heap[0][2]._open or heap[0][0] <= now):
                    deadline = heapq.heappop(heap)[2]
                    if deadline._open:
                        deadline.fired = True
                        for watch in deadline._watched:
                            watch._shutdown_locked()
                if self._open == 0 and self._added == added_before:
                    heap.clear()  # only finished deadlines are left
                    self._thread = None
                    return
                added_before = self._added
                self._wake.wait(min(heap[0][0] - now, IDLE_EXIT) if heap else IDLE_EXIT)


_WATCHDOG = _Watchdog()
