"""Logging to a rotating file, with every record scrubbed of secrets.

Support asks for the log (request ids, statuses, what failed), so it must be safe to
send: a :class:`RedactingFilter` sits on the handlers, not on loggers, because
handler filters see every record that reaches them, including records propagated
from library loggers (urllib3, requests). The filter rewrites the record in place:
the formatted message, the exception text and the stack text are scrubbed, and the
raw ``args``/``exc_info`` are dropped so no later formatter can re-render them.

What is scrubbed:

* every value passed to :func:`register_secret` (credentials, tokens, OTP codes), also
  in its ``repr``/JSON-escaped spelling;
* ``Authorization``, ``X-CAP-API-OAUTH-TOKEN``, ``CAP-API-ACCESS-TOKEN`` header values;
* ``password``/``secret``/``token``/``accessToken``-like keys with ``=`` or ``:``, in
  plain text, query strings, Python reprs and JSON;
* string values of ``"code"`` and ``"key"`` JSON fields (the OTP and the OAuth key).
  Numeric ``"code": 9001`` error codes stay, and so do request ids;
* customer identifiers, masked to e.g. ``91******3210`` (see :mod:`capdesk.privacy`).

Terminal escape sequences and control/bidi characters are removed as well (server
text can reach a record through an exception, see :mod:`capdesk.api.text`), and a
message stays on one line so that no server text can forge a record.

A log file that cannot be written (folder missing, a folder where the file should be,
disk full) never prints a traceback per line, as :mod:`logging` does by default: a
windowed exe has no stderr. The failure is kept for :func:`log_problem` and handed
once to the listener the window sets (:func:`set_log_problem_listener`), which says
so in one sentence. The file is created 0600 on POSIX (it names tills and cards).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import stat
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path

from capdesk.api.text import strip_controls
from capdesk.paths import private_file
from capdesk.privacy import mask_identifiers

__all__ = [
    "MASK",
    "RedactingFilter",
    "log_problem",
    "redact",
    "register_secret",
    "set_log_problem_listener",
    "setup_logging",
]

MASK = "***"
MAX_BYTES = 1024 * 1024
BACKUP_COUNT = 5
MIN_SECRET_LENGTH = 4
_HANDLER_NAME = "capdesk-file"
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"

# --- registered secrets --------------------------------------------------------------

_secrets_lock = threading.Lock()
#: Registered spellings, oldest first. Bounded: OTP codes and tokens arrive all day
#: and expire within minutes, so the oldest are forgotten past MAX_SECRETS.
_secrets: OrderedDict[str, None] = OrderedDict()
MAX_SECRETS = 2000
#: The same spellings longest first (no partial leaks), rebuilt on change, read lock-free.
_secrets_longest_first: tuple[str, ...] = ()


def register_secret(value: str | None) -> None:
    """Scrub ``value`` from every later log record. Thread-safe and cheap.

    Values shorter than 4 characters are ignored: masking "1" or "ab" everywhere would
    wreck the log and protect nothing. Registering is O(n log n) in the number of
    secrets kept, with no regex to compile, so a busy day of OTP codes never slows
    down the thread that fetched them.
    """
    global _secrets_longest_first
    if not isinstance(value, str) or len(value) < MIN_SECRET_LENGTH:
        return
    if value.isascii() and value.isprintable() and "\\" not in value and '"' not in value:
        spellings = {value}  # repr and JSON spell it the same: skip computing them
    else:
        spellings = {value, repr(value)[1:-1], json.dumps(value)[1:-1]}
    with _secrets_lock:
        changed = False
        for spelling in spellings:
            if len(spelling) < MIN_SECRET_LENGTH:
                continue
            if spelling in _secrets:
                _secrets.move_to_end(spelling)  # still in use: keep it longest
            else:
                _secrets[spelling] = None
                changed = True
        while len(_secrets) > MAX_SECRETS:
            _secrets.popitem(last=False)
            changed = True
        if changed:
            _secrets_longest_first = tuple(sorted(_secrets, key=len, reverse=True))


# --- patterns ------------------------------------------------------------------------

_VALUE = r"""
    (?P<value>
        "(?:[^"\\\n]|\\.)*"                      # "double quoted"
      | '(?:[^'\\\n]|\\.)*'                      # 'single quoted'
      | \\"(?:(?!\\").)*\\"                      # \"escaped inside JSON\"
      | (?:(?:basic|bearer|digest|oauth|token)[ \t]+)?   # an auth scheme, then
        [^\s,;&}\])'"<>]+                        # an unquoted value
    )
