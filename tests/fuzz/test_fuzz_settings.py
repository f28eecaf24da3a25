"""Fuzzing the machine policy and the user's settings file: whatever IT, an installer,
an editor or a disk fault left in them, capdesk starts, and every setting it reads is
of its type and within its range; good values are read exactly.

tests/store/test_policy.py feeds short bytes and ``key=text`` lines to the policy;
here the files are INI-ish in every way people and tools write them (encodings,
BOMs, line endings, section and key spelling, comments, continuation lines,
duplicates, QSettings' own ``@Variant``/``@ByteArray`` values), and settings.ini is
fuzzed too, under a policy, including changing a setting after a corrupt file.
"""

from __future__ import annotations

import ipaddress
import itertools
import math
import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capdesk.paths import AppPaths, default_paths
from capdesk.settings import SETTING_NAMES, Settings
from capdesk.store.pin import MIN_ITERATIONS, hash_pin, is_pin_hash
from capdesk.store.policy import KEYS, MAX_FILE_BYTES, Policy, load_policy
from tests.fuzz.strategies import between, long_text, odd_text, pick

FUZZ = settings.get_profile("capdesk-fuzz")
PIN_HASH = hash_pin("2468", iterations=MIN_ITERATIONS)
_COUNTER = itertools.count()


@pytest.fixture
def paths() -> AppPaths:
    """The test's own folders (the autouse ``isolated_home`` fixture points them at tmp)."""
    return default_paths()


def fresh(paths: AppPaths) -> AppPaths:
    """Paths of their own for one example (QSettings caches files by name)."""
    number = next(_COUNTER)
    folder = paths.config_dir.parent / f"example-{number}"
    return replace(paths, config_dir=folder)


# --- what a value may be, per policy key --------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_base_url(value: Any) -> bool:
    """What clusters.toml accepts too (one validator for both): https, or http on this
    PC; no user info, query, fragment, white space or control characters."""
    parts = urlsplit(value)
    return (
        bool(parts.hostname)
        and (parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname)))
        and parts.username is None
        and parts.password is None
        and not parts.query
        and not parts.fragment
        and not value.endswith(("/", "?", "#"))
        and value.isprintable()
        and not any(ch.isspace() for ch in value)
    )


IN_RANGE = {
    "cluster": lambda v: isinstance(v, str) and re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,63}", v),
    "base_url": lambda v: isinstance(v, str) and _is_base_url(v),
    "kiosk": lambda v: isinstance(v, bool),
    "clipboard_timeout": lambda v: _is_int(v) and (v == 0 or 5 <= v <= 600),
    "default_country": lambda v: isinstance(v, str) and v in phonenumbers.SUPPORTED_REGIONS,
    "card_method": lambda v: v in ("GET", "POST"),
    "connect_timeout": lambda v: isinstance(v, float) and math.isfinite(v) and 0.5 <= v <= 60,
    "read_timeout": lambda v: isinstance(v, float) and math.isfinite(v) and 1 <= v <= 300,
    "admin_pin_hash": lambda v: isinstance(v, str) and is_pin_hash(v),
    "idle_timeout": lambda v: _is_int(v) and (v == 0 or 15 <= v <= 86_400),
    "external_id_param": lambda v: v in ("external_id", "externalId"),
    "request_deadline": lambda v: isinstance(v, float) and math.isfinite(v) and 3 <= v <= 120,
    "account_ids": lambda v: (
        isinstance(v, dict)
        and bool(v)
        and all(
            re.fullmatch(r"\*|[a-z0-9][a-z0-9_.-]{0,63}", cluster)
            and re.fullmatch(r"[A-Z][A-Z0-9_]{0,63}", source)
            and re.fullmatch(r"[^\s=,]{1,100}", account)
            for (cluster, source), account in v.items()
        )
    ),
}


def check_policy(policy: Policy, pin_text: str | None = None) -> None:
    assert isinstance(policy, Policy)
    assert set(IN_RANGE) >= set(KEYS), "a new policy key needs its range here"
    for key, value in policy.values.items():
        assert key in KEYS and IN_RANGE[key](value), (key, value)
    assert policy.locked <= set(KEYS)
    for problem in policy.problems:
        assert isinstance(problem, str)
        assert "\n" not in problem and "\r" not in problem  # one log line each
        if pin_text and len(pin_text.strip()) >= 4:
            assert pin_text.strip() not in problem  # a PIN (hash) never reaches the log


