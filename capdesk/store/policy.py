"""Machine-wide policy written by IT or the installer: defaults and locks for settings.

Sources, later wins:

1. ``policy.ini`` in :attr:`AppPaths.machine_config_dir`, section ``[capdesk]`` (INI so
   the NSIS installer can write it with ``WriteINIStr``);
2. on Windows, the values of ``HKLM\\Software\\Policies\\capdesk`` (Group Policy).

Every key set by the policy is locked (staff cannot change it) unless ``locked`` names
the keys to lock: ``locked = kiosk, cluster`` locks just those two, and the other
values become defaults staff may change; ``locked = none`` locks nothing.

:func:`load_policy` never raises, whatever the file holds: a bad value is dropped,
and each reason lands in :attr:`Policy.problems` for the log. A PC must still start
when IT makes a typo.

The file is read the way Windows reads INI files (``GetPrivateProfileString``, which
is how IT's own tools will read it back): the first ``[capdesk]`` section and the
first value of a key win, and lines that are not ``key = value`` are skipped, each of
those with a problem (never with the value: it may be the PIN hash). One wrong line
never throws away the whole file, so a kiosk never loses its lock or PIN to a
duplicate line.

A policy that exists but cannot be read at all (permission denied, too large, no
``[capdesk]`` section in it: garbage, NULs from a cut-short write, an empty file),
or a registry key that exists but cannot be read, sets :attr:`Policy.unreadable`.
The window then fails closed: it starts as a locked kiosk and says so (see
:mod:`capdesk.app`), because the lost file may be exactly what kept it locked.
"""

from __future__ import annotations

import logging
import math
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from capdesk.api.clusters import check_base_url
from capdesk.api.errors import InvalidInput
from capdesk.paths import AppPaths
from capdesk.store.ini import Unreadable, decode, parse_ini
from capdesk.store.pin import is_pin_hash

log = logging.getLogger(__name__)

__all__ = [
    "KEYS",
    "REGISTRY_KEY",
    "SECTION",
    "Policy",
    "load_policy",
    "parse_value",
    "read_registry_policy",
]

SECTION = "capdesk"
REGISTRY_KEY = r"Software\Policies\capdesk"
MAX_FILE_BYTES = 256 * 1024
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_NOTHING = frozenset({"none", "nothing", "-"})


# --- value parsers: each returns the typed value or raises ValueError with a reason ----


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected 1/0, true/false or yes/no")


def _int_range(low: int, high: int, *, zero_ok: bool = False) -> Callable[[str], int]:
    def parse(text: str) -> int:
        stripped = text.strip()
        if not re.fullmatch(r"[0-9]{1,9}", stripped):
            raise ValueError("expected a whole number of seconds")
        value = int(stripped)
        if (zero_ok and value == 0) or low <= value <= high:
            return value
        extra = " (or 0 for never)" if zero_ok else ""
        raise ValueError(f"expected {low} to {high}{extra}")

    return parse


def _float_range(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        stripped = text.strip()
        if not re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,6})?", stripped):
            raise ValueError("expected a number of seconds")
        value = float(stripped)
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"expected {low:g} to {high:g} seconds")
        return value

    return parse


def parse_country(text: str) -> str:
    """An ISO 3166 alpha-2 code that phone-number parsing knows, upper case."""
    code = text.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError("expected a two-letter country code such as IN")
    import phonenumbers  # only here: the rest of the module needs no phone metadata

    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("unknown country code")
    return code


def parse_card_method(text: str) -> str:
    method = text.strip().upper()
    if method not in ("GET", "POST"):
        raise ValueError("expected GET or POST")
    return method


def parse_cluster(text: str) -> str:
    key = text.strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,63}", key):
        raise ValueError("expected a cluster name such as eu or training")
    return key


def parse_base_url(text: str) -> str:
    """A cluster address, checked exactly as ``clusters.toml`` addresses are
    (:func:`capdesk.api.clusters.check_base_url`: https, http only on loopback, no
    user info, query, fragment, spaces or control characters); no trailing slash.

    One validator for both, so an address IT locks is one staff could have typed.
    """
    try:
        return check_base_url(text)
    except InvalidInput as error:
        raise ValueError(error.sentence) from None


def parse_external_id_param(text: str) -> str:
    value = text.strip()
    if value not in ("external_id", "externalId"):
        raise ValueError("expected external_id or externalId")
    return value


def parse_pin_hash(text: str) -> str:
    value = text.strip()
    if not is_pin_hash(value):
        raise ValueError("not a hash from python -m capdesk.store.pin")
    return value


_ACCOUNT_ID = re.compile(r"[^\s=,]{1,100}")
_SOURCE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


