"""The OTP validity countdown, re-derived from the clock on every tick.

Counting timer ticks drifts (a busy event loop delays them) and trusting the PC's
wall clock breaks on a badly set PC. Instead every tick asks the monotonic clock how
long it has been since the response arrived and subtracts that from the validity the
*server* reported (``OtpResult.seconds_left``, anchored on the response's ``Date``
header). The timer only decides *when* to look, never *what* is shown — the KeePassXC
``EntryPreviewWidget`` idea. Tests use a ``FakeClock`` and call :meth:`poll`.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, QTimer, Signal

from capdesk.api.models import OtpResult
from capdesk.clock import SYSTEM_CLOCK, Clock

EXPIRING_SOON_S = 10.0
TICK_MS = 250


def format_remaining(seconds: float) -> str:
    """``42.3`` → ``"0:43"``; rounded up, so ``0:00`` only shows once it really expired."""
    whole = max(0, math.ceil(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


class OtpCountdown(QObject):
    """Emits the remaining validity of one OTP while it is shown.

    ``tick(seconds_left, fraction_left)``: ``seconds_left`` goes negative after expiry
    (seconds since it expired, so the panel can hide the code after a grace period);
    ``fraction_left`` is in ``[0, 1]`` relative to the validity left when the response
    arrived. ``expiringSoon`` and ``expired`` fire once per OTP.
    """

    tick = Signal(float, float)
    expiringSoon = Signal()
    expired = Signal()

    def __init__(
        self,
        clock: Clock = SYSTEM_CLOCK,
        parent: QObject | None = None,
        *,
        interval_ms: int = TICK_MS,
        expiring_soon_s: float = EXPIRING_SOON_S,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._expiring_soon_s = expiring_soon_s
        self._result: OtpResult | None = None
        self._total = 0.0
        self._warned = False
        self._expired = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)

    @property
    def running(self) -> bool:
        """True while the timer ticks (something is shown)."""
        return self._timer.isActive()

    @property
    def result(self) -> OtpResult | None:
        return self._result

    @property
    def total_seconds(self) -> float:
        """Validity left when the response arrived: the 100 % of ``fraction_left``."""
        return self._total

    def start(self, result: OtpResult) -> None:
        """Follow ``result`` from now on; emits a first tick at once."""
        self._result = result
        self._total = max(0.0, result.seconds_left(result.server_time.received_monotonic))
        self._warned = False
        self._expired = False
        self._timer.start()
        self.poll()

    def stop(self) -> None:
        """Stop ticking and forget the OTP (nothing is shown any more)."""
        self._timer.stop()
        self._result = None
        self._total = 0.0

    def seconds_left(self) -> float | None:
        """Remaining validity now, by the server's clock; ``None`` when nothing is followed."""
        if self._result is None:
            return None
        return self._result.seconds_left(self._clock.monotonic())

    def poll(self) -> float | None:
        """Look at the clock now and emit what changed; returns the seconds left."""
        left = self.seconds_left()
        if left is None:
            return None
        fraction = min(1.0, max(0.0, left / self._total)) if self._total > 0 else 0.0
        self.tick.emit(left, fraction)
        if self._result is None:  # a tick handler stopped us
            return left
        if not self._warned and 0 < left <= self._expiring_soon_s:
            self._warned = True
            self.expiringSoon.emit()
        if not self._expired and left <= 0:
            self._expired = True
            self._warned = True
            self.expired.emit()
        return left
