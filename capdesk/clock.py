"""Clocks that can be swapped in tests.

Countdowns, token lifetimes and OTP expiry all depend on time. Code takes a
``Clock`` instead of calling :mod:`time` directly, so tests drive time with a
:class:`FakeClock` and take no real time (the KeePassXC ``Clock``/``MockClock`` idea).

``monotonic()`` measures elapsed time and never jumps; ``now()`` is the wall clock
(aware, UTC) and may be wrong or jump on a badly set PC, so it is only ever used as
a starting point that a server ``Date`` header corrects.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""
        ...

    def now(self) -> datetime:
        """The wall clock as an aware UTC datetime."""
        ...


class SystemClock:
    """The real clocks of this machine."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK = SystemClock()


class FakeClock:
    """A clock that only moves when told to; thread-safe so servers can share it."""

    def __init__(self, start: datetime | None = None, monotonic_start: float = 1000.0) -> None:
        self._lock = threading.Lock()
        self._wall = start or datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
        if self._wall.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._mono = monotonic_start

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def now(self) -> datetime:
        with self._lock:
            return self._wall

    def advance(self, seconds: float) -> None:
        """Move both clocks forward together, as real time does."""
        if seconds < 0:
            raise ValueError("time does not go backwards")
        with self._lock:
            self._mono += seconds
            self._wall += timedelta(seconds=seconds)

    def set_wall(self, wall: datetime) -> None:
        """Jump only the wall clock (a user changing the PC's time); monotonic is untouched."""
        with self._lock:
            self._wall = wall
