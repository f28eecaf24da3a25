"""Card-number batches: the calls that consume a number on the server, never lost.

:class:`~capdesk.services.DeskService` is the window's only door to the client; this is
the part of it that spends card numbers, kept apart because it is a job of its own
with its own guarantees. Card numbers are precious (each call consumes one): a worker
thread generates a number *and* appends it to the durable history in one step, so a
number that came back is recorded before anyone sees it, even if the window closes
or the batch is cancelled while it was in flight. The calls already sent are
remembered until answered, so that closing the window gives them a moment to be
answered and recorded before the history closes.

The service checks what a batch needs before any call (how many, a usable history,
a client) and hands them over; this runs the batch and nothing else.

No Qt here either: the service runs under plain asyncio in tests and benchmarks.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from concurrent.futures import Future as ConcurrentFuture
from typing import TYPE_CHECKING

from capdesk.api.clusters import Cluster
from capdesk.store.history import CardHistory, HistoryEntry, HistoryError

if TYPE_CHECKING:  # imported in worker threads: the first screen needs no HTTP client
    from capdesk.api.client import CapillaryClient

log = logging.getLogger(__name__)

# How long close() lets card-number calls already sent finish: each consumed a number
# on the server, and its answer is recorded only if it arrives before the history
# closes. Bounded, so that closing the window still ends the program within a second.
CARD_CLOSE_GRACE_S = 0.6


class CardBatches:
    """One per service: its card-number batches, and the calls sent but not answered."""

    def __init__(self, executor: Executor) -> None:
        """``executor``: the service's workers, where each number is generated and
        recorded (the service shuts it down; calls already sent run on)."""
        self._executor = executor
        self._sent: set[ConcurrentFuture[HistoryEntry]] = set()  # sent, not answered
        # The done callback discards from another thread (the worker's).
        self._lock = threading.Lock()

    async def generate(
        self,
        count: int,
        client: CapillaryClient,
        cluster: Cluster,
        till: str,
        history: CardHistory,
        on_number: Callable[[HistoryEntry], None],
        cancel: asyncio.Event | None,
        concurrency: int,
    ) -> list[HistoryEntry]:
        """The batch behind :meth:`~capdesk.services.DeskService.generate_card_numbers`
        (its docstring is the contract), once the service has checked what it needs:
        ``count`` of at least 1, a ``history`` that can be used, the cluster's
        ``client`` and the ``till`` it is signed in as. Each of ``concurrency`` workers
        starts one call at a time until ``count`` are started, ``cancel`` is set or a
        call fails; a call already sent is still awaited and reported, since its number
        is spent (unless this coroutine is cancelled: its worker records it all the same)."""
        cancel = cancel or asyncio.Event()
        received: list[HistoryEntry] = []
        errors: list[Exception] = []
        remaining = count

        async def worker() -> None:
            nonlocal remaining
            try:
                while remaining > 0 and not cancel.is_set() and not errors:
                    remaining -= 1
                    entry = await self._call(client, cluster, till, history)
                    received.append(entry)
                    on_number(entry)
            except Exception as error:  # CapdeskError, or a bug in on_number: stop the batch
                errors.append(error)

        workers = [asyncio.ensure_future(worker()) for _ in range(max(1, min(concurrency, count)))]
        try:
            await asyncio.gather(*workers)
        finally:
            for task in workers:  # only still running when we were cancelled
                task.cancel()
        if errors:
            raise errors[0]
        return received

    def _call(
        self, client: CapillaryClient, cluster: Cluster, till: str, history: CardHistory
    ) -> asyncio.Future[HistoryEntry]:
        """One card-number call in a worker, remembered until answered (see
        :meth:`wait_for_sent`)."""
        call = self._executor.submit(_generate_and_record, client, cluster, till, history)
        with self._lock:
            self._sent.add(call)
        call.add_done_callback(self._call_done)  # runs in the worker thread
        return asyncio.wrap_future(call)

    def _call_done(self, call: ConcurrentFuture[HistoryEntry]) -> None:
        with self._lock:
            self._sent.discard(call)

    async def wait_for_sent(self) -> None:
        """Give card-number calls already sent up to :data:`CARD_CLOSE_GRACE_S` to be
        answered and recorded. The service's close() calls this after letting its
        workers go and before closing the connections and the history."""
        with self._lock:
            sent = [call for call in self._sent if not call.done()]
        if not sent:
            return
        _done, late = await asyncio.wait(
            [asyncio.wrap_future(call) for call in sent], timeout=CARD_CLOSE_GRACE_S
        )
        for waiter in late:
            # Cancelled, an answer arriving after the loop closed is dropped quietly
            # instead of raising "Event loop is closed" in the worker thread.
            waiter.cancel()
        if late:
            log.warning(
                "%d card-number call(s) still unanswered at exit; their numbers may be "
                "missing from the history",
                len(late),
            )


def _generate_and_record(
    client: CapillaryClient, cluster: Cluster, till: str, history: CardHistory
) -> HistoryEntry:
    """One number, recorded durably before anyone sees it. Runs in a worker."""
    result = client.generate_card_number()
    try:
        return history.append(
            result.number,
            cluster=cluster.label,
            till=till,
            request_id=result.request_id,
            training=cluster.training,  # simulated numbers are never real cards
        )
    except HistoryError as error:
        # The number is consumed either way: say it, so staff can still write it down.
        raise HistoryError(
            f"Card number {result.number} was generated but could not be saved in the "
            "history. Write it down now, then call support.",
            error.details,
        ) from None
