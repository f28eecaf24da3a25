"""The card-number history: every generated number, durably, before anyone sees it.

A card number is consumed on the server the moment it is generated, so losing one
means a card that exists nowhere on paper. :meth:`CardHistory.append` commits (WAL,
``synchronous=FULL``) before it returns, and callers show or print a number only
after that. A crash, a kill or a power cut leaves the database consistent: SQLite's
journal rolls back anything half written.

One connection serves any thread, guarded by a lock (with ``check_same_thread=False``);
SQLite's ``busy_timeout`` covers a second process (the CLI) writing at the same time,
so every method may wait seconds: each says so first with
:func:`~capdesk.store.thread_guard.blocking_call`, and the window calls them only in
its service's workers (the window tests prove it). The schema version is ``PRAGMA user_version``;
version 2 added the ``training`` flag (a file from version 1 gains the column on open,
its rows reading as not training: nothing then recorded which cluster was simulated).

Only numbers and where they came from are stored — never an OTP code or credential.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from capdesk.api.errors import CapdeskError, ErrorDetails
from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.paths import private_file
from capdesk.store.csv_export import write_csv
from capdesk.store.thread_guard import blocking_call

log = logging.getLogger(__name__)

__all__ = [
    "CSV_HEADER",
    "CSV_TRAINING",
    "SCHEMA_VERSION",
    "CardHistory",
    "HistoryEntry",
    "HistoryError",
]

SCHEMA_VERSION = 2
# A machine-readable contract (scripts read it): new columns go at the end only.
CSV_HEADER = ("Card number", "Cluster", "Till", "Request id", "Received (UTC)", "Training")
# The Training column's values: simulated numbers must never be mistaken for real cards.
CSV_TRAINING = {True: "yes", False: "no"}

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS card_numbers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    number      TEXT NOT NULL,
    cluster     TEXT NOT NULL,
    till        TEXT NOT NULL,
    request_id  TEXT,
    received_at TEXT NOT NULL            -- ISO 8601, UTC
);
CREATE INDEX IF NOT EXISTS card_numbers_number ON card_numbers (number);
"""

# Version 2: numbers from the training cluster are marked, so they are never taken for
# real cards (in the window, in the CSV) and the simulator can avoid issuing them again.
_SCHEMA_V2 = "ALTER TABLE card_numbers ADD COLUMN training INTEGER NOT NULL DEFAULT 0"


class HistoryError(CapdeskError):
    """The history file cannot be opened or written (disk full, newer format, no access)."""

    kind = "history"
    exit_code = 5
    default_sentence = (
        "The card history could not be saved. Check that the disk is not full, then call support."
    )


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    number: str
    cluster: str
    till: str
    request_id: str | None
    received_at: datetime  # aware, UTC
    training: bool = False  # issued by the training cluster (simulated, not a real card)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _csv_row(entry: HistoryEntry) -> tuple[object, ...]:
    """One entry's cells, column for column with :data:`CSV_HEADER` (change both together).

    Raw values: :func:`capdesk.store.csv_export.write_csv` cleans every cell and stops
    spreadsheets running it as a formula, the same way for ``card-number --csv``.
    """
    return (
        entry.number,
        entry.cluster,
        entry.till,
        entry.request_id,
        entry.received_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        CSV_TRAINING[entry.training],
    )


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("received_at must be an aware datetime")
    return moment.astimezone(UTC)


def _stored_moment(text: object) -> datetime:
    """A row's ``received_at``. A row capdesk did not write (a hand edit, another tool,
    a damaged page) may hold anything there: that is an unreadable history, said in
    one sentence by the window, never a ValueError out of :meth:`CardHistory.entries`."""
    try:
        return _utc(datetime.fromisoformat(text))  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise HistoryError(
            "The card history could not be read. Call support.",
            ErrorDetails(technical=f"received_at {str(text)[:40]!r}: {error}"),
        ) from None