"""

# Keys that hold secrets wherever they appear: headers, query strings, reprs, JSON.
_SECRET_PAIR = re.compile(
    r"""
    (?P<key>
        (?:\\?["'])?
        (?<![\w.-])[\w.-]{0,40}(?:password|passwd|secret|token|authorization)[\w.-]{0,40}
        (?:\\?["'])?
    )
    (?P<sep>[ \t]*[:=][ \t]*)
    """
    + _VALUE,
    re.IGNORECASE | re.VERBOSE,
)

# A record holding none of these words cannot match _SECRET_PAIR / _QUOTED_FIELD.
_SECRET_PAIR_WORDS = ("password", "passwd", "secret", "token", "authorization")
_QUOTED_FIELD_WORDS = ("code", "key", "otp")

# Keys too common in prose to mask unquoted ("status code: 200"): only quoted
# string values are masked, so numeric error codes stay readable.
_QUOTED_FIELD = re.compile(
    r"""
    (?P<key>\\?["'](?:code|key|otp|api_?key|client_?key)\\?["'])
    (?P<sep>[ \t]*:[ \t]*)
    (?P<value>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\\"(?:(?!\\").)*\\")
    """,
    re.IGNORECASE | re.VERBOSE,
)


def _mask_value(match: re.Match[str]) -> str:
    value = match.group("value")
    for quote in ('\\"', '"', "'"):
        if len(value) >= 2 * len(quote) and value.startswith(quote) and value.endswith(quote):
            return f"{match.group('key')}{match.group('sep')}{quote}{MASK}{quote}"
    return f"{match.group('key')}{match.group('sep')}{MASK}"


def redact(text: str) -> str:
    """``text`` with every known kind of secret replaced by ``***``."""
    if not text:
        return text
    for secret in _secrets_longest_first:
        if secret in text:
            text = text.replace(secret, MASK)
    lowered = text.lower()
    if any(word in lowered for word in _SECRET_PAIR_WORDS):  # the regex is the slow part
        text = _SECRET_PAIR.sub(_mask_value, text)
    if ('"' in text or "'" in text) and any(word in lowered for word in _QUOTED_FIELD_WORDS):
        text = _QUOTED_FIELD.sub(_mask_value, text)  # its keys are always quoted
    return mask_identifiers(text)  # customers' mobiles, emails, ids: a shared PC's disk


# --- the filter ----------------------------------------------------------------------

_exception_formatter = logging.Formatter()


def _scrub(text: str, keep: str = "") -> str:
    """``text`` redacted, and without terminal escapes or control characters.

    A server's header or message can reach a record through an exception's text; in
    the log file an ``ESC [2J`` or a bidi override would mislead whoever reads it in a
    terminal, and a newline would forge a record of its own. So a message stays on one
    line (``keep=""``); tracebacks keep their newlines. Redacted again after cleaning
    when cleaning changed something, in case a removed character split a secret.
    """
    text = redact(text)
    cleaned = strip_controls(text, keep)
    return text if cleaned == text else redact(cleaned)


class RedactingFilter(logging.Filter):
    """Scrubs each record in place; never drops one. Attach it to every handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the record, nor raise
            message = f"{record.msg!s} {record.args!r}"
        record.msg = _scrub(message)
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _exception_formatter.formatException(record.exc_info)
            record.exc_info = None  # formatters reuse exc_text; the raw exception goes
        if record.exc_text:
            record.exc_text = _scrub(record.exc_text, keep="\n")
        if record.stack_info:
            record.stack_info = _scrub(record.stack_info, keep="\n")
        return True


class _LogFile(RotatingFileHandler):
    """A :class:`RotatingFileHandler` that formats each record once and keeps count.

    The standard one formats every record twice (once only to learn its length), and
    stats and seeks the file for every record to decide on rotating; for the one line
    each Capillary call writes, that was most of the call's cost outside the network.
    Here the file's size is read when it is opened and then counted; it is read again
    (so that other processes' lines count too) only when the count says it is time
    to rotate. Only regular files are rotated (never e.g. ``/dev/null``, bpo-45401).
    """

    _size = 0
    _regular = True

    def _open(self) -> io.TextIOWrapper:
        private_file(Path(self.baseFilename))  # 0600 before it holds a line (rotation too)
        stream = super()._open()
        status = os.fstat(stream.fileno())
        self._size, self._regular = status.st_size, stat.S_ISREG(status.st_mode)
        return stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record) + self.terminator
            if self.stream is None:
                if self.mode == "w" and getattr(self, "_closed", False):  # as FileHandler.emit
                    return
                self.stream = self._open()
            size = len(message) if message.isascii() else len(message.encode("utf-8", "replace"))
            if self.maxBytes > 0 and self._regular and self._size + size >= self.maxBytes:
                self._size = os.fstat(self.stream.fileno()).st_size
                if self._size + size >= self.maxBytes:
                    self.doRollover()
                    if self.stream is None:  # delay=True: doRollover leaves it closed
                        self.stream = self._open()
            self.stream.write(message)
            self.flush()
            self._size += size
        except RecursionError:  # as logging.StreamHandler does
            raise
        except Exception:
            self.handleError(record)
            return
        _log_works()

    def handleError(self, record: logging.LogRecord) -> None:
        """Keep the failure for the window, quietly: never a traceback on stderr."""
        error = sys.exc_info()[1]
        if self.stream is not None and isinstance(error, OSError):
            with contextlib.suppress(OSError):  # e.g. disk full: reopen on the next record
                self.stream.close()
            self.stream = None
        _report_problem(error if isinstance(error, Exception) else None)


class _Formatter(logging.Formatter):
    """The standard format, with the date and time worked out once a second, not per line."""

    _second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt:
            return super().formatTime(record, datefmt)
        second, stamp = self._second
        if int(record.created) != second:
            stamp = time.strftime(self.default_time_format, self.converter(record.created))
            self._second = (int(record.created), stamp)
        return f"{stamp},{int(record.msecs):03d}"


# --- a log that cannot be written ------------------------------------------------------

_problem_lock = threading.Lock()
_problem: Exception | None = None  # the last failure; None while the log works
_problem_listener: Callable[[Exception], None] | None = None
_problem_reported = False  # the listener hears once per run of failures, not per line


def log_problem() -> Exception | None:
    """Why the log file could not be written last time, or None when it works."""
    return _problem


def set_log_problem_listener(listener: Callable[[Exception], None] | None) -> None:
    """Call ``listener(error)`` when the log file stops working (once until it works
    again), from whichever thread was logging; a failure already known is reported
    at once. The window passes a Qt signal's ``emit``, which is safe from any thread."""
    global _problem_listener, _problem_reported
    with _problem_lock:
        _problem_listener = listener
        pending = _problem if listener is not None else None
        _problem_reported = pending is not None
    if listener is not None and pending is not None:
        listener(pending)


def _report_problem(error: Exception | None) -> None:
    global _problem, _problem_reported
    error = error or OSError("the log file could not be written")
    with _problem_lock:
        _problem = error
        listener = None if _problem_reported else _problem_listener
        _problem_reported = _problem_reported or listener is not None
    if listener is not None:
        with contextlib.suppress(Exception):  # a listener's bug must not break logging
            listener(error)


def _log_works() -> None:
    global _problem, _problem_reported
    if _problem is not None:  # cheap check first: this runs for every line
        with _problem_lock:
            _problem, _problem_reported = None, False


def _ensure_filter(handler: logging.Handler) -> None:
    if not any(isinstance(f, RedactingFilter) for f in handler.filters):
        handler.addFilter(RedactingFilter())


def setup_logging(log_file: Path, level: int = logging.INFO) -> None:
    """Log to ``log_file`` (1 MiB, 5 backups, UTF-8) through the redacting filter.

    Idempotent: a second call replaces capdesk's file handler instead of adding one.
    Handlers already on the root logger get the filter too, so a console handler set
    up earlier cannot print a secret either.
    """
    log_file = Path(log_file)
    _log_works()  # a new file: forget the old one's failure
    try:  # now, so the window can say so when it opens, not at the first line
        log_file.parent.mkdir(parents=True, exist_ok=True)
        private_file(log_file)
    except OSError as error:
        _report_problem(error)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
            handler.close()
    handler = _LogFile(
        log_file, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True
    )
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(_Formatter(_FORMAT))
    root.addHandler(handler)
    for existing in root.handlers:
        _ensure_filter(existing)
    root.setLevel(level)
    logging.captureWarnings(True)


def close_log_file() -> None:
    """Detach and close capdesk's log file (the smoke test's lives in a folder that is
    removed next; on Windows an open file would keep it). Later records go nowhere
    until :func:`setup_logging` is called again."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
            handler.close()
