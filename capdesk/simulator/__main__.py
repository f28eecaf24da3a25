"""``python -m capdesk.simulator``: run the training cluster standalone until Ctrl+C."""

from __future__ import annotations

import argparse
import logging
import sys

from capdesk.simulator.cards import ALGORITHMS
from capdesk.simulator.scenarios import SCENARIOS
from capdesk.simulator.server import DEFAULT_HOST, DEFAULT_PORT, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m capdesk.simulator",
        description="Run the capdesk training cluster (a simulated Capillary server).",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="interface to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--scenario", choices=SCENARIOS, default=SCENARIOS[0])
    parser.add_argument("--slow-seconds", type=float, default=3.0)
    parser.add_argument("--card-algorithm", choices=ALGORITHMS, default="LUHN_ALGO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    return serve(
        args.host,
        args.port,
        args.scenario,
        slow_seconds=args.slow_seconds,
        card_algorithm=args.card_algorithm,
    )


if __name__ == "__main__":
    sys.exit(main())
