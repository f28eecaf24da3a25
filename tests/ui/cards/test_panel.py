"""Card panel: a person asks for numbers, watches progress, cancels, copies, prints."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from capdesk.store.history import CardHistory
from capdesk.ui.cards.panel import CardPanel
from tests.ui.window_harness import show_active


@pytest.fixture
def history(tmp_path):
    with CardHistory(tmp_path / "history.sqlite3") as store:
        yield store


@pytest.fixture
def panel(qtbot, history):
    widget = CardPanel()
    qtbot.addWidget(widget)
    widget.set_entries(history.entries())
    show_active(qtbot, widget)
    return widget


def _table_numbers(panel: CardPanel) -> list[str]:
    model = panel.history.table.model()
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def test_generate_asks_for_the_count_typed(qtbot, panel):
    panel.count.selectAll()
    qtbot.keyClicks(panel.count, "25")
    with qtbot.waitSignal(panel.generateRequested, timeout=1000) as signal:
        qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    assert signal.args == [25]


def test_count_is_limited_to_one_thousand(qtbot, panel):
    panel.count.selectAll()
    qtbot.keyClicks(panel.count, "5000")
    assert panel.count.value() == 500  # the keystroke that would pass 1000 is refused
    assert (panel.count.minimum(), panel.count.maximum()) == (1, 1000)


def test_set_count_presets_the_next_request(qtbot, panel):
    panel.set_count(3)
    with qtbot.waitSignal(panel.generateRequested, timeout=1000) as signal:
        qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    assert signal.args == [3]
    panel.set_count(99999)
    assert panel.count.value() == 1000


def test_progress_and_cancel_only_during_a_batch(qtbot, panel):
    assert not panel.progress.isVisible() and not panel.cancel_button.isVisible()
    panel.set_busy(True, total=10)
    assert panel.progress.isVisible() and panel.cancel_button.isVisible()
    assert not panel.generate_button.isEnabled() and not panel.count.isEnabled()
    panel.report_progress(4, 10)
    assert (panel.progress.value(), panel.progress.maximum()) == (4, 10)
    assert panel.progress.text() == "4 of 10"
    panel.finish_batch(10, cancelled=False)
    assert not panel.progress.isVisible() and not panel.cancel_button.isVisible()
    assert panel.generate_button.isEnabled() and panel.count.isEnabled()
    assert panel.batch_status.text() == "Generated 10 card numbers."


def test_clicking_generate_twice_while_busy_asks_once(qtbot, panel):
    asked = []
    panel.generateRequested.connect(asked.append)
    panel.generateRequested.connect(lambda count: panel.set_busy(True, count))
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    assert asked == [1]


def test_cancel_asks_once_and_says_how_many_were_made(qtbot, panel):
    panel.set_busy(True, total=50)
    cancels = []
    panel.cancelRequested.connect(lambda: cancels.append(True))
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert cancels == [True]
    assert not panel.cancel_button.isEnabled()
    assert panel.cancel_button.text() == "Stopping…"
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert cancels == [True]
    panel.finish_batch(7, cancelled=True)
    assert panel.batch_status.text() == "Stopped. 7 card numbers generated before you cancelled."
    assert not panel.cancel_button.isVisible()


def test_escape_cancels_a_running_batch(qtbot, panel):
    panel.set_busy(True, total=5)
    panel.history.search.setFocus()
    with qtbot.waitSignal(panel.cancelRequested, timeout=1000):
        qtbot.keyClick(panel.history.search, Qt.Key.Key_Escape)


def test_batch_cut_short_by_an_error_says_how_many(panel):
    panel.set_busy(True, total=5)
    panel.finish_batch(2, cancelled=False)
    assert panel.batch_status.text() == "Only 2 of 5 card numbers were generated."
    panel.set_busy(True, total=1)
    panel.finish_batch(0, cancelled=False)
    assert panel.batch_status.text() == "No card numbers were generated."


def test_show_number_updates_latest_and_history_at_once(qtbot, panel, history):
    assert not panel.copy_button.isEnabled() and not panel.print_button.isEnabled()
    first = history.append("6000000001", cluster="EU", till="till.one", request_id="r1")
    second = history.append("6000000002", cluster="EU", till="till.one", request_id="r2")
    panel.set_busy(True, total=2)
    panel.show_number(first)
    panel.report_progress(1, 2)
    panel.show_number(second)
    assert panel.number_label.text() == "6000000002"
    assert _table_numbers(panel) == ["6000000002", "6000000001"]
    assert panel.copy_button.isEnabled() and panel.print_button.isEnabled()


def test_copy_and_print_ask_for_the_latest_number(qtbot, panel, history):
    panel.show_number(history.append("6000000009", cluster="EU", till="t", request_id=None))
    with qtbot.waitSignal(panel.copyRequested, timeout=1000) as copied:
        qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.printRequested, timeout=1000) as printed:
        qtbot.mouseClick(panel.print_button, Qt.MouseButton.LeftButton)
    assert copied.args == ["6000000009"] and printed.args == ["6000000009"]


def test_set_entries_shows_what_was_generated_before(qtbot, history):
    history.append("5000000001", cluster="EU", till="t", request_id=None)
    widget = CardPanel()
    qtbot.addWidget(widget)
    widget.set_entries(history.entries())
    assert _table_numbers(widget) == ["5000000001"]


def test_controls_are_named_for_screen_readers_but_the_number_is_not(panel):
    for control in (panel.count, panel.generate_button, panel.copy_button, panel.print_button):
        assert control.accessibleName()
    # A value label named "Card number" would hide the number itself from screen readers.
    assert panel.number_label.accessibleName() == ""
    assert panel.findChild(type(panel.count), "cardCount") is panel.count
    assert panel.findChild(type(panel.number_label), "cardNumber") is panel.number_label
