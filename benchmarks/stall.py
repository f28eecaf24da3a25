"""Longest GUI-thread stall while 20 OTP fetches run against a slow simulator.

Runs in its own process (``python benchmarks/stall.py``; run.py starts it): the real
``MainWindow`` over a real ``DeskService`` on a qasync loop, offscreen. A precise
5 ms heartbeat ``QTimer`` records when the GUI thread gets to run; a stall is the
longest gap between beats minus the interval.

Each round first beats with nothing to do (the idle floor of this machine, context)
and then starts 20 fetches at once through the service — the first round includes
creating the client — showing every result in the window's OTP panel as it lands.
The simulator is a separate process in ``slow_network`` (300 ms a call), so the
calls overlap on the service's worker threads. The figure is the median over
rounds of each round's longest stall; the worst round is reported beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from benchmarks.cards import make_service
from benchmarks.common import (
    DEMO_MOBILE,
    Figure,
    median,
    request_demo_otp,
    simulator_process,
)
from capdesk.api.clusters import custom_cluster
from capdesk.api.identifiers import make_lookup

HEARTBEAT_MS = 5
SLOW_S = 0.3
FETCHES = 20
STALL_GOAL_MS = 16.0


class Heartbeat:
    """Records the gaps between beats of a precise timer on the GUI thread."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._beat)
        self._last: tuple[float, float] | None = None
        self.longest_gap_s = 0.0
        self.longest_busy_s = 0.0

    def _beat(self) -> None:
        now = (time.perf_counter(), time.thread_time())
        if self._last is not None:
            self.longest_gap_s = max(self.longest_gap_s, now[0] - self._last[0])
            self.longest_busy_s = max(self.longest_busy_s, now[1] - self._last[1])
        self._last = now

    def start(self) -> None:
        self._last = None
        self.longest_gap_s = 0.0
        self.longest_busy_s = 0.0
        self.timer.start()

    def stop(self) -> tuple[float, float]:
        """Stop; the longest stall and the most GUI-thread CPU between two beats, in ms.

        A stall with little CPU is the GUI thread waiting: for the GIL (held by worker
        threads) or for a core (other processes on a busy machine).
        """
        self.timer.stop()
        stall = max(0.0, self.longest_gap_s * 1000 - HEARTBEAT_MS)
        return stall, self.longest_busy_s * 1000


def run(rounds: int) -> list[Figure]:
    app = QApplication.instance() or QApplication(["capdesk-bench"])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    from capdesk.ui.main_window import MainWindow

    idle: list[float] = []
    loaded: list[float] = []
    busy: list[float] = []
    with (
        simulator_process(slow_seconds=SLOW_S, scenario="slow_network") as base_url,
        tempfile.TemporaryDirectory(prefix="capdesk-bench-stall-") as tmp,
    ):
        request_demo_otp(base_url)
        service = make_service(Path(tmp), custom_cluster(base_url))
        window = MainWindow(service)
        window.show()
        heartbeat = Heartbeat()
        query = make_lookup("mobile", DEMO_MOBILE)

        async def settle(seconds: float) -> None:
            await asyncio.sleep(seconds)

        async def fetch_all() -> None:
            async def one() -> None:
                result = await service.fetch_otp(query)
                window.otp_panel.show_otp(result)

            await asyncio.gather(*(one() for _ in range(FETCHES)))

        try:
            loop.run_until_complete(settle(0.3))  # first layout and paint
            for _ in range(rounds):
                heartbeat.start()
                loop.run_until_complete(settle(SLOW_S))
                idle.append(heartbeat.stop()[0])
                heartbeat.start()
                loop.run_until_complete(fetch_all())
                stall, cpu = heartbeat.stop()
                loaded.append(stall)
                busy.append(cpu)
        finally:
            window.close()
            loop.run_until_complete(service.close())
            service.history.close()
            asyncio.set_event_loop(None)
            loop.close()

    return [
        Figure(
            "gui_stall_ms",
            f"longest GUI-thread stall, {FETCHES} fetches on a slow simulator",
            median(loaded),
            "ms",
            goal=f"<= {STALL_GOAL_MS:g} ms",
            goal_value=STALL_GOAL_MS,
            details={
                "rounds": rounds,
                "per_round_ms": [round(v, 1) for v in loaded],
                "worst_ms": round(max(loaded), 1),
                "server_latency_ms": SLOW_S * 1000,
            },
        ),
        Figure(
            "gui_busy_ms",
            "most GUI-thread CPU between two beats under that load (context)",
            median(busy),
            "ms",
            details={"per_round_ms": [round(v, 1) for v in busy]},
        ),
        Figure(
            "gui_stall_idle_ms",
            "longest GUI-thread stall, idle window (context)",
            median(idle),
            "ms",
            details={"per_round_ms": [round(v, 1) for v in idle]},
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps([figure.to_json() for figure in run(args.rounds)]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
