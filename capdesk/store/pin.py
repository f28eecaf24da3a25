"""The kiosk administrator PIN: only a salted PBKDF2 hash is ever stored.

The installer (or IT) writes ``admin_pin_hash`` into the machine policy; the kiosk
asks for the PIN before leaving kiosk mode. The policy file is readable by every
user of the PC, so the hash is slow (PBKDF2-SHA256, at least 200,000 iterations)
and salted; a short PIN is still guessable offline, which is why the PIN only guards
the kiosk's settings, never credentials.

Format: ``pbkdf2_sha256$<iterations>$<salt base64>$<hash base64>``.

Both :func:`hash_pin` and :func:`verify_pin` take about 120 ms on purpose, so each says
so with :func:`~capdesk.store.thread_guard.blocking_call`: the window runs them in the
service's workers, and a test that forbids blocking on the GUI thread catches a slip.

``python -m capdesk.store.pin`` prints the hash of a PIN typed without echo (or read
from standard input), for the installer docs.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import getpass
import hashlib
import hmac
import os
import sys
from typing import TextIO

from capdesk.api.errors import InvalidInput
from capdesk.store.thread_guard import blocking_call

__all__ = [
    "DEFAULT_ITERATIONS",
    "MIN_ITERATIONS",
    "hash_pin",
    "is_pin_hash",
    "validate_pin",
    "verify_pin",
]

ALGORITHM = "pbkdf2_sha256"
MIN_ITERATIONS = 200_000
DEFAULT_ITERATIONS = 600_000
MAX_ITERATIONS = 10_000_000  # a stored value above this is refused, not run for minutes
SALT_BYTES = 16
HASH_BYTES = 32
MIN_DIGITS = 4
MAX_DIGITS = 12

PIN_SENTENCE = f"Type a PIN of {MIN_DIGITS} to {MAX_DIGITS} digits, with nothing else."


def _is_valid_pin(pin: object) -> bool:
    return (
        isinstance(pin, str)
        and MIN_DIGITS <= len(pin) <= MAX_DIGITS
        and pin.isascii()
        and pin.isdigit()
    )


def validate_pin(pin: str) -> str:
    """Return ``pin`` unchanged, or raise :class:`InvalidInput` with a plain sentence."""
    if not _is_valid_pin(pin):
        raise InvalidInput(PIN_SENTENCE)
    return pin


def _derive(pin: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", pin.encode("ascii"), salt, iterations, HASH_BYTES)


def hash_pin(pin: str, *, iterations: int = DEFAULT_ITERATIONS) -> str:
    """A new salted hash of ``pin`` (raises :class:`InvalidInput` for a bad PIN)."""
    blocking_call("PBKDF2 PIN hash")
    validate_pin(pin)
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"iterations must be {MIN_ITERATIONS}..{MAX_ITERATIONS}")
    salt = os.urandom(SALT_BYTES)
    digest = _derive(pin, salt, iterations)
    salt_text = base64.b64encode(salt).decode("ascii")
    digest_text = base64.b64encode(digest).decode("ascii")
    return f"{ALGORITHM}${iterations}${salt_text}${digest_text}"


def _parse(stored: object) -> tuple[int, bytes, bytes] | None:
    """(iterations, salt, hash) of a well-formed stored value, else None."""
    if not isinstance(stored, str) or not stored.isascii():
        return None
    parts = stored.strip().split("$")
    if len(parts) != 4 or parts[0] != ALGORITHM:
        return None
    iterations_text, salt_text, digest_text = parts[1:]
    if not iterations_text.isdigit() or len(iterations_text) > 9:
        return None
    iterations = int(iterations_text)
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        return None
    try:
        salt = base64.b64decode(salt_text, validate=True)
        digest = base64.b64decode(digest_text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(salt) < 8 or len(digest) != HASH_BYTES:
        return None
    return iterations, salt, digest


def is_pin_hash(stored: object) -> bool:
    """Whether ``stored`` is a well-formed PIN hash (the policy loader checks this)."""
    return _parse(stored) is not None


def verify_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` matches ``stored``. Never raises: anything malformed is False
    (except on a thread where blocking is forbidden, which is a bug to catch)."""
    blocking_call("PBKDF2 PIN check")
    parsed = _parse(stored)
    if parsed is None or not _is_valid_pin(pin):
        return False
    iterations, salt, expected = parsed
    return hmac.compare_digest(_derive(pin, salt, iterations), expected)


# --- python -m capdesk.store.pin -------------------------------------------------------


def _read_pin(stdin: TextIO, stderr: TextIO) -> str | None:
    """Typed twice without echo at a terminal; one line when piped."""
    if stdin.isatty():
        first = getpass.getpass("Administrator PIN: ")
        second = getpass.getpass("Type the PIN again: ")
        if first != second:
            print("The two PINs are different. Nothing was printed; try again.", file=stderr)
            return None
        return first
    return stdin.readline().rstrip("\r\n")


def main(
    argv: list[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Print the hash of a PIN for ``admin_pin_hash`` in policy.ini. Returns the exit code."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = argparse.ArgumentParser(
        prog="python -m capdesk.store.pin",
        description=(
            "Print the hash of a kiosk administrator PIN, for admin_pin_hash in policy.ini. "
            "The PIN is typed without echo, or read from standard input."
        ),
    )
    parser.parse_args(argv)
    pin = _read_pin(stdin, stderr)
    if pin is None:
        return 2
    try:
        stored = hash_pin(pin)
    except InvalidInput as error:
        print(error.sentence, file=stderr)
        return 2
    print(stored, file=stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
