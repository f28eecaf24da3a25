"""How the command line words things: codes to read aloud, durations, errors.

Everything a person reads is a plain sentence. Errors go to stderr as the staff
sentence plus the support details; data (codes, numbers, JSON, CSV) goes to
stdout so scripts can capture it cleanly.
"""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

from capdesk.api.errors import CapdeskError
from capdesk.api.text import strip_controls
from capdesk.privacy import mask_identifiers

TRAINING_BANNER = "Training cluster: simulated data, not real customers."


def group_code(code: str) -> str:
    """Split a code into groups that are easy to read aloud: ``538AD87`` → ``538 AD87``.

    Lengths divisible by three read as threes; otherwise groups of four from the
    right, so the short group comes first.
    """
    if len(code) <= 4:
        return code
    size = 3 if len(code) % 3 == 0 else 4
    head = len(code) % size
    groups = [code[:head]] if head else []
    groups += [code[i : i + size] for i in range(head, len(code), size)]
    return " ".join(groups)


def format_duration(seconds: float) -> str:
    """``272`` → ``4:32``; ``3725`` → ``1:02:05``. Negative counts as zero."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_validity(seconds_left: float, valid_upto: datetime) -> str:
    """The validity line: how long, and until when in this PC's local time."""
    local = valid_upto.astimezone().strftime("%H:%M:%S")
    if seconds_left <= 0:
        return f"Expired (it was valid until {local} local time). Ask for a new one."
    return f"Valid for {format_duration(seconds_left)} (until {local} local time)"


def terminal_line(text: object) -> str:
    """``text`` as one line a terminal shows as it is: no escape sequence, control or
    bidi character, no line break of its own.

    Server text is cleaned where it enters capdesk (see :mod:`capdesk.api.text`); this
    is the last line of defence for whatever reaches a terminal another way (an
    exception's text, a number read back from an old history), because there an
    ``ESC ] 0 ;`` retitles the window and an ``ESC [ 2 J`` clears what staff were reading.
    """
    return strip_controls(str(text))


def print_line(text: object, stream: TextIO | None = None) -> None:
    """Print ``text`` through :func:`terminal_line` (to stdout by default)."""
    print(terminal_line(text), file=stream)


def print_error(error: CapdeskError, stream: TextIO) -> None:
    """The staff sentence, then the support details, one per line."""
    print_line(error.sentence, stream)
    for line in error.details.lines():
        # Masked like the log: these lines get pasted to support from a shared PC.
        print_line(f"  {mask_identifiers(line)}", stream)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
