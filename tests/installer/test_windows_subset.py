"""The pure parts of running tests/windows under wine (installer/windows.py), no wine.

What goes into the test interpreter (pytest's Windows closure from uv.lock, by hash, and
nothing the build interpreter already has), how pytest is started there, and how its
summary decides the check. The subset itself runs only on a Windows interpreter.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import pytest

from tests.installer.conftest import ROOT, load

windows = load("windows")


def test_the_test_interpreter_adds_pytest_and_its_windows_only_closure():
    names = windows.windows_test_packages(windows.read_lock())
    assert names == ["colorama", "iniconfig", "pluggy", "pygments", "pytest"]
    # colorama only because the marker sys_platform == 'win32' holds for the target;
    # packaging is in the build interpreter already (PyInstaller's) and not repeated.
    assert "packaging" not in names
    assert not set(names) & set(windows.windows_packages(windows.read_lock()))


def test_the_test_wheels_are_pure_python_and_pinned_by_uv_lock():
    lock_text = (ROOT / "uv.lock").read_text(encoding="utf-8")
    wheels = windows.windows_test_wheels()
    assert len(wheels) == 5
    for wheel in wheels:
        assert wheel.filename.endswith("-none-any.whl"), wheel.filename
        assert re.fullmatch(r"[0-9a-f]{64}", wheel.sha256)
        assert f'"{wheel.url}", hash = "sha256:{wheel.sha256}"' in lock_text


def test_a_dev_tool_missing_from_the_lock_stops_with_a_sentence():
    with pytest.raises(windows.VerificationError, match=r"not in uv\.lock"):
        windows.windows_test_packages(windows.read_lock(), tools=("no-such-tool",))


def test_the_test_interpreter_is_a_copy_and_the_build_one_is_left_alone(tmp_path):
    build = tmp_path / "python"
    (build / "Lib" / "site-packages").mkdir(parents=True)
    (build / "python.exe").write_bytes(b"MZ")
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo/__init__.py", "")
        archive.writestr("demo-1.0.dist-info/METADATA", "Name: demo\n")
    target = tmp_path / "python-tests"
    (target / "stale").mkdir(parents=True)
    assert windows.stage_test_interpreter(build, target, [wheel]) == 2
    assert (target / "python.exe").read_bytes() == b"MZ"
    assert (target / "Lib" / "site-packages" / "demo" / "__init__.py").exists()
    assert not (target / "stale").exists()  # rebuilt every run
    assert not (build / "Lib" / "site-packages" / "demo").exists()


def test_pytest_runs_the_subset_with_its_own_ini_on_windows_paths(tmp_path):
    command = windows.windows_tests_command(tmp_path / "python.exe")
    tests = windows.WINDOWS_TESTS
    assert command[:4] == ["wine", windows.wine_path(tmp_path / "python.exe"), "-m", "pytest"]
    assert command[command.index("-c") + 1] == windows.wine_path(tests / "pytest.ini")
    assert command[-1] == windows.wine_path(tests)
    assert all(not part.startswith("/") for part in command[1:])
    assert (tests / "pytest.ini").is_file() and (tests / "conftest.py").is_file()


def test_the_subset_sees_real_paths_and_qwindows_not_the_test_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("CAPDESK_HOME", "/tmp/elsewhere")
    monkeypatch.setenv("CAPDESK_MACHINE_CONFIG", "/tmp/elsewhere")
    monkeypatch.setenv("QT_API", "pyside6")
    env = windows.windows_tests_env(tmp_path / "prefix", ":7", tmp_path / "home")
    assert env["DISPLAY"] == ":7" and env["QT_QPA_PLATFORM"] == "windows"
    assert env["WINEPREFIX"] == str(tmp_path / "prefix")
    assert not {"CAPDESK_HOME", "CAPDESK_MACHINE_CONFIG", "QT_API"} & set(env)


@pytest.mark.parametrize(
    ("lines", "code", "passed", "ok"),
    [
        (["....", "22 passed in 5.73s"], 0, 22, True),
        (["======= 3 passed, 1 warning in 0.10s ======="], 0, 3, True),
        (["F.", "1 failed, 1 passed in 1.00s"], 1, 1, False),
        (["1 passed, 1 skipped in 1.00s"], 0, 1, False),  # a skip is an unexercised path
        (["1 passed, 1 error in 1.00s"], 1, 1, False),
        (["no tests ran in 0.01s"], 5, 0, False),
        (["....", "(killed)"], None, 0, False),  # timed out: no summary
        (["5 passed in 1.00s"], 1, 5, False),  # the exit code has the last word
    ],
)
def test_the_check_passes_only_when_pytest_says_so_and_nothing_was_skipped(lines, code, passed, ok):
    outcome = windows.parse_pytest_summary(lines, code)
    assert outcome.passed == passed
    assert outcome.ok is ok


def test_linux_runs_neither_collect_nor_skip_the_windows_subset():
    from tests import conftest

    if sys.platform == "win32":
        assert conftest.collect_ignore == []
    else:
        assert conftest.collect_ignore == ["windows"]
    assert Path(conftest.__file__).parent / "windows" == windows.WINDOWS_TESTS
