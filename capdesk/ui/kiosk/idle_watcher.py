"""Notice when nobody has touched the counter PC for a while.

In kiosk mode the window clears the customer and hides the OTP after an idle
period, so the next person at the counter never sees the last customer's code.

:class:`IdleWatcher` is an event filter installed on the whole application: any
key press, mouse click, wheel, movement or touch resets it. A coarse timer asks
:meth:`IdleWatcher.check` once a second; the decision is taken from the injected
clock, never by counting ticks, so tests drive it with
:class:`~tests.fake_clock.FakeClock` and take no real time, and a busy event loop
cannot stretch the timeout. ``idle`` is emitted once per idle period: it fires
again only after new activity and another full timeout.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal

from capdesk.clock import SYSTEM_CLOCK, Clock

ACTIVITY_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TouchEnd,
        QEvent.Type.TabletPress,
        QEvent.Type.TabletMove,
        QEvent.Type.InputMethod,
    }
)


class IdleWatcher(QObject):
    """Emits :attr:`idle` after ``timeout_s`` seconds without user input.

    ``timeout_s`` of 0 (or less) disables the watcher. Call :meth:`start` once the
    window is up; :meth:`stop` when kiosk mode is left.
    """

    idle = Signal()

    def __init__(
        self,
        timeout_s: float,
        clock: Clock = SYSTEM_CLOCK,
        *,
        tick_ms: int = 1000,
        app: QCoreApplication | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._timeout = float(timeout_s)
        self._last_activity = clock.monotonic()
        self._fired = False
        self._app = app
        self._installed_on: QCoreApplication | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.check)

    @property
    def enabled(self) -> bool:
        return self._timeout > 0

    @property
    def running(self) -> bool:
        return self._installed_on is not None

    def set_timeout(self, timeout_s: float) -> None:
        """Change the period (a policy/settings change); counts from the last activity."""
        self._timeout = float(timeout_s)

    def start(self) -> None:
        """Watch the application's input and check once per tick."""
        app = self._app or QCoreApplication.instance()
        if app is None:
            raise RuntimeError("IdleWatcher needs a QApplication")
        if self._installed_on is None:
            app.installEventFilter(self)
            self._installed_on = app
        self.reset()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._installed_on is not None:
            self._installed_on.removeEventFilter(self)
            self._installed_on = None

    def reset(self) -> None:
        """Count the idle period from now (also what any user input does)."""
        self._last_activity = self._clock.monotonic()
        self._fired = False

    def idle_for(self) -> float:
        """Seconds since the last user input."""
        return max(0.0, self._clock.monotonic() - self._last_activity)

    def remaining(self) -> float:
        """Seconds until ``idle`` fires (0 when it has fired or the watcher is off)."""
        if not self.enabled or self._fired:
            return 0.0
        return max(0.0, self._timeout - self.idle_for())

    def check(self) -> bool:
        """Emit ``idle`` if the period has passed and it has not fired yet; True if it did."""
        if not self.enabled or self._fired:
            return False
        if self.idle_for() >= self._timeout:
            self._fired = True
            self.idle.emit()
            return True
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY_EVENTS:
            self._last_activity = self._clock.monotonic()
            self._fired = False
        return False  # never swallow input
