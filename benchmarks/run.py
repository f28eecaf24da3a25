"""Run capdesk's benchmarks: a table, then one JSON object as the LAST line.

    uv run python benchmarks/run.py            # full run (~3-5 minutes)
    uv run python benchmarks/run.py --quick    # short run (~1 minute)
    uv run python benchmarks/run.py --tiny     # seconds: proves the harness works

Every figure is a ratio against a baseline measured in the same run (interleaved and
repeated, median of N) or an absolute bound that needs no baseline. Exit status: 0
when every goal is met, 1 when one is missed, 2 when a benchmark could not run.
``--tiny`` sizes are too small to mean anything; use them only to test the harness.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make ``benchmarks`` importable

from benchmarks import cards, latency, soak, startup  # noqa: E402
from benchmarks.common import (  # noqa: E402
    BENCH_DIR,
    Figure,
    child_env,
    machine_info,
    run_json_child,
)

EXIT_MISSED = 1
EXIT_ERROR = 2


@dataclass(frozen=True)
class Sizes:
    startup_pairs: int
    latency_samples: int
    stall_rounds: int
    countdown_minutes: float
    card_count: int
    card_pairs: int
    soak_fetches: int
    fresh_codes: int
    warm_up: bool = True  # a discarded start-up pair first


SIZES = {
    "full": Sizes(9, 1000, 9, 10, 1000, 2, 10_000, 400),
    "quick": Sizes(3, 300, 5, 10, 150, 1, 2_000, 100),
    "tiny": Sizes(1, 20, 1, 1, 12, 1, 100, 10, warm_up=False),
}

# Every figure the JSON line carries, in table order (tests rely on these keys).
FIGURE_KEYS = (
    "startup_ratio",
    "startup_cpu_ratio",
    "rss_ratio",
    "otp_p50_ratio",
    "otp_p95_ratio",
    "otp_p50_ratio_no_log",
    "gui_stall_ms",
    "gui_busy_ms",
    "gui_stall_idle_ms",
    "countdown_error_ms",
    "countdown_stale_ms",
    "countdown_tick_counting_error_ms",
    "cards_throughput_ratio",
    "cards_peak_growth_mib",
    "soak_rss_growth_mib",
    "fresh_code_slowdown",
)


def _child_figures(script: str, args: list[str]) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="capdesk-bench-child-") as tmp:
        data = run_json_child(BENCH_DIR / script, args, child_env(Path(tmp)), timeout=300)
    return [
        Figure(**{k: v for k, v in item.items() if k != "met"})  # met is derived
        for item in data
    ]


def benchmarks(sizes: Sizes) -> list[tuple[str, Callable[[], list[Figure]]]]:
    return [
        ("start-up", lambda: startup.measure(sizes.startup_pairs, warm_up=sizes.warm_up)),
        ("OTP latency", lambda: latency.measure(sizes.latency_samples)),
        ("GUI stall", lambda: _child_figures("stall.py", ["--rounds", str(sizes.stall_rounds)])),
        (
            "countdown",
            lambda: _child_figures("countdown.py", ["--minutes", str(sizes.countdown_minutes)]),
        ),
        ("card numbers", lambda: cards.measure(sizes.card_count, sizes.card_pairs)),
        ("soak", lambda: soak.measure(sizes.soak_fetches, sizes.fresh_codes)),
    ]


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{text} {unit}".rstrip()


def table(figures: list[Figure]) -> str:
    rows = [("figure", "capdesk", "baseline", "value", "goal", "")]
    for figure in figures:
        unit = figure.details.get("unit", "")
        verdict = {True: "ok", False: "MISSED", None: ""}[figure.met]
        rows.append(
            (
                figure.label,
                _number(figure.measured, unit),
                _number(figure.baseline, unit),
                _number(figure.value, figure.unit),
                figure.goal,
                verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def _finite(value: Any) -> Any:
    """JSON has no NaN/Infinity: a figure that could not be computed becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="short run (~1 minute)")
    mode.add_argument("--tiny", action="store_true", help="harness check only (seconds)")
    args = parser.parse_args(argv)
    name = "tiny" if args.tiny else "quick" if args.quick else "full"
    sizes = SIZES[name]

    started = time.perf_counter()
    figures: list[Figure] = []
    errors: dict[str, str] = {}
    for title, bench in benchmarks(sizes):
        print(f"running {title}…", end=" ", file=sys.stderr, flush=True)
        bench_started = time.perf_counter()
        try:
            figures.extend(bench())
        except Exception as error:
            errors[title] = f"{type(error).__name__}: {error}"
            traceback.print_exc(file=sys.stderr)
        print(f"{time.perf_counter() - bench_started:.1f} s", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started

    by_key = {figure.key: figure for figure in figures}
    goals = {f.key: {"goal": f.goal, "met": f.met} for f in figures if f.met is not None}
    goals_met = not errors and all(goal["met"] for goal in goals.values())
    result: dict[str, Any] = {
        key: (round(by_key[key].value, 4) if key in by_key else None) for key in FIGURE_KEYS
    }
    result.update(
        {
            "mode": name,
            "machine": machine_info(),
            "elapsed_s": round(elapsed, 1),
            "goals": goals,
            "details": {f.key: f.to_json() for f in figures},
            "errors": errors,
            "goals_met": goals_met,
        }
    )
    print(table(figures))
    print(f"\nmode {name}, {elapsed:.0f} s, goals met: {'yes' if goals_met else 'NO'}")
    print(json.dumps(_finite(result), allow_nan=False, default=str), flush=True)
    if errors:
        return EXIT_ERROR
    return 0 if goals_met else EXIT_MISSED


if __name__ == "__main__":
    sys.exit(main())
