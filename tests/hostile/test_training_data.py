"""Training data stays training data: never in the staff's profile, never repeated,
always marked.

Numbers from the training cluster look exactly like real card numbers. If one reaches
the real history unmarked, or the same one twice, a report or a re-issued card can
mix it up with a real card. So: ``--smoke-test`` runs in a throwaway profile; each
simulator run continues after the numbers this PC already holds (and starts at a
random point when it knows none); every row says whether it is training, in the
table and in the CSV; and a history written before the flag existed still opens.
"""

from __future__ import annotations

import asyncio
import csv
import random
import sqlite3
import tempfile
from pathlib import Path

import pytest

from capdesk.api.clusters import TRAINING, Cluster, load_clusters
from capdesk.app import main
from capdesk.paths import default_paths
from capdesk.services import DeskService
from capdesk.settings import Settings
from capdesk.simulator import TrainingSimulator
from capdesk.simulator import cards as card_module
from capdesk.simulator.cards import luhn_valid
from capdesk.store.credentials import CredentialStore
from capdesk.store.history import CSV_HEADER, CardHistory
from capdesk.store.policy import load_policy
from capdesk.ui.cards.history_table import COLUMNS, TRAINING_MARK
from tests.simulator.helpers import card
from tests.ui.window_harness import click, export_from_window, guarded_gui_thread

REAL_NUMBER = "4000000006"


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.reader(stream))


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# --- the smoke test ---------------------------------------------------------------------


