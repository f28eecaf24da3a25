"""A thread pool whose workers never hold the process open.

``concurrent.futures.ThreadPoolExecutor`` joins its workers at interpreter exit, so
a network call stuck in a 20-second read would keep a closed window's process
alive for 20 seconds. capdesk's blocking calls all have timeouts and their results
are written durably inside the worker (see :mod:`capdesk.card_batches`), so at exit
nothing is lost by simply not waiting: these workers are daemon threads.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any


class DaemonThreadExecutor(Executor):
    """A fixed pool of daemon worker threads, started lazily."""

    def __init__(self, max_workers: int = 8, name: str = "capdesk-worker") -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._max_workers = max_workers
        self._name = name
        self._work: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = (
            queue.SimpleQueue()
        )
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()
        self._shutdown = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit after shutdown")
            self._work.put((future, lambda: fn(*args, **kwargs)))
            if self._idle > 0:
                self._idle -= 1  # an idle worker will take it
            elif len(self._threads) < self._max_workers:
                thread = threading.Thread(
                    target=self._run, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        return future

    def prestart(self) -> None:
        """Start every worker now, idle. ``Thread.start()`` waits until the new thread
        runs, which on a busy PC takes tens of milliseconds; a window calls this once at
        start-up so that ``submit()`` on the GUI thread never has to start a thread."""
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot start workers after shutdown")
            while len(self._threads) < self._max_workers:
                thread = threading.Thread(
                    target=self._run, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                self._idle += 1  # it waits for work straight away
                thread.start()

    def _run(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            future, call = item
            if future.set_running_or_notify_cancel():
                try:
                    result = call()
                except BaseException as error:  # handed to the awaiting coroutine
                    future.set_exception(error)
                else:
                    future.set_result(result)
            with self._lock:
                self._idle += 1

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            threads = list(self._threads)
        if cancel_futures:
            while True:
                try:
                    item = self._work.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        for _ in threads:
            self._work.put(None)
        if wait:
            for thread in threads:
                thread.join()
