"""Shared hypothesis strategies: odd text, JSON of every shape, HTTP dates from any era.

Kept apart from the tests so each fuzz module reads as its properties only.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

from hypothesis import strategies as st

# Every Unicode category, surrogates included (hypothesis leaves those out by default).
any_char = st.characters(codec=None, exclude_categories=())
awkward_char = st.one_of(
    st.sampled_from(
        [
            "\x00",
            "\t",
            "\n",
            "\r",
            "\x0b",
            "\x1b",
            "\x7f",
            "\x85",
            "\xa0",
            "\u200b",  # zero width space
            "\u200e",  # left-to-right mark
            "\u202e",  # right-to-left override
            "\u2028",  # line separator
            "\u3000",  # ideographic space
            "\ufeff",  # byte order mark
            "\ufffd",
            "\ud800",  # lone surrogate
            "\U0001f600",
            "\u0663",  # Arabic-Indic three
            "\u0966",  # Devanagari zero
            "\uff11",  # fullwidth one
            "\u00b2",  # superscript two
            "\u2167",  # Roman numeral eight
            "ß",
            "İ",
            "ﬁ",
        ]
    ),
    st.characters(categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Nd", "No"]),
)
odd_text = st.text(st.one_of(any_char, awkward_char), max_size=40)
_odd_pieces = st.text(st.one_of(any_char, awkward_char), min_size=1, max_size=40)


def long_text(core: st.SearchStrategy[str] = _odd_pieces, limit: int = 10_000) -> st.SearchStrategy:
    """Text up to ``limit`` characters, built by repetition so hypothesis stays fast.

    ``core`` must never give an empty string.
    """
    return st.tuples(core, st.integers(1, limit)).map(
        lambda pair: (pair[0] * (limit // len(pair[0]) + 1))[: pair[1]]
    )


huge_int = st.one_of(
    st.integers(),
    st.integers(10**12, 10**40),
    st.integers(-(10**40), -(10**12)),
    st.integers(1, 4000).map(lambda digits: 10**digits),  # the decimal-digit limit is 4300
)
weird_float = st.floats(allow_nan=True, allow_infinity=True)
json_scalar = st.one_of(
    st.none(), st.booleans(), huge_int, weird_float, odd_text, long_text(limit=500)
)


def json_values(keys: st.SearchStrategy[str] = odd_text, max_leaves: int = 20) -> st.SearchStrategy:
    """Nested JSON-like values (lists and objects of scalars, any depth hypothesis picks)."""
    return st.recursive(
        json_scalar,
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.dictionaries(keys, children, max_size=5),
        ),
        max_leaves=max_leaves,
    )


# Fixed UTC offsets: whole minutes, and the odd ones Python allows (seconds, microseconds).
minute_offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
any_offsets = st.one_of(
    minute_offsets,
    st.timedeltas(-timedelta(hours=23, minutes=59, seconds=59), timedelta(hours=23, minutes=59))
    .filter(lambda delta: abs(delta) < timedelta(hours=24))
    .map(timezone),
    st.just(UTC),
)
any_aware_datetime = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=any_offsets
)


def http_dates() -> st.SearchStrategy[str]:
    """``Date`` / ``Retry-After`` values: real HTTP dates from any year, and near misses."""
    real = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda moment: format_datetime(moment.replace(tzinfo=UTC), usegmt=True)
    )
    odd_zone = st.tuples(st.datetimes(), st.sampled_from(["-0000", "+2359", "-2359", "EST", "Z"]))
    return st.one_of(
        real,
        odd_zone.map(lambda pair: format_datetime(pair[0])[:-5] + pair[1]),
        st.just("Fri, 31 Dec 9999 23:59:59 GMT"),
        st.just("Mon, 01 Jan 0001 00:00:00 GMT"),
        st.just("Mon, 01 Jan 0001 00:00:00 +2359"),
        st.just("Fri, 31 Dec 9999 23:59:59 -2359"),
        st.just("Thu, 01 Jan 1970 00:00:00 GMT"),
        st.just("Wed, 21 Oct 2015 07:28:00 GMT"),
        odd_text,
    )


# Drawing from a strategy built on the spot costs hypothesis a validation each time;
# these build each one once.
@functools.cache
def _sampled(values: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(values)


@functools.cache
def _integers(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


def pick(draw: st.DrawFn, values: Iterable[Any]) -> Any:
    """One of ``values``, drawn."""
    return draw(_sampled(tuple(values)))


def between(draw: st.DrawFn, low: int, high: int) -> int:
    """A whole number in [low, high], drawn."""
    return draw(_integers(low, high))
