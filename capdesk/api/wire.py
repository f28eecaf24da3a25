"""Reading Capillary's answers off the wire: headers, HTTP dates and JSON bodies.

Every function accepts anything (missing headers, odd types, half a JSON document,
an HTML page) and returns a value or ``None`` / the ``NOT_JSON`` sentinel: never an
exception. :mod:`capdesk.api.responses` builds results and errors on top.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from capdesk.api.models import ApiWarning, ServerTime
from capdesk.api.text import clean_server_text, clean_server_text_or_none

REQUEST_ID_HEADER = "X-Cap-Requestid"
MAX_MESSAGE = 300
MAX_RETRY_AFTER_WISH = 86_400.0  # longer is read as a day: no counter waits that long
SANE_YEARS = (1970, 9000)  # dates outside are broken clocks, not times to count down to

NOT_JSON = object()  # what load_json returns for a body that is not JSON


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header value, case-insensitively, from any mapping (requests' or a dict)."""
    if not headers:
        return None
    try:
        value = headers.get(name)
        if value is None and not hasattr(headers, "lower_items"):  # requests': any case already
            lowered = name.lower()
            value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    except Exception:
        return None
    return value.strip() if isinstance(value, str) else None


def request_id_of(headers: Mapping[str, str] | None) -> str | None:
    """``X-Cap-Requestid``, cleaned: it is shown, printed, logged and stored in the history,
    and whatever answers at the address chooses its bytes (escape sequences included)."""
    return clean_server_text_or_none(header(headers, REQUEST_ID_HEADER), 200)


def parse_http_date(value: str | None) -> datetime | None:
    """An RFC 7231 date (``Date``, ``Retry-After``) as an aware UTC datetime, or None."""
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        return None
    return _parse_http_date(value.strip())


@functools.lru_cache(maxsize=16)  # a Date header changes once a second: parse it once
def _parse_http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # "-0000" / naive: HTTP dates are GMT
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    # A server clock anchors countdowns: one near year 1 or 9999 would overflow later.
    return parsed if SANE_YEARS[0] <= parsed.year <= SANE_YEARS[1] else None


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """The server's ``Retry-After`` wish in seconds: THE one reading of that header.

    The rule (RFC 9110 section 10.2.3):

    * delay-seconds, ASCII digits (``"30"``): that many seconds;
    * an HTTP date: the seconds from the answer's ``Date`` (the server's clock; this
      PC's when there is none) to it, 0 for a date already past;
    * either way at most :data:`MAX_RETRY_AFTER_WISH` (a day);
    * absent or empty: None, the server said nothing;
    * unreadable (words, a fraction, a sign, ten digits or more, a date out of
      range): None as well, the server named no wait capdesk can use.

    What None means to each user:

    * the staff sentence (:func:`capdesk.api.responses.classify`) names no number:
      "Wait a minute, then try again";
    * the GET retry policy (:class:`capdesk.api.retry.CappedRetry`) does not retry
      when the header is there but reads as None, as for a wish longer than it waits
      out: the answer is handed back at once for that sentence.
    """
    value = header(headers, "Retry-After")
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_WISH) if len(value) < 10 else None
    when = parse_http_date(value)
    if when is None:
        return None
    reference = parse_http_date(header(headers, "Date")) or datetime.now(UTC)
    return max(0.0, min((when - reference).total_seconds(), MAX_RETRY_AFTER_WISH))


def server_time_from(
    headers: Mapping[str, str] | None, *, received_monotonic: float, local_now: datetime
) -> ServerTime:
    """Server time at receipt from the ``Date`` header; the PC's clock if there is none."""
    date = parse_http_date(header(headers, "Date"))
    if date is None:
        return ServerTime(local_now, received_monotonic, from_header=False)
    return ServerTime(date, received_monotonic, from_header=True)


# --- bodies -------------------------------------------------------------------------


def load_json(body: bytes | None) -> Any:
    """The decoded JSON document, or the sentinel ``NOT_JSON``; never raises."""
    if not body:
        return NOT_JSON
    try:
        return json.loads(body)
    except (ValueError, TypeError, RecursionError, UnicodeDecodeError):
        return NOT_JSON


def clean_message(message: Any) -> str | None:
    """A server message fit for details: cleaned (see :func:`clean_server_text`: no
    escape sequences, control or bidi characters, bounded) and stray quotes removed."""
    if message is None:
        return None
    if not isinstance(message, str):
        try:
            message = json.dumps(message, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            return None
    text = clean_server_text(message, MAX_MESSAGE).strip("\"'").strip()
    return text or None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**12 else None
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit() and len(text) < 12:
        return int(text)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value) if abs(value) < 1e12 else None
    return None


def entries(doc: Any, key: str) -> list[tuple[int | None, str | None]]:
    """``errors`` / ``warnings`` as (code, message) pairs; junk entries are tolerated."""
    if not isinstance(doc, dict):
        return []
    items = doc.get(key)
    if not isinstance(items, list):
        return []
    result: list[tuple[int | None, str | None]] = []
    for item in items[:50]:
        if isinstance(item, dict):
            result.append((as_int(item.get("code")), clean_message(item.get("message"))))
        else:
            result.append((None, clean_message(item)))
    return result


def warnings_of(doc: Any) -> tuple[ApiWarning, ...]:
    return tuple(ApiWarning(code, message or "") for code, message in entries(doc, "warnings"))


def non_json_note(headers: Mapping[str, str] | None, body: bytes | None) -> str:
    kind = clean_server_text(header(headers, "Content-Type"), 60) or "no content type"
    size = len(body or b"")
    return "Empty body" if not size else f"Body was not JSON ({kind}, {size} bytes)"
