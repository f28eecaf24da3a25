"""Soak: thousands of OTP fetches through one client; does the process grow?

RSS is read after a warm-up (connection pools, caches and the log file are set up by
then) and again after the run, each time after a full garbage collection. Logging
runs as in the app (INFO to a rotating file), so a leak in the log path shows too.

A second, shorter run fetches a *fresh* code every time (as a busy counter does over
a day): every new code is registered with the log scrubber, so this shows whether a
call gets slower as the day's codes accumulate. It is context, not a goal.
"""

from __future__ import annotations

import gc
import logging
import tempfile
import time
from pathlib import Path

from benchmarks.common import (
    DEMO_MOBILE,
    DEMO_TILL,
    Figure,
    median,
    ratio,
    request_demo_otp,
    rss_bytes,
    simulator_process,
)
from capdesk.api.auth import BasicCredentials
from capdesk.api.client import CapillaryClient
from capdesk.api.identifiers import make_lookup
from capdesk.logs import setup_logging

WARM_UP = 500


def _settled_rss() -> int:
    gc.collect()
    return rss_bytes()


def measure(fetches: int, fresh_codes: int) -> list[Figure]:
    credentials = BasicCredentials.from_password(*DEMO_TILL)
    root = logging.getLogger()
    with (
        simulator_process() as base_url,
        tempfile.TemporaryDirectory(prefix="capdesk-bench-soak-") as tmp,
    ):
        request_demo_otp(base_url)
        setup_logging(Path(tmp) / "capdesk.log")
        client = CapillaryClient(base_url, credentials)
        lookup = make_lookup("mobile", DEMO_MOBILE)  # once, as the form does
        try:
            for _ in range(min(WARM_UP, max(20, fetches // 4))):
                client.fetch_otp(lookup)
            before = _settled_rss()
            started = time.perf_counter()
            for _ in range(fetches):
                client.fetch_otp(lookup)
            elapsed = time.perf_counter() - started
            after = _settled_rss()

            fresh: list[float] = []
            for _ in range(fresh_codes):
                request_demo_otp(base_url)
                call_started = time.perf_counter()
                client.fetch_otp(lookup)
                fresh.append((time.perf_counter() - call_started) * 1000)
        finally:
            client.close()
            for handler in list(root.handlers):
                if handler.get_name() == "capdesk-file":
                    root.removeHandler(handler)
                    handler.close()

    growth_mib = (after - before) / 2**20
    tenth = max(1, len(fresh) // 10)
    first, last = median(fresh[:tenth]), median(fresh[-tenth:])
    return [
        Figure(
            "soak_rss_growth_mib",
            f"soak: RSS growth over {fetches:,} OTP fetches",
            growth_mib,
            "MiB",
            goal="<= 5 MiB",
            goal_value=5.0,
            details={
                "rss_before_mib": round(before / 2**20, 1),
                "rss_after_mib": round(after / 2**20, 1),
                "fetches_per_second": round(fetches / elapsed, 1),
            },
        ),
        Figure(
            "fresh_code_slowdown",
            f"fetch time, last vs first tenth of {fresh_codes} fresh codes (context)",
            ratio(last, first),
            "x",
            baseline=round(first, 3),
            measured=round(last, 3),
            details={"unit": "ms"},
        ),
    ]
