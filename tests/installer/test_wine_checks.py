"""The pure parts of installer/wine_checks.py (the installer checks under wine).

The checks themselves need wine and run in ``build.py --windows --check``; what is
tested here is what decides their verdicts, so a wrong parser cannot make a broken
installer pass (or a good one fail) unnoticed.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from .conftest import load


@pytest.fixture(scope="module")
def wc() -> ModuleType:
    return load("wine_checks")


def test_install_command_puts_d_last_unquoted(wc: ModuleType) -> None:
    command = wc.install_command(r"C:\setup.exe", ["/KIOSK=1"], r"C:\Apps\capdesk")
    assert command == ["wine", r"C:\setup.exe", "/S", "/KIOSK=1", r"/D=C:\Apps\capdesk"]
    assert wc.install_command(r"C:\setup.exe", [])[-1] == "/S"


def test_policy_switches_have_no_spaces_and_carry_the_hash(wc: ModuleType) -> None:
    # wine joins argv into one command line and quotes arguments with spaces, which
    # the NSIS switch parser would then see differently from what IT types.
    switches = wc.policy_switches("pbkdf2_sha256$600000$c2FsdA==$aGFzaA==")
    assert all(" " not in s for s in switches)
    assert "/ADMINPINHASH=pbkdf2_sha256$600000$c2FsdA==$aGFzaA==" in switches
    assert {"/CLUSTER=eu", "/KIOSK=1", "/COUNTRY=GB", "/LOCKED=kiosk,cluster"} <= set(switches)


def test_parse_reg_query(wc: ModuleType) -> None:
    output = (
        "\r\nHKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\capdesk\r\n"
        "    DisplayName    REG_SZ    capdesk\r\n"
        "    InstallLocation    REG_SZ    C:\\Program Files\\capdesk\r\n"
        "    EstimatedSize    REG_DWORD    0x00011d2a\r\n"
        "    Empty    REG_SZ    \r\n"
    ).replace("\r\n", "\n")
    values = wc.parse_reg_query(output)
    assert values["DisplayName"] == "capdesk"
    assert values["InstallLocation"] == r"C:\Program Files\capdesk"
    assert values["EstimatedSize"] == "0x00011d2a"
    assert values["Empty"] == ""
    assert wc.parse_reg_query("") == {}


def test_host_path(wc: ModuleType, tmp_path: Path) -> None:
    assert wc.host_path(tmp_path, r"C:\Apps\capdesk") == tmp_path / "Apps" / "capdesk"
    assert wc.host_path(tmp_path, r"c:\Program Files\capdesk\\") == (
        tmp_path / "Program Files" / "capdesk"
    )
    with pytest.raises(ValueError):
        wc.host_path(tmp_path, r"Z:\tmp")


def test_instance_locks_in_either_temp_layout(wc: ModuleType, tmp_path: Path) -> None:
    wine8 = tmp_path / "users" / "root" / "Temp"
    windows = tmp_path / "users" / "clerk" / "AppData" / "Local" / "Temp"
    for folder in (wine8, windows):
        folder.mkdir(parents=True)
    assert wc.instance_locks(tmp_path) == []
    (wine8 / "capdesk-4813494d137e.lock").write_text("")
    (windows / "capdesk-000000000000.lock").write_text("")
    (windows / "other.lock").write_text("")
    assert [p.name for p in wc.instance_locks(tmp_path)] == [
        "capdesk-000000000000.lock",
        "capdesk-4813494d137e.lock",
    ]


def test_activation_verdict_needs_both_sides(wc: ModuleType) -> None:
    second = "2026-11-29 INFO capdesk.app [MainThread] " + wc.SECOND_SAYS
    first = "2026-11-29 INFO capdesk.single_instance [MainThread] " + wc.FIRST_SAYS
    assert wc.activation_verdict(f"{second}\n{first}\n") == (True, True)
    assert wc.activation_verdict(second) == (True, False)
    assert wc.activation_verdict("") == (False, False)


def test_activation_phrases_are_the_apps_own() -> None:
    # The check reads the app's log; if these sentences change, the check must too.
    root = Path(__file__).resolve().parents[2]
    wc = load("wine_checks")
    assert wc.SECOND_SAYS in (root / "capdesk" / "app.py").read_text(encoding="utf-8")
    assert wc.FIRST_SAYS in (root / "capdesk" / "single_instance.py").read_text(encoding="utf-8")
    assert f'"{wc.KIOSK_SAYS}"' in (
        root / "capdesk" / "ui" / "kiosk" / "admin_controls.py"
    ).read_text(encoding="utf-8")


def test_installing_user_skips_public(wc: ModuleType, tmp_path: Path) -> None:
    for name in ("Public", "root"):
        (tmp_path / "users" / name).mkdir(parents=True)
    assert wc.installing_user(tmp_path).name == "root"
    empty = tmp_path / "empty"
    (empty / "users" / "Public").mkdir(parents=True)
    with pytest.raises(RuntimeError):
        wc.installing_user(empty)


def test_results_pass_and_fail_lines(wc: ModuleType) -> None:
    lines: list[str] = []
    results = wc.Results(emit=lines.append)
    assert not results.ok  # nothing checked is not a pass
    assert results.check("one", True)
    assert results.ok
    assert not results.check("two", False, "why")
    assert not results.ok
    assert lines == ["    ok   one", "    FAIL two: why"]
    assert results.failed == ["two"]


def test_wait_until(wc: ModuleType) -> None:
    answers = iter([False, False, True])
    assert wc.wait_until(lambda: next(answers), timeout=5, step=0)
    assert not wc.wait_until(lambda: False, timeout=0.05, step=0.01)
