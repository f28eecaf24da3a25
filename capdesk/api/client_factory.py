"""The one place a :class:`CapillaryClient` is built, for the window and the CLI alike.

What a client is built from is read from the settings once, on the thread that owns
them, into a :class:`ClientOptions` value: ``QSettings`` is reentrant, not thread-safe,
so workers get this frozen snapshot and never the settings object.

Importing this module is cheap: the client (and with it requests, ~130 ms) is imported
only when :func:`new_client` runs, in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from capdesk.api.auth import BasicCredentials
from capdesk.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    from capdesk.api.auth import Credentials
    from capdesk.api.client import CapillaryClient

# The training cluster's demo till (public training values, listed in the README). The
# simulator's demo data takes them from here, so showing "Signed in as …" imports nothing.
TRAINING_TILL_NAME = "training.till"
TRAINING_TILL_PASSWORD = "training123"


def training_credentials() -> BasicCredentials:
    """The demo till the training cluster signs in with by itself."""
    return BasicCredentials.from_password(TRAINING_TILL_NAME, TRAINING_TILL_PASSWORD)


@dataclass(frozen=True)
class ClientOptions:
    """The settings a client is built from, as plain values safe to hand to a worker."""

    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    request_deadline: float = 15.0
    card_method: str = "GET"
    external_id_param: str = "external_id"


def new_client(
    base_url: str,
    credentials: Credentials,
    *,
    cluster_label: str,
    options: ClientOptions,
    clock: Clock = SYSTEM_CLOCK,
) -> CapillaryClient:
    """A client for one cluster and till. Call it in a worker (it imports requests)."""
    from capdesk.api.client import CapillaryClient
    from capdesk.api.transport import Timeouts

    return CapillaryClient(
        base_url,
        credentials,
        cluster_label=cluster_label,
        timeouts=Timeouts(options.connect_timeout, options.read_timeout, options.request_deadline),
        card_method=options.card_method,
        clock=clock,
        external_id_param=options.external_id_param,
    )