# --- good values, and what they must be read as ----------------------------------------------


# Strategies are built once (drawing from fresh ones per example is slow).
MASKS = st.integers(0, 2**24 - 1)
PADS = st.tuples(st.sampled_from(["", " ", "\t"]), st.sampled_from(["", " ", "  "]))
SEPARATORS = st.sampled_from(["=", " = ", ": ", "\t=\t"])
LIST_SEPARATORS = st.sampled_from([",", ", ", ";", " ; "])
KEY_SUBSETS = st.lists(st.sampled_from(sorted(KEYS)), unique=True, max_size=len(KEYS))
SOME_KEYS = KEY_SUBSETS.filter(bool)


def recase(text: str, mask: int) -> str:
    """``text`` with each letter upper or lower case as the bits of ``mask`` say."""
    return "".join(ch.upper() if mask >> i & 1 else ch.lower() for i, ch in enumerate(text))


def cased(words: list[str]) -> st.SearchStrategy[tuple[str, str]]:
    """(a word in random letter case, the word)."""
    return st.tuples(st.sampled_from(words), MASKS).map(lambda p: (recase(p[0], p[1]), p[0]))


def _seconds(low: float, high: float) -> st.SearchStrategy[tuple[str, float]]:
    """A number of seconds within [low, high] written with 0 to 6 decimals."""
    micro = st.integers(round(low * 10**6), round(high * 10**6))
    return st.tuples(micro, st.booleans()).map(lambda p: _decimal(*p))


def _decimal(micro: int, trim: bool) -> tuple[str, float]:
    text = f"{micro // 10**6}.{micro % 10**6:06d}"
    if trim:
        text = text.rstrip("0").rstrip(".")
    return text, float(text)


GOOD: dict[str, st.SearchStrategy[tuple[str, Any]]] = {
    "cluster": st.tuples(
        st.sampled_from("abcxyzEU019"), st.text("abcdefINDIAeu0123456789_.-", max_size=20)
    ).map(lambda p: (p[0] + p[1], (p[0] + p[1]).lower())),
    "base_url": st.tuples(
        st.sampled_from(
            [
                "https://eu.api.capillarytech.com",
                "https://10.0.0.5:8443",
                "http://127.0.0.1:8080",
                "https://[::1]",
            ]
        ),
        st.sampled_from(["", "/", "/v1.1", "/capillary/"]),
    ).map(lambda p: (p[0] + p[1], (p[0] + p[1]).rstrip("/"))),
    "kiosk": cased(["1", "true", "yes", "on", "0", "false", "no", "off"]).map(
        lambda p: (p[0], p[1] in ("1", "true", "yes", "on"))
    ),
    "clipboard_timeout": st.one_of(st.just(0), st.integers(5, 600)).map(lambda n: (str(n), n)),
    "default_country": cased(sorted(phonenumbers.SUPPORTED_REGIONS)),
    "card_method": cased(["GET", "POST"]),
    "connect_timeout": _seconds(0.5, 60),
    "read_timeout": _seconds(1, 300),
    "request_deadline": _seconds(3, 120),
    "admin_pin_hash": st.just((PIN_HASH, PIN_HASH)),
    "idle_timeout": st.one_of(st.just(0), st.integers(15, 86_400)).map(lambda n: (str(n), n)),
    "external_id_param": st.sampled_from(["external_id", "externalId"]).map(lambda t: (t, t)),
    "account_ids": st.lists(
        st.tuples(
            st.sampled_from(["", "eu:", "Training:"]),
            st.tuples(st.sampled_from(["WECHAT", "facebook", "MartJack", "LINE_2"]), MASKS),
            st.from_regex(r"[A-Za-z0-9_.:\-]{1,20}", fullmatch=True),
        ),
        min_size=1,
        max_size=4,
        unique_by=lambda t: (t[0].lower(), t[1][0].upper()),
    ).map(
        lambda items: (
            ", ".join(f"{c}{recase(s, m)}={a}" for c, (s, m), a in items),
            {(c[:-1].lower() if c else "*", s.upper()): a for c, (s, _m), a in items},
        )
    ),
}
assert set(GOOD) == set(KEYS), "a new policy key needs good values here"


