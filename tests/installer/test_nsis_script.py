"""The NSIS script: what it promises, checked statically, and a compile against a tiny build.

Compiling against the real frozen build takes a minute (LZMA over ~150 MB), so that is
``installer/build.py --check``; here makensis compiles against a few placeholder
files in about a second, which proves the script itself compiles on both stubs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from capdesk import __version__
from capdesk.store.policy import KEYS
from tests.installer.conftest import ROOT, load

NSI = ROOT / "installer" / "capdesk.nsi"
README = ROOT / "installer" / "README.md"
TEXT = NSI.read_text(encoding="utf-8")

SWITCHES = set(re.findall(r'!insertmacro ReadOption "(\w+)"', TEXT))


def test_per_machine_admin_install_into_program_files():
    assert re.search(r"^RequestExecutionLevel admin$", TEXT, re.M)
    assert re.search(r'^InstallDir "\$PROGRAMFILES64\\\$\{APP\}"$', TEXT, re.M)
    assert "SetShellVarContext all" in TEXT
    assert '!include "MUI2.nsh"' in TEXT
    assert "Unicode true" in TEXT and "Target amd64-unicode" in TEXT


def test_add_remove_programs_entry_is_complete():
    for value in (
        "DisplayName",
        "DisplayVersion",
        "Publisher",
        "DisplayIcon",
        "InstallLocation",
        "UninstallString",
        "QuietUninstallString",
        "EstimatedSize",
    ):
        assert re.search(rf'WriteReg(Str|DWORD) HKLM "\$\{{UNINST_KEY\}}" "{value}"', TEXT), value
    assert "'\"$INSTDIR\\uninstall.exe\" /S'" in TEXT


def test_switches_are_the_documented_set():
    assert {
        "CLUSTER",
        "BASEURL",
        "KIOSK",
        "CLIPBOARDTIMEOUT",
        "IDLETIMEOUT",
        "COUNTRY",
        "CARDMETHOD",
        "ADMINPINHASH",
        "LOCKED",
        "DESKTOPSHORTCUT",
    } == SWITCHES
    readme = README.read_text(encoding="utf-8")
    for switch in [*SWITCHES, "ADMINPIN", "REMOVEUSERDATA", "S", "D"]:
        assert f"/{switch}" in readme, f"/{switch} is not documented in installer/README.md"


def test_plain_pin_is_refused_and_never_written():
    assert 'Push "/ADMINPIN="' in TEXT
    assert "A plain PIN is never accepted" in TEXT
    assert not re.search(r'PolicyValue "admin_pin"\s', TEXT)


def test_policy_keys_written_are_keys_the_app_reads():
    written = set(re.findall(r'!insertmacro PolicyValue "(\w+)"', TEXT))
    assert written == {
        "cluster",
        "base_url",
        "kiosk",
        "clipboard_timeout",
        "default_country",
        "card_method",
        "admin_pin_hash",
        "idle_timeout",
        "locked",
    }
    assert written - {"locked"} <= set(KEYS)
    assert '!define POLICY_SECTION "capdesk"' in TEXT


def test_uninstall_keeps_user_data_when_silent_unless_told():
    assert "/SD IDNO IDYES remove IDNO keep" in TEXT
    assert '${ElseIf} $RemoveUserData == "1"' in TEXT


def _makensis() -> str:
    found = shutil.which("makensis")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("makensis is missing: CI must install Debian's nsis package")
        pytest.skip("makensis is not installed (apt-get install nsis)")
    return found


@pytest.fixture
def tiny_build(tmp_path):
    dist = tmp_path / "capdesk"
    (dist / "_internal").mkdir(parents=True)
    (dist / "resources").mkdir()
    for name in ("capdesk.exe", "capdesk-cli.exe", "_internal/base_library.zip"):
        (dist / name).write_bytes(b"placeholder")
    shutil.copy(ROOT / "resources" / "capdesk.ico", dist / "resources" / "capdesk.ico")
    return dist


@pytest.mark.parametrize("target", ["x86", "amd64"])
def test_script_compiles(tmp_path, tiny_build, target):
    makensis = _makensis()
    if target == "amd64" and not load("build").has_amd64_stubs(makensis):
        pytest.skip("this NSIS has no amd64 stubs (the Windows release ships x86 only)")
    out = tmp_path / f"setup-{target}.exe"
    command = [
        makensis,
        "-V2",
        f"-DVERSION={__version__}",
        "-DVERSION4=0.1.0.0",
        f"-DDIST_DIR={tiny_build}",
        f"-DOUT_FILE={out}",
        f"-DICON={ROOT / 'resources' / 'capdesk.ico'}",
        *(["-DAMD64"] if target == "amd64" else []),
        str(NSI),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.read_bytes()[:2] == b"MZ"


def test_script_refuses_to_compile_without_a_version(tmp_path, tiny_build):
    makensis = _makensis()
    result = subprocess.run(
        [makensis, "-V1", f"-DDIST_DIR={tiny_build}", f"-DOUT_FILE={tmp_path / 'x.exe'}", str(NSI)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "VERSION is not defined" in result.stdout + result.stderr
