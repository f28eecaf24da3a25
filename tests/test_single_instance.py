"""SingleInstance: the first launch wins, later ones wake it up, crashes leave no block."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from unittest import mock

import pytest
from PySide6.QtCore import QDir, Qt
from PySide6.QtWidgets import QWidget

from capdesk.single_instance import (
    ASFW_ANY,
    SingleInstance,
    allow_foreground_switch,
    bring_to_front,
    server_name,
)

CHILD = textwrap.dedent(
    """
    import os, sys
    from PySide6.QtCore import QCoreApplication, QTimer
    from capdesk.single_instance import SingleInstance
    app = QCoreApplication([])
    inst = SingleInstance(sys.argv[1], lock_dir=sys.argv[2])
    first = inst.acquire()
    print("first" if first else "second", flush=True)
    if not first:
        sys.exit(0)
    if sys.argv[3] == "crash":
        os._exit(0)   # no cleanup at all, like a crash
    inst.activationRequested.connect(lambda: (print("activated", flush=True), app.quit()))
    QTimer.singleShot(8000, app.quit)
    app.exec()
    """
)


@pytest.fixture
def key() -> str:
    return f"capdesk-test-{uuid.uuid4().hex[:8]}"


def _child(key: str, lock_dir: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, key, str(lock_dir), mode],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


def test_second_instance_in_process_wakes_the_first(qtbot, key, tmp_path):
    first = SingleInstance(key, lock_dir=tmp_path)
    second = SingleInstance(key, lock_dir=tmp_path)
    assert first.acquire() is True
    assert first.is_primary
    with qtbot.waitSignal(first.activationRequested, timeout=2000):
        assert second.acquire() is False
    assert not second.is_primary
    first.release()


def test_after_release_the_next_launch_is_first(qtbot, key, tmp_path):
    first = SingleInstance(key, lock_dir=tmp_path)
    assert first.acquire()
    first.release()
    again = SingleInstance(key, lock_dir=tmp_path)
    assert again.acquire() is True
    again.release()


def test_subprocess_second_launch_activates_us(qtbot, key, tmp_path):
    first = SingleInstance(key, lock_dir=tmp_path)
    assert first.acquire()
    with qtbot.waitSignal(first.activationRequested, timeout=8000):
        child = _child(key, tmp_path, "wait")
        qtbot.waitUntil(lambda: child.poll() is not None, timeout=8000)
    out, _ = child.communicate(timeout=5)
    assert out.split() == ["second"]
    assert child.returncode == 0
    first.release()


def test_we_activate_a_first_instance_in_another_process(qtbot, key, tmp_path):
    child = _child(key, tmp_path, "wait")
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "first"
        assert SingleInstance(key, lock_dir=tmp_path).acquire() is False
        out, _ = child.communicate(timeout=8)
        assert out.split() == ["activated"]
    finally:
        child.kill()
        child.wait()


def test_a_crashed_first_instance_does_not_block_the_next(qtbot, key, tmp_path):
    child = _child(key, tmp_path, "crash")
    out, _ = child.communicate(timeout=10)
    assert out.split() == ["first"]
    assert (tmp_path / f"{server_name(key)}.lock").exists()  # left behind by the "crash"
    nxt = SingleInstance(key, lock_dir=tmp_path)
    assert nxt.acquire() is True
    late = SingleInstance(key, lock_dir=tmp_path)
    with qtbot.waitSignal(nxt.activationRequested, timeout=2000):
        assert late.acquire() is False
    nxt.release()


@pytest.mark.skipif(sys.platform == "win32", reason="socket files exist only on Unix")
def test_stale_socket_file_is_removed(qtbot, key, tmp_path):
    path = Path(QDir.tempPath()) / server_name(key)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()  # the file stays, nobody listens: what a killed process leaves
    try:
        inst = SingleInstance(key, lock_dir=tmp_path)
        assert inst.acquire()
        other = SingleInstance(key, lock_dir=tmp_path)
        with qtbot.waitSignal(inst.activationRequested, timeout=2000):
            assert other.acquire() is False
        inst.release()
    finally:
        path.unlink(missing_ok=True)


def test_names_are_per_user_and_safe():
    name = server_name("cap desk/\\x")
    assert name.startswith("cap_desk__x-")
    assert all(ch.isalnum() or ch in "-_" for ch in name)
    with mock.patch("getpass.getuser", return_value="someone-else"):
        assert server_name("cap desk/\\x") != name


def test_allow_foreground_switch_calls_windows_api():
    user32 = mock.Mock(spec=["AllowSetForegroundWindow"])
    user32.AllowSetForegroundWindow.return_value = 1
    assert allow_foreground_switch(user32) is True
    user32.AllowSetForegroundWindow.assert_called_once_with(ASFW_ANY)
    user32.AllowSetForegroundWindow.side_effect = OSError("denied")
    assert allow_foreground_switch(user32) is False


def test_bring_to_front_restores_a_minimised_window(qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    window.showMinimized()
    assert window.windowState() & Qt.WindowState.WindowMinimized
    bring_to_front(window)
    assert not window.windowState() & Qt.WindowState.WindowMinimized
    assert window.isVisible()
    window.hide()
    bring_to_front(window)
    assert window.isVisible()
