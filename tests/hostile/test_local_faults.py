"""Broken PCs: a damaged history, a folder that can't be created, a log that can't be
written, a missing or locked password store. The real window (``capdesk.app.main`` or
the tests/ui harness) must open, say what happened in one sentence, and go on doing
OTP look-ups; card numbers are refused (before any call) when they could not be saved.

Root runs these tests, so unwritable paths are made with a file where a folder must
be (or a folder where a file must be): chmod would not stop root.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import KeyringLocked
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from capdesk.api.auth import BasicCredentials
from capdesk.api.clusters import custom_cluster
from capdesk.api.errors import KeyringIsLocked, KeyringUnavailable
from capdesk.app import main
from capdesk.local_faults import (
    CardsNeedHistory,
    FolderUnavailable,
    HistoryUnusable,
    LogUnavailable,
)
from capdesk.smoke import after_click
from capdesk.store.history import CardHistory
from tests.api.test_staff_sentences import problems_with
from tests.root_logger import restored_root_logger
from tests.ui.window_harness import guarded_gui_thread

DEMO_MOBILE = "919876543210"
ROOT = Path(__file__).resolve().parents[2]


# --- driving main() -----------------------------------------------------------------------


def the_window():
    from capdesk.ui.main_window import MainWindow

    (window,) = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
    ]
    return window


def run_main(argv: list[str], scenario: Callable[[Any], Awaitable[dict[str, Any]]]) -> tuple:
    """Run ``main(argv)``; once the window is open run ``scenario(window)`` on its loop,
    then close the window. Returns (exit code, what the scenario saw). A main() that
    returns without opening a window leaves no timer behind for the next test."""
    seen: dict[str, Any] = {}
    tasks: list[asyncio.Task[None]] = []

    async def drive() -> None:
        window = None
        try:
            window = the_window()
            seen.update(await scenario(window))
        except BaseException as error:  # reported by the test, after main() returns
            seen["error"] = error
        finally:
            if window is not None:
                window.close()

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(lambda: tasks.append(asyncio.ensure_future(drive())))
    timer.start(0)
    try:
        with restored_root_logger(), guarded_gui_thread():  # no keyring or SQLite call on it
            code = main(argv)
    finally:
        timer.stop()
    if "error" in seen:
        raise seen["error"]
    if not tasks:
        raise AssertionError(f"main() returned {code} without opening the window")
    return code, seen


async def otp_then_cards(window) -> dict[str, Any]:
    """What staff do: the demo customer asks for an OTP, staff fetch it, then try for a
    card number. Records the notice, the OTP and how the card step ended."""
    while window.keeper.is_running("history"):  # the window reads its history in a worker
        await asyncio.sleep(0.01)
    seen: dict[str, Any] = {"notice": window.notice.sentences, "status": window.status.text}
    simulator = window.service.ensure_training()
    form = window.identifier_form
    form.set_identifier("mobile", DEMO_MOBILE)
    await after_click(
        window.training_controls.simulate_button.click,
        window.otpRequestSimulated,
        window.operationFailed,
    )
    result = await after_click(form.fetch_button.click, window.otpShown, window.operationFailed)
    seen["otp"] = result.code
    try:
        seen["cards"] = await after_click(
            window.card_panel.generate_button.click,
            window.cardBatchFinished,
            window.operationFailed,
        )
    except Exception as error:
        seen["card_error"] = error
        seen["card_status"] = window.status.text
    seen["card_calls"] = simulator.request_count("/v2/cardNumber")
    seen["notice_after"] = window.notice.sentences
    return seen


def assert_staff_sentence(sentence: str) -> None:
    assert problems_with(sentence) == [], sentence


# --- a damaged history ----------------------------------------------------------------------


def _history_with_rows(path: Path, count: int = 200) -> None:
    history = CardHistory(path)
    try:
        for index in range(count):
            history.append(f"9{index:012d}", cluster="EU", till="till.one", request_id="r" * 40)
    finally:
        history.close()


def garbage_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[4096:] = os.urandom(len(data) - 4096)  # page 1 (header, schema) stays readable
    path.write_bytes(bytes(data))


def truncated(path: Path) -> None:
    with path.open("r+b") as stream:
        stream.truncate(path.stat().st_size // 2)


def bad_date(path: Path) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO card_numbers (number, cluster, till, request_id, received_at)"
            " VALUES ('1000000999', 'EU', 'till.one', NULL, 'yesterday')"
        )
    raw.close()


def naive_date(path: Path) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE card_numbers SET received_at = '2025-01-01T10:00:00' WHERE id = 7")
    raw.close()


def not_a_database(path: Path) -> None:
    path.write_bytes(b"this is not SQLite at all " * 400)


@pytest.mark.parametrize(
    "damage",
    [garbage_pages, truncated, bad_date, naive_date, not_a_database],
    ids=lambda f: f.__name__,
)
def test_a_damaged_history_is_a_sentence_and_otp_look_ups_go_on(
    qapp, capfd, isolated_home: Path, damage: Callable[[Path], None]
) -> None:
    history_file = isolated_home / "data" / "history.sqlite3"
    history_file.parent.mkdir(parents=True)
    _history_with_rows(history_file)
    damage(history_file)

    code, seen = run_main([], otp_then_cards)

    assert code == 0
    assert seen["notice"] == [HistoryUnusable.default_sentence]
    assert_staff_sentence(HistoryUnusable.default_sentence)
    assert len(seen["otp"]) == 7  # the look-up worked
    # Refused before any call: no number was consumed that could not be saved first.
    assert isinstance(seen["card_error"], CardsNeedHistory)
    assert seen["card_status"] == CardsNeedHistory.default_sentence
    assert_staff_sentence(CardsNeedHistory.default_sentence)
    assert seen["card_calls"] == 0
    err = capfd.readouterr().err
    assert "Traceback" not in err


def test_the_window_built_like_main_shows_no_rows_of_a_damaged_history(
    desk, isolated_home: Path
) -> None:
    """The tests/ui harness builds the window as main() does (build_desk): the file
    opens, and a row that can't be read is found when the table is filled."""
    history_file = isolated_home / "data" / "history.sqlite3"
    history_file.parent.mkdir(parents=True)
    _history_with_rows(history_file, 5)
    bad_date(history_file)
    d = desk()
    assert d.window.notice.isVisible()
    assert d.window.notice.sentences == [HistoryUnusable.default_sentence]
    assert d.window.card_panel.history.model.total == 0


