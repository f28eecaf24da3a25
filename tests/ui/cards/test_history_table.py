"""History view over a real CardHistory on SQLite: search, add, export, copy.

The view holds no store: it is given the entries and asks for an export. Here the
export request is answered the way the window answers it (DeskService writes the file
through the history in a worker and the result comes back to the view).
"""

from __future__ import annotations

import csv
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from capdesk.store.history import CardHistory, HistoryError
from capdesk.ui.cards.history_table import COLUMNS, CardHistoryView
from tests.ui.window_harness import show_active

T0 = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def history(tmp_path):
    with CardHistory(tmp_path / "history.sqlite3") as store:
        store.append(
            "6000000001", cluster="EU", till="till.one", request_id="req-a", received_at=T0
        )
        store.append(
            "6000000002",
            cluster="Training (simulated)",
            till="training.till",
            request_id=None,
            received_at=T0 + timedelta(minutes=1),
        )
        store.append(
            "7000000003", cluster="EU", till="till.two", request_id="req-b", received_at=T0
        )
        yield store


def _answer_exports(widget: CardHistoryView, store: CardHistory) -> None:
    """Write what the view asks for, as MainWindow.export_history does through the service."""

    def export(path: Path, entries: list | None) -> None:
        try:
            widget.show_exported(store.export_csv(path, entries), path)
        except HistoryError as error:
            widget.show_export_failed(error.sentence)

    widget.exportRequested.connect(export)


@pytest.fixture
def view(qtbot, history):
    widget = CardHistoryView()
    qtbot.addWidget(widget)
    widget.set_entries(history.entries())
    _answer_exports(widget, history)
    show_active(qtbot, widget)
    return widget


def _column(widget: CardHistoryView, column: int = 0) -> list[str]:
    model = widget.table.model()
    return [model.index(row, column).data() for row in range(model.rowCount())]


def test_shows_newest_first_with_all_columns(view):
    assert _column(view) == ["7000000003", "6000000002", "6000000001"]
    model = view.table.model()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(len(COLUMNS))]
    assert headers == [
        "Card number",
        "Generated (local time)",
        "Cluster",
        "Till",
        "Request id",
        "Training",
    ]
    local = T0.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert [model.index(2, c).data() for c in range(6)] == [
        "6000000001",
        local,
        "EU",
        "till.one",
        "req-a",
        "",  # not a training number
    ]
    assert model.index(1, 4).data() == ""  # no request id
    assert view.count_label.text() == "3 card numbers."


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0002", ["6000000002"]),
        ("training", ["6000000002"]),
        ("TILL.TWO", ["7000000003"]),
        ("req-", ["7000000003", "6000000001"]),
        ("nothing-like-this", []),
    ],
)
def test_search_filters_by_number_cluster_till_and_request_id(qtbot, view, typed, expected):
    qtbot.keyClicks(view.search, typed)
    assert _column(view) == expected
    assert view.count_label.text() == f"{len(expected)} of 3 card numbers match."
    assert view.export_button.isEnabled() == bool(expected)
    view.search.clear()
    assert len(_column(view)) == 3


def test_add_entry_goes_on_top_and_respects_the_search(qtbot, view, history):
    entry = history.append("6000000004", cluster="EU", till="till.one", request_id="req-c")
    view.add_entry(entry)
    assert _column(view)[0] == "6000000004"
    qtbot.keyClicks(view.search, "req-a")
    other = history.append("6000000005", cluster="EU", till="till.one", request_id="zzz")
    view.add_entry(other)
    assert _column(view) == ["6000000001"]
    view.search.clear()
    assert _column(view)[:2] == ["6000000005", "6000000004"]
    assert view.count_label.text() == "5 card numbers."


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.reader(stream))


def test_export_writes_everything_or_only_the_matches(qtbot, view, tmp_path):
    everything = tmp_path / "all.csv"
    with qtbot.waitSignal(view.exportRequested) as asked:
        view.request_export(everything)
    assert asked.args == [everything, None]  # None: everything, newest first
    rows = _read_csv(everything)
    assert len(rows) - 1 == 3
    assert [row[0] for row in rows[1:]] == ["7000000003", "6000000002", "6000000001"]
    assert view.status_label.text() == "Saved 3 card numbers to all.csv."

    qtbot.keyClicks(view.search, "till.one")
    matches = tmp_path / "matches.csv"
    with qtbot.waitSignal(view.exportRequested) as asked:
        view.request_export(matches)
    assert [entry.number for entry in asked.args[1]] == ["6000000001"]
    assert view.status_label.text() == "Saved 1 card number to matches.csv."
    assert [row[0] for row in _read_csv(matches)[1:]] == ["6000000001"]


def test_export_button_asks_for_a_file_and_adds_csv(qtbot, view, tmp_path, monkeypatch):
    target = tmp_path / "chosen"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "CSV"))
    )
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    assert len(_read_csv(tmp_path / "chosen.csv")) == 4


def test_export_to_an_unwritable_place_says_so(qtbot, view, tmp_path, monkeypatch):
    missing = tmp_path / "no-such-folder" / "x.csv"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(missing), "CSV"))
    )
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    assert "Choose another folder" in view.status_label.text()


def test_cancelled_file_dialog_exports_nothing(qtbot, view, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    assert view.status_label.text() == ""


def test_ctrl_c_on_a_row_asks_to_copy_its_number(qtbot, view):
    view.table.setFocus()
    view.table.selectRow(1)
    with qtbot.waitSignal(view.copyRequested, timeout=1000) as signal:
        qtbot.keySequence(view.table, "Ctrl+C")
    assert signal.args == ["6000000002"]


def test_empty_history_says_so_and_cannot_export(qtbot, tmp_path):
    widget = CardHistoryView()
    qtbot.addWidget(widget)
    with CardHistory(tmp_path / "empty.sqlite3") as store:
        widget.set_entries(store.entries())
        assert widget.count_label.text() == "No card numbers generated yet."
        assert not widget.export_button.isEnabled()


def test_search_over_ten_thousand_rows_is_fast(qtbot, tmp_path):
    from capdesk.store.history import HistoryEntry

    entries = [
        HistoryEntry(i, f"{6_000_000_000 + i}", "EU", f"till.{i % 7}", f"req-{i}", T0)
        for i in range(10_000, 0, -1)
    ]
    widget = CardHistoryView()
    qtbot.addWidget(widget)
    widget.model.set_entries(entries)
    widget.show()
    start = time.perf_counter()
    widget.search.setText("6000009")
    qtbot.wait(1)
    elapsed = time.perf_counter() - start
    assert widget.model.rowCount() == 1000  # 6000009000 … 6000009999
    assert elapsed < 0.25
