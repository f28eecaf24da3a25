"""INI text as Windows reads it: the machine policy's file format.

The NSIS installer writes ``policy.ini`` with ``WriteINIStr`` and IT reads it back
with ``GetPrivateProfileString`` (or edits it in Notepad), so capdesk reads it the
same way rather than with Python's stricter :mod:`configparser`, which throws the
whole file away over one duplicate line: the first section of a name and the first
value of a key win, and lines that are not ``key = value`` are skipped.
"""

from __future__ import annotations

import re

__all__ = ["Unreadable", "decode", "parse_ini"]


def decode(data: bytes) -> str:
    """INI text as NSIS or Notepad may write it: UTF-16 with BOM, UTF-8, or ANSI."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):  # Notepad's UTF-8: a bad byte stays one bad character
        return data.decode("utf-8-sig", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


class Unreadable(Exception):
    """The file exists but gives nothing to read: no section of that name, or no bytes."""


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_KEY_VALUE = re.compile(r"(?P<key>[^=:]*?)\s*[=:]\s*(?P<value>.*)")


def _unquote(value: str) -> str:
    """Windows drops one pair of quotes around a value (``base_url = "https://…"``)."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_ini(
    text: str, where: str, problems: list[str], section: str = "capdesk"
) -> dict[str, str]:
    """The entries of ``[section]`` in INI ``text``, read as Windows reads them.

    ``GetPrivateProfileString`` takes the first section of a name (case-blind) and the
    first value of a key in it; it skips lines that are not ``key=value``. So does
    this, with a problem for each duplicate or skipped line (line numbers and key
    names only: a value may be the PIN hash). ``;`` and ``#`` start comment lines;
    ``:`` also separates a key from its value, as Python's configparser allowed.
    Raises :class:`Unreadable` when there is no such section at all.
    """
    entries: dict[str, str] = {}
    seen_section = False
    inside = False
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in ";#":
            continue
        if stripped.startswith("[") and "]" in stripped:
            name = stripped[1 : stripped.index("]")].strip().lower()
            if name == section and seen_section:
                problems.append(
                    f"{where}: line {number} repeats the [{section}] section; its keys are "
                    "ignored (the first section wins, as Windows reads it)"
                )
            inside = name == section and not seen_section
            seen_section = seen_section or inside
            continue
        if not inside:
            continue
        match = _KEY_VALUE.fullmatch(stripped)
        key = match.group("key").strip().lower() if match else ""
        if not key:
            problems.append(f"{where}: line {number} is not key = value; skipped")
            continue
        if key in entries:
            problems.append(
                f"{where}: line {number} repeats {key[:40]!r}; the first value is used, "
                "as Windows reads it"
            )
            continue
        entries[key] = _unquote(match.group("value").strip()) if match else ""
    if not seen_section:
        raise Unreadable(f"{where}: has no [{section}] section")
    return entries
