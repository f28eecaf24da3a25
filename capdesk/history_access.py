"""The card-number history as the window reaches it: never on the GUI thread.

:class:`~capdesk.services.DeskService` is the window's only door to the stores; this is
the part of it behind which the history file lives, kept apart because it is a job
of its own with its own life: the file is opened in a worker when first needed (the
window's first read of it starts once its event loop runs: opened while the window
is being built, the worker would compete with it for the GIL and slow the first
paint), with the training numbers already issued, read there too, so that starting the
training cluster never reads SQLite on the caller's thread), read and exported in
workers, judged unusable when it cannot be opened or read (card numbers are then
refused before any call, since none could be saved first), and closed off the GUI
thread when the window closes.

No Qt here either: the service runs under plain asyncio in tests and benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Executor
from concurrent.futures import Future as ConcurrentFuture
from pathlib import Path

from capdesk.api.errors import CapdeskError
from capdesk.local_faults import CardsNeedHistory, history_unusable
from capdesk.store.history import CardHistory, HistoryEntry, HistoryError

log = logging.getLogger(__name__)

# How long starting the training cluster waits for the history to open (it needs the
# training numbers already issued). Opening takes milliseconds; SQLite's busy timeout
# (another process writing) is 5 s. Past this the run only loses that guarantee.
HISTORY_OPEN_WAIT_S = 10.0


class HistoryAccess:
    """One per service: the card history it opened (and closes), or one it was given."""

    def __init__(
        self, executor: Executor, *, history_file: Path | None, history: CardHistory | None
    ) -> None:
        """``history_file``: opened in a worker of ``executor`` when first needed and
        closed by :meth:`close`; one that cannot be opened becomes ``problem``. ``history``: one
        already open that the caller owns and closes. Neither: no card numbers at all."""
        self._executor = executor
        self.history = history
        # Why the history is not to be used (it failed to open or to read): card
        # numbers are then refused before any call, since none could be saved first.
        self.problem: CapdeskError | None = None
        if history is None and history_file is None:
            self.problem = HistoryError()
        self._read: asyncio.Future[list[HistoryEntry]] | None = None
        # The training numbers already issued, read with the history in its worker, so
        # that starting the training cluster (on any thread) never reads SQLite itself.
        self._training_taken: set[str] | None = None
        # The opening worker and close() may finish at the same time: this lock makes
        # exactly one of them close the file.
        self._lock = threading.Lock()
        self._closed = False
        self._opening: ConcurrentFuture[None] | None = None
        self._path = Path(history_file) if history is None and history_file else None
        self._owned = self._path is not None

    def _start_opening(self) -> ConcurrentFuture[None] | None:
        """The worker opening the history file, started by the first caller that needs
        it (None: a history given by the caller, or none at all)."""
        with self._lock:
            if self._opening is None and self._path is not None and not self._closed:
                self._opening = self._executor.submit(self._open, self._path)
            return self._opening

    def _open(self, path: Path) -> None:
        """Open the window's history and read its training numbers. Runs in a worker; a
        file that cannot be opened becomes ``problem`` (the window says so)."""
        try:
            history = CardHistory(path)
        except HistoryError as error:
            log.warning("Card history cannot be opened: %s", error.details.as_text())
            self.problem = history_unusable(error)
            return
        try:
            taken = history.training_numbers()
        except HistoryError as error:
            log.warning("Training numbers not read from the history: %s", error.kind)
            taken = set()
        with self._lock:
            closed = self._closed
            if not closed:
                self.history, self._training_taken = history, taken
        if closed:  # close() has already let go of the history: nobody else will close it
            history.close()

    async def _opened(self) -> None:
        """Wait until the history file is open, or failed to (``problem``)."""
        opening = self._start_opening()
        if opening is not None and not opening.done():
            await asyncio.wrap_future(opening)

    def training_numbers(self) -> set[str]:
        """The history's training numbers, so a new simulator run never repeats one.
        May wait for the file to open, but never reads SQLite on the caller's thread
        when this opened it. An unreadable history only loses that guarantee (the run
        still starts at a random point): training must go on working without it."""
        opening = self._start_opening()
        if opening is not None:
            try:
                opening.result(timeout=HISTORY_OPEN_WAIT_S)  # done long before, normally
            except (TimeoutError, CancelledError):
                log.warning("Training numbers not read: the history did not open in time")
            return set(self._training_taken or ())
        history = self.history  # one the caller owns and opened
        try:
            if history is None or self.problem is not None:
                return set()
            return history.training_numbers()
        except HistoryError as error:
            log.warning("Training numbers not read from the history: %s", error.kind)
            return set()

    async def entries(self, search: str | None, limit: int | None) -> list[HistoryEntry]:
        """Numbers from the history, newest first, read in a worker (SQLite): every one,
        those matching ``search`` (part of the number, cluster, till or request id), at
        most ``limit`` of them (a page).

        A row that cannot be read makes the history unusable (see ``problem``): card
        numbers are then refused before any call, so none is consumed unsaved."""
        await self._opened()
        history = self.history
        if history is None or self.problem is not None:
            raise self.problem or HistoryError()
        loop = asyncio.get_running_loop()
        self._read = loop.run_in_executor(self._executor, history.entries, search, limit)
        try:
            return await asyncio.shield(self._read)  # see for_cards()
        except HistoryError as error:
            problem = history_unusable(error)
            self.unusable(problem)
            raise problem from None

    async def export(self, path: Path, entries: list[HistoryEntry] | None) -> int:
        """Write ``entries`` (None: all) as CSV to ``path`` in a worker; returns the count."""
        await self._opened()
        history = self.history
        if history is None:
            raise self.problem or HistoryError()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, history.export_csv, path, entries)

    def unusable(self, problem: CapdeskError) -> None:
        """The history could not be read: show none of it, and generate no card numbers."""
        self.problem = problem

    async def for_cards(self) -> CardHistory:
        """The history to record card numbers in, once it is open and the window's first
        read of it has settled (a row it cannot read makes it unusable). Raises
        :class:`~capdesk.local_faults.CardsNeedHistory` when it cannot be used: checked
        before any call, since a number that cannot be saved first must not be consumed."""
        await self._opened()
        reading = self._read
        if reading is not None and not reading.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(reading)
        history = self.history
        if history is None or self.problem is not None:
            problem = self.problem
            raise CardsNeedHistory(details=problem.details if problem is not None else None)
        return history

    async def close(self) -> None:
        """Close the history this opened, in a thread of its own: closing SQLite may
        wait, and the service's workers are gone by then. One still opening is closed
        by its worker instead. A history the caller gave is left open for the caller."""
        with self._lock:
            self._closed = True
            history = self.history if self._owned else None
        if history is not None:
            await _in_own_thread(history.close, name="capdesk-history-close")


async def _in_own_thread(fn: Callable[[], None], *, name: str) -> None:
    """Run ``fn`` in a new daemon thread and wait for it without blocking the loop: work
    done while closing, once the workers have been let go. Not an executor and
    ``wrap_future``: that checks the loop is open just before handing the result over,
    so a loop closing in between is an error logged by ``concurrent.futures``; here the
    hand-over to a loop that closed without waiting is simply dropped."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if done.done():
            return
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)

    def run() -> None:
        error: BaseException | None = None
        try:
            fn()
        except BaseException as raised:  # handed to the awaiting coroutine
            error = raised
        with contextlib.suppress(RuntimeError):  # the loop closed without waiting
            loop.call_soon_threadsafe(settle, error)

    threading.Thread(target=run, name=name, daemon=True).start()
    await done
