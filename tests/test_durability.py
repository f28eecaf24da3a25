"""Durability: kill -9 the window in the middle of a card batch.

A child process runs the real window (``tests/faults/window_driver.py``) against a
training simulator in this process, starts a batch of 200 and prints each number as
the window shows it. After about 50 it gets SIGKILL: no handler runs, nothing is
flushed, no goodbye. Then every number the simulator issued that the window showed
must be in the history, the history must pass SQLite's integrity check, and a new
window must list them all.

The command line's counterpart is
``tests/cli/test_subprocess.py::test_killed_mid_batch_every_printed_number_is_in_history``.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections import Counter

import pytest
from PySide6.QtWidgets import QTableView

from capdesk.paths import default_paths
from capdesk.simulator import TrainingSimulator
from capdesk.store.history import CardHistory
from tests.cli.conftest import REPO, child_env
from tests.faults.desk import open_desk, write_admin_clusters
from tests.faults.servers import CARD_PATH

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

BATCH = 200
KILL_AFTER = 50
CONCURRENCY = 4  # DeskService's default: at most this many calls in flight


def read_numbers(process: subprocess.Popen[str], wanted: int) -> list[str]:
    """The numbers the window showed, until ``wanted`` of them (or the child stops)."""
    assert process.stdout is not None
    numbers: list[str] = []
    while len(numbers) < wanted:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("NUMBER "):
            numbers.append(line.split()[1])
        assert not line.startswith("FINISHED"), "the batch ended before the kill"
    return numbers


def test_window_killed_mid_batch_keeps_every_number_it_showed(qtbot, async_loop) -> None:
    # Each answer takes 20 ms, so 200 numbers take ~1 s: the kill lands mid-batch.
    with TrainingSimulator(scenario="slow_network", slow_seconds=0.02) as simulator:
        paths = default_paths().ensure()
        write_admin_clusters(paths, simulator.base_url)
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.window_driver", "faulty", str(BATCH)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
            cwd=REPO,
            stdin=subprocess.DEVNULL,
        )
        try:
            shown = read_numbers(process, KILL_AFTER)
        finally:
            process.kill()  # SIGKILL
            _, err = process.communicate(timeout=10)
        assert len(shown) == KILL_AFTER, err
        qtbot.waitUntil(
            lambda: simulator.request_count(CARD_PATH) == len(simulator.issued_card_numbers)
        )
        issued = simulator.issued_card_numbers

    assert len(issued) < BATCH  # it really was mid-batch
    with sqlite3.connect(paths.history_file) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    history = CardHistory(paths.history_file)
    try:
        saved = [entry.number for entry in reversed(history.entries())]
    finally:
        history.close()
    assert not [n for n, seen in Counter(saved).items() if seen > 1]
    assert set(shown) <= set(saved)  # everything staff saw survived the kill
    assert set(saved) <= set(issued)  # and nothing the server did not issue
    # Issued but never recorded: only calls in flight at the kill.
    assert len(set(issued) - set(saved)) <= CONCURRENCY

    desk = open_desk(qtbot, simulator.base_url, None)  # a new window on the same history
    try:
        table = desk.window.findChild(QTableView, "cardHistory")
        model = table.model()

        def listed() -> set[str]:
            return {model.index(row, 0).data() for row in range(model.rowCount())}

        # The window reads its history in a worker: wait for the table to be filled.
        qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=5000)
        assert set(saved) == listed()
    finally:
        desk.close()