@st.composite
def good_policies(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, Any], set[str] | None]:
    """(raw key → text, the typed values expected, the keys ``locked`` names or None)."""
    raw: dict[str, str] = {}
    expected: dict[str, Any] = {}
    for key in draw(KEY_SUBSETS):
        text, value = draw(GOOD[key])
        before, after = draw(PADS)
        raw[key] = before + text + after
        expected[key] = value
    lock = pick(draw, ["absent", "some", "none", "all"])
    if lock == "absent":
        return raw, expected, None
    if lock == "some":
        names = draw(SOME_KEYS)
        raw["locked"] = draw(LIST_SEPARATORS).join(recase(n, draw(MASKS)) for n in names)
        return raw, expected, set(names)
    word = pick(draw, ["none", "nothing", "-"] if lock == "none" else ["all", "*"])
    raw["locked"] = recase(word, draw(MASKS))
    return raw, expected, set() if lock == "none" else set(KEYS)


def as_policy(good: tuple[dict[str, str], dict[str, Any], set[str] | None]) -> Policy:
    _, values, locked = good
    return Policy(values=values, locked=frozenset(values if locked is None else locked))


def ini_text(draw: st.DrawFn, entries: list[tuple[str, str]], section: str = "[capdesk]") -> str:
    lines = [section]
    for key, text in entries:
        lines.append(f"{recase(key, draw(MASKS))}{draw(SEPARATORS)}{text}")
        if between(draw, 0, 5) == 0:
            lines.append(pick(draw, ["; a comment", "# another", "", "   "]))
    ending = pick(draw, ["\n", "\r\n"])
    return ending.join(lines) + pick(draw, ["", ending])


