"""Countdown error over a simulated 10 minutes, with injectable clocks.

Runs in its own process (``python benchmarks/countdown.py``; run.py starts it). The
server (an in-process training simulator) and the PC each get their own FakeClock;
both advance together, but the PC's wall clock is 3 min 17.4 s wrong from the start
and is moved back an hour half-way (someone "fixing" the PC clock). The OTP is fetched
through the real client, so the countdown is anchored on the real ``Date`` header.

The real ``OtpPanel`` is then ticked as its ``QTimer`` would tick it on a busy loop:
every 250 ms plus 0-20 ms lateness, and now and then a 0.3-2 s freeze. At every tick
the panel's value (the ``tick`` signal) and its label ("Expires in M:SS", correct when
the true remaining time rounds up to it) are compared with the *true* remaining
validity, ``validUpto`` minus the server's clock. The figure is the worst error.

Context: how stale the label gets just before a regular tick (bounded by the tick
interval), and the error a countdown that *counted* ticks would have reached — the
drift this design avoids, and what the figure would catch if it came back.

The server clock starts on a whole second, so ``Date`` (whole seconds) is exact; with
a real server it can be up to 1 s early, which no client can see.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from datetime import UTC, datetime, timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

from PySide6.QtWidgets import QApplication, QLabel

from benchmarks.common import DEMO_MOBILE, DEMO_TILL, Figure
from capdesk.api.auth import BasicCredentials
from capdesk.api.client import CapillaryClient
from capdesk.api.identifiers import make_lookup
from capdesk.simulator import TrainingSimulator
from capdesk.ui.common.clipboard_guard import ClipboardGuard
from capdesk.ui.otp.panel import OtpPanel
from tests.fake_clock import FakeClock

TICK_S = 0.250
LATENESS_S = 0.020
FREEZE_CHANCE = 0.01
SIMULATED_S = 600.0
ERROR_GOAL_MS = 250.0
_SHOWN = re.compile(r"(\d+):(\d\d)(?::(\d\d))?")


def _label_seconds(text: str) -> int | None:
    """``"Expires in 14:59"`` → 899; ``"1:00:05"`` → 3605; None when no time shown."""
    match = _SHOWN.search(text)
    if match is None:
        return None
    first, second, third = match.groups()
    if third is None:
        return int(first) * 60 + int(second)
    return int(first) * 3600 + int(second) * 60 + int(third)


def _label_error(shown: int | None, true_left: float) -> float:
    """How far ``true_left`` is from the values the label may show (0 when right).

    The label rounds up, so ``shown`` is right for ``shown - 1 < true_left <= shown``.
    """
    if shown is None:
        return float("inf")
    if true_left > shown:
        return true_left - shown
    if true_left <= shown - 1:
        return (shown - 1) - true_left
    return 0.0


def run(simulated_s: float = SIMULATED_S, seed: int = 5) -> list[Figure]:
    app = QApplication.instance() or QApplication(["capdesk-bench"])
    server_clock = FakeClock(start=datetime(2026, 3, 2, 9, 30, 0, tzinfo=UTC))
    pc_clock = FakeClock(
        start=server_clock.now() - timedelta(minutes=3, seconds=17.4), monotonic_start=5000.0
    )
    rng = random.Random(seed)
    with TrainingSimulator(clock=server_clock, otp_validity_seconds=900) as simulator:
        simulator.customer_requests_otp("mobile", DEMO_MOBILE)
        with CapillaryClient(
            simulator.base_url, BasicCredentials.from_password(*DEMO_TILL), clock=pc_clock
        ) as client:
            result = client.fetch_otp(make_lookup("mobile", DEMO_MOBILE))

    panel = OtpPanel(pc_clock, ClipboardGuard())
    label = panel.findChild(QLabel, "otpCountdown")
    assert label is not None, "the OTP panel has no otpCountdown label"
    ticked: list[float] = []
    panel.countdown.tick.connect(lambda left, _fraction: ticked.append(left))
    panel.show_otp(result)

    def true_left() -> float:
        return (result.valid_upto - server_clock.now()).total_seconds()

    worst_tick = worst_label = worst_stale = 0.0
    counted = true_left()  # what a tick-counting countdown would show
    worst_counted = 0.0
    elapsed = 0.0
    ticks = freezes = 0
    wall_jumped = False
    while elapsed < simulated_s:
        frozen = rng.random() < FREEZE_CHANCE
        step = TICK_S + (rng.uniform(0.3, 2.0) if frozen else rng.uniform(0.0, LATENESS_S))
        freezes += frozen
        server_clock.advance(step)
        pc_clock.advance(step)
        elapsed += step
        if not wall_jumped and elapsed >= simulated_s / 2:
            pc_clock.set_wall(pc_clock.now() - timedelta(hours=1))
            wall_jumped = True
        if not frozen:  # staleness just before a regular tick: context only
            worst_stale = max(worst_stale, _label_error(_label_seconds(label.text()), true_left()))
        panel.countdown.poll()  # what the panel's QTimer does on each timeout
        ticks += 1
        truth = true_left()
        worst_tick = max(worst_tick, abs(ticked[-1] - truth))
        worst_label = max(worst_label, _label_error(_label_seconds(label.text()), truth))
        counted -= TICK_S
        worst_counted = max(worst_counted, abs(counted - truth))
    panel.clear()
    app.processEvents()

    return [
        Figure(
            "countdown_error_ms",
            f"countdown error over a simulated {simulated_s / 60:g} minutes",
            max(worst_tick, worst_label) * 1000,
            "ms",
            goal=f"<= {ERROR_GOAL_MS:g} ms",
            goal_value=ERROR_GOAL_MS,
            details={
                "ticks": ticks,
                "freezes": freezes,
                "tick_value_error_ms": round(worst_tick * 1000, 3),
                "label_error_ms": round(worst_label * 1000, 3),
                "pc_wall_clock_jumped": wall_jumped,
            },
        ),
        Figure(
            "countdown_stale_ms",
            "label staleness just before a regular tick (context)",
            worst_stale * 1000,
            "ms",
        ),
        Figure(
            "countdown_tick_counting_error_ms",
            "error a tick-counting countdown would reach (context)",
            worst_counted * 1000,
            "ms",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=SIMULATED_S / 60)
    args = parser.parse_args()
    figures = run(args.minutes * 60)
    print(json.dumps([figure.to_json() for figure in figures]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
