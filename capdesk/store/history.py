"""The card-number history: every generated number, durably, before anyone sees it.

A card number is consumed on the server the moment it is generated, so losing one
means a card that exists nowhere on paper. :meth:`CardHistory.append` commits (WAL,
``synchronous=FULL``) before it returns, and callers show or print a number only
after that. A crash, a kill or a power cut leaves the database consistent: SQLite's
journal rolls back anything half written.

One connection serves the GUI thread and worker threads, guarded by a lock (with
``check_same_thread=False``); SQLite's ``busy_timeout`` covers a second process
(the CLI) writing at the same time. The schema version is ``PRAGMA user_version``.

Only numbers and where they came from are stored — never an OTP code or credential.
"""

from __future__ import annotations

import csv
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

log = logging.getLogger(__name__)

__all__ = ["CSV_HEADER", "SCHEMA_VERSION", "CardHistory", "HistoryEntry", "HistoryError"]

SCHEMA_VERSION = 1
CSV_HEADER = ("Card number", "Cluster", "Till", "Request id", "Received (UTC)")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

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


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _safe_cell(value: str) -> str:
    """Stop Excel from running a cell as a formula (CSV injection): prefix a quote."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("received_at must be an aware datetime")
    return moment.astimezone(UTC)


class CardHistory:
    """Append-only record of generated card numbers, in a SQLite file."""

    def __init__(self, path: Path, *, clock: Clock = SYSTEM_CLOCK) -> None:
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
    ) -> HistoryEntry:
        """Record ``number``; when this returns, the row is on disk."""
        if not isinstance(number, str) or not number.strip():
            raise ValueError("number must be non-empty text")
        moment = _utc(received_at) if received_at is not None else _utc(self._clock.now())
        row = (number.strip(), cluster, till, request_id, moment.isoformat())
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                cursor = conn.execute(
                    "INSERT INTO card_numbers (number, cluster, till, request_id, received_at)"
                    " VALUES (?, ?, ?, ?, ?)",
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
        )

    def entries(self, search: str | None = None, limit: int | None = None) -> list[HistoryEntry]:
        """Newest first; ``search`` matches part of number, cluster, till or request id."""
        sql = "SELECT id, number, cluster, till, request_id, received_at FROM card_numbers"
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
                received_at=_utc(datetime.fromisoformat(row[5])),
            )
            for row in rows
        ]

    def export_csv(self, path: Path, entries: Iterable[HistoryEntry] | None = None) -> int:
        """Write ``entries`` (default: all, newest first) as CSV for Excel; return the count.

        UTF-8 with a BOM so Excel on Windows reads it right; written to a temporary
        file and renamed, so a failed export never leaves half a file.
        """
        rows = list(entries) if entries is not None else self.entries()
        target = Path(path)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with temporary.open("w", encoding="utf-8-sig", newline="") as stream:
                writer = csv.writer(stream)
                writer.writerow(CSV_HEADER)
                for entry in rows:
                    writer.writerow(
                        [
                            _safe_cell(entry.number),
                            _safe_cell(entry.cluster),
                            _safe_cell(entry.till),
                            _safe_cell(entry.request_id or ""),
                            entry.received_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                        ]
                    )
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
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> CardHistory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
