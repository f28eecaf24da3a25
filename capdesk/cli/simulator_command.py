"""``capdesk simulator``: run the training cluster as a standalone server until Ctrl+C.

It listens on loopback unless ``--host`` names another address: only then can other
computers reach it, and capdesk says so. Everything it serves is training data.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging

from capdesk.api.errors import InvalidInput
from capdesk.cli.output import TRAINING_BANNER
from capdesk.cli.runtime import Runtime

log = logging.getLogger(__name__)


def is_loopback_host(host: str) -> bool:
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip()).is_loopback
    except ValueError:
        return False


def run_simulator(args: argparse.Namespace, runtime: Runtime) -> int:
    from capdesk.simulator import DEFAULT_PORT, SCENARIOS, serve

    if args.scenario not in SCENARIOS:
        raise InvalidInput(
            f"There is no training scenario called '{args.scenario[:40]}'. "
            f"Choose one of: {', '.join(SCENARIOS)}."
        )
    host = args.host.strip()
    if not host:
        raise InvalidInput("Type an address after --host, for example 127.0.0.1.")
    print(TRAINING_BANNER)
    if not is_loopback_host(host):
        print(
            f"Listening on {host}: other computers on the network can reach this training "
            "server. It has no real customers, but do not leave it running."
        )
    port = DEFAULT_PORT if args.port is None else args.port
    log.info("Standalone simulator on %s:%s, scenario %s", host, port, args.scenario)
    try:
        return serve(host, port, args.scenario)  # prints the address; returns on Ctrl+C
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        log.warning("Simulator could not listen on %s:%s: %s", host, port, exc)
        raise InvalidInput(
            f"The training simulator cannot listen on {host} port {port} "
            "(it may be in use already). Choose another with --port."
        ) from exc