# --- folders and the log ------------------------------------------------------------------


def test_a_data_folder_that_cant_be_created_is_a_sentence(qapp, capfd, isolated_home: Path) -> None:
    isolated_home.mkdir()
    (isolated_home / "data").write_text("a file where the data folder should be")

    code, seen = run_main([], otp_then_cards)

    assert code == 0
    assert seen["notice"] == [FolderUnavailable.default_sentence]
    assert_staff_sentence(FolderUnavailable.default_sentence)
    assert len(seen["otp"]) == 7
    assert isinstance(seen["card_error"], CardsNeedHistory)
    assert seen["card_calls"] == 0
    assert "Traceback" not in capfd.readouterr().err


def test_a_profile_under_a_file_opens_the_window_with_sentences(
    qapp, capfd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No folder at all can be created (the profile path runs through a regular file):
    the window still opens, says so, and fetches OTPs."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CAPDESK_HOME", str(blocker / "capdesk-home"))

    code, seen = run_main([], otp_then_cards)

    assert code == 0
    assert FolderUnavailable.default_sentence in seen["notice"]
    assert LogUnavailable.default_sentence in seen["notice"]
    for sentence in seen["notice"]:
        assert_staff_sentence(sentence)
    assert len(seen["otp"]) == 7
    assert isinstance(seen["card_error"], CardsNeedHistory)
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("how", ["folder in place of the file", "file in place of the folder"])
def test_an_unwritable_log_is_one_sentence_and_no_traceback_per_line(
    qapp, capfd, isolated_home: Path, how: str
) -> None:
    logs = isolated_home / "logs"
    if how == "folder in place of the file":
        (logs / "capdesk.log").mkdir(parents=True)
    else:
        isolated_home.mkdir()
        logs.write_text("a file where the log folder should be")

    code, seen = run_main([], otp_then_cards)

    assert code == 0
    assert seen["notice"] == [LogUnavailable.default_sentence]
    assert_staff_sentence(LogUnavailable.default_sentence)
    assert len(seen["otp"]) == 7
    assert len(seen["cards"]) == 1  # the history works: card numbers too
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert "Logging error" not in err


def test_smoke_test_in_a_broken_profile_passes_without_a_traceback(tmp_path: Path) -> None:
    """``capdesk --smoke-test`` as the installer runs it, with a profile that can't exist."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    env = {**os.environ, "CAPDESK_HOME": str(blocker / "home"), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "capdesk", "--smoke-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "ok   smoke test passed"


# --- the password store -------------------------------------------------------------------


class LockedKeyring(KeyringBackend):
    """What keyring's Secret Service backend does when the unlock prompt is dismissed."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")


@pytest.mark.parametrize(
    ("backend", "expected"),
    [(fail.Keyring(), KeyringUnavailable), (LockedKeyring(), KeyringIsLocked)],
    ids=["missing", "locked"],
)
def test_a_missing_or_locked_password_store_is_said_at_start_and_on_a_look_up(
    qtbot, desk, simulator, backend: KeyringBackend, expected: type[KeyringUnavailable]
) -> None:
    keyring.set_keyring(backend)  # the autouse memory_keyring fixture restores it
    d = desk(cluster=custom_cluster(simulator.base_url))
    sentence = expected.default_sentence
    assert_staff_sentence(sentence)
    assert d.text("statusMessage") == sentence  # at start, before anyone presses a button
    assert d.text("signedInAs") == "Not signed in"

    d.window.identifier_form.set_identifier("mobile", DEMO_MOBILE)
    with qtbot.waitSignal(d.window.operationFailed, timeout=5000) as failed:
        d.window.identifier_form.fetch_button.click()
    assert failed.args[0].sentence == sentence
    assert d.text("statusMessage") == sentence


def test_signing_in_to_a_locked_password_store_says_what_to_do(qtbot, desk, simulator) -> None:
    keyring.set_keyring(LockedKeyring())
    d = desk(cluster=custom_cluster(simulator.base_url))
    till = BasicCredentials.from_password("training.till", "training123")
    with qtbot.waitSignal(d.window.operationFailed, timeout=5000) as failed:
        d.window.account_flow.save_sign_in(d.service.cluster, till)  # what the dialog's Save does
    assert failed.args[0].sentence == KeyringIsLocked.default_sentence
    assert d.text("statusMessage") == KeyringIsLocked.default_sentence
    assert d.text("signedInAs") == "Not signed in"
