"""The benchmark harness runs and reports in its machine-readable shape.

Nothing here is timed: ``--tiny`` sizes are far too small to mean anything. The test
proves the harness works end to end (children start, the simulator runs, every
figure is produced) and that its last line is the JSON contract CI and the README
rely on, with an exit status that agrees with ``goals_met``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.run import EXIT_MISSED, FIGURE_KEYS

ROOT = Path(__file__).resolve().parent.parent


def test_tiny_run_ends_with_one_json_object_with_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--tiny"],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr[-3000:]
    result = json.loads(lines[-1])

    assert result["errors"] == {}, result["errors"]
    assert done.returncode in (0, EXIT_MISSED), done.stderr[-3000:]
    assert isinstance(result["goals_met"], bool)
    assert (done.returncode == 0) == result["goals_met"]
    assert result["mode"] == "tiny"
    for key in FIGURE_KEYS:
        assert isinstance(result[key], int | float), key
    assert set(result["goals"]) <= set(FIGURE_KEYS)
    assert result["goals_met"] == all(goal["met"] for goal in result["goals"].values())
    assert {"nproc", "cpu", "python"} <= set(result["machine"])
    # The table comes first, for people.
    assert any("cold start to main window shown" in line for line in lines[:-1])
