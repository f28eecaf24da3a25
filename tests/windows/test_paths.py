"""Where capdesk keeps its files on Windows, as Windows itself reports the folders.

platformdirs asks the shell (``SHGetKnownFolderPath`` through ctypes) for the folders;
these tests check the answer against the environment Windows sets for the same
folders (``%LOCALAPPDATA%``, ``%ProgramData%``) and the portable marker beside the exe.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from capdesk.paths import PORTABLE_MARKER, AppPaths, default_paths


@pytest.fixture(autouse=True)
def no_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real lookup: without the test overrides tests/conftest.py sets elsewhere."""
    monkeypatch.delenv("CAPDESK_HOME", raising=False)
    monkeypatch.delenv("CAPDESK_MACHINE_CONFIG", raising=False)


def _same(a: Path, b: Path) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def test_user_folders_are_under_localappdata_and_policy_under_programdata() -> None:
    paths = default_paths(environ={})
    local = Path(os.environ["LOCALAPPDATA"])
    assert _same(paths.config_dir, local / "capdesk")
    assert _same(paths.data_dir, local / "capdesk")
    assert _same(paths.log_dir.parent, local / "capdesk")  # platformdirs adds "Logs"
    program_data = Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData"))
    assert _same(program_data, Path(r"C:\ProgramData"))
    assert _same(paths.machine_config_dir, program_data / "capdesk")
    assert _same(paths.policy_file, Path(r"C:\ProgramData\capdesk\policy.ini"))
    assert not paths.portable


def test_capdesk_home_and_machine_config_override_on_windows(tmp_path: Path) -> None:
    paths = default_paths(
        environ={"CAPDESK_HOME": str(tmp_path / "h"), "CAPDESK_MACHINE_CONFIG": str(tmp_path)}
    )
    assert paths.config_dir == tmp_path / "h" / "config"
    assert paths.machine_config_dir == tmp_path


def test_the_portable_marker_beside_the_exe_keeps_everything_beside_it(tmp_path: Path) -> None:
    exe_dir = tmp_path / "E" / "capdesk"
    exe_dir.mkdir(parents=True)
    assert not default_paths(environ={}, exe_dir=exe_dir).portable
    (exe_dir / PORTABLE_MARKER).write_bytes(b"")
    paths = default_paths(environ={}, exe_dir=exe_dir)
    assert paths.portable
    assert paths.config_dir == exe_dir / "capdesk-data" / "config"
    assert paths.machine_config_dir == exe_dir / "capdesk-data" / "machine"
    paths.ensure()  # creatable on Windows (no POSIX modes involved)
    assert all(p.is_dir() for p in (paths.config_dir, paths.data_dir, paths.log_dir))


def test_a_frozen_exe_with_the_marker_is_portable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The frozen case: ``sys.executable`` is capdesk.exe, its folder holds ``portable``."""
    (tmp_path / "capdesk.exe").write_bytes(b"MZ")
    (tmp_path / PORTABLE_MARKER).write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "capdesk.exe"))
    paths = default_paths(environ={})
    assert paths.portable
    assert _same(paths.data_dir, tmp_path / "capdesk-data" / "data")


def test_user_folders_can_be_created_where_windows_puts_them(tmp_path: Path) -> None:
    home = tmp_path / "profile"
    paths = AppPaths(home / "c", home / "d", home / "l", tmp_path / "m")
    assert paths.create_folders() == []
    assert paths.settings_file.parent.is_dir()
