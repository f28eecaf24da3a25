"""``capdesk card-number``: generate card numbers one after another, losing none.

Each call to Capillary consumes a number, so the order of work is strict: receive a
number, commit it to the card history, only then print it. Whatever happens next
(Ctrl+C, a failure, the process being killed) every printed number is already in
the history, and a number received is never dropped.

Ctrl+C is deferred: the number in flight is received, saved and printed, then the
batch stops (a second Ctrl+C stops at once). Progress goes to stderr, and only when
stderr is a terminal, so redirected output stays clean.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from capdesk.api.errors import CapdeskError
from capdesk.api.models import ApiWarning
from capdesk.cli.output import TRAINING_BANNER, plural, print_error, print_line
from capdesk.cli.runtime import Runtime, choose_cluster, connect, credentials_for
from capdesk.store.csv_export import CsvWriter

if TYPE_CHECKING:
    from capdesk.api.client import CapillaryClient
    from capdesk.store.history import CardHistory

log = logging.getLogger(__name__)

EXIT_INTERRUPTED = 130
CSV_HEADER = ("cardNumber",)  # ``--csv``: scripts read this header (README)


class DeferredInterrupt:
    """While active, the first SIGINT only sets :attr:`requested`; a second one raises.

    Installed only from the main thread (Python's rule for signal handlers); elsewhere
    Ctrl+C keeps its normal meaning. The handler writes with ``os.write`` because a
    buffered stream may be mid-write when the signal arrives.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: object = None
        self._installed = False

    def __enter__(self) -> DeferredInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        with contextlib.suppress(OSError):
            os.write(2, b"\nStopping after the card number being generated now...\n")


@dataclass
class Batch:
    """What a batch produced: numbers in order, warnings once each, and how it ended."""

    numbers: list[str] = field(default_factory=list)
    warnings: list[ApiWarning] = field(default_factory=list)
    interrupted: bool = False
    error: CapdeskError | None = None
    output_closed: bool = False

    def add_warnings(self, warnings: tuple[ApiWarning, ...]) -> None:
        for warning in warnings:
            if warning not in self.warnings:
                self.warnings.append(warning)


class Progress:
    """A single self-overwriting stderr line, shown only on a terminal."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream = stream
        self.total = total
        self.enabled = total > 1 and _isatty(stream)
        self._width = 0

    def show(self, done: int) -> None:
        if not self.enabled:
            return
        text = f"Generated {done} of {self.total} card numbers"
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def clear(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def generate_batch(
    client: CapillaryClient,
    history: CardHistory,
    count: int,
    *,
    cluster: str,
    till: str,
    out: TextIO,
    err: TextIO,
    output: str = "text",
    interrupt: DeferredInterrupt | None = None,
    training: bool = False,
) -> Batch:
    """Generate up to ``count`` numbers; each is committed to history before it is shown.

    ``output`` is ``text`` (one per line, streamed), ``csv`` (header then streamed)
    or ``json`` (nothing streamed; the caller prints the object at the end).
    ``training`` marks the history rows as simulated numbers.
    """
    batch = Batch()
    progress = Progress(err, count)
    writer: CsvWriter | None = None
    try:
        if output == "csv":  # the window's Export CSV writer: formulas defused the same way
            writer = CsvWriter(out, CSV_HEADER, lineterminator="\n")
            out.flush()
        for done in range(count):
            if interrupt is not None and interrupt.requested:
                batch.interrupted = True
                break
            result = client.generate_card_number()
            try:
                history.append(
                    result.number,
                    cluster=cluster,
                    till=till,
                    request_id=result.request_id,
                    training=training,
                )
            except BaseException as problem:
                # Received but perhaps not saved: show it anyway so it is not lost, then stop.
                progress.clear()
                if output != "json":
                    print(result.number, file=out, flush=True)
                # Whole sentences, one per case, so a translator sees each entire.
                number = result.number
                if isinstance(problem, KeyboardInterrupt):
                    note = f"Card number {number} may not be in the card history. Write it down."
                else:
                    note = f"Card number {number} is not in the card history. Write it down."
                print(note, file=err)
                raise
            batch.numbers.append(result.number)
            batch.add_warnings(result.warnings)
            progress.clear()
            if writer is not None:
                writer.write_row([result.number])
                out.flush()
            elif output == "text":
                print(result.number, file=out, flush=True)
            progress.show(done + 1)
    except KeyboardInterrupt:
        batch.interrupted = True
    except CapdeskError as error:
        batch.error = error
    except BrokenPipeError:
        batch.output_closed = True
    finally:
        progress.clear()
    return batch


def _saved_line(batch: Batch) -> str:
    return (
        f"{plural(len(batch.numbers), 'card number')} "
        f"{'was' if len(batch.numbers) == 1 else 'were'} generated; "
        f"{'it is' if len(batch.numbers) == 1 else 'they are'} saved in the card history."
    )


def report_batch(batch: Batch, *, output: str, out: TextIO, err: TextIO) -> int:
    """Print the end of the batch (JSON, warnings, how it stopped) and return the exit code."""
    if output == "json" and not batch.output_closed and (batch.numbers or batch.error is None):
        document = {
            "cardNumbers": batch.numbers,
            "warnings": [w.to_json() for w in batch.warnings],
        }
        print(json.dumps(document), file=out, flush=True)
    elif batch.warnings:
        for warning in batch.warnings:
            code = f" (code {warning.code})" if warning.code is not None else ""
            print_line(f"Warning: {warning.message}{code}", err)
    if batch.output_closed:
        print(f"The output was closed, so capdesk stopped. {_saved_line(batch)}", file=err)
        return EXIT_INTERRUPTED
    if batch.interrupted:
        print(f"Stopped. {_saved_line(batch)}", file=err)
        return EXIT_INTERRUPTED
    if batch.error is not None:
        print_error(batch.error, err)
        if batch.numbers:
            print(f"Before that, {_saved_line(batch)}", file=err)
        return batch.error.exit_code
    return 0


def run_card_number(args: argparse.Namespace, runtime: Runtime) -> int:
    from capdesk.store.history import CardHistory

    output = "json" if args.json else "csv" if args.csv else "text"
    cluster = choose_cluster(args.cluster, args.base_url, runtime)
    credentials = credentials_for(cluster)
    if cluster.training:
        print(TRAINING_BANNER, file=sys.stderr)
    # The history opens before any number is consumed: if it cannot, nothing is lost.
    history = CardHistory(runtime.paths.history_file)
    try:
        # Training: the history's training numbers, so this run never repeats one.
        taken = history.training_numbers() if cluster.training else set()
        with (
            connect(runtime, cluster, credentials, card_numbers_taken=taken) as connection,
            DeferredInterrupt() as stop,
        ):
            batch = generate_batch(
                connection.client,
                history,
                args.count,
                cluster=cluster.label,
                till=credentials.display_name,
                out=sys.stdout,
                err=sys.stderr,
                output=output,
                interrupt=stop,
                training=cluster.training,
            )
    finally:
        history.close()
    log.info(
        "Card numbers: %d of %d generated on %s%s",
        len(batch.numbers),
        args.count,
        cluster.key,
        " (stopped)" if batch.interrupted else "",
    )
    if batch.output_closed:
        _silence_stdout()
    return report_batch(batch, output=output, out=sys.stdout, err=sys.stderr)


def _silence_stdout() -> None:
    """After a closed pipe, stop Python complaining about it at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
