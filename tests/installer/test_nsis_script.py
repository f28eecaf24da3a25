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
    assert re.search(r"^Target amd64-unicode$", TEXT, re.M)


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


def _code(text: str) -> list[str]:
    """The script's lines without comments and blank lines."""
    lines = (line.split(";", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def _function(name: str) -> list[str]:
    """The code lines of ``Function name`` ... ``FunctionEnd``."""
    code = _code(TEXT)
    start = code.index(f"Function {name}")
    return code[start : code.index("FunctionEnd", start)]


def test_one_stub_everywhere_amd64_unicode():
    """Windows built with x86 stubs and the wine check with amd64 ones, so the check never
    saw the x86 installer's registry view; now there is one Target, unconditional."""
    code = _code(TEXT)
    assert code.count("Target amd64-unicode") == 1
    assert not any(line.startswith(("Unicode ", "!ifdef AMD64", "!ifndef AMD64")) for line in code)
    position = code.index("Target amd64-unicode")
    assert not any(line.startswith("!if") for line in code[position - 1 : position])
    build_source = (ROOT / "installer" / "build.py").read_text(encoding="utf-8")
    assert "DAMD64" not in build_source and "--nsis-target" not in build_source
    workflow = (ROOT / ".github" / "workflows" / "windows.yml").read_text(encoding="utf-8")
    assert "choco install nsis" not in workflow  # the sourceforge build: x86 stubs only
    assert "lzma_solid-amd64-unicode" in workflow


def test_upgrade_reads_the_previous_folder_from_the_64_bit_view():
    """InstallDirRegKey is read before .onInit's SetRegView 64: an x86 installer looked in
    WOW6432Node, found nothing and upgraded a /D= install into Program Files."""
    assert not any(line.startswith("InstallDirRegKey") for line in _code(TEXT))
    on_init = _function(".onInit")
    assert on_init.index("SetRegView 64") < on_init.index("Call ReadPreviousInstallDir")
    previous = _function("ReadPreviousInstallDir")
    read = 'ReadRegStr $0 HKLM "${UNINST_KEY}" "InstallLocation"'
    assert read in previous
    # /D= wins: only the unchanged default $INSTDIR is replaced, and only by a real value.
    keep_d = previous.index('${If} $INSTDIR != "$PROGRAMFILES64\\${APP}"')
    assert keep_d < previous.index(read) < previous.index("StrCpy $INSTDIR $0")
    assert previous[keep_d + 1] == "Return"
    # The Section writes InstallLocation to the same (64-bit) key it is read from.
    assert 'WriteRegStr HKLM "${UNINST_KEY}" "InstallLocation" "$INSTDIR"' in TEXT


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


def test_script_compiles_to_a_64_bit_installer(tmp_path, tiny_build):
    makensis = _makensis()
    if not load("build").has_amd64_stubs(makensis):
        pytest.fail("this NSIS has no amd64-unicode stubs, which capdesk.nsi needs")
    out = tmp_path / "setup.exe"
    command = [
        makensis,
        "-V2",
        f"-DVERSION={__version__}",
        "-DVERSION4=0.1.0.0",
        f"-DDIST_DIR={tiny_build}",
        f"-DOUT_FILE={out}",
        f"-DICON={ROOT / 'resources' / 'capdesk.ico'}",
        str(NSI),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    exe = out.read_bytes()
    assert exe[:2] == b"MZ"
    pe = int.from_bytes(exe[0x3C:0x40], "little")
    assert exe[pe : pe + 4] == b"PE\0\0"
    assert int.from_bytes(exe[pe + 4 : pe + 6], "little") == 0x8664  # x86-64, not i386


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
