"""What every benchmark shares: figures, statistics, the machine, RSS, a simulator process.

The simulator runs in a *separate process* for the network benchmarks: the real
Capillary server is never inside capdesk's process, and an in-process server would
compete with the client for the GIL and blame capdesk for the server's own work.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
DEMO_MOBILE = "919876543210"  # the training cluster's first demo customer (Asha Rao)
DEMO_TILL = ("training.till", "training123")  # public demo credentials


@dataclass
class Figure:
    """One measured figure; ``met`` is None when the figure has no goal (context only)."""

    key: str
    label: str
    value: float
    unit: str
    baseline: float | None = None  # the baseline's own value, same unit as ``measured``
    measured: float | None = None  # capdesk's own value when ``value`` is a ratio
    goal: str = ""  # e.g. "<= 1.5x"
    goal_value: float | None = None
    at_least: bool = False  # the goal is a floor (value >= goal_value), not a ceiling
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.goal_value is None:
            return None
        if not math.isfinite(self.value):
            return False
        if self.at_least:
            return self.value >= self.goal_value
        return self.value <= self.goal_value

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["met"] = self.met
        return data


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else math.nan


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: a real observed value)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return float(ordered[rank - 1])


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline > 0 else math.inf


def machine_info() -> dict[str, Any]:
    """The machine the figures came from (README shows it next to them)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def rss_bytes() -> int:
    """This process's resident set size; /proc on Linux (no import), psutil elsewhere."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        import psutil

        return int(psutil.Process().memory_info().rss)


def child_env(home: Path) -> dict[str, str]:
    """Environment for a child: isolated capdesk folders, offscreen Qt, repo importable."""
    env = dict(os.environ)
    env["CAPDESK_HOME"] = str(home / "home")
    env["CAPDESK_MACHINE_CONFIG"] = str(home / "machine")
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["QT_API"] = "pyside6"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    (home / "machine").mkdir(parents=True, exist_ok=True)
    return env


def run_json_child(script: Path, args: Sequence[str], env: dict[str, str], timeout: float) -> Any:
    """Run a benchmark child and return the JSON object on its last stdout line."""
    done = subprocess.run(
        [sys.executable, str(script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"{script.name} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}"
        )
    return json.loads(lines[-1])


@contextmanager
def simulator_process(*, slow_seconds: float = 0.0, scenario: str = "normal") -> Iterator[str]:
    """A training simulator in its own process; yields its base URL.

    The child serves until its stdin closes, so it never outlives the benchmark.
    """
    with tempfile.TemporaryDirectory(prefix="capdesk-bench-sim-") as tmp:
        env = child_env(Path(tmp))
        process = subprocess.Popen(
            [
                sys.executable,
                str(BENCH_DIR / "sim_server.py"),
                "--slow-seconds",
                str(slow_seconds),
                "--scenario",
                scenario,
            ],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            base_url = process.stdout.readline().strip()
            if not base_url.startswith("http://"):
                raise RuntimeError("the benchmark simulator did not start")
            yield base_url
        finally:
            if process.stdin is not None:
                process.stdin.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def request_demo_otp(base_url: str, mobile: str = DEMO_MOBILE) -> None:
    """The demo customer asks for an OTP (training control endpoint, loopback only)."""
    import requests

    reply = requests.post(
        base_url + "/_training/otp",
        json={
            "identifierName": "mobile",
            "identifierValue": mobile,
            "source": "INSTORE",
            "accountId": None,
            "scope": "POINTS",
        },
        timeout=10,
    )
    reply.raise_for_status()


def set_scenario(base_url: str, scenario: str) -> None:
    import requests

    requests.post(
        base_url + "/_training/scenario", json={"scenario": scenario}, timeout=10
    ).raise_for_status()
