"""Run coroutines for the window without losing them or their errors.

qasync's ``asyncSlot`` does not keep a strong reference to the task it creates, so
a task can be garbage-collected mid-flight, and an exception nobody awaits is only
logged by asyncio. :class:`TaskKeeper` holds every task until it finishes, routes
the result or the error to callbacks (which run on the GUI thread, because the
qasync loop *is* the Qt event loop), refuses to start a second task under the same
key while one runs (a double click never queues a duplicate call), and cancels
everything when the window closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

ResultCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]


class TaskKeeper:
    """Owns the asyncio tasks started by one window."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._keyed: dict[str, asyncio.Task[Any]] = {}

    def start(
        self,
        coro: Coroutine[Any, Any, Any],
        *,
        key: str | None = None,
        on_result: ResultCallback | None = None,
        on_error: ErrorCallback | None = None,
        on_done: Callable[[], None] | None = None,
    ) -> asyncio.Task[Any] | None:
        """Schedule ``coro``; ``None`` (and the coroutine closed) if ``key`` is already busy."""
        if key is not None and self.is_running(key):
            coro.close()
            return None
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        if key is not None:
            self._keyed[key] = task

        def finished(done: asyncio.Task[Any]) -> None:
            self._tasks.discard(done)
            if key is not None and self._keyed.get(key) is done:
                del self._keyed[key]
            try:
                if done.cancelled():
                    return
                error = done.exception()
                if error is None:
                    if on_result is not None:
                        on_result(done.result())
                elif on_error is not None:
                    on_error(error)
                else:
                    log.error("Background task failed", exc_info=error)
            finally:
                if on_done is not None:
                    on_done()

        task.add_done_callback(finished)
        return task

    def is_running(self, key: str) -> bool:
        task = self._keyed.get(key)
        return task is not None and not task.done()

    @property
    def running(self) -> int:
        return len(self._tasks)

    def cancel(self, key: str) -> None:
        """Cancel the task under ``key``; the key is free at once for a new task (the
        cancelled one's callbacks still run later, so they must tell themselves apart)."""
        task = self._keyed.pop(key, None)
        if task is not None:
            task.cancel()

    def cancel_all(self) -> None:
        """Cancel every task (window closing). Done callbacks still run for bookkeeping."""
        for task in list(self._tasks):
            task.cancel()