def check_account_id(text: str) -> str:
    """A source's account id as Capillary takes it: printable, no spaces, at most 100."""
    value = text.strip()
    if not _ACCOUNT_ID.fullmatch(value) or not value.isprintable():
        raise ValueError("an account id has no spaces, commas or '=' and at most 100 characters")
    return value


def parse_account_ids(text: str) -> dict[tuple[str, str], str]:
    """``"WECHAT=WX-1, eu:FACEBOOK=FB-2"`` → ``{("*", "WECHAT"): "WX-1", ("eu", "FACEBOOK"):
    "FB-2"}``: the brand's account id per source, for every cluster or for one.

    IT sets these once (a WeChat official account, a Facebook page, a MartJack store),
    so staff never have to know them."""
    result: dict[tuple[str, str], str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        target, sep, account = item.partition("=")
        if not sep:
            raise ValueError("expected SOURCE=ACCOUNT_ID pairs separated by commas")
        cluster, colon, source = target.strip().rpartition(":")
        source = source.strip().upper()
        if not _SOURCE.fullmatch(source):
            raise ValueError(f"{source or 'an empty name'} is not a source name")
        result[(parse_cluster(cluster) if colon else "*", source)] = check_account_id(account)
    return result


parse_clipboard_timeout = _int_range(5, 600, zero_ok=True)  # 0: never clear
parse_idle_timeout = _int_range(15, 86_400, zero_ok=True)
parse_connect_timeout = _float_range(0.5, 60.0)
parse_read_timeout = _float_range(1.0, 300.0)
# The whole exchange (connect, TLS, headers, body, retries): long enough for a slow
# mobile link, short enough that staff are never left staring at a frozen counter.
parse_request_deadline = _float_range(3.0, 120.0)

# Policy key -> parser. ``locked`` is handled separately.
KEYS: dict[str, Callable[[str], Any]] = {
    "cluster": parse_cluster,
    "base_url": parse_base_url,
    "kiosk": parse_bool,
    "clipboard_timeout": parse_clipboard_timeout,
    "default_country": parse_country,
    "card_method": parse_card_method,
    "connect_timeout": parse_connect_timeout,
    "read_timeout": parse_read_timeout,
    "request_deadline": parse_request_deadline,
    "admin_pin_hash": parse_pin_hash,
    "idle_timeout": parse_idle_timeout,
    "external_id_param": parse_external_id_param,
    "account_ids": parse_account_ids,
}


def parse_value(key: str, text: str) -> Any:
    """Parse ``text`` as policy key ``key``; ValueError (with a reason) when it is bad."""
    return KEYS[key](text)


# --- the result ----------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """Parsed, validated policy values, which keys are locked, and what was wrong."""

    values: dict[str, Any] = field(default_factory=dict)
    locked: frozenset[str] = frozenset()
    problems: list[str] = field(default_factory=list)
    # The file or the registry key exists but could not be read: whatever it said
    # (a kiosk, its PIN, a locked cluster) is unknown, so the window fails closed.
    unreadable: bool = False

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def is_locked(self, key: str) -> bool:
        return key in self.locked

    @property
    def kiosk(self) -> bool:
        return bool(self.values.get("kiosk", False))

    @property
    def admin_pin_hash(self) -> str | None:
        return self.values.get("admin_pin_hash")


# --- sources -------------------------------------------------------------------------


def _read_file(path: Path, problems: list[str]) -> dict[str, str]:
    """The raw ``[capdesk]`` entries of ``path``; {} when there is no file.

    Raises :class:`Unreadable` (with the reason) when the file exists but cannot be
    read at all.
    """
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise Unreadable(f"{path}: cannot be read ({type(error).__name__})") from None
    if len(data) > MAX_FILE_BYTES:
        raise Unreadable(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    return parse_ini(decode(data).replace("\x00", ""), str(path), problems, SECTION)


class WinregApi:
    """The part of :mod:`winreg` this module calls (tests autospec against it)."""

    HKEY_LOCAL_MACHINE: int = 0x80000002
    KEY_READ: int = 0x20019
    KEY_WOW64_64KEY: int = 0x0100
    REG_SZ: int = 1
    REG_EXPAND_SZ: int = 2
    REG_DWORD: int = 4
    REG_QWORD: int = 11

    # Signatures only: the real functions are winreg's.
    def OpenKey(self, key: Any, sub_key: str, reserved: int = 0, access: int = 0) -> Any:
        raise NotImplementedError

    def QueryInfoKey(self, key: Any) -> tuple[int, int, int]:
        raise NotImplementedError

    def EnumValue(self, key: Any, index: int) -> tuple[str, Any, int]:
        raise NotImplementedError

    def CloseKey(self, hkey: Any) -> None:
        raise NotImplementedError


def read_registry_policy(api: Any = None) -> dict[str, str | None]:
    """Values under ``HKLM\\Software\\Policies\\capdesk`` as text; {} when the key is absent.

    ``api`` is the :mod:`winreg` module (imported only on Windows) or a stand-in.
    Raises OSError when the key exists but cannot be read; :func:`load_policy` logs that.
    """
    if api is None:
        if sys.platform != "win32":
            return {}
        import winreg

        api = winreg
    try:
        handle = api.OpenKey(
            api.HKEY_LOCAL_MACHINE, REGISTRY_KEY, 0, api.KEY_READ | api.KEY_WOW64_64KEY
        )
    except FileNotFoundError:
        return {}
    try:
        _, value_count, _ = api.QueryInfoKey(handle)
        result: dict[str, str | None] = {}
        for index in range(value_count):
            name, data, kind = api.EnumValue(handle, index)
            if kind in (api.REG_SZ, api.REG_EXPAND_SZ) and isinstance(data, str):
                result[name.strip().lower()] = data
            elif kind in (api.REG_DWORD, api.REG_QWORD) and isinstance(data, int):
                result[name.strip().lower()] = str(data)
            else:
                result[name.strip().lower()] = None  # reported as an unusable value
        return result
    finally:
        api.CloseKey(handle)


# --- assembling ----------------------------------------------------------------------


def _parse_locked(text: str, where: str, problems: list[str]) -> frozenset[str] | None:
    """Keys named by ``locked``; None means "every key the policy sets"."""
    names = [name.strip().lower() for name in text.replace(";", ",").split(",")]
    names = [name for name in names if name]
    if not names:
        return None
    if len(names) == 1 and names[0] in _NOTHING:
        return frozenset()
    if len(names) == 1 and names[0] in ("*", "all"):
        return frozenset(KEYS)
    known = {name for name in names if name in KEYS}
    for name in names:
        if name not in KEYS:
            problems.append(f"{where}: locked names unknown key {name[:40]!r}; ignored")
    return frozenset(known)


def _apply(
    raw: Mapping[str, str | None],
    where: str,
    values: dict[str, Any],
    problems: list[str],
) -> str | None:
    """Validate ``raw`` into ``values``; return its raw ``locked`` text (None if absent)."""
    locked_text: str | None = None
    for key, text in raw.items():
        if not isinstance(text, str):
            problems.append(f"{where}: {key[:40]!r} has an unusable value; ignored")
            continue
        if key == "locked":
            locked_text = text
            continue
        if key not in KEYS:
            problems.append(f"{where}: unknown key {key[:40]!r}; ignored")
            continue
        if not text.strip():
            continue  # an empty value means "not set"
        try:
            values[key] = parse_value(key, text)
        except ValueError as error:
            problems.append(f"{where}: {key} is not valid ({error}); ignored")
    return locked_text


def load_policy(
    paths: AppPaths,
    *,
    registry_reader: Callable[[], Mapping[str, str | None]] | None = None,
) -> Policy:
    """The machine policy. Never raises: problems are returned, and logged at WARNING."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    locked: frozenset[str] | None = None  # None: every key the policy sets
    unreadable = False
    try:
        sources: list[tuple[str, Mapping[str, str | None]]] = []
        try:
            sources.append((str(paths.policy_file), _read_file(paths.policy_file, problems)))
        except Unreadable as error:
            problems.append(f"{error}; capdesk stays locked until it can be read")
            unreadable = True
        reader = registry_reader if registry_reader is not None else read_registry_policy
        try:
            sources.append((f"HKLM\\{REGISTRY_KEY}", dict(reader())))
        except Exception as error:
            problems.append(
                f"registry policy cannot be read ({type(error).__name__}); "
                "capdesk stays locked until it can be read"
            )
            unreadable = True
        for where, raw in sources:  # later sources win, ``locked`` included
            locked_text = _apply(raw, where, values, problems)
            if locked_text is not None:
                locked = _parse_locked(locked_text, where, problems)
    except Exception as error:  # a bug here must not stop the PC from starting...
        problems.append(f"policy could not be loaded ({type(error).__name__}); ignored")
        values, locked, unreadable = {}, None, True  # ...nor leave a kiosk unlocked
    for problem in problems:
        log.warning("policy: %s", problem)
    return Policy(
        values=values,
        locked=frozenset(values) if locked is None else locked,
        problems=problems,
        unreadable=unreadable,
    )
