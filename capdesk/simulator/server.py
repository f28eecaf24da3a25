"""TrainingSimulator: the training cluster as an object to start, drive and stop.

Embedded in the app (and in tests) it listens on a random free loopback port
(``port=0``); standalone, :func:`serve` runs it until Ctrl+C. It listens on other
interfaces only when a host is passed explicitly, and even then the ``/_training/``
controls answer loopback clients only.

``stop()`` returns in well under a second even with hung ``no_response`` requests or
idle keep-alive connections: it wakes every waiting handler and shuts every open
connection down; handler threads are daemons and are never joined.
"""

from __future__ import annotations

import ipaddress
import logging
import sys
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any, TextIO

from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.simulator import demo_data, scenarios
from capdesk.simulator.cards import CardNumberFormat
from capdesk.simulator.endpoints import request_otp
from capdesk.simulator.handler import SimulatorHTTPServer
from capdesk.simulator.state import SimulatorConfig, SimulatorState

log = logging.getLogger("capdesk.simulator")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765  # standalone default; embedded simulators use port 0
_POLL_INTERVAL = 0.05  # how often serve_forever notices shutdown(); bounds stop() time


class TrainingSimulator:
    """A faithful local Capillary server with seeded demo data (see demo_data)."""

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        scenario: str = scenarios.NORMAL,
        clock: Clock = SYSTEM_CLOCK,
        card_algorithm: str = "LUHN",
        otp_validity_seconds: float = 900,
        token_ttl_seconds: float = 300,
        slow_seconds: float = 3.0,
        *,
        daily_otp_limit: int | None = 10,
        card_length: int = 10,
        card_prefix: str = "",
        card_suffix: str = "",
        card_offset: int | None = None,
        card_numbers_taken: Iterable[str] = (),
    ) -> None:
        """``card_numbers_taken``: numbers earlier runs issued (the app passes its
        history's training numbers), so this run never issues them again. Without an
        explicit ``card_offset`` each run starts its sequence at a random point."""
        if otp_validity_seconds <= 0 or token_ttl_seconds <= 0 or slow_seconds < 0:
            raise ValueError("Validity, token lifetime and delay must be positive")
        if not 0 <= port <= 65535:
            raise ValueError("Port must be 0 to 65535")
        config = SimulatorConfig(
            card_format=CardNumberFormat(
                card_algorithm, card_length, card_prefix, card_suffix, card_offset
            ),
            otp_validity_seconds=otp_validity_seconds,
            token_ttl_seconds=token_ttl_seconds,
            slow_seconds=slow_seconds,
            daily_otp_limit=daily_otp_limit,
            card_numbers_taken=frozenset(card_numbers_taken),
        )
        self.host = host
        self._requested_port = port
        self._state = SimulatorState(clock, config, scenario)
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> TrainingSimulator:
        """Bind and serve in a daemon thread. Raises OSError if the port is taken."""
        with self._lifecycle:
            if self._server is not None:
                return self
            self._state.stopping.clear()
            server = SimulatorHTTPServer((self.host, self._requested_port), self._state)
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": _POLL_INTERVAL},
                name="capdesk-training-cluster",
                daemon=True,
            )
            self._server, self._thread = server, thread
            thread.start()
        log.info("Training cluster listening on %s (scenario %s)", self.base_url, self.scenario)
        if not _is_loopback_host(self.host):
            log.warning("Training cluster is reachable from other computers on %s", self.host)
        return self

    def stop(self) -> None:
        """Stop serving and cut every connection. Safe to call twice."""
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server = self._thread = None
            if server is None:
                return
            self._state.stopping.set()
            server.shutdown()
            server.server_close()
            server.abort_connections()
            if thread is not None:
                thread.join(timeout=1.0)
        log.info("Training cluster stopped")

    def __enter__(self) -> TrainingSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        """The port actually bound (the random one when created with port 0)."""
        if self._server is None:
            return self._requested_port
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``; a wildcard host becomes the matching loopback address."""
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    # --- control (also reachable over HTTP under /_training/) -----------------------

    @property
    def scenario(self) -> str:
        return self._state.scenario

    def set_scenario(self, name: str) -> None:
        """Switch scenario at run time; ValueError for an unknown name."""
        self._state.set_scenario(name)
        log.info("Training cluster scenario: %s", name)

    def customer_requests_otp(
        self,
        identifier_name: str,
        identifier_value: str,
        source: str = "INSTORE",
        account_id: str | None = None,
        scope: str = "POINTS",
    ) -> str:
        """A demo customer asks for an OTP (as if on the app or the website).

        Same checks as ``GET /v2/otp`` and the same generate logic and daily limit as
        ``POST /v2/otp/generate``. Returns the code; raises
        :class:`~capdesk.simulator.replies.SimulatorError` (8015, 8065, 429, …).
        """
        record = request_otp(
            self._state, identifier_name, identifier_value, source, account_id, scope
        )
        return record.code

    def request_count(self, path: str | None = None) -> int:
        """Requests received on ``path`` (no query string), faulted ones included;
        all paths when None."""
        return self._state.request_count(path)

    @property
    def received_identifier_values(self) -> list[str]:
        """The ``identifierValue`` of each ``GET /v2/otp`` that reached the endpoint
        (authenticated, not faulted), exactly as received, oldest first; the latest
        1,000 are kept. What the client sent, checked where it arrived (a copy)."""
        return self._state.received_identifier_values

    @property
    def issued_card_numbers(self) -> list[str]:
        """Every card number issued in this run, in issue order (a copy)."""
        return self._state.issued_card_numbers

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far (keep-alive tests compare it to requests)."""
        return self._state.connections_accepted

    def reset(self) -> None:
        """Forget OTPs, tokens, request counts and received identifiers; scenario back
        to normal."""
        self._state.reset()


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    scenario: str = scenarios.NORMAL,
    *,
    out: TextIO | None = None,
    stop_event: threading.Event | None = None,
    **options: Any,
) -> int:
    """Run the training cluster in the foreground until Ctrl+C (or ``stop_event``).

    Prints the base URL and the demo credentials (public demo values) for trainers.
    ``options`` are passed to :class:`TrainingSimulator`. Returns an exit code.
    """
    stream = out or sys.stdout
    stop = stop_event or threading.Event()
    simulator = TrainingSimulator(host, port, scenario, **options)
    simulator.start()
    try:
        print(f"Training cluster running at {simulator.base_url}", file=stream)
        print(f"Scenario: {simulator.scenario}", file=stream)
        print(demo_data.demo_credentials_text(), file=stream)
        print("Press Ctrl+C to stop.", file=stream, flush=True)
        # A timed wait, so Ctrl+C is noticed on Windows too.
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        print("Stopping the training cluster.", file=stream)
    finally:
        simulator.stop()
    return 0
