"""The retry policy for GETs: short, honest, and never for a timeout.

Only GETs are retried (connection failures, resets, 461/503/521, and 429 when it
says ``Retry-After``: without it, 429 is Capillary's daily OTP limit). ``Retry-After``
is read by :func:`capdesk.api.wire.retry_after_seconds`, the same reading the staff
sentence uses. A wish longer than :data:`MAX_RETRY_AFTER`, or one that cannot be
read, is not waited out but handed back, so staff see "wait N seconds" (or "wait a
minute") instead of a frozen app. Timeouts are never retried: staff have already
waited long enough.

Retries share the call's whole-request deadline (:mod:`capdesk.api.deadline`): no
retry once it has run out, no pause longer than what is left, and a retry whose pause
would use up the rest is not made (an answer is handed back as it is, a failure
raised), so retrying can never stretch a call past ``Timeouts.deadline``.
"""

from __future__ import annotations

import time
from typing import Any

import urllib3.exceptions as u3
from urllib3.util.retry import Retry

from capdesk.api.deadline import current_deadline
from capdesk.api.wire import header, retry_after_seconds

MAX_RETRY_AFTER = 10.0
RETRY_STATUSES = frozenset({429, 461, 503, 521})


class CappedRetry(Retry):
    """urllib3 ``Retry`` that never sleeps long and never retries a timeout.

    A ``Retry-After`` above ``max_retry_after``, or one that cannot be read, stops
    retrying: the response is handed back (``raise_on_status=False``) and classified as
    RateLimited/ServerBusy with the server's value, instead of freezing the counter for
    minutes.
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
        deadline = current_deadline()
        if error is not None and (_is_timeout(error) or (deadline and deadline.ran_out())):
            raise error.with_traceback(_stacktrace)
        if response is not None and not self._can_wait_out(response):
            raise u3.MaxRetryError(
                _pool, url, u3.ResponseError("Retry-After too long or unreadable")
            )
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        if deadline is not None and new.pause_before_retry(response) >= deadline.left():
            # The retry could not finish in time: hand back what there is instead.
            if error is not None:
                raise error.with_traceback(_stacktrace)
            raise u3.MaxRetryError(_pool, url, u3.ResponseError("No time left to retry"))
        return new

    def _can_wait_out(self, response: Any) -> bool:
        """False when the answer wishes for a wait this policy won't make: longer than
        ``max_retry_after``, or unreadable (see :func:`retry_after_seconds`)."""
        if not header(response.headers, "Retry-After"):
            return True
        wanted = retry_after_seconds(response.headers)
        return wanted is not None and wanted <= self.max_retry_after

    def get_retry_after(self, response: Any) -> float | None:
        """The server's wish by capdesk's one reading, in place of urllib3's own
        (which counts a date from this PC's clock and raises on an unreadable one)."""
        wanted = retry_after_seconds(response.headers)
        return None if wanted is None else min(wanted, self.max_retry_after)

    def pause_before_retry(self, response: Any = None) -> float:
        """Seconds ``sleep`` would wait: the server's Retry-After, else the backoff."""
        if self.respect_retry_after_header and response is not None:
            wanted = self.get_retry_after(response)
            if wanted:
                return wanted
        return max(0.0, self.get_backoff_time())

    def sleep(self, response: Any = None) -> None:
        """As urllib3's, but never past the whole-request deadline."""
        pause = self.pause_before_retry(response)
        deadline = current_deadline()
        if deadline is not None:
            pause = min(pause, max(0.0, deadline.left()))
        if pause > 0:
            time.sleep(pause)


def _is_timeout(error: BaseException) -> bool:
    inner = error.original_error if isinstance(error, u3.ProxyError) else error
    if isinstance(inner, u3.NewConnectionError):  # a subclass of ConnectTimeoutError
        return False
    return isinstance(inner, (u3.ConnectTimeoutError, u3.ReadTimeoutError, TimeoutError))
