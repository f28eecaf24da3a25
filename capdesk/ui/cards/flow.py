"""Card numbers as staff live them: a batch generated, cancelled, and the history shown.

Kept apart from the window for the same reason as :mod:`capdesk.ui.otp.lookup_flow`:
the card side has its own rules. Every number is recorded by the service before it is
shown; a batch cancelled half-way keeps (and shows) what arrived; the history is read
and exported by the service in a worker, so no widget holds the store and the GUI
thread never waits for SQLite or a file; a history that cannot be read is said once,
in the window's standing notice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from capdesk.api.errors import CapdeskError
from capdesk.local_faults import history_unusable
from capdesk.services import DeskService
from capdesk.ui.cards.panel import CardPanel
from capdesk.ui.common.local_notice import LocalNotice
from capdesk.ui.common.status_panel import StatusPanel

if TYPE_CHECKING:  # values the service hands over: no widget holds the store
    from capdesk.store.history import HistoryEntry

log = logging.getLogger(__name__)

Run = Callable[..., Any]  # MainWindow._run: (coro, *, key, on_result, on_error, on_done)


class CardsFlow(QObject):
    """Generates for the card panel, fills its history, exports it."""

    batchFinished = Signal(list)  # list[HistoryEntry] received
    historyExported = Signal(int)  # how many card numbers Export CSV… wrote

    def __init__(
        self,
        *,
        service: DeskService,
        run: Run,
        panel: CardPanel,
        status: StatusPanel,
        notice: LocalNotice,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._run = run
        self._panel = panel
        self._status = status
        self._notice = notice
        self._cancel: asyncio.Event | None = None
        panel.generateRequested.connect(self.generate)
        panel.cancelRequested.connect(self.cancel)
        panel.history.exportRequested.connect(self.export)

    # --- the history -----------------------------------------------------------------

    def load_history(self) -> None:
        """Fill the history table, read in a worker; or say in the notice why it can't
        be (a damaged file, a row with a bad date): the window still opens, look-ups
        still work, and the service refuses card numbers it could not save first."""
        if self._service.history_problem is not None:  # found while opening it
            self._say_unusable(self._service.history_problem)
            return
        self._run(
            self._service.history_entries(),
            key="history",
            on_result=self._panel.set_entries,
            on_error=self._unreadable,
        )

    def export(self, path: Path, entries: list[HistoryEntry] | None) -> None:
        """Export CSV…: the file is written by the service in a worker."""
        self._run(
            self._service.export_history(path, entries),
            key="export",
            on_result=lambda count: self._exported(count, path),
            on_error=self._export_failed,
        )

    def _exported(self, count: int, path: Path) -> None:
        self._panel.history.show_exported(count, path)
        self.historyExported.emit(count)

    def _export_failed(self, error: BaseException) -> None:
        sentence = error.sentence if isinstance(error, CapdeskError) else CapdeskError().sentence
        self._panel.history.show_export_failed(sentence)

    def _unreadable(self, error: BaseException) -> None:
        problem = self._service.history_problem  # the service judged it unusable
        self._say_unusable(problem if problem is not None else history_unusable(error))

    def _say_unusable(self, problem: CapdeskError) -> None:
        log.warning("Card history not shown: %s", problem.details.as_text() or problem.kind)
        self._notice.add(problem)

    # --- a batch ---------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def generate(self, count: int) -> None:
        cancel = asyncio.Event()
        received: list[HistoryEntry] = []

        def on_number(entry: HistoryEntry) -> None:
            received.append(entry)
            self._panel.show_number(entry)
            self._panel.report_progress(len(received), count)

        task = self._run(
            self._service.generate_card_numbers(count, on_number=on_number, cancel=cancel),
            key="cards",
            on_done=lambda: self._done(received, count, cancel.is_set()),
        )
        if task is not None:
            self._cancel = cancel
            self._panel.set_busy(True, count)
            noun = "card number" if count == 1 else f"{count} card numbers"
            self._status.show_busy(f"Generating {noun}…")

    def cancel(self) -> None:
        """Stop after the numbers already requested (each one sent consumed a number)."""
        if self._cancel is not None:
            self._cancel.set()

    def _done(self, received: list[HistoryEntry], count: int, cancelled: bool) -> None:
        self._cancel = None
        self._panel.set_busy(False)
        self._panel.finish_batch(len(received), cancelled)
        if received and len(received) == count:
            noun = "card number" if count == 1 else f"{count} card numbers"
            self._status.show_success(f"Generated {noun}. They are saved in the history.")
        elif cancelled:
            self._status.show_info(
                f"Stopped after {len(received)} of {count}. Those are saved in the history."
            )
        self.batchFinished.emit(list(received))
