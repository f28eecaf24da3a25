"""Card number (external id) generation, as configured on a Capillary org.

Capillary's settings, mirrored here: CONF_CARD_CHECKSUM_DIGIT_ALGO (LUHN_ALGO,
MOD7_ALGO, AUTO_INC, RANDOM, RANDOM_LUHN, RANDOM_MOD7), CONF_CARD_NUMBER_LENGTH (the
*total* length including prefix, suffix and check digit, 1 to 50),
CONF_CARD_NUMBER_PREFIX, CONF_CARD_NUMBER_SUFFIX (AUTO_INC only; ignored otherwise,
as Capillary documents) and CONF_CARD_NUMBER_OFFSET (the first counter value of the
sequential algorithms). The check digit covers the generated digits only, not the
prefix (CONF_VALUES_TO_INCLUDE_FOR_CHECKSUM_DIGIT = NONE), so alphanumeric
prefixes like the docs' ``BUK003870381`` work.

Layout: ``prefix + body + check digit`` (checksum algorithms) or
``prefix + body + suffix`` (AUTO_INC) or ``prefix + body`` (RANDOM). Every number
is unique within one generator; generators are thread-safe because concurrent
requests share one.

Across runs (each app start is a new simulator), a generator is told the numbers
earlier runs issued (``taken``, from the card history): it never issues them again,
and a sequential one continues after the highest. Without that knowledge (the
standalone server, a fresh PC) ``random_start`` starts a sequential run at a random
point in the lower half of a large number space, so two runs collide only if their
ranges overlap: for runs of n numbers each in a 10-digit LUHN space (body 9 digits,
4.5e8 starting points) about 2n / 4.5e8 per pair of runs. Spaces under a million
numbers keep the fixed start: they are too small to keep runs apart, and tests of
exhaustion count on every number.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass

ALGORITHMS = ("LUHN_ALGO", "MOD7_ALGO", "AUTO_INC", "RANDOM", "RANDOM_LUHN", "RANDOM_MOD7")
_ALIASES = {"LUHN": "LUHN_ALGO", "MOD10": "LUHN_ALGO", "MOD7": "MOD7_ALGO"}
_SEQUENTIAL = frozenset({"LUHN_ALGO", "MOD7_ALGO", "AUTO_INC"})
_LUHN = frozenset({"LUHN_ALGO", "RANDOM_LUHN"})
_MOD7 = frozenset({"MOD7_ALGO", "RANDOM_MOD7"})
MAX_LENGTH = 50
_RANDOM_ATTEMPTS = 1000
_RANDOM_START_MIN_SPACE = 10**6  # smaller spaces keep the fixed start (see module doc)


class CardSpaceExhausted(Exception):
    """Every number this configuration can produce has been issued."""


def normalise_algorithm(name: str) -> str:
    """The Capillary name for an algorithm; short forms LUHN / MOD10 / MOD7 accepted."""
    upper = name.strip().upper()
    upper = _ALIASES.get(upper, upper)
    if upper not in ALGORITHMS:
        raise ValueError(f"Unknown card number algorithm {name!r}; use one of {ALGORITHMS}")
    return upper


def luhn_check_digit(digits: str) -> str:
    """The Luhn (mod 10) digit that makes ``digits + check`` pass the Luhn test."""
    total = 0
    # Walking from the right, the digit next to the check digit is doubled first.
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


def mod7_check_digit(digits: str) -> str:
    """The MOD7 check digit: the body's value modulo 7."""
    return str(int(digits) % 7)


def mod7_valid(number: str) -> bool:
    return number.isdigit() and len(number) > 1 and mod7_check_digit(number[:-1]) == number[-1]


