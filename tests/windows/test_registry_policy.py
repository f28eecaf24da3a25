"""Machine policy from ``HKLM\\Software\\Policies\\capdesk``, read through the real winreg.

``tests/store/test_policy.py`` covers the parsing with a fake of winreg; here the values
go into a real registry (wine's, or Windows') with winreg and come back out through
:func:`load_policy`: value types, the 64-bit view, and a key that exists but cannot be
read (the window must then fail closed).
"""

from __future__ import annotations

import contextlib
import ctypes
import winreg
from collections.abc import Iterator
from ctypes import wintypes
from pathlib import Path

import pytest

from capdesk.paths import AppPaths
from capdesk.store.policy import REGISTRY_KEY, load_policy, read_registry_policy

VIEW_64 = winreg.KEY_WOW64_64KEY
VIEW_32 = winreg.KEY_WOW64_32KEY


def _delete_tree(view: int) -> None:
    """Remove the policy key (values only: capdesk's key has no subkeys)."""
    with contextlib.suppress(FileNotFoundError):
        winreg.DeleteKeyEx(winreg.HKEY_LOCAL_MACHINE, REGISTRY_KEY, view, 0)


@pytest.fixture
def policy_key() -> Iterator[winreg.HKEYType]:
    """A fresh, writable ``HKLM\\Software\\Policies\\capdesk`` (64-bit view), removed after."""
    for view in (VIEW_64, VIEW_32):
        _delete_tree(view)
    key = winreg.CreateKeyEx(
        winreg.HKEY_LOCAL_MACHINE, REGISTRY_KEY, 0, winreg.KEY_ALL_ACCESS | VIEW_64
    )
    yield key
    key.Close()
    for view in (VIEW_64, VIEW_32):
        _delete_tree(view)


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    machine = tmp_path / "machine"
    machine.mkdir()
    return AppPaths(tmp_path / "c", tmp_path / "d", tmp_path / "l", machine)


def test_no_key_is_no_policy(paths: AppPaths) -> None:
    for view in (VIEW_64, VIEW_32):
        _delete_tree(view)
    assert read_registry_policy() == {}
    policy = load_policy(paths)
    assert policy.values == {} and not policy.unreadable and policy.problems == []


def test_strings_and_dwords_from_the_registry_become_a_locked_policy(
    policy_key: winreg.HKEYType, paths: AppPaths
) -> None:
    winreg.SetValueEx(policy_key, "Cluster", 0, winreg.REG_SZ, "eu")
    winreg.SetValueEx(policy_key, "Kiosk", 0, winreg.REG_DWORD, 1)
    winreg.SetValueEx(policy_key, "clipboard_timeout", 0, winreg.REG_EXPAND_SZ, "45")
    winreg.SetValueEx(policy_key, "idle_timeout", 0, winreg.REG_QWORD, 300)
    winreg.SetValueEx(policy_key, "default_country", 0, winreg.REG_SZ, "gb")
    raw = read_registry_policy()
    assert raw == {
        "cluster": "eu",
        "kiosk": "1",
        "clipboard_timeout": "45",
        "idle_timeout": "300",
        "default_country": "gb",
    }
    policy = load_policy(paths)
    assert policy.problems == [] and not policy.unreadable
    assert policy.values["cluster"] == "eu" and policy.kiosk is True
    assert policy.values["clipboard_timeout"] == 45 and policy.values["idle_timeout"] == 300
    assert policy.locked == frozenset(policy.values)


def test_the_registry_wins_over_policy_ini_and_its_locked_list_counts(
    policy_key: winreg.HKEYType, paths: AppPaths
) -> None:
    paths.policy_file.write_text("[capdesk]\ncluster = india\nkiosk = 0\n", encoding="utf-8")
    winreg.SetValueEx(policy_key, "kiosk", 0, winreg.REG_DWORD, 1)
    winreg.SetValueEx(policy_key, "locked", 0, winreg.REG_SZ, "kiosk")
    policy = load_policy(paths)
    assert policy.values == {"cluster": "india", "kiosk": True}
    assert policy.locked == {"kiosk"}


def test_wrong_value_types_are_reported_and_ignored_never_fatal(
    policy_key: winreg.HKEYType, paths: AppPaths
) -> None:
    winreg.SetValueEx(policy_key, "cluster", 0, winreg.REG_BINARY, b"eu\x00")
    winreg.SetValueEx(policy_key, "kiosk", 0, winreg.REG_MULTI_SZ, ["1", "0"])
    winreg.SetValueEx(policy_key, "card_method", 0, winreg.REG_SZ, "POST")
    winreg.SetValueEx(policy_key, "clipboard_timeout", 0, winreg.REG_SZ, "soon")
    assert read_registry_policy() == {
        "cluster": None,
        "kiosk": None,
        "card_method": "POST",
        "clipboard_timeout": "soon",
    }
    policy = load_policy(paths)
    assert policy.values == {"card_method": "POST"}
    assert not policy.unreadable
    assert len(policy.problems) == 3
    assert all("HKLM\\Software\\Policies\\capdesk" in p for p in policy.problems)
    assert not any("eu" in p or "soon" in p for p in policy.problems)  # names, never values


# --- a key that exists but cannot be read: fail closed -----------------------------------

DACL_SECURITY_INFORMATION = 0x4
SDDL_REVISION_1 = 1
# Owner full control is not granted; every read by anyone is denied.
DENY_EVERYONE_READ = "D:(D;;KR;;;WD)(A;;KA;;;SY)"


def _set_key_sddl(key: winreg.HKEYType, sddl: str) -> None:
    """Apply a DACL to an open key through advapi32 (winreg has no call for it)."""
    advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
    descriptor = ctypes.c_void_p()
    convert = advapi32.ConvertStringSecurityDescriptorToSecurityDescriptorW
    convert.argtypes = [
        wintypes.LPCWSTR,
        wintypes.DWORD,
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.POINTER(wintypes.ULONG),
    ]
    convert.restype = wintypes.BOOL
    if not convert(sddl, SDDL_REVISION_1, ctypes.byref(descriptor), None):
        raise ctypes.WinError(ctypes.get_last_error())
    try:
        set_security = advapi32.RegSetKeySecurity
        set_security.argtypes = [wintypes.HKEY, wintypes.DWORD, ctypes.c_void_p]
        set_security.restype = wintypes.LONG
        status = set_security(key.handle, DACL_SECURITY_INFORMATION, descriptor)
        if status != 0:
            raise ctypes.WinError(status)
    finally:
        ctypes.windll.kernel32.LocalFree(descriptor)


def test_a_key_that_exists_but_cannot_be_read_locks_capdesk(
    policy_key: winreg.HKEYType, paths: AppPaths
) -> None:
    paths.policy_file.write_text("[capdesk]\ncluster = eu\n", encoding="utf-8")
    winreg.SetValueEx(policy_key, "kiosk", 0, winreg.REG_DWORD, 0)
    _set_key_sddl(policy_key, DENY_EVERYONE_READ)
    try:
        with pytest.raises(PermissionError):
            read_registry_policy()
        policy = load_policy(paths)
        assert policy.unreadable is True  # the window starts locked, as a kiosk
        assert policy.values == {"cluster": "eu"}  # the file still counts
        assert any("registry policy cannot be read (PermissionError)" in p for p in policy.problems)
    finally:
        _set_key_sddl(policy_key, "D:(A;;KA;;;WD)")  # so the fixture can delete it
