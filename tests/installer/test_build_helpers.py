"""installer/build.py's own logic: naming, stub detection, timing, the smoke verdict."""

from __future__ import annotations

import sys

from capdesk import __version__
from tests.installer.conftest import load

build = load("build")


def test_installer_name_says_when_it_is_only_a_compile_check():
    name = build.installer_path().name
    if sys.platform == "win32":
        assert name == f"capdesk-{__version__}-setup.exe"
    else:
        assert name == f"capdesk-{__version__}-setup-{sys.platform}-check.exe"


def test_amd64_stubs_are_found_beside_makensis(tmp_path):
    nsis = tmp_path / "nsis"
    (nsis / "Stubs").mkdir(parents=True)
    makensis = nsis / "makensis.exe"
    makensis.write_bytes(b"")
    assert build.has_amd64_stubs(str(makensis)) is False
    (nsis / "Stubs" / "lzma_solid-amd64-unicode").write_bytes(b"")
    assert build.has_amd64_stubs(str(makensis)) is True


def test_timed_reports_first_line_and_exit(tmp_path):
    script = "import time,sys; print('ok   one', flush=True); time.sleep(0.2); print('ok   two')"
    run = build.timed([sys.executable, "-c", script], build.isolated_env(tmp_path))
    assert run.code == 0
    assert run.lines == ["ok   one", "ok   two"]
    assert 0 < run.first_line_s < run.total_s
    assert run.total_s - run.first_line_s >= 0.15
    assert build.smoke_ok(run)


def test_smoke_verdict_needs_ok_lines_and_exit_zero():
    ok = build.Run(0.1, 0.2, 0, ["ok   window open", "ok   smoke test passed"])
    assert build.smoke_ok(ok)
    assert not build.smoke_ok(build.Run(0.1, 0.2, 1, ok.lines))
    assert not build.smoke_ok(build.Run(0.1, 0.2, 0, ["ok   window open", "FAIL no OTP"]))
    assert not build.smoke_ok(build.Run(0.1, 0.2, 0, ["Traceback (most recent call last):"]))


def test_tree_size_counts_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_bytes(b"12345")
    (tmp_path / "y").write_bytes(b"123")
    assert build.tree_size(tmp_path) == (8, 2)
