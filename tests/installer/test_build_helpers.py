"""installer/build.py's own logic: naming, stub detection, timing, the smoke verdict."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from capdesk import __version__
from tests.installer.conftest import load

build = load("build")


def test_installer_name_says_when_it_is_only_a_compile_check():
    name = build.installer_path().name
    if sys.platform == "win32":
        assert name == f"capdesk-{__version__}-setup.exe"
    else:
        assert name == f"capdesk-{__version__}-setup-{sys.platform}-check.exe"


def test_amd64_stubs_are_found_beside_makensis(tmp_path):
    nsis = tmp_path / "nsis"
    (nsis / "Stubs").mkdir(parents=True)
    makensis = nsis / "makensis.exe"
    makensis.write_bytes(b"")
    assert build.has_amd64_stubs(str(makensis)) is False
    (nsis / "Stubs" / "lzma_solid-amd64-unicode").write_bytes(b"")
    assert build.has_amd64_stubs(str(makensis)) is True


def test_timed_reports_first_line_and_exit(tmp_path):
    script = "import time,sys; print('ok   one', flush=True); time.sleep(0.2); print('ok   two')"
    run = build.timed([sys.executable, "-c", script], build.isolated_env(tmp_path))
    assert run.code == 0
    assert run.lines == ["ok   one", "ok   two"]
    assert 0 < run.first_line_s < run.total_s
    assert run.total_s - run.first_line_s >= 0.15
    assert build.smoke_ok(run)


def test_smoke_verdict_needs_ok_lines_and_exit_zero():
    ok = build.Run(0.1, 0.2, 0, ["ok   window open", "ok   smoke test passed"])
    assert build.smoke_ok(ok)
    assert not build.smoke_ok(build.Run(0.1, 0.2, 1, ok.lines))
    assert not build.smoke_ok(build.Run(0.1, 0.2, 0, ["ok   window open", "FAIL no OTP"]))
    assert not build.smoke_ok(build.Run(0.1, 0.2, 0, ["Traceback (most recent call last):"]))


def test_tree_size_counts_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_bytes(b"12345")
    (tmp_path / "y").write_bytes(b"123")
    assert build.tree_size(tmp_path) == (8, 2)


def _timed_in_thread(monkeypatch, command, limit_s, tmp_path, wait_s=20.0):
    """timed() with SMOKE_TIMEOUT_S = ``limit_s``, from a thread joined for ``wait_s``: a
    timed() that ignores its deadline fails the test instead of hanging the suite."""
    monkeypatch.setattr(build, "SMOKE_TIMEOUT_S", limit_s)
    result: list[object] = []
    env = build.isolated_env(tmp_path)
    worker = threading.Thread(target=lambda: result.append(build.timed(command, env)))
    started = time.monotonic()
    worker.daemon = True
    worker.start()
    worker.join(wait_s)
    took = time.monotonic() - started
    assert not worker.is_alive(), f"timed() still waiting after {wait_s} s (limit {limit_s} s)"
    return result[0], took


def test_timed_kills_a_program_that_prints_then_hangs(monkeypatch, tmp_path):
    script = "import time; print('ok   window open', flush=True); time.sleep(60)"
    run, took = _timed_in_thread(monkeypatch, [sys.executable, "-c", script], 2.0, tmp_path)
    assert run.timed_out
    assert run.lines == ["ok   window open"]
    assert 0 < run.first_line_s < 2.0
    assert took < 2.0 + 5.0
    assert not build.smoke_ok(run)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")
def test_timed_kills_the_child_that_keeps_the_pipe_open(monkeypatch, tmp_path):
    """The program exits, but a child it started still holds stdout (as wine's helpers
    can): reading to the end of the output would wait for the child; the group dies."""
    script = (
        "import subprocess, sys;"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        "print('ok   child', child.pid, flush=True)"
    )
    run, took = _timed_in_thread(monkeypatch, [sys.executable, "-c", script], 2.0, tmp_path)
    assert run.timed_out and run.code == 0
    assert took < 2.0 + 5.0
    pid = int(run.lines[0].split()[-1])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid), "the child that held the pipe was not killed"


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting for a parent that is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status
