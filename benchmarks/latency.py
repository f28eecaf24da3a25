"""OTP fetch latency through capdesk's client vs a bare ``requests.Session`` GET.

One demo OTP is requested, then both sides fetch it from the same simulator (its own
process, loopback, keep-alive) with the same URL, query and headers. Calls are
interleaved one by one, rotating which side goes first, so load changes on this
noisy machine hit both alike.

The client runs as the window runs it: capdesk's file logging at INFO (one redacted
line per call) is set up, because that is part of every call staff make. A third
arm with logging off shows how much of the difference the log line is.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from benchmarks.common import (
    DEMO_MOBILE,
    DEMO_TILL,
    Figure,
    median,
    percentile,
    ratio,
    request_demo_otp,
    simulator_process,
)
from capdesk.api.auth import BasicCredentials
from capdesk.api.client import CapillaryClient
from capdesk.api.identifiers import make_lookup
from capdesk.api.transport import USER_AGENT
from capdesk.logs import setup_logging

WARM_UP = 30


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def measure(samples: int) -> list[Figure]:
    credentials = BasicCredentials.from_password(*DEMO_TILL)
    params = {
        "identifierName": "mobile",
        "identifierValue": DEMO_MOBILE,
        "source": "INSTORE",
        "scope": "POINTS",
    }
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Authorization": credentials.authorization_header(),
        "User-Agent": USER_AGENT,
    }
    root = logging.getLogger()
    with (
        simulator_process() as base_url,
        tempfile.TemporaryDirectory(prefix="capdesk-bench-lat-") as tmp,
    ):
        request_demo_otp(base_url)
        setup_logging(Path(tmp) / "capdesk.log")  # as capdesk.app does
        client = CapillaryClient(base_url, credentials)
        lookup = make_lookup("mobile", DEMO_MOBILE)  # once, as the form does
        session = requests.Session()
        url = base_url + "/v2/otp"

        def bare() -> None:
            response = session.get(url, params=params, headers=headers, timeout=(5, 20))
            response.raise_for_status()
            _ = response.content

        def capdesk_logged() -> None:
            root.setLevel(logging.INFO)
            client.fetch_otp(lookup)

        def capdesk_quiet() -> None:
            root.setLevel(logging.WARNING)
            client.fetch_otp(lookup)

        arms = {"bare": bare, "capdesk": capdesk_logged, "capdesk_no_log": capdesk_quiet}
        times: dict[str, list[float]] = {name: [] for name in arms}
        names = list(arms)
        try:
            for index in range(WARM_UP + samples):
                shift = index % len(names)
                for name in names[shift:] + names[:shift]:
                    elapsed = _timed(arms[name])
                    if index >= WARM_UP:
                        times[name].append(elapsed * 1000)
        finally:
            root.setLevel(logging.INFO)
            client.close()
            session.close()
            for handler in list(root.handlers):
                if handler.get_name() == "capdesk-file":
                    root.removeHandler(handler)
                    handler.close()

    p50 = {name: median(values) for name, values in times.items()}
    p95 = {name: percentile(values, 95) for name, values in times.items()}
    return [
        Figure(
            "otp_p50_ratio",
            "OTP fetch p50 through the client (app logging on)",
            ratio(p50["capdesk"], p50["bare"]),
            "x",
            baseline=round(p50["bare"], 3),
            measured=round(p50["capdesk"], 3),
            goal="<= 1.1x",
            goal_value=1.1,
            details={"unit": "ms", "samples": samples},
        ),
        Figure(
            "otp_p95_ratio",
            "OTP fetch p95 through the client (context)",
            ratio(p95["capdesk"], p95["bare"]),
            "x",
            baseline=round(p95["bare"], 3),
            measured=round(p95["capdesk"], 3),
            details={"unit": "ms"},
        ),
        Figure(
            "otp_p50_ratio_no_log",
            "OTP fetch p50, client with logging off (context)",
            ratio(p50["capdesk_no_log"], p50["bare"]),
            "x",
            baseline=round(p50["bare"], 3),
            measured=round(p50["capdesk_no_log"], 3),
            details={"unit": "ms"},
        ),
    ]