def encode(draw: st.DrawFn, text: str) -> bytes:
    """How NSIS (UTF-16 with BOM), Notepad (UTF-8 with or without BOM) or ANSI write it."""
    encoding = pick(draw, ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
    return text.encode(encoding, errors="replace" if encoding == "cp1252" else "surrogatepass")


@FUZZ
@given(
    file_policy=good_policies(),
    registry_policy=st.one_of(st.none(), good_policies()),
    section=st.sampled_from(["[capdesk]", "[Capdesk]", "[CAPDESK]", "[ capdesk ]"]),
    data=st.data(),
)
def test_good_policies_are_read_exactly_and_the_registry_wins(
    paths: AppPaths, file_policy, registry_policy, section, data
) -> None:
    raw, values, locked = file_policy
    text = ini_text(data.draw, list(raw.items()), section)
    paths.policy_file.write_bytes(encode(data.draw, text))
    registry = registry_policy[0] if registry_policy else {}
    if registry_policy:
        values = {**values, **registry_policy[1]}
        locked = registry_policy[2] if registry_policy[2] is not None else locked

    policy = load_policy(paths, registry_reader=lambda: registry)
    assert policy.problems == []
    assert policy.values == values
    assert policy.locked == frozenset(values if locked is None else locked)
    check_policy(policy)


# --- anything at all ---------------------------------------------------------------------------

KEY_NAMES = st.one_of(
    cased([*KEYS, "locked"]).map(lambda pair: pair[0]),
    st.sampled_from(["unknown", "kiosk mode", "", " ", "=", "[capdesk]", "%(kiosk)s"]),
    odd_text,
)
ODD_VALUES = st.one_of(
    st.one_of(*GOOD.values()).map(lambda pair: pair[0]),
    st.sampled_from(
        [
            "4",
            "5",
            "600",
            "601",
            "14",
            "15",
            "86400",
            "86401",
            "0.49",
            "0.5",
            "60.0000001",
            "1e3",
            "-5",
            "+5",
            "0x1F",
            "٣٠",
            "\uff13\uff10",
            "30 ; comment",
            "30 # c",
            "inf",
            "nan",
            "9" * 30,
            "GET POST",
            "https://",
            "http://example.com",
            "https://x y",
            "%(x)s",
            "\uff29\uff2e",
            "I\u0307N",
            "yes\x00",
            "$2b$12$abcdef",
            PIN_HASH[:-1],
            PIN_HASH + "x",
        ]
    ),
    odd_text,
    long_text(limit=1000),
)
EXTRA_LINES = st.one_of(
    st.sampled_from(
        [
            "[capdesk]",
            "[CAPDESK]",
            "[other]",
            "[DEFAULT]",
            "[]",
            "[capdesk",
            "  indented",
            "; comment",
            "# comment",
            "=",
            "novalue",
            "\ufeff[capdesk]",
            "\x00",
            "\\",
        ]
    ),
    odd_text,
)


@st.composite
def odd_policy_text(draw: st.DrawFn) -> bytes:
    lines: list[str] = []
    if between(draw, 0, 1):
        lines.append(pick(draw, ["[capdesk]", "[Capdesk]", "\ufeff[capdesk]"]))
    for _ in range(between(draw, 0, 14)):
        if between(draw, 0, 3) == 0:
            lines.append(draw(EXTRA_LINES))
        else:
            separator = pick(draw, ["=", ":", " = ", "==", ""])
            lines.append(f"{draw(KEY_NAMES)}{separator}{draw(ODD_VALUES)}")
    text = pick(draw, ["\n", "\r\n", "\r"]).join(lines)
    if between(draw, 0, 5) == 0:  # NULs from a half-written file
        at = between(draw, 0, len(text))
        text = text[:at] + "\x00" * between(draw, 1, 50) + text[at:]
    data = encode(draw, text)
    return data if between(draw, 0, 9) else data * (MAX_FILE_BYTES // max(1, len(data)) + 1)


@FUZZ
@given(file_policy=good_policies(), data=st.data())
def test_duplicate_keys_and_sections_are_read_first_wins_as_windows_does(
    paths: AppPaths, file_policy, data
) -> None:
    """Each key written again later in the section, and the section again after it
    (with anything in it): the first values are read exactly, each repeat is one
    problem that never quotes a value, and nothing makes the policy unreadable."""
    raw, values, locked = file_policy
    repeated = [(key, data.draw(ODD_VALUES)) for key in raw]
    again = [(data.draw(KEY_NAMES), data.draw(ODD_VALUES)) for _ in range(between(data.draw, 0, 5))]
    section = pick(data.draw, ["[capdesk]", "[Capdesk]", "[ CAPDESK ]"])
    text = ini_text(data.draw, [*raw.items(), *repeated])
    text += pick(data.draw, ["\n", "\r\n"]) + ini_text(data.draw, again, section)
    paths.policy_file.write_bytes(encode(data.draw, text))

    policy = load_policy(paths, registry_reader=dict)
    assert policy.values == values
    assert policy.locked == frozenset(values if locked is None else locked)
    assert not policy.unreadable
    for key, _value in repeated:  # one problem each, naming the key
        assert any(f"repeats {key!r}" in problem for problem in policy.problems)
    assert any("repeats the [capdesk] section" in problem for problem in policy.problems)
    check_policy(policy, raw.get("admin_pin_hash"))


@FUZZ
@given(data=st.one_of(odd_policy_text(), st.binary(max_size=3000)))
def test_any_policy_file_gives_a_policy_in_range(paths: AppPaths, data: bytes) -> None:
    here = paths
    here.policy_file.write_bytes(data)
    text = data.decode("utf-8", "replace")
    pin = re.search(r"admin_pin_hash\s*[=:]\s*(\S+)", text, re.IGNORECASE)
    check_policy(load_policy(here, registry_reader=dict), pin.group(1) if pin else None)


@FUZZ
@given(
    registry=st.dictionaries(
        KEY_NAMES, st.one_of(st.none(), ODD_VALUES, st.integers().map(str)), max_size=12
    )
)
def test_any_registry_values_give_a_policy_in_range(paths: AppPaths, registry) -> None:
    here = paths
    check_policy(load_policy(here, registry_reader=lambda: registry))


# --- settings.ini, under a policy ------------------------------------------------------------

SETTING_VALUES = st.one_of(
    ODD_VALUES,
    st.sampled_from(
        [
            "@Invalid()",
            "@ByteArray(30)",
            "@ByteArray(\\0\\x1)",
            "@Rect(1 2 3 4)",
            "@Size(1 2)",
            "@Point(1 2)",
            "@Variant(\\0\\0\\0\\x2\\0\\0\\0\\x1e)",
            "@Variant(\\0\\0\\0\\x6\\0)",
            "@Variant(\\0\\0\\0\\n\\0\\0\\0\\0\\b\\0\\x33\\0\\x30)",
            "@Variant(\\xff\\xff\\xff)",
            "@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x5QFont)",
            "@@30",
            '"30"',
            '"a, b"',
            "a, b",
            "\\x263a",
            "\\u0033\\u0030",
            "\\0",
            "@DateTime(\\0\\0\\0\\x10)",
            "true",
            "1.0e1",
        ]
    ),
)


_ANY_BYTES = st.binary(max_size=2000)
SETTING_KEYS = st.one_of(st.sampled_from(SETTING_NAMES), KEY_NAMES)


@st.composite
def settings_files(draw: st.DrawFn) -> bytes:
    if between(draw, 0, 4) == 0:
        return draw(_ANY_BYTES)
    lines = [pick(draw, ["[General]", "[general]", "[%General]", "[other]", ""])]
    for _ in range(between(draw, 0, 12)):
        if between(draw, 0, 4) == 0:
            lines.append(draw(EXTRA_LINES))
        else:
            lines.append(f"{draw(SETTING_KEYS)}={draw(SETTING_VALUES)}")
    text = pick(draw, ["\n", "\r\n"]).join(lines)
    return encode(draw, text)


POLICIES = st.one_of(
    st.just(Policy()),
    good_policies().map(as_policy),
)
NEW_VALUES = {
    "last_cluster": st.sampled_from(["eu", "india", "training"]),
    "default_country": st.sampled_from(["GB", "IN", "US"]),
    "clipboard_timeout": st.integers(5, 600),
    "card_method": st.sampled_from(["GET", "POST"]),
    "connect_timeout": st.sampled_from([0.5, 2.5, 60.0]),
    "read_timeout": st.sampled_from([1.0, 45.0, 300.0]),
    "request_deadline": st.sampled_from([3.0, 15.0, 120.0]),
    "kiosk": st.booleans(),
    "idle_timeout": st.sampled_from([0, 15, 600, 86_400]),
    "external_id_param": st.sampled_from(["external_id", "externalId"]),
}
assert set(NEW_VALUES) == set(SETTING_NAMES), "a new setting needs values here"


def check_settings(current: Settings, policy: Policy) -> dict[str, Any]:
    """Every setting of its type and in range; locked ones as the policy says."""
    seen = {}
    for name in SETTING_NAMES:
        key = getattr(Settings, name).policy_key
        value = getattr(current, name)
        assert IN_RANGE[key](value), (name, value)
        if policy.is_locked(key):
            assert value == policy.get(key, getattr(Settings, name).default)
        seen[name] = value
    return seen


@FUZZ
@given(content=settings_files(), policy=POLICIES, data=st.data())
def test_any_settings_file_gives_settings_in_range_that_can_still_be_changed(
    paths: AppPaths, content: bytes, policy: Policy, data
) -> None:
    here = fresh(paths)
    here.config_dir.mkdir(parents=True)
    here.settings_file.write_bytes(content)
    current = Settings(here, policy)
    before = check_settings(current, policy)

    changeable = [n for n in SETTING_NAMES if not policy.is_locked(getattr(Settings, n).policy_key)]
    if not changeable:
        return
    name = pick(data.draw, changeable)
    value = data.draw(NEW_VALUES[name])
    setattr(current, name, value)
    assert getattr(current, name) == value
    after = check_settings(Settings(here, policy), policy)  # as the next start reads it
    assert after == {**before, name: value}  # that one changed, nothing else
