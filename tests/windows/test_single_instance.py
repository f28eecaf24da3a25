"""The single-instance lock and named pipe on Windows: a second launch reaches the first.

On Windows :class:`QLocalServer` is a named pipe (``\\\\.\\pipe\\capdesk-…``) and the
lock a file in ``%TEMP%``. The second instance here is a separate Windows process
(this interpreter running a few lines), as when staff double-click the icon again.
(Not in-process, as tests/test_single_instance.py also does on Linux: under wine a
pipe write completes only once the reader reads, and in one thread the reader cannot
read while the writer waits, so the message is lost when the writer's socket goes.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The embeddable interpreter's ``python311._pth`` makes it ignore PYTHONPATH: the
# checkout's root is handed over as an argument and put on sys.path by hand.
SECOND_LAUNCH = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from PySide6.QtCore import QCoreApplication
from capdesk.single_instance import SingleInstance
app = QCoreApplication([])
instance = SingleInstance(sys.argv[1], lock_dir=Path(sys.argv[2]), connect_timeout_ms=5000)
print("primary" if instance.acquire() else "secondary", flush=True)
"""


@pytest.fixture
def key(tmp_path: Path) -> str:
    return f"capdesk-wine-{os.getpid()}-{tmp_path.name}"[-60:]


@pytest.fixture
def first(qt_app: Any, key: str, tmp_path: Path) -> Iterator[Any]:
    from capdesk.single_instance import SingleInstance

    instance = SingleInstance(key, lock_dir=tmp_path)
    assert instance.acquire() is True and instance.is_primary
    yield instance
    instance.release()


def _second_launch(key: str, lock_dir: Path, qt_app: Any) -> subprocess.Popen[str]:
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen(
        [sys.executable, "-c", SECOND_LAUNCH, key, str(lock_dir), str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait(process: subprocess.Popen[str], qt_app: Any, timeout: float = 60.0) -> str:
    """Serve the first instance's events while the second one runs (same thread here)."""
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        qt_app.processEvents()
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the second launch did not finish")
        time.sleep(0.01)
    out = process.stdout.read() if process.stdout else ""
    return out


def test_a_second_process_activates_the_first_and_is_told_to_exit(
    first: Any, key: str, tmp_path: Path, qt_app: Any
) -> None:
    activations: list[bool] = []
    first.activationRequested.connect(lambda: activations.append(True))
    process = _second_launch(key, tmp_path, qt_app)
    out = _wait(process, qt_app)
    deadline = time.monotonic() + 5
    while not activations and time.monotonic() < deadline:
        qt_app.processEvents()
        time.sleep(0.01)
    assert process.returncode == 0, out
    assert out.strip().splitlines()[-1] == "secondary", out
    assert activations == [True]


def test_after_the_first_exits_the_next_launch_is_first_again(
    qt_app: Any, key: str, tmp_path: Path
) -> None:
    from capdesk.single_instance import SingleInstance

    instance = SingleInstance(key, lock_dir=tmp_path)
    assert instance.acquire()
    instance.release()
    process = _second_launch(key, tmp_path, qt_app)
    out = _wait(process, qt_app)
    assert process.returncode == 0, out
    assert out.strip().splitlines()[-1] == "primary", out


def test_the_server_is_a_windows_named_pipe(first: Any) -> None:
    """QLocalServer's name is a pipe under ``\\\\.\\pipe\\`` that a plain open reaches."""
    pipe = rf"\\.\pipe\{first.name}"
    handle = open(pipe, "r+b", buffering=0)  # noqa: SIM115 - closed below, on purpose early
    handle.close()
