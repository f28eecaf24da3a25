"""Network failures as sentences: one staff sentence and a technical note per failure.

Kept apart from :mod:`capdesk.api.transport` (which sends): every requests/urllib3
failure is reduced here to a ``reason`` (tls, dns, refused, timeout, reset, other) and
worded once, so the window, the CLI and the deadline all say the same thing.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
from collections.abc import Iterator

import requests
import urllib3.exceptions as u3

from capdesk.api.errors import ErrorDetails, NetworkError

log = logging.getLogger(__name__)

# --- failures as sentences ----------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (cause, context, urllib3 reasons, args)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack and len(seen) < 40:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [
            getattr(current, "reason", None),
            getattr(current, "original_error", None),
            current.__cause__,
            current.__context__,
            *current.args,
        ]
        stack.extend(w for w in wrapped if isinstance(w, BaseException))


def network_reason(exc: BaseException) -> str:
    """``tls`` / ``timeout`` / ``dns`` / ``refused`` / ``reset`` / ``other`` for a failure."""
    chain = list(_chain(exc))

    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(e, types) for e in chain)

    if has(requests.exceptions.SSLError, ssl.SSLError, u3.SSLError, ssl.CertificateError):
        return "tls"
    if has(u3.NameResolutionError, socket.gaierror):
        return "dns"
    if has(ConnectionRefusedError):
        return "refused"
    if has(requests.exceptions.Timeout, u3.ReadTimeoutError, TimeoutError, socket.timeout) or any(
        isinstance(e, u3.ConnectTimeoutError) and not isinstance(e, u3.NewConnectionError)
        for e in chain
    ):
        return "timeout"
    if has(
        ConnectionResetError,
        ConnectionAbortedError,
        BrokenPipeError,
        http.client.RemoteDisconnected,
        http.client.IncompleteRead,
        u3.ProtocolError,
        requests.exceptions.ChunkedEncodingError,
    ):
        return "reset"
    return "other"


def _seconds_text(seconds: float) -> str:
    """``15.0`` -> "15 seconds", ``2.5`` -> "2.5 seconds", ``1`` -> "1 second"."""
    amount = f"{seconds:.1f}".rstrip("0").rstrip(".")
    return f"{amount} second" if amount == "1" else f"{amount} seconds"


def deadline_error(
    seconds: float, cluster_label: str = "", exc: BaseException | None = None
) -> NetworkError:
    """The whole-request deadline ran out: a sentence that says what to do.

    No cluster label and no protocol words in the sentence (staff read it at the
    counter); how it ended (which wait, which error) goes in the technical note.
    """
    sentence = (
        f"Capillary did not answer within {_seconds_text(seconds)}. "
        "Check the network connection, then try again."
    )
    technical = f"Whole-request deadline of {seconds:g} s ran out"
    if exc is not None:
        technical += f"; {type(exc).__name__}: {exc}"
    log.debug("Network failure (deadline): %s", technical)
    return NetworkError(
        sentence,
        ErrorDetails(cluster=cluster_label or None, technical=technical[:300]),
        reason="timeout",
    )


def network_error(exc: BaseException, cluster_label: str = "") -> NetworkError:
    """A staff sentence and a technical note for one failure.

    The sentence never carries the cluster's label (a "(Training (simulated))" inside
    a sentence reads badly, and translates worse): the cluster goes into the details,
    next to the exception text that support needs and staff don't.
    """
    reason = network_reason(exc)
    is_proxy = any(
        isinstance(e, requests.exceptions.ProxyError | u3.ProxyError) for e in _chain(exc)
    )
    sentences = {
        "tls": (
            "The connection to Capillary could not be checked as safe. If this PC uses a "
            "company proxy, ask IT to check it, then try again."
        ),
        "timeout": "Capillary did not answer in time. Check the network and try again.",
        "reset": "The connection to Capillary was cut off. Check the network and try again.",
    }
    sentence = sentences.get(reason, "Can't reach Capillary. Check the network and try again.")
    if is_proxy and reason != "tls":
        sentence = (
            "Can't reach Capillary through this PC's network proxy. Check the network, "
            "or ask IT to check the proxy."
        )
    technical = f"{type(exc).__name__}: {exc}"[:300]
    log.debug("Network failure (%s): %s", reason, technical)
    return NetworkError(
        sentence,
        ErrorDetails(cluster=cluster_label or None, technical=technical),
        reason=reason,
    )
