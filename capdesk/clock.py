"""Clocks that can be swapped in tests.

Countdowns, token lifetimes and OTP expiry all depend on time. Code takes a
``Clock`` instead of calling :mod:`time` directly, so tests drive time with
``tests.fake_clock.FakeClock`` and take no real time (the KeePassXC
``Clock``/``MockClock`` idea).

``monotonic()`` measures elapsed time and never jumps; ``now()`` is the wall clock
(aware, UTC) and may be wrong or jump on a badly set PC, so it is only ever used as
a starting point that a server ``Date`` header corrects.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
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
