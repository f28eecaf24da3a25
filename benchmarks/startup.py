"""Cold start and memory: process start → main window first painted, and RSS then.

Two children are started alternately (ABBA order, so a drifting machine load hits
both alike): the real ``capdesk.app.main`` and a bare PySide6 window on a qasync loop
with requests imported. Both report ``time.monotonic()`` (system-wide) at the first
paint of their window; the parent subtracts its reading taken just before spawning,
so the same process-creation cost is in both.

"Cold" means a new process each time, with the OS file cache warm (one discarded
warm-up pair): dropping the cache needs root and measures the disk, not capdesk.
Bytecode is cached (a private ``PYTHONPYCACHEPREFIX``) as in an installed build;
this environment sets ``PYTHONDONTWRITEBYTECODE``, which would otherwise make both
children recompile every module on every start.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import BENCH_DIR, Figure, child_env, median, ratio, run_json_child

CHILDREN = BENCH_DIR / "children"
CHILD_TIMEOUT_S = 60.0
# Kept between runs (Python checks each cached file against its source).
PYCACHE = Path(tempfile.gettempdir()) / "capdesk-bench-pycache"


def _launch(script: str, env: dict[str, str]) -> dict[str, float]:
    started = time.monotonic()
    report = run_json_child(CHILDREN / script, (), env, CHILD_TIMEOUT_S)
    return {
        "seconds": report["shown_monotonic"] - started,
        "cpu_seconds": report["cpu_seconds"],
        "rss_bytes": report["rss_bytes"],
    }


def measure(pairs: int, *, warm_up: bool = True) -> list[Figure]:
    """``pairs`` interleaved capdesk/bare launches after one discarded warm-up pair."""
    runs: dict[str, list[dict[str, float]]] = {"capdesk": [], "bare": []}
    scripts = {"capdesk": "capdesk_window.py", "bare": "bare_window.py"}
    with tempfile.TemporaryDirectory(prefix="capdesk-bench-start-") as tmp:
        env = child_env(Path(tmp))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
        for name in ("capdesk", "bare") if warm_up else ():
            _launch(scripts[name], env)  # warm-up: bytecode, file cache, first-run files
        for index in range(pairs):
            order = ("capdesk", "bare") if index % 2 == 0 else ("bare", "capdesk")
            for name in order:
                runs[name].append(_launch(scripts[name], env))

    def med(name: str, key: str) -> float:
        return median([run[key] for run in runs[name]])

    start_c, start_b = med("capdesk", "seconds") * 1000, med("bare", "seconds") * 1000
    cpu_c, cpu_b = med("capdesk", "cpu_seconds") * 1000, med("bare", "cpu_seconds") * 1000
    rss_c, rss_b = med("capdesk", "rss_bytes") / 2**20, med("bare", "rss_bytes") / 2**20
    samples = {
        name: [round(run["seconds"] * 1000) for run in runs[name]] for name in ("capdesk", "bare")
    }
    return [
        Figure(
            "startup_ratio",
            "cold start to main window shown",
            ratio(start_c, start_b),
            "x",
            baseline=round(start_b),
            measured=round(start_c),
            goal="<= 1.5x",
            goal_value=1.5,
            details={"unit": "ms", "pairs": pairs, "samples_ms": samples},
        ),
        Figure(
            "startup_cpu_ratio",
            "start-up CPU time (context)",
            ratio(cpu_c, cpu_b),
            "x",
            baseline=round(cpu_b),
            measured=round(cpu_c),
            details={"unit": "ms"},
        ),
        Figure(
            "rss_ratio",
            "RSS when the window is shown",
            ratio(rss_c, rss_b),
            "x",
            baseline=round(rss_b, 1),
            measured=round(rss_c, 1),
            goal="<= 1.3x",
            goal_value=1.3,
            details={"unit": "MiB"},
        ),
    ]