class CardHistory:
    """Append-only record of generated card numbers, in a SQLite file."""

    def __init__(self, path: Path, *, clock: Clock = SYSTEM_CLOCK) -> None:
        blocking_call("SQLite open")
        self._path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = self._open()
        except sqlite3.DatabaseError as error:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            raise HistoryError(
                "The card history file could not be opened. Call support.",
                ErrorDetails(technical=f"{type(error).__name__}: {error}"),
            ) from None
        except OSError as error:
            raise HistoryError(
                "The card history folder could not be created. Call support.",
                ErrorDetails(technical=f"{type(error).__name__}: {error}"),
            ) from None

    @property
    def path(self) -> Path:
        return self._path

    def _open(self) -> sqlite3.Connection:
        # 0600 before SQLite opens it: SQLite gives -wal and -shm the database's mode.
        private_file(self._path)
        conn = sqlite3.connect(
            self._path, timeout=5.0, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("history: journal mode is %s, not WAL", mode)
            conn.execute("PRAGMA synchronous = FULL")
            self._migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise HistoryError(
                    "The card history was written by a newer capdesk. Update capdesk, "
                    "or call support.",
                    ErrorDetails(technical=f"history schema {version} > {SCHEMA_VERSION}"),
                )
            if version < 1:
                for statement in _SCHEMA_V1.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            if version < 2:
                conn.execute(_SCHEMA_V2)
            if version < SCHEMA_VERSION:
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise HistoryError("The card history is closed. Restart capdesk.")
        return self._conn

    def append(
        self,
        number: str,
        *,
        cluster: str,
        till: str,
        request_id: str | None,
        received_at: datetime | None = None,
        training: bool = False,
    ) -> HistoryEntry:
        """Record ``number``; when this returns, the row is on disk. ``training`` marks
        a number from the training cluster (shown and exported as such)."""
        blocking_call("SQLite write")
        if not isinstance(number, str) or not number.strip():
            raise ValueError("number must be non-empty text")
        moment = _utc(received_at) if received_at is not None else _utc(self._clock.now())
        row = (number.strip(), cluster, till, request_id, moment.isoformat(), int(training))
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                cursor = conn.execute(
                    "INSERT INTO card_numbers"
                    " (number, cluster, till, request_id, received_at, training)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    row,
                )
                conn.execute("COMMIT")
            except sqlite3.Error as error:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise HistoryError(
                    details=ErrorDetails(technical=f"{type(error).__name__}: {error}")
                ) from None
            entry_id = cursor.lastrowid
        return HistoryEntry(
            id=int(entry_id or 0),
            number=row[0],
            cluster=cluster,
            till=till,
            request_id=request_id,
            received_at=moment,
            training=bool(training),
        )

    def entries(self, search: str | None = None, limit: int | None = None) -> list[HistoryEntry]:
        """Newest first; ``search`` matches part of number, cluster, till or request id."""
        blocking_call("SQLite read")
        sql = (
            "SELECT id, number, cluster, till, request_id, received_at, training FROM card_numbers"
        )
        params: list[object] = []
        if search and search.strip():
            pattern = f"%{_escape_like(search.strip())}%"
            sql += (
                " WHERE number LIKE ? ESCAPE '\\' OR cluster LIKE ? ESCAPE '\\'"
                " OR till LIKE ? ESCAPE '\\' OR request_id LIKE ? ESCAPE '\\'"
            )
            params += [pattern] * 4
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        with self._lock:
            try:
                rows = self._connection().execute(sql, params).fetchall()
            except sqlite3.Error as error:
                raise HistoryError(
                    "The card history could not be read. Call support.",
                    ErrorDetails(technical=f"{type(error).__name__}: {error}"),
                ) from None
        return [
            HistoryEntry(
                id=row[0],
                number=row[1],
                cluster=row[2],
                till=row[3],
                request_id=row[4],
                received_at=_stored_moment(row[5]),
                training=bool(row[6]),
            )
            for row in rows
        ]

    def training_numbers(self) -> set[str]:
        """Every number recorded as issued by the training cluster.

        The app gives them to the embedded simulator, so a new run never issues a
        training number this PC already holds (each run used to start again at the
        same number, and the history collected duplicates).
        """
        blocking_call("SQLite read")
        with self._lock:
            try:
                rows = (
                    self._connection()
                    .execute("SELECT DISTINCT number FROM card_numbers WHERE training = 1")
                    .fetchall()
                )
            except sqlite3.Error as error:
                raise HistoryError(
                    "The card history could not be read. Call support.",
                    ErrorDetails(technical=f"{type(error).__name__}: {error}"),
                ) from None
        return {str(row[0]) for row in rows}

    def export_csv(self, path: Path, entries: Iterable[HistoryEntry] | None = None) -> int:
        """Write ``entries`` (default: all, newest first) as CSV for Excel; return the count.

        UTF-8 with a BOM so Excel on Windows reads it right; written to a temporary
        file and renamed, so a failed export never leaves half a file.
        """
        blocking_call("CSV export")
        rows = list(entries) if entries is not None else self.entries()
        target = Path(path)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            private_file(temporary)  # 0600 (POSIX), kept by the rename: it lists card numbers
            with temporary.open("w", encoding="utf-8-sig", newline="") as stream:
                write_csv(stream, CSV_HEADER, (_csv_row(entry) for entry in rows))
            os.replace(temporary, target)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise HistoryError(
                "The history could not be saved to that file. Choose another folder and try again.",
                ErrorDetails(technical=f"{type(error).__name__}: {error.strerror or ''}"),
            ) from None
        return len(rows)

    def close(self) -> None:
        """Close the file; later calls raise :class:`HistoryError`. Safe to call twice."""
        blocking_call("SQLite close")
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> CardHistory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
