"""``capdesk --smoke-test`` always ends, in a real process with a deadline.

Under wine with Qt offscreen the window's ``closed`` signal never came and the smoke
test, which waited for it, never exited. Each test runs the smoke test in a child
Python that changes one thing (the test's script below), with a timeout: a smoke test
that hangs fails the test instead of hanging the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

LIMIT_S = 60

# The child: run capdesk's real main() after the lines a test adds.
RUN = "import sys\nfrom capdesk.app import main\nsys.exit(main(['--smoke-test']))\n"


def smoke(tmp_path: Path, setup: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        CAPDESK_HOME=str(tmp_path / "home"),
        CAPDESK_MACHINE_CONFIG=str(tmp_path / "machine"),
    )
    (tmp_path / "machine").mkdir(exist_ok=True)
    started = time.monotonic()
    try:
        result = subprocess.run(
            [sys.executable, "-c", setup + RUN],
            capture_output=True,
            text=True,
            env=env,
            timeout=LIMIT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as hung:
        pytest.fail(f"the smoke test did not exit within {LIMIT_S} s:\n{hung.stdout!r}")
    return result, time.monotonic() - started


def test_passes_and_exits_though_the_window_never_reports_closed(tmp_path):
    # As under wine offscreen: closing the window is refused and ``closed`` never fires.
    setup = (
        "from capdesk.ui.main_window import MainWindow\n"
        "MainWindow.closeEvent = lambda self, event: event.ignore()\n"
    )
    result, _took = smoke(tmp_path, setup)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert lines[-1] == "ok   smoke test passed"


def test_a_step_that_never_answers_ends_at_the_deadline_with_a_sentence(tmp_path):
    setup = (
        "import asyncio\n"
        "import capdesk.smoke as smoke\n"
        "smoke.SMOKE_DEADLINE_S = 2.0\n"
        "async def never(*args):\n"
        "    await asyncio.Event().wait()\n"
        "smoke.after_click = never\n"
    )
    result, took = smoke(tmp_path, setup)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "FAIL the smoke test did not finish within 2 s"
    assert took < 2.0 + 20.0


def test_an_event_loop_that_stops_turning_is_ended_by_the_watchdog(tmp_path):
    # The step blocks the GUI thread itself: no asyncio deadline can fire.
    setup = (
        "import time\n"
        "import capdesk.smoke as smoke\n"
        "smoke.SMOKE_DEADLINE_S = 1.0\n"
        "smoke.WATCHDOG_MARGIN_S = 2.0\n"
        "async def block(*args):\n"
        "    time.sleep(600)\n"
        "smoke.after_click = block\n"
    )
    result, took = smoke(tmp_path, setup)
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == (
        "FAIL the smoke test did not end within 3 s (the window stopped responding); "
        "capdesk stopped it"
    )
    assert took < 3.0 + 20.0
