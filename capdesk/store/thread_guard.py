"""Slow work stays off the GUI thread, and a test can prove it.

Keyring calls (the OS password store may show a prompt or wait on D-Bus), SQLite
(a second process may hold the file for seconds) and PBKDF2 (about 120 ms by design)
all block. The window hands them to the service's workers; each of these calls first
says what it is about to do with :func:`blocking_call`. Nothing is watched until a
thread is named with :func:`forbid_blocking_on`: the window tests name the GUI thread,
and any such call made on it then fails the test (the call raises, and the violation
is kept so that a caller that swallows errors cannot hide it).

No Qt here, and no cost worth measuring when nothing is forbidden (one attribute read).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["BlockingCallOnGuardedThread", "blocking_call", "forbid_blocking_on", "violations"]


class BlockingCallOnGuardedThread(AssertionError):
    """A keyring, SQLite or PBKDF2 call ran on the thread that must only paint (a bug)."""


_guarded: threading.Thread | None = None
_violations: list[str] = []
_lock = threading.Lock()


def blocking_call(what: str) -> None:
    """Say that ``what`` (e.g. "keyring read") is about to block; refused on a guarded thread."""
    guarded = _guarded
    if guarded is not None and threading.current_thread() is guarded:
        message = f"{what} on the GUI thread ({guarded.name}): run it in a worker"
        with _lock:
            _violations.append(message)
        raise BlockingCallOnGuardedThread(message)


def violations() -> list[str]:
    """Every refused call since the guard was last set (newest last)."""
    with _lock:
        return list(_violations)


@contextmanager
def forbid_blocking_on(thread: threading.Thread | None = None) -> Iterator[None]:
    """While inside, blocking calls on ``thread`` (default: the current one) are refused."""
    global _guarded
    previous = _guarded
    _guarded = thread or threading.current_thread()
    with _lock:
        _violations.clear()
    try:
        yield
    finally:
        _guarded = previous
