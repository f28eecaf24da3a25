"""Child process: a training simulator on a random loopback port, until stdin closes.

Prints the base URL on the first line. No daily OTP limit: soak runs fetch thousands
of times and request many codes.
"""

from __future__ import annotations

import argparse
import sys

from capdesk.simulator import TrainingSimulator


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow-seconds", type=float, default=0.0)
    parser.add_argument("--scenario", default="normal")
    args = parser.parse_args()
    simulator = TrainingSimulator(
        slow_seconds=args.slow_seconds, scenario=args.scenario, daily_otp_limit=None
    )
    simulator.start()
    try:
        print(simulator.base_url, flush=True)
        sys.stdin.read()  # returns when the parent closes our stdin (or dies)
    finally:
        simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
