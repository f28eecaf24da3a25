"""The retry policy for GETs: short, honest, and never for a timeout.

Only GETs are retried (connection failures, resets, 461/503/521, and 429 when it
says ``Retry-After``: without it, 429 is Capillary's daily OTP limit). A
``Retry-After`` longer than :data:`MAX_RETRY_AFTER` is not waited out but handed
back, so staff see "wait N seconds" instead of a frozen app. Timeouts are never
retried: staff have already waited long enough.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import urllib3.exceptions as u3
from urllib3.util.retry import Retry

from capdesk.api.wire import parse_http_date

MAX_RETRY_AFTER = 10.0
RETRY_STATUSES = frozenset({429, 461, 503, 521})


class CappedRetry(Retry):
    """urllib3 ``Retry`` that never sleeps long and never retries a timeout.

    A ``Retry-After`` above ``max_retry_after`` stops retrying: the response is handed
    back (``raise_on_status=False``) and classified as RateLimited/ServerBusy with the
    server's value, instead of freezing the counter for minutes.
    """

    def __init__(self, *args: Any, max_retry_after: float = MAX_RETRY_AFTER, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.max_retry_after = max_retry_after

    def new(self, **kw: Any) -> CappedRetry:
        kw.setdefault("max_retry_after", self.max_retry_after)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """A 429 without ``Retry-After`` is Capillary's daily OTP limit: retrying can't help."""
        if status_code == 429 and not has_retry_after:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> CappedRetry:
        if error is not None and _is_timeout(error):
            raise error.with_traceback(_stacktrace)
        if response is not None:
            wanted = _retry_after(response.headers.get("Retry-After"))
            if wanted is not None and wanted > self.max_retry_after:
                raise u3.MaxRetryError(_pool, url, u3.ResponseError("Retry-After too long"))
        return super().increment(method, url, response, error, _pool, _stacktrace)


def _retry_after(value: str | None) -> float | None:
    """The server's ``Retry-After`` wish in seconds (inf when unreadable), None if absent."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text) if len(text) < 10 else float("inf")
    when = parse_http_date(text)
    if when is None:
        return float("inf")
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _is_timeout(error: BaseException) -> bool:
    inner = error.original_error if isinstance(error, u3.ProxyError) else error
    if isinstance(inner, u3.NewConnectionError):  # a subclass of ConnectTimeoutError
        return False
    return isinstance(inner, (u3.ConnectTimeoutError, u3.ReadTimeoutError, TimeoutError))
