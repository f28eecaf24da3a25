"""The stores say when they block: on a guarded thread a keyring or SQLite call fails.

This is what makes the window tests' guard (tests/ui/window_harness.py) able to fail:
every CredentialStore and CardHistory method that may wait (a password-store prompt,
a second process holding the SQLite file, a slow disk) refuses the guarded thread,
and is kept as a violation even when the caller swallows the error. The very same
call made in a worker thread goes through.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from capdesk.api.auth import BasicCredentials
from capdesk.store.credentials import CredentialStore
from capdesk.store.history import CardHistory
from capdesk.store.thread_guard import BlockingCallOnGuardedThread, forbid_blocking_on, violations
from tests.memory_keyring import MemoryKeyring

TILL = BasicCredentials.from_password("training.till", "training123")


def in_worker(fn: Callable[..., Any], *args: Any) -> Any:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def keyring_calls(store: CredentialStore) -> dict[str, Callable[[], Any]]:
    return {
        "keyring write": lambda: store.save("eu", TILL),
        "keyring read": lambda: store.load("eu"),
        "keyring delete": lambda: store.delete("eu"),
    }


@pytest.mark.parametrize("what", ["keyring write", "keyring read", "keyring delete"])
def test_a_keyring_call_on_the_guarded_thread_fails_and_in_a_worker_passes(what: str) -> None:
    backend = MemoryKeyring()
    store = CredentialStore(backend)
    call = keyring_calls(store)[what]
    with forbid_blocking_on():
        with pytest.raises(BlockingCallOnGuardedThread, match=what):
            call()
        assert backend.store == {}  # refused before the password store was touched
        in_worker(store.save, "eu", TILL)
        in_worker(call)
    assert violations() == [f"{what} on the GUI thread (MainThread): run it in a worker"]


def test_signed_in_as_reads_the_keyring_too() -> None:
    store = CredentialStore(MemoryKeyring())
    store.save("eu", TILL)
    with forbid_blocking_on():
        with pytest.raises(BlockingCallOnGuardedThread, match="keyring read"):
            store.signed_in_as("eu")
        assert in_worker(store.signed_in_as, "eu") == "training.till"


def history_calls(history: CardHistory, tmp_path: Path) -> dict[str, Callable[[], Any]]:
    return {
        "SQLite write": lambda: history.append(
            "1000000001", cluster="EU", till="t", request_id=None
        ),
        "SQLite read": history.entries,
        "training numbers": history.training_numbers,
        "CSV export": lambda: history.export_csv(tmp_path / "out.csv"),
        "SQLite close": history.close,
    }


@pytest.mark.parametrize(
    ("what", "message"),
    [
        ("SQLite write", "SQLite write"),
        ("SQLite read", "SQLite read"),
        ("training numbers", "SQLite read"),
        ("CSV export", "CSV export"),
        ("SQLite close", "SQLite close"),
    ],
)
def test_a_history_call_on_the_guarded_thread_fails_and_in_a_worker_passes(
    tmp_path: Path, what: str, message: str
) -> None:
    history = CardHistory(tmp_path / "history.sqlite3")
    call = history_calls(history, tmp_path)[what]
    try:
        with forbid_blocking_on():
            with pytest.raises(BlockingCallOnGuardedThread, match=message):
                call()
            in_worker(call)
        assert violations() == [f"{message} on the GUI thread (MainThread): run it in a worker"]
    finally:
        history.close()


def test_opening_the_history_on_the_guarded_thread_fails_and_creates_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "history.sqlite3"
    with forbid_blocking_on():
        with pytest.raises(BlockingCallOnGuardedThread, match="SQLite open"):
            CardHistory(path)
        assert not path.parent.exists()
        in_worker(lambda: CardHistory(path).close())
    assert path.exists()


def test_only_the_named_thread_is_guarded_and_only_inside() -> None:
    store = CredentialStore(MemoryKeyring())
    gui = threading.current_thread()
    with ThreadPoolExecutor(1) as pool:
        worker = pool.submit(threading.current_thread).result()
        with forbid_blocking_on(worker):  # e.g. a test naming another thread
            store.save("eu", TILL)  # this thread is not watched
            with pytest.raises(BlockingCallOnGuardedThread):
                pool.submit(store.load, "eu").result()
    assert gui is threading.current_thread()
    assert store.load("eu") == TILL  # outside: nothing is watched
