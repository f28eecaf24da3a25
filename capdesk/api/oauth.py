"""OAuth tokens for client key + secret: fetched on demand, kept in memory only.

``POST {base}/v3/oauth/token/generate`` with ``{"key", "secret"}`` returns a token
and its TTL. The token is refreshed a little before it expires (margin
``min(30 s, ttl / 5)``) by a monotonic clock, so a wrong PC clock never matters,
and thrown away when Capillary answers 401 (:meth:`invalidate`). One lock makes
concurrent callers wait for a single refresh instead of each fetching a token.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Mapping

import requests

from capdesk.api.auth import OAuthCredentials
from capdesk.api.proof import judge_token
from capdesk.api.responses import unreadable
from capdesk.api.transport import DEFAULT_TIMEOUTS, Timeouts, send
from capdesk.api.wire import load_json, request_id_of
from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.logs import register_secret

log = logging.getLogger(__name__)

TOKEN_PATH = "/v3/oauth/token/generate"
DEFAULT_TTL = 300.0
MAX_TTL = 86_400.0


class OAuthTokenManager:
    """Hands out a valid token, fetching a new one when the old one is (nearly) expired."""

    def __init__(
        self,
        base_url: str,
        credentials: OAuthCredentials,
        session: requests.Session,
        *,
        clock: Clock = SYSTEM_CLOCK,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        cluster_label: str = "",
    ) -> None:
        self._url = base_url.rstrip("/") + TOKEN_PATH
        self._credentials = credentials
        self._session = session
        self._clock = clock
        self._timeouts = timeouts
        self._label = cluster_label
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        self.fetch_count = 0  # how many tokens were fetched (diagnostics and tests)

    def __repr__(self) -> str:
        return f"OAuthTokenManager(url={self._url!r}, has_token={self._token is not None})"

    def token(self) -> str:
        """A token valid for a while yet; fetches one if needed (raises CapdeskError)."""
        with self._lock:
            if self._token is None or self._clock.monotonic() >= self._refresh_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def refresh(self) -> str:
        """Fetch a new token now, whatever the old one's state (proves key + secret)."""
        with self._lock:
            self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self, token: str | None = None) -> None:
        """Forget the token (after a 401). With ``token``: only if it is still current,
        so that several threads seeing the same 401 cause a single refresh."""
        with self._lock:
            if token is None or token == self._token:
                self._token = None
                self._refresh_at = 0.0

    def _fetch(self) -> None:
        body = json.dumps(
            {"key": self._credentials.key, "secret": self._credentials.secret}
        ).encode()
        raw = send(
            self._session,
            "POST",
            self._url,
            headers={"Accept": "application/json", "Content-Type": "application/json"},
            data=body,
            timeouts=self._timeouts,
            cluster_label=self._label,
            clock=self._clock,
        )
        log.info(
            "POST %s -> %s in %.0f ms (request id %s)",
            TOKEN_PATH,
            raw.status,
            raw.elapsed * 1000,
            request_id_of(raw.headers) or "-",
        )
        # Capillary's token body, or its error body: anything else (a portal's page, a
        # redirect, JSON of another shape) is NotCapillary, never "key rejected".
        error = judge_token(
            raw.status, raw.headers, raw.body, load_json(raw.body), cluster_label=self._label
        )
        if error is not None:
            raise error
        token, ttl = self._parse(raw.body, raw.status, raw.headers)
        register_secret(token)
        self._token = token
        self._refresh_at = raw.received_monotonic + ttl - min(30.0, ttl / 5)
        self.fetch_count += 1

    def _parse(self, body: bytes, status: int, headers: Mapping[str, str]) -> tuple[str, float]:
        doc = load_json(body)
        data = doc.get("data") if isinstance(doc, dict) else None
        token = data.get("accessToken") if isinstance(data, dict) else None
        ttl = data.get("ttlSeconds", DEFAULT_TTL) if isinstance(data, dict) else None
        if (
            not isinstance(token, str)
            or not token.strip()
            or len(token) > 8192
            or not token.isprintable()
            or isinstance(ttl, bool)
            or not isinstance(ttl, int | float)
            or not math.isfinite(ttl)
            or ttl <= 0
        ):
            raise unreadable(
                "OAuth token answer without a usable accessToken/ttlSeconds",
                status=status,
                headers=headers,
                cluster_label=self._label,
            )
        return token.strip(), min(float(ttl), MAX_TTL)
