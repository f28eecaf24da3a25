"""Shared counter PCs: no customer identifier in the log, no file readable by others.

Real look-ups through the real window, over real HTTP on loopback: one answered by
the training cluster, then one that fails (refused, reset: urllib3 retries both) on a custom
address, for every kind of identifier. requests and urllib3 put the full URL, with
``identifierValue=…``, in their exception texts and retry warnings; none of it may
reach the log file at INFO or above in full. Then the POSIX modes of every file and
folder a session creates, whatever the umask.
"""

from __future__ import annotations

import logging
import os
import socket
import stat
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from PySide6.QtWidgets import QLineEdit

from capdesk.api.auth import BasicCredentials
from capdesk.api.clusters import custom_cluster
from capdesk.cli import main as cli_main
from capdesk.logs import setup_logging
from capdesk.privacy import mask_identifier
from capdesk.settings import Settings
from capdesk.smoke import after_click
from capdesk.store.credentials import CredentialStore
from tests.hostile.server import HostileServer, _read_request
from tests.hostile.test_local_faults import run_main
from tests.root_logger import restored_root_logger
from tests.ui.window_harness import off_gui_thread

# name -> (value, source, account id): the training cluster's demo customers.
IDENTIFIERS = {
    "mobile": ("919876543210", "INSTORE", None),
    "email": ("asha.rao@example.com", "INSTORE", None),
    "external_id": ("CARD1001", "INSTORE", None),
    "wechat": ("oWX1-liwei-demo", "WECHAT", "WECHAT-DEMO1"),
}
# Timeouts (connect or read) are not here: their technical note carries no URL, so they
# never leaked, and each test in this suite must fail on the code it fixed.
FAILURES = ("refused", "reset")
TILL = BasicCredentials.from_password("training.till", "training123")


def always_reset(conn: socket.socket, stop: threading.Event) -> None:
    """Reads the request, then resets the connection (every attempt, retries too)."""
    if _read_request(conn, stop) is not None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()


@pytest.fixture
def failing_address(request: pytest.FixtureRequest) -> Iterator[str]:
    """A loopback address that fails the way the test's parameter says."""
    kind = request.param
    if kind == "refused":
        with socket.create_server(("127.0.0.1", 0)) as probe:
            port = probe.getsockname()[1]
        yield f"http://127.0.0.1:{port}"  # closed again: nothing listens there
        return
    with HostileServer(always_reset) as server:
        yield server.url().removesuffix("/v2/otp")


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """capdesk's log at INFO, as the window writes it on a counter PC."""
    path = tmp_path / "logs" / "capdesk.log"
    with restored_root_logger():
        setup_logging(path, logging.INFO)
        yield path


def spellings(value: str) -> set[str]:
    """How an identifier can appear in text: as is, and percent-encoded in a URL."""
    return {value, quote(value, safe=""), quote(value)}


def look_up(qtbot, d, name: str, value: str, account_id: str | None, succeed: bool) -> Any:
    form = d.window.identifier_form
    form.set_identifier(name, value)
    if account_id is not None:
        form.findChild(QLineEdit, "accountId").setText(account_id)
    signal = d.window.otpShown if succeed else d.window.operationFailed
    with qtbot.waitSignal(signal, timeout=15000) as caught:
        form.fetch_button.click()
    return caught.args[0]


@pytest.mark.parametrize("failing_address", FAILURES, indirect=True)
@pytest.mark.parametrize("name", list(IDENTIFIERS))
def test_identifiers_never_reach_the_log_in_full(
    qtbot, desk, log_file: Path, failing_address: str, name: str
) -> None:
    value, source, account_id = IDENTIFIERS[name]

    def quick(settings: Settings) -> None:
        settings.request_deadline = 3
        settings.connect_timeout = 1

    d = desk(configure=quick)
    d.sim.customer_requests_otp(name, value, source=source, account_id=account_id)
    result = look_up(qtbot, d, name, value, account_id, succeed=True)
    assert len(result.code) == 7

    failing = custom_cluster(failing_address)
    off_gui_thread(CredentialStore().save, failing.key, TILL)  # as the sign-in dialog would
    d.window.account_flow.choose_cluster(failing)
    error = look_up(qtbot, d, name, value, account_id, succeed=False)
    assert error.kind == "network"

    text = "".join(p.read_text(encoding="utf-8") for p in log_file.parent.iterdir())
    assert "network" in text  # the failure was logged, with its details
    for spelling in spellings(value):
        assert spelling not in text, f"{name} {spelling!r} is in the log"
    masked = mask_identifier(value)
    assert masked != value and value not in masked


