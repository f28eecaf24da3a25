"""CardHistory on a real SQLite file: durability, search, CSV export, threads, kill -9."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from capdesk.paths import default_paths
from capdesk.store.history import CSV_HEADER, SCHEMA_VERSION, CardHistory, HistoryError
from tests.fake_clock import FakeClock

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 9, 30, 0, tzinfo=UTC))


@pytest.fixture
def history(clock: FakeClock):
    with CardHistory(default_paths().history_file, clock=clock) as opened:
        yield opened


def test_append_returns_the_entry_stamped_by_the_clock(history: CardHistory, clock) -> None:
    entry = history.append("1000000010", cluster="eu", till="till.1", request_id="req-1")
    assert entry.id > 0
    assert (entry.number, entry.cluster, entry.till, entry.request_id) == (
        "1000000010",
        "eu",
        "till.1",
        "req-1",
    )
    assert entry.received_at == clock.now()
    assert history.entries() == [entry]


def test_entries_are_newest_first_and_limited(history: CardHistory, clock: FakeClock) -> None:
    for n in range(5):
        history.append(f"N{n}", cluster="eu", till="t", request_id=None)
        clock.advance(60)
    assert [e.number for e in history.entries()] == ["N4", "N3", "N2", "N1", "N0"]
    assert [e.number for e in history.entries(limit=2)] == ["N4", "N3"]
    assert history.entries(limit=0) == []


def test_explicit_received_at_is_kept_in_utc(history: CardHistory) -> None:
    local = datetime(2026, 3, 1, 20, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    entry = history.append("X1", cluster="india", till="t", request_id=None, received_at=local)
    assert entry.received_at == datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    assert entry.received_at.utcoffset() == timedelta(0)
    assert history.entries()[0].received_at == entry.received_at
    with pytest.raises(ValueError):
        history.append("X2", cluster="eu", till="t", request_id=None, received_at=datetime.now())


def test_search_covers_number_cluster_till_and_request_id(history: CardHistory) -> None:
    history.append("1000000010", cluster="eu", till="north.till", request_id="abc-111")
    history.append("BUK003870381", cluster="india", till="south.till", request_id="XYZ-222")
    history.append("50_50%", cluster="us", till="east.till", request_id=None)

    def numbers(search: str | None) -> list[str]:
        return [e.number for e in history.entries(search)]

    assert numbers("0387") == ["BUK003870381"]
    assert numbers("EU") == ["1000000010"]  # case-insensitive
    assert numbers("south") == ["BUK003870381"]
    assert numbers("xyz-2") == ["BUK003870381"]
    assert numbers("%") == ["50_50%"]  # LIKE wildcards are literal
    assert numbers("_") == ["50_50%"]
    assert numbers("  ") == numbers(None) == ["50_50%", "BUK003870381", "1000000010"]
    assert numbers("nothing-like-this") == []


def test_history_survives_reopen_with_wal_full_sync_and_schema_version(clock) -> None:
    path = default_paths().history_file
    first = CardHistory(path, clock=clock)
    entry = first.append("777", cluster="eu", till="t", request_id="r")
    synchronous = first._conn.execute("PRAGMA synchronous").fetchone()[0]  # type: ignore[union-attr]
    first.close()
    assert synchronous == 2  # FULL
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = [row[1] for row in raw.execute("PRAGMA table_info(card_numbers)")]
    assert columns == ["id", "number", "cluster", "till", "request_id", "received_at", "training"]
    with CardHistory(path, clock=clock) as again:
        assert again.entries() == [entry]


def test_newer_schema_is_refused_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryError, match="newer capdesk"):
        CardHistory(path)


def test_a_file_that_is_not_a_database_gives_a_history_error(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not sqlite at all, just text" * 100)
    with pytest.raises(HistoryError) as caught:
        CardHistory(path)
    assert caught.value.sentence == "The card history file could not be opened. Call support."
    assert path.read_bytes().startswith(b"this is not sqlite")  # left alone for support


def test_closed_history_refuses_politely(history: CardHistory) -> None:
    history.close()
    history.close()
    with pytest.raises(HistoryError, match="closed"):
        history.append("1", cluster="eu", till="t", request_id=None)
    with pytest.raises(HistoryError):
        history.entries()


def test_append_refuses_an_empty_number(history: CardHistory) -> None:
    with pytest.raises(ValueError):
        history.append("  ", cluster="eu", till="t", request_id=None)
    assert history.entries() == []


def test_worker_threads_and_gui_thread_share_one_history(history: CardHistory) -> None:
    errors: list[BaseException] = []

    def worker(prefix: str) -> None:
        try:
            for n in range(25):
                history.append(f"{prefix}-{n}", cluster="eu", till=prefix, request_id=None)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        history.entries(limit=5)  # the "GUI thread" reads meanwhile
    for thread in threads:
        thread.join()
    assert errors == []
    entries = history.entries()
    assert len(entries) == 100
    assert len({e.id for e in entries}) == 100
    assert {e.number for e in entries} == {f"w{i}-{n}" for i in range(4) for n in range(25)}


# --- CSV export -----------------------------------------------------------------------


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.reader(stream))


def test_export_csv_has_bom_header_and_rows_newest_first(
    history: CardHistory, clock: FakeClock, tmp_path: Path
) -> None:
    history.append("1000000010", cluster="eu", till="Müller till", request_id="req, 1")
    clock.advance(90)
    history.append("1000000028", cluster="eu", till="t2", request_id=None)
    target = tmp_path / "export.csv"
    assert history.export_csv(target) == 2
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert _read_csv(target) == [
        list(CSV_HEADER),
        ["1000000028", "eu", "t2", "", "2026-03-01 09:31:30", "no"],
        ["1000000010", "eu", "Müller till", "req, 1", "2026-03-01 09:30:00", "no"],
    ]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_export_csv_defuses_formulas(history: CardHistory, tmp_path: Path) -> None:
    history.append("=HYPERLINK(1)", cluster="+eu", till="@SUM(A1)", request_id="-2+3")
    target = tmp_path / "export.csv"
    history.export_csv(target)
    row = _read_csv(target)[1]
    assert row[:4] == ["'=HYPERLINK(1)", "'+eu", "'@SUM(A1)", "'-2+3"]


def test_export_csv_of_given_entries(history: CardHistory, tmp_path: Path) -> None:
    for n in range(3):
        history.append(f"N{n}", cluster="eu", till="t", request_id=None)
    target = tmp_path / "some.csv"
    assert history.export_csv(target, history.entries("N1")) == 1
    assert [row[0] for row in _read_csv(target)] == [CSV_HEADER[0], "N1"]


def test_export_to_an_impossible_place_says_so(history: CardHistory, tmp_path: Path) -> None:
    history.append("N1", cluster="eu", till="t", request_id=None)
    with pytest.raises(HistoryError, match="Choose another folder"):
        history.export_csv(tmp_path / "missing-folder" / "x.csv")


# --- kill -9 --------------------------------------------------------------------------

_APPENDER = """
import sys
from pathlib import Path
from capdesk.store.history import CardHistory

history = CardHistory(Path(sys.argv[1]))
n = 0
while True:
    entry = history.append(f"K{n:08d}", cluster="eu", till="t", request_id=f"r{n}")
    print(entry.number, flush=True)  # reported only after append returned
    n += 1
"""


def test_a_killed_writer_loses_nothing_it_reported(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    process = subprocess.Popen(
        [sys.executable, "-c", _APPENDER, str(path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reported: list[str] = []
    try:
        assert process.stdout is not None
        while len(reported) < 40:
            line = process.stdout.readline()
            if not line:
                pytest.fail(f"appender stopped early: {process.stderr.read()}")  # type: ignore[union-attr]
            reported.append(line.strip())
    finally:
        process.kill()  # SIGKILL on POSIX: no cleanup, mid-write
        remaining, _ = process.communicate(timeout=10)
    reported += [line.strip() for line in remaining.splitlines() if line.strip()]
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with CardHistory(path) as reopened:
        stored = {e.number for e in reopened.entries()}
        assert set(reported) <= stored
        reopened.append("after-crash", cluster="eu", till="t", request_id=None)
        assert reopened.entries(limit=1)[0].number == "after-crash"
