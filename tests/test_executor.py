"""DaemonThreadExecutor: runs work, bounds its threads, never holds the process open."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from capdesk.executor import DaemonThreadExecutor


def test_runs_work_and_returns_results():
    executor = DaemonThreadExecutor(max_workers=3)
    futures = [executor.submit(pow, n, 2) for n in range(20)]
    assert [f.result(timeout=5) for f in futures] == [n * n for n in range(20)]
    executor.shutdown()


def test_exceptions_reach_the_future():
    executor = DaemonThreadExecutor(max_workers=1)
    future = executor.submit(int, "not a number")
    with pytest.raises(ValueError):
        future.result(timeout=5)
    executor.shutdown()


def test_never_more_threads_than_asked():
    executor = DaemonThreadExecutor(max_workers=2)
    running = []
    peak = []
    lock = threading.Lock()

    def work():
        with lock:
            running.append(1)
            peak.append(len(running))
        time.sleep(0.02)
        with lock:
            running.pop()

    for future in [executor.submit(work) for _ in range(10)]:
        future.result(timeout=5)
    assert max(peak) <= 2
    executor.shutdown()


def test_submit_after_shutdown_is_refused():
    executor = DaemonThreadExecutor()
    executor.shutdown()
    with pytest.raises(RuntimeError):
        executor.submit(print)


def test_a_stuck_worker_does_not_keep_the_process_alive():
    code = (
        "import time\n"
        "from capdesk.executor import DaemonThreadExecutor\n"
        "ex = DaemonThreadExecutor()\n"
        "ex.submit(time.sleep, 60)\n"
        "time.sleep(0.1)\n"
        "print('bye')\n"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30
    )
    assert result.stdout.strip() == "bye"
    assert time.monotonic() - started < 10