@pytest.mark.parametrize("name", list(IDENTIFIERS))
def test_the_command_lines_support_lines_mask_identifiers(
    run_cli_outcome, name: str, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``capdesk otp`` against a refused address: stderr's details (pasted to support
    from the shared PC) and the log both mask the identifier."""
    value, source, account_id = IDENTIFIERS[name]
    monkeypatch.setenv("CAPDESK_USERNAME", "training.till")
    monkeypatch.setenv("CAPDESK_PASSWORD", "training123")
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    argv = ["otp", "--base-url", f"http://127.0.0.1:{port}"]
    argv += ["--identifier-name", name, "--identifier-value", value, "--source", source]
    if account_id:
        argv += ["--account-id", account_id]
    code, err = run_cli_outcome(argv)
    assert code != 0 and err.strip()
    log_text = (isolated_home / "logs" / "capdesk.log").read_text(encoding="utf-8")
    for spelling in spellings(value):
        assert spelling not in err, f"{name} {spelling!r} on stderr"
        assert spelling not in log_text, f"{name} {spelling!r} in the log"


@pytest.fixture
def run_cli_outcome(capsys: pytest.CaptureFixture[str]):
    def run(argv: list[str]) -> tuple[int, str]:
        with restored_root_logger():
            capsys.readouterr()
            code = cli_main(argv)
            return code, capsys.readouterr().err

    return run


# --- file modes -----------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_every_file_and_folder_a_session_creates_is_private(
    qapp, isolated_home: Path, tmp_path: Path
) -> None:
    """A whole window session under umask 022 (the usual default): settings, history
    with its -wal and -shm, the log, a CSV export, and the folders, all 0600/0700."""
    export = tmp_path / "exported.csv"

    async def session(window) -> dict[str, Any]:
        window.service.settings.clipboard_timeout = 45  # settings.ini gets written
        window.card_panel.set_count(2)
        await after_click(
            window.card_panel.generate_button.click,
            window.cardBatchFinished,
            window.operationFailed,
        )
        await after_click(
            lambda: window.card_panel.history.request_export(export),
            window.historyExported,
            window.operationFailed,
        )
        data = isolated_home / "data"
        return {"while open": {p.name: mode(p) for p in data.iterdir()}}

    old_umask = os.umask(0o022)
    try:
        code, seen = run_main([], session)
    finally:
        os.umask(old_umask)
    assert code == 0
    assert {"history.sqlite3", "history.sqlite3-wal", "history.sqlite3-shm"} <= set(
        seen["while open"]
    )
    assert set(seen["while open"].values()) == {0o600}, seen["while open"]
    files = [p for p in isolated_home.rglob("*") if p.is_file()] + [export]
    names = {p.name for p in files}
    assert {"settings.ini", "capdesk.log", "history.sqlite3", "exported.csv"} <= names
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    folders = [isolated_home / name for name in ("config", "data", "logs")]
    assert {p.name: mode(p) for p in folders} == {p.name: 0o700 for p in folders}


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_rotated_logs_and_an_existing_readable_log_become_private(tmp_path: Path) -> None:
    """A log left 0644 by an older capdesk is tightened; rotated files keep 0600."""
    folder = tmp_path / "logs"
    folder.mkdir(mode=0o755)
    log_path = folder / "capdesk.log"
    log_path.write_text("an older line\n")
    os.chmod(log_path, 0o644)
    old_umask = os.umask(0o022)
    try:
        with restored_root_logger():
            setup_logging(log_path, logging.INFO)
            line = "x" * 2000
            for _ in range(1200):  # > 2 MiB: at least two rotations
                logging.getLogger("capdesk.test").info(line)
    finally:
        os.umask(old_umask)
    logs = sorted(folder.iterdir())
    assert len(logs) >= 3, logs
    assert {p.name: mode(p) for p in logs} == {p.name: 0o600 for p in logs}
