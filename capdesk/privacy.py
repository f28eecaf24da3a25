"""Customer identifiers masked wherever they could reach a shared PC's disk or a terminal.

Counter PCs are shared: the log file (and a support paste of the command line's
error lines) must not become a list of customers' mobile numbers and emails. So every
customer identifier is masked before it is written, keeping just enough for support
to match a complaint to a line: ``919876543210`` becomes ``91******3210``,
``asha.rao@example.com`` becomes ``a***@example.com``, ``CARD1001`` becomes ``C***1``.

Two nets, because identifiers reach text two ways:

* by *name*: ``identifierValue=…`` / ``entityValue=…`` in URLs (requests and urllib3
  put the full URL in their exception texts and retry warnings) and the same keys in
  JSON bodies and Python reprs;
* by *value*: every identifier the client sends is registered
  (:func:`register_identifier`), so it is masked wherever it turns up, e.g. inside a
  server's message ("no customer 919876543210").

The window's on-screen details are *not* masked: the person at the counter typed the
identifier and may need to read it back; only what is stored or pasted is. No Qt here.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from urllib.parse import unquote

__all__ = ["mask_identifier", "mask_identifiers", "register_identifier"]

#: Registered values shorter than this are not masked by value (they would mask
#: random digits all over the log); by name they always are.
MIN_IDENTIFIER_LENGTH = 5
#: Look-ups of a busy day, then the oldest are forgotten (the log keeps them masked
#: only by name from then on, which covers the URLs and bodies that carry them).
MAX_IDENTIFIERS = 2000

_KEYS = r"(?:identifierValue|entityValue)"
# identifierValue=919876543210 in a URL or a query string, also percent-encoded.
_QUERY_PAIR = re.compile(r"(?P<key>\b" + _KEYS + r"=)(?P<value>[^&\s'\"()<>,;\\]+)")
# "identifierValue": "…" in JSON, 'identifierValue': '…' in a repr, \"…\" in JSON in JSON.
_QUOTED_PAIR = re.compile(
    r"""
    (?P<key>\\?["']"""
    + _KEYS
    + r"""\\?["'][ \t]*[:=][ \t]*)
    (?P<quote>\\"|"|')
    (?P<value>(?:(?!(?P=quote))[^\n])*?)
    (?P=quote)
    """,
    re.VERBOSE,
)

_lock = threading.Lock()
_registered: OrderedDict[str, str] = OrderedDict()  # value -> its masked spelling
_longest_first: tuple[tuple[str, str], ...] = ()  # rebuilt on change, read lock-free


def mask_identifier(value: str) -> str:
    """A spelling of ``value`` that support can match but nobody can dial or mail.

    Emails keep their first letter and domain; numbers of 8 digits or more their
    first two and last four digits (country code and the end people quote); any other
    identifier its first and last character. Short values become ``***``.
    """
    text = value.strip()
    if "@" in text:
        local, _, domain = text.rpartition("@")
        return f"{local[:1]}***@{domain}" if local else f"***@{domain}"
    if len(text) >= 8 and text.isdigit():
        return text[:2] + "*" * (len(text) - 6) + text[-4:]
    if len(text) >= 6:
        return f"{text[0]}***{text[-1]}"
    return "***"


def register_identifier(value: str | None) -> None:
    """Mask ``value`` in every later log record and support line. Thread-safe, cheap."""
    global _longest_first
    if not isinstance(value, str):
        return
    value = value.strip()
    if len(value) < MIN_IDENTIFIER_LENGTH:
        return
    with _lock:
        if value in _registered:
            _registered.move_to_end(value)
            return
        _registered[value] = mask_identifier(value)
        while len(_registered) > MAX_IDENTIFIERS:
            _registered.popitem(last=False)
        _longest_first = tuple(sorted(_registered.items(), key=lambda i: len(i[0]), reverse=True))


def _mask_query(match: re.Match[str]) -> str:
    return match.group("key") + mask_identifier(unquote(match.group("value")))


def _mask_quoted(match: re.Match[str]) -> str:
    quote = match.group("quote")
    return f"{match.group('key')}{quote}{mask_identifier(match.group('value'))}{quote}"


def mask_identifiers(text: str) -> str:
    """``text`` with every customer identifier it holds masked (see the module doc)."""
    if not text:
        return text
    if "Value" in text:  # both keys end in "Value": the regexes are the slow part
        text = _QUERY_PAIR.sub(_mask_query, text)
        text = _QUOTED_PAIR.sub(_mask_quoted, text)
    for value, masked in _longest_first:  # after the keys, so nothing is masked twice
        if value in text:
            text = text.replace(value, masked)
    return text
