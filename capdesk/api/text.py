"""Server text is data: one cleaning function for every string a server gave us.

Whatever sits at the configured address (Capillary, a proxy, a captive portal, a
broken gateway) chooses the bytes of its headers and messages. Shown raw, an
``ESC ] 0 ; title BEL`` retitles the counter's terminal, ``ESC [ 2 J`` clears it, a
right-to-left override (U+202E) makes ``gpj.exe`` read as ``exe.jpg``, a NUL or a
lone surrogate breaks the log file or SQLite, and a megabyte of text buries the
sentence staff need. So every server-derived string goes through
:func:`clean_server_text` where it enters capdesk (:mod:`capdesk.api.wire`,
:mod:`capdesk.api.responses`, :class:`capdesk.api.errors.ErrorDetails`), and the
terminal, the log, the history and CSV only ever see cleaned text. The CLI and the
log pass their output through :func:`strip_controls` once more, as a last line of
defence for text that came another way (an exception's message, an old history row).

Pure Python, no Qt: markup (``<h1>``) is not removed here, because it is harmless
text everywhere except in a Qt label left on rich text; the window shows server text
in plain-text labels instead (see ``capdesk/ui/common/plain_text.py``).
"""

from __future__ import annotations

import re

__all__ = [
    "ELLIPSIS",
    "MAX_TEXT",
    "clean_server_text",
    "clean_server_text_or_none",
    "strip_controls",
]

MAX_TEXT = 300
ELLIPSIS = "…"
# Cleaning is linear, but a 10 MB error body still costs time for nothing: anything
# past this many characters is cut before cleaning (the result is bounded far below).
_INPUT_CAP = 100_000

# Terminal escape sequences (ECMA-48), in their 7-bit (ESC ...) and 8-bit (C1) forms.
# They go whole, parameters included, so no "[2J" or "]0;pwned" is left to read.
_ESCAPE_SEQUENCE = re.compile(
    r"""
      (?:\x1b\[|\x9b) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]?      # CSI: colours, clear, move
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])                     # OSC, DCS, SOS, PM, APC
      [^\x07\x1b\x80-\x9f]* (?:\x07|\x1b\\|\x9c)                  #   ... up to their terminator
    | \x1b [\x20-\x2f]* [\x30-\x7e]?                              # any other ESC sequence
    """,
    re.VERBOSE,
)


def strip_controls(text: str, keep: str = "") -> str:
    """``text`` without escape sequences and without invisible or control characters.

    Removed: terminal escape sequences, C0 and C1 controls, DEL, Unicode format
    characters (bidi embeddings, overrides and isolates U+202A-U+202E and
    U+2066-U+2069, marks, zero-width characters), unassigned and private-use code
    points, and lone surrogates: everything :meth:`str.isprintable` refuses. Whitespace
    among them (tab, newline, form feed, no-break space) becomes a plain space, so
    words stay apart, unless it is listed in ``keep`` (the log keeps ``"\\n"`` in
    tracebacks). Not bounded and not trimmed: for that, :func:`clean_server_text`.
    """
    if text.isprintable():  # the usual case, checked in C
        return text
    text = _ESCAPE_SEQUENCE.sub("", text)
    return "".join(
        ch if ch.isprintable() or ch in keep else " " if ch.isspace() else "" for ch in text
    )


def clean_server_text(value: object, max_length: int = MAX_TEXT) -> str:
    """``value`` (any type a server or a parser gave) as one safe line of text.

    Escape sequences and control/bidi/invisible characters removed (see
    :func:`strip_controls`), runs of whitespace made one space, ends trimmed, and at
    most ``max_length`` characters: a longer text is cut and ends with "…". The
    result never contains a character that is not printable, and cleaning it again
    changes nothing. ``None`` (and anything that cannot be made text) gives "".
    """
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        text = bytes(value[: _INPUT_CAP * 4]).decode("utf-8", "replace")
    elif isinstance(value, str):
        text = value
    else:
        try:
            text = str(value)
        except Exception:  # a hostile __str__ must not stop the caller
            return ""
    text = strip_controls(text[:_INPUT_CAP])
    text = " ".join(text.split()) if "  " in text or text[:1] == " " or text[-1:] == " " else text
    limit = max(1, int(max_length))
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    return text


def clean_server_text_or_none(value: object, max_length: int = MAX_TEXT) -> str | None:
    """:func:`clean_server_text`, or ``None`` when nothing is left (an optional field)."""
    return clean_server_text(value, max_length) or None