def test_smoke_test_leaves_the_real_profile_untouched(
    qapp, capsys, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = default_paths().ensure()
    with CardHistory(paths.history_file) as history:
        history.append(REAL_NUMBER, cluster="EU", till="store1.till", request_id="r-1")
    before = _files(isolated_home)
    scratch = tmp_path / "tmp"  # where the throwaway profile must appear, then vanish
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    with guarded_gui_thread():  # the window's GUI thread makes no keyring or SQLite call
        assert main(["--smoke-test"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "ok   smoke test passed"
    (card_line,) = [line for line in lines if line.startswith("ok   card number ")]
    smoke_number = card_line.split()[3]
    assert _files(isolated_home) == before  # history, settings and log: byte for byte
    with CardHistory(paths.history_file) as history:
        assert [entry.number for entry in history.entries()] == [REAL_NUMBER]
        assert smoke_number not in {entry.number for entry in history.entries()}
    assert list(scratch.iterdir()) == []  # the throwaway profile is removed


# --- numbers never repeat across runs -------------------------------------------------------


def _issue(simulator: TrainingSimulator, count: int) -> list[str]:
    numbers = []
    for _ in range(count):
        response = card(simulator)
        assert response.status_code == 200
        numbers.append(response.json()["entity"])
    return numbers


def test_two_simulator_runs_that_know_nothing_of_each_other_do_not_collide() -> None:
    """The standalone server, or a fresh PC: each run starts at a random point of the
    space (4.5e8 starts for a 10-digit LUHN number), so two runs of 25 numbers meet
    with probability about 1e-7. Before, both started at 1000000008."""
    with TrainingSimulator() as first:
        first_numbers = _issue(first, 25)
    with TrainingSimulator() as second:
        second_numbers = _issue(second, 25)
    assert set(first_numbers).isdisjoint(second_numbers)
    for number in first_numbers + second_numbers:
        assert len(number) == 10 and luhn_valid(number) and number[0] != "0"


@pytest.mark.parametrize("algorithm", ["LUHN_ALGO", "MOD7_ALGO", "AUTO_INC", "RANDOM_LUHN"])
def test_a_run_told_the_earlier_numbers_never_repeats_one_even_from_the_same_start(
    monkeypatch: pytest.MonkeyPatch, algorithm: str
) -> None:
    """The exact guarantee: even when both runs draw the same random start (forced
    here), the second continues after the numbers the history holds."""
    monkeypatch.setattr(card_module.random, "SystemRandom", lambda: random.Random(7))
    with TrainingSimulator(card_algorithm=algorithm, card_length=8) as first:
        first_numbers = _issue(first, 20)
    with TrainingSimulator(
        card_algorithm=algorithm, card_length=8, card_numbers_taken=first_numbers
    ) as second:
        second_numbers = _issue(second, 20)
    assert set(first_numbers).isdisjoint(second_numbers)
    assert len(set(second_numbers)) == 20
    if algorithm != "RANDOM_LUHN":  # sequential: the second run continues upwards
        assert min(second_numbers) > max(first_numbers)


def _service(history: CardHistory, cluster: Cluster = TRAINING) -> DeskService:
    """A service as ``capdesk.app`` builds it: the embedded simulator is its own."""
    paths = default_paths().ensure()
    return DeskService(
        settings=Settings(paths, load_policy(paths)),
        credential_store=CredentialStore(),
        history=history,
        clusters=load_clusters(paths.cluster_files()),
        initial_cluster=cluster,
    )


def _generate(service: DeskService, count: int) -> list[str]:
    async def run() -> list[str]:
        try:
            entries = await service.generate_card_numbers(count, on_number=lambda _entry: None)
        finally:
            await service.close()
        return [entry.number for entry in entries]

    return asyncio.run(run())


def test_two_app_runs_on_one_history_never_issue_the_same_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two windows opened one after the other (two DeskServices on one history file),
    both drawing the same random start: the second continues after the first."""
    monkeypatch.setattr(card_module.random, "SystemRandom", lambda: random.Random(3))
    history_file = default_paths().ensure().history_file
    with CardHistory(history_file) as history:
        first = _generate(_service(history), 5)
    with CardHistory(history_file) as history:
        second = _generate(_service(history), 5)
        recorded = [entry.number for entry in history.entries()]
    assert set(first).isdisjoint(second)
    assert min(second) > max(first)
    assert sorted(recorded) == sorted(first + second)


def test_two_cli_runs_on_one_history_never_issue_the_same_number(
    monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """``capdesk card-number`` on the training cluster, twice: the same rule."""
    from capdesk import cli

    monkeypatch.setattr(card_module.random, "SystemRandom", lambda: random.Random(5))
    printed = []
    for _ in range(2):
        capsys.readouterr()
        assert cli.main(["card-number", "--count", "3"]) == 0
        printed.append(capsys.readouterr().out.split())
    assert set(printed[0]).isdisjoint(printed[1])
    with CardHistory(default_paths().history_file) as history:
        entries = history.entries()
    assert {entry.number for entry in entries} == set(printed[0] + printed[1])
    assert all(entry.training for entry in entries)


# --- training rows are marked ----------------------------------------------------------------


def test_training_rows_are_flagged_in_history_and_csv_real_ones_are_not(tmp_path: Path) -> None:
    """A training number and a real cluster's number (the simulator standing in for
    Capillary at a custom address, so it is *not* the training cluster)."""
    with TrainingSimulator() as stand_in:
        real = Cluster("eu-test", "EU (test)", stand_in.base_url)
        from capdesk.api.auth import BasicCredentials
        from capdesk.simulator.demo_data import TILL

        CredentialStore().save(
            real.key, BasicCredentials.from_password(TILL.username, TILL.password)
        )
        with CardHistory(default_paths().ensure().history_file) as history:
            (real_number,) = _generate(_service(history, real), 1)
            (training_number,) = _generate(_service(history), 1)
            entries = {entry.number: entry for entry in history.entries()}
            target = tmp_path / "cards.csv"
            assert history.export_csv(target) == 2
    assert entries[training_number].training is True
    assert entries[real_number].training is False
    rows = _read_csv(target)
    assert rows[0] == list(CSV_HEADER) and rows[0][-1] == "Training"
    assert rows[0][:5] == ["Card number", "Cluster", "Till", "Request id", "Received (UTC)"]
    assert {row[0]: row[-1] for row in rows[1:]} == {training_number: "yes", real_number: "no"}


def test_the_window_marks_training_numbers_in_the_table_and_the_export(
    qtbot, desk, tmp_path: Path
) -> None:
    """Through the real window (``desk``: tests/hostile/conftest.py)."""
    with CardHistory(default_paths().ensure().history_file) as history:
        history.append(REAL_NUMBER, cluster="EU", till="store1.till", request_id="r-1")
    d = desk()
    with qtbot.waitSignal(d.window.cardBatchFinished, timeout=5000) as done:
        click(qtbot, d.child("generateCardButton"))
    (entry,) = done.args[0]
    assert entry.training is True
    model = d.window.card_panel.history.model
    column = COLUMNS.index("Training")
    shown = {model.index(row, 0).data(): model.index(row, column).data() for row in range(2)}
    assert shown == {entry.number: TRAINING_MARK, REAL_NUMBER: ""}
    target = tmp_path / "export.csv"
    assert export_from_window(qtbot, d.window, target) == 2
    assert {row[0]: row[-1] for row in _read_csv(target)[1:]} == {
        entry.number: "yes",
        REAL_NUMBER: "no",
    }


# --- a history from before the flag ---------------------------------------------------------

_OLD_SCHEMA = """
CREATE TABLE card_numbers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    number      TEXT NOT NULL,
    cluster     TEXT NOT NULL,
    till        TEXT NOT NULL,
    request_id  TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX card_numbers_number ON card_numbers (number);
INSERT INTO card_numbers (number, cluster, till, request_id, received_at)
VALUES ('4000000006', 'EU', 'store1.till', 'r-1', '2025-01-02T03:04:05+00:00');
PRAGMA user_version = 1;
"""


def test_a_history_from_the_old_schema_opens_reads_as_not_training_and_takes_flags(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.sqlite3"
    connection = sqlite3.connect(path)
    connection.executescript(_OLD_SCHEMA)
    connection.close()

    with CardHistory(path) as history:
        (old,) = history.entries()
        assert (old.number, old.training) == (REAL_NUMBER, False)
        history.append(
            "1000000008", cluster="Training (simulated)", till="t", request_id=None, training=True
        )
        assert history.training_numbers() == {"1000000008"}
        target = tmp_path / "old.csv"
        history.export_csv(target)
    with CardHistory(path) as history:  # and again: the migration ran once, for good
        assert [e.training for e in history.entries()] == [True, False]
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 2
    finally:
        connection.close()
    assert [row[-1] for row in _read_csv(target)] == ["Training", "yes", "no"]