@dataclass(frozen=True)
class CardNumberFormat:
    """One org's card number settings (see the module docstring)."""

    algorithm: str = "LUHN_ALGO"
    length: int = 10
    prefix: str = ""
    suffix: str = ""
    offset: int | None = None  # None: the smallest body without a leading zero

    def __post_init__(self) -> None:
        object.__setattr__(self, "algorithm", normalise_algorithm(self.algorithm))
        if not 1 <= self.length <= MAX_LENGTH:
            raise ValueError(f"Card number length must be 1 to {MAX_LENGTH}")
        if self.body_length < 1:
            raise ValueError("Card number length leaves no room for the generated digits")
        if self.offset is not None and not 0 <= self.offset < 10**self.body_length:
            raise ValueError("Card number offset does not fit in the generated digits")

    @property
    def has_check_digit(self) -> bool:
        return self.algorithm in _LUHN or self.algorithm in _MOD7

    @property
    def effective_suffix(self) -> str:
        return self.suffix if self.algorithm == "AUTO_INC" else ""

    @property
    def body_length(self) -> int:
        used = len(self.prefix) + len(self.effective_suffix) + int(self.has_check_digit)
        return self.length - used


class CardNumberGenerator:
    """Issues unique card numbers in one format. Safe to call from many threads."""

    def __init__(
        self,
        fmt: CardNumberFormat,
        rng: random.Random | None = None,
        *,
        taken: Iterable[str] = (),
        random_start: bool = False,
    ) -> None:
        """``taken``: numbers issued by earlier runs, never issued again (numbers of
        another format are ignored). ``random_start``: without an offset, start a
        sequential run at a random point (see the module docstring)."""
        self.format = fmt
        self._rng = rng or random.SystemRandom()
        self._lock = threading.Lock()
        self._issued: set[str] = {number for number in taken if self._body_of(number)}
        width = fmt.body_length
        default_start = 10 ** (width - 1) if width > 1 else 0
        end = 10**width
        self._counter = fmt.offset if fmt.offset is not None else default_start
        if random_start and fmt.offset is None and end - default_start >= _RANDOM_START_MIN_SPACE:
            self._counter = self._rng.randrange(default_start, (default_start + end) // 2)
        bodies = [int(self._body_of(number) or "0") for number in self._issued]
        if bodies and fmt.algorithm in _SEQUENTIAL:
            # Continue after the earlier runs: exact, where a random start is only likely.
            highest = max(bodies) + 1
            self._counter = max(fmt.offset, highest) if fmt.offset is not None else highest
        # Random bodies avoid a leading zero (numbers get read aloud and typed).
        self._random_space = 9 * 10 ** (width - 1) if width > 1 else 10

    def _body_of(self, number: str) -> str | None:
        """The generated digits of ``number`` if this format could have issued it."""
        fmt = self.format
        if len(number) != fmt.length or not number.startswith(fmt.prefix):
            return None
        body = number[len(fmt.prefix) : len(fmt.prefix) + fmt.body_length]
        if not body.isdigit() or fmt.prefix + body + self._tail(body) != number:
            return None
        return body

    def next(self) -> str:
        """A number never issued before by this generator; raises CardSpaceExhausted."""
        with self._lock:
            body = self._next_sequential() if self.format.algorithm in _SEQUENTIAL else None
            if body is None:
                body = self._next_random()
            number = self.format.prefix + body + self._tail(body)
            self._issued.add(number)
            return number

    def _tail(self, body: str) -> str:
        if self.format.algorithm in _LUHN:
            return luhn_check_digit(body)
        if self.format.algorithm in _MOD7:
            return mod7_check_digit(body)
        return self.format.effective_suffix

    def _next_sequential(self) -> str:
        width = self.format.body_length
        while True:
            if self._counter >= 10**width:
                raise CardSpaceExhausted("All card numbers of this length have been issued.")
            body = str(self._counter).zfill(width)
            self._counter += 1
            # Only an explicit offset below an earlier run's numbers meets a taken one.
            if self.format.prefix + body + self._tail(body) not in self._issued:
                return body

    def _next_random(self) -> str:
        width = self.format.body_length
        if len(self._issued) >= self._random_space:
            raise CardSpaceExhausted("All card numbers of this length have been issued.")
        for _ in range(_RANDOM_ATTEMPTS):
            if width == 1:
                body = str(self._rng.randrange(10))
            else:
                body = str(self._rng.randrange(10 ** (width - 1), 10**width))
            if self.format.prefix + body + self._tail(body) not in self._issued:
                return body
        raise CardSpaceExhausted("No unused card number found; the number space is nearly full.")
