"""Card numbers through the real window: one, a batch with progress and Cancel, errors
mid-batch, and the history surviving a restart.

Every number the training cluster issued is a number consumed on the server, so the
checks compare three lists: what the simulator issued, what the window's table
shows, and what the history file holds. They must be the same numbers, once each.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from tests.ui.window_harness import click, off_gui_thread


def set_count(qtbot, d, count: int) -> None:
    spin = d.child("cardCount")
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, str(count))
    assert spin.value() == count


def table_numbers(d) -> list[str]:
    model = d.window.card_panel.history.model
    return [model.entry(row).number for row in range(model.rowCount())]


def history_numbers(d) -> list[str]:
    return [entry.number for entry in d.history_entries()]


def test_one_number_is_shown_copied_and_recorded(qtbot, desk):
    d = desk()
    with qtbot.waitSignal(d.window.cardBatchFinished, timeout=5000) as done:
        click(qtbot, d.child("generateCardButton"))
    (entry,) = done.args[0]
    assert d.sim.issued_card_numbers == [entry.number]
    assert d.text("cardNumber") == entry.number
    assert table_numbers(d) == [entry.number]
    assert history_numbers(d) == [entry.number]
    assert entry.till == "training.till"
    assert entry.cluster == "Training (simulated)"
    assert d.text("statusMessage") == "Generated card number. They are saved in the history."
    click(qtbot, d.child("copyCardButton"))
    assert QGuiApplication.clipboard().text() == entry.number


def test_batch_with_progress_then_cancel_keeps_every_issued_number(qtbot, desk):
    d = desk(slow_seconds=0.25)
    d.sim.set_scenario("slow_network")
    set_count(qtbot, d, 12)
    click(qtbot, d.child("generateCardButton"))
    progress = d.child("cardProgress")
    cancel = d.child("cancelCardsButton")
    assert progress.isVisible() and cancel.isVisible()
    assert progress.maximum() == 12
    assert not d.child("generateCardButton").isEnabled()
    qtbot.waitUntil(lambda: progress.value() >= 1, timeout=3000)

    with qtbot.waitSignal(d.window.cardBatchFinished, timeout=5000) as done:
        click(qtbot, cancel)
        assert cancel.text() == "Stopping…"
    received = [entry.number for entry in done.args[0]]
    issued = d.sim.issued_card_numbers

    assert 1 <= len(received) < 12
    assert sorted(received) == sorted(issued)  # in-flight calls finished and were kept
    assert len(set(issued)) == len(issued)
    assert sorted(table_numbers(d)) == sorted(issued)
    assert sorted(history_numbers(d)) == sorted(issued)
    assert progress.value() == len(received) or not progress.isVisible()
    assert not cancel.isVisible()
    assert d.text("cardBatchStatus") == (
        f"Stopped. {len(received)} card numbers generated before you cancelled."
        if len(received) > 1
        else "Stopped. 1 card number generated before you cancelled."
    )
    assert d.window.status.kind != "error"
    assert d.child("generateCardButton").isEnabled()


def test_escape_cancels_a_running_batch(qtbot, desk):
    d = desk(slow_seconds=0.25)
    d.sim.set_scenario("slow_network")
    set_count(qtbot, d, 20)
    click(qtbot, d.child("generateCardButton"))
    search = d.child("cardHistorySearch")
    search.setFocus()
    with qtbot.waitSignal(d.window.cardBatchFinished, timeout=5000) as done:
        qtbot.keyClick(search, Qt.Key.Key_Escape)
    assert len(done.args[0]) < 20
    assert sorted(history_numbers(d)) == sorted(d.sim.issued_card_numbers)


def test_an_error_mid_batch_stops_it_and_keeps_what_came_back(qtbot, desk):
    d = desk(slow_seconds=0.25)
    d.sim.set_scenario("slow_network")
    set_count(qtbot, d, 10)
    click(qtbot, d.child("generateCardButton"))
    qtbot.waitUntil(lambda: len(d.sim.issued_card_numbers) == 0 and d.sim.request_count() >= 4)
    d.sim.set_scenario("outage")  # the four calls already waiting still succeed
    with qtbot.waitSignal(d.window.operationFailed, timeout=5000) as failed:
        pass
    qtbot.waitUntil(lambda: d.child("generateCardButton").isEnabled(), timeout=3000)
    issued = d.sim.issued_card_numbers
    assert 1 <= len(issued) < 10
    assert d.text("statusMessage") == failed.args[0].sentence
    assert d.text("statusMessage").startswith("Capillary is busy or down")
    assert sorted(table_numbers(d)) == sorted(issued)
    assert sorted(history_numbers(d)) == sorted(issued)
    assert d.text("cardBatchStatus") == f"Only {len(issued)} of 10 card numbers were generated."


def test_history_is_there_after_a_restart(qtbot, desk):
    d = desk()
    set_count(qtbot, d, 3)
    with qtbot.waitSignal(d.window.cardBatchFinished, timeout=5000) as done:
        qtbot.keyClick(d.child("cardCount"), Qt.Key.Key_G, Qt.KeyboardModifier.AltModifier)
    first = [entry.number for entry in done.args[0]]
    assert len(first) == 3
    desk.close(d)

    again = desk()
    assert sorted(table_numbers(again)) == sorted(first)
    assert again.text("cardHistoryCount") == "3 card numbers."
    with qtbot.waitSignal(again.window.cardBatchFinished, timeout=5000) as done:
        click(qtbot, again.child("generateCardButton"))
    newest = done.args[0][0].number
    assert table_numbers(again)[0] == newest  # newest on top, the old ones kept
    assert sorted(table_numbers(again)) == sorted([*first, newest])


def test_the_window_reads_and_exports_the_history_through_the_service_off_the_gui_thread(
    qtbot, desk, tmp_path
):
    import threading

    d = desk()
    off_gui_thread(d.history.append, "5000000001", cluster="EU", till="t", request_id=None)
    d.window.card_panel.set_entries([])
    gui = threading.current_thread()
    seen: list[threading.Thread] = []
    export_csv = d.history.export_csv

    def export_in(*args, **kwargs):  # the real export, noting which thread runs it
        seen.append(threading.current_thread())
        return export_csv(*args, **kwargs)

    d.history.export_csv = export_in
    d.window.cards_flow.load_history()
    qtbot.waitUntil(lambda: table_numbers(d)[:1] == ["5000000001"], timeout=3000)
    target = tmp_path / "all.csv"
    d.window.card_panel.history.request_export(target)
    view = d.window.card_panel.history
    qtbot.waitUntil(lambda: view.status_label.text().startswith("Saved 1"), timeout=3000)
    assert target.read_text(encoding="utf-8-sig").splitlines()[1].startswith("5000000001")
    assert seen and seen[0] is not gui  # SQLite and the file write ran in a worker
