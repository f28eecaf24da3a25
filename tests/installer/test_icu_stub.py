"""installer/wine/: the test-only ICU stand-in exports what Qt imports, and stays a test tool.

Building and inspecting it needs Debian's mingw-w64 toolchain; the import table of the
real Qt6Core.dll needs the cached PySide6 wheel. Without them those tests skip.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.installer.conftest import INSTALLER, load

windows = load("windows")
WINE = INSTALLER / "wine"
GCC = shutil.which("x86_64-w64-mingw32-gcc")
OBJDUMP = shutil.which("x86_64-w64-mingw32-objdump")


def def_exports() -> list[str]:
    text = (WINE / "icu_stub.def").read_text(encoding="utf-8")
    exports = text.split("EXPORTS", 1)[1]
    return sorted(line.strip() for line in exports.splitlines() if line.strip())


def test_every_export_is_defined_in_the_c_source():
    source = (WINE / "icu_stub.c").read_text(encoding="utf-8")
    for name in def_exports():
        assert re.search(rf"\b{name}\(", source), name
    assert "NEVER SHIPPED" in source


def test_prepare_prefix_is_valid_bash_and_quiet():
    script = WINE / "prepare_prefix.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text(encoding="utf-8")
    assert "WINEDEBUG=-all" in text
    assert "wineboot --init" in text
    assert "system32/icuuc.dll" in text.replace('"$system32/icuuc.dll"', "system32/icuuc.dll")


def _objdump(path: Path) -> str:
    assert OBJDUMP is not None
    return subprocess.run([OBJDUMP, "-p", str(path)], capture_output=True, text=True).stdout


@pytest.mark.skipif(GCC is None or OBJDUMP is None, reason="needs gcc-mingw-w64-x86-64-win32")
def test_the_stand_in_builds_reproducibly_and_exports_exactly_the_def(tmp_path):
    built = []
    for name in ("a", "b"):
        out = tmp_path / name / "icuuc.dll"
        out.parent.mkdir()
        subprocess.run(
            [
                *(GCC, "-shared", "-O2", "-s", "-Wall", "-Werror"),
                *("-Wl,--no-insert-timestamp,--disable-auto-image-base", "-o", out),
                *(WINE / "icu_stub.c", WINE / "icu_stub.def"),
            ],
            check=True,
        )
        built.append(out.read_bytes())
    assert built[0] == built[1]  # so prepare_prefix.sh's "replace when different" holds
    table = _objdump(tmp_path / "a" / "icuuc.dll").split("[Ordinal/Name Pointer] Table", 1)[1]
    table = table.split("\n\n", 1)[0]  # up to the blank line that ends the export table
    exported = sorted(re.findall(r"\[\s*\d+\]\s+(\S+)", table))
    assert exported == def_exports()


@pytest.mark.skipif(OBJDUMP is None, reason="needs binutils-mingw-w64-x86-64")
def test_the_def_matches_what_qt6core_imports_from_icuuc(tmp_path):
    wheels = sorted((windows.cache_dir() / "wheels").glob("pyside6_essentials-*-win_amd64.whl"))
    if not wheels:
        pytest.skip("no cached PySide6-Essentials Windows wheel (build.py --windows)")
    with zipfile.ZipFile(wheels[-1]) as archive:
        archive.extract("PySide6/Qt6Core.dll", tmp_path)
    dump = _objdump(tmp_path / "PySide6" / "Qt6Core.dll")
    block = dump.split("DLL Name: icuuc.dll", 1)[1].split("DLL Name:", 1)[0]
    imported = sorted(re.findall(r"^\s+[0-9a-f]+\s+\d+\s+(\w+)$", block, re.MULTILINE))
    assert imported == def_exports()
