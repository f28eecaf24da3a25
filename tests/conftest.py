"""Shared fixtures: isolated user dirs, an in-memory keyring, the training simulator.

Qt runs offscreen (set here, before any Qt import), user files go to a temporary
CAPDESK_HOME, and the machine policy folder is a temporary folder too, so tests
never touch the real profile or /etc.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from tests.memory_keyring import MemoryKeyring

# tests/windows exercises Windows-only code (winreg, the Credential Manager, the Win32
# clipboard, named pipes) on a Windows interpreter: on a real Windows runner, and under
# wine through `installer/build.py --windows --windows-tests`. Elsewhere it is not collected at
# all, so a Linux run neither runs it nor reports it as skipped.
collect_ignore = [] if sys.platform == "win32" else ["windows"]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own CAPDESK_HOME and machine config dir."""
    home = tmp_path / "capdesk-home"
    machine = tmp_path / "machine-config"
    machine.mkdir()
    monkeypatch.setenv("CAPDESK_HOME", str(home))
    monkeypatch.setenv("CAPDESK_MACHINE_CONFIG", str(machine))
    for name in (
        "CAPDESK_USERNAME",
        "CAPDESK_PASSWORD",
        "CAPDESK_OAUTH_KEY",
        "CAPDESK_OAUTH_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The process-wide keyring is an in-memory one for every test."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def simulator():
    """A training simulator on a random loopback port, stopped after the test."""
    from capdesk.simulator import TrainingSimulator

    with TrainingSimulator() as sim:
        yield sim


@pytest.fixture
def async_loop(qapp):
    """A qasync loop marked as running, so qtbot's event processing drives asyncio tasks."""
    import asyncio

    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    for task in asyncio.all_tasks(loop):
        task.cancel()
    qapp.processEvents()
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
