"""One build command: freeze capdesk, check it, and package the offline installer.

    uv run python installer/build.py                # dist/capdesk/ + dist/capdesk-<v>-setup.exe
    uv run python installer/build.py --check        # + smoke test of the frozen build, figures
    uv run python installer/build.py --skip-nsis    # freeze only
    uv run python installer/build.py --skip-freeze  # package an existing dist/capdesk/
    uv run python installer/build.py --windows [--check]  # the real Windows app, under wine

On Windows the result is the real installer. Elsewhere the same spec builds the
onedir for this OS (so ``--check`` can run the frozen app) and the NSIS script is
compiled against that build when ``makensis`` is installed: that proves the script
compiles, but the resulting setup.exe holds non-Windows files, so it is named
``...-setup-<os>-check.exe`` and is never shipped.

``--check`` runs ``capdesk-cli --smoke-test`` on the frozen build with Qt offscreen
and throw-away user folders, then measures the bundle, the installer and start-up
(frozen vs ``python -m capdesk``, runs interleaved, medians) and writes
``dist/figures.json``. Exit code 0 only when every step passed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "installer"))
sys.path.insert(0, str(ROOT))

import versioninfo  # noqa: E402

from capdesk import __version__  # noqa: E402

IS_WINDOWS = sys.platform == "win32"
EXE = ".exe" if IS_WINDOWS else ""
DIST = ROOT / "dist"
BUNDLE = DIST / "capdesk"
WORK = ROOT / "build"
SPEC = ROOT / "installer" / "capdesk.spec"
NSI = ROOT / "installer" / "capdesk.nsi"
ICON = ROOT / "resources" / "capdesk.ico"
SMOKE_TIMEOUT_S = 120


def say(text: str) -> None:
    print(f"[build] {text}", flush=True)


def tree_size(folder: Path) -> tuple[int, int]:
    """(bytes, files) under ``folder``."""
    total = count = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
            count += 1
    return total, count


def mb(size: int) -> float:
    return round(size / 1_000_000, 1)


# --- freeze ----------------------------------------------------------------------------


def freeze(clean: bool) -> None:
    version_dir = WORK / "versioninfo"
    versioninfo.write_version_files(__version__, version_dir)
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level=WARN",
        "--distpath",
        str(DIST),
        "--workpath",
        str(WORK / "pyinstaller"),
        *(["--clean"] if clean else []),
        str(SPEC),
        "--",
        "--version-dir",
        str(version_dir),
    ]
    say(f"freezing capdesk {__version__} with PyInstaller (onedir, no UPX)")
    started = time.monotonic()
    subprocess.run(command, check=True, cwd=ROOT)
    size, files = tree_size(BUNDLE)
    say(f"froze {BUNDLE} in {time.monotonic() - started:.0f} s: {mb(size)} MB in {files} files")


# --- NSIS ------------------------------------------------------------------------------


def find_makensis(given: str | None) -> str | None:
    if given:
        return given
    found = shutil.which("makensis")
    if found or not IS_WINDOWS:
        return found
    for base in (os.environ.get("PROGRAMFILES(X86)"), os.environ.get("PROGRAMFILES")):
        candidate = Path(base or "") / "NSIS" / "makensis.exe"
        if base and candidate.exists():
            return str(candidate)
    return None


def has_amd64_stubs(makensis: str) -> bool:
    """Debian's NSIS ships 64-bit installer stubs; the Windows release does not."""
    exe = Path(makensis).resolve()
    for stubs in (exe.parent / "Stubs", exe.parent.parent / "share" / "nsis" / "Stubs"):
        if (stubs / "lzma_solid-amd64-unicode").exists():
            return True
    return False


def installer_path() -> Path:
    if IS_WINDOWS:
        return DIST / f"capdesk-{__version__}-setup.exe"
    return DIST / f"capdesk-{__version__}-setup-{sys.platform}-check.exe"


def compile_nsis(makensis: str, out_file: Path, bundle: Path = BUNDLE) -> float:
    """Compile installer/capdesk.nsi against ``bundle``; returns seconds taken.

    ``bundle`` is dist/capdesk, or dist/windows/capdesk for ``--windows`` (the real
    Windows build made under wine, whose setup.exe *is* for Windows).

    Always with the amd64-unicode stubs (``Target amd64-unicode`` in the script): the
    installer tested here and under wine must be the one Windows gets. An x86 stub
    reads the registry through WOW6432Node until ``.onInit`` switches views, which hid
    an upgrade bug from the amd64 wine check. An NSIS without those stubs (the
    nsis.sourceforge.io release) is refused with a sentence instead of silently
    building a different installer.
    """
    if not has_amd64_stubs(makensis):
        raise SystemExit(
            f"[build] FAILED: {makensis} has no amd64-unicode stubs, which capdesk.nsi "
            "needs. Use Debian's nsis package, or on Windows MSYS2's "
            "mingw-w64-ucrt-x86_64-nsis (the nsis.sourceforge.io release has x86 stubs only)."
        )
    flag = "-"  # makensis takes "-" options on every OS ("/" only on Windows)
    command = [
        makensis,
        f"{flag}V2",
        f"{flag}DVERSION={__version__}",
        f"{flag}DVERSION4={versioninfo.dotted4(__version__)}",
        f"{flag}DDIST_DIR={bundle}",
        f"{flag}DOUT_FILE={out_file}",
        f"{flag}DICON={ICON}",
        str(NSI),
    ]
    say(f"compiling the NSIS script (amd64-unicode) with {makensis}")
    if not IS_WINDOWS and bundle == BUNDLE:
        say(
            "this is a compile check of capdesk.nsi against the "
            f"{sys.platform} build; the setup.exe it makes is not for Windows"
        )
    started = time.monotonic()
    subprocess.run(command, check=True, cwd=NSI.parent)
    took = time.monotonic() - started
    say(f"wrote {out_file} ({mb(out_file.stat().st_size)} MB) in {took:.0f} s")
    return took


# --- checks and figures ----------------------------------------------------------------


@dataclass
class Run:
    first_line_s: float  # until the window reported itself open
    total_s: float
    code: int
    lines: list[str] = field(default_factory=list)
    timed_out: bool = False  # killed (with its whole process group) at the deadline


def isolated_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        CAPDESK_HOME=str(home / "home"),
        CAPDESK_MACHINE_CONFIG=str(home / "machine"),
    )
    (home / "machine").mkdir(parents=True, exist_ok=True)
    return env


def _kill_group(process: subprocess.Popen[str]) -> None:
    """Kill ``process`` and everything it started: a child that inherited the pipe (wine's
    helpers, a Qt worker) would otherwise keep it open and the read would never end."""
    if IS_WINDOWS:
        subprocess.run(
            ["taskkill", "/F", "/T", "/PID", str(process.pid)],
            capture_output=True,
            check=False,
            timeout=30,
        )
    else:
        with contextlib.suppress(ProcessLookupError):  # the group it leads (new session)
            os.killpg(process.pid, signal.SIGKILL)
    process.kill()  # in case it was not (or no longer) a group leader


def timed(command: list[str], env: dict[str, str], timeout_s: float | None = None) -> Run:
    """Run ``command``; time to its first output line and to its exit.

    The whole run is bounded by ``timeout_s`` (default ``SMOKE_TIMEOUT_S``): a program
    that prints and then hangs, or exits while a child still holds its stdout, is
    killed with its process group at the deadline and the Run says ``timed_out``.
    (Reading stdout to its end first, as before, waited for ever on such a program:
    under wine with Qt offscreen ``--check`` never returned.) The lines are read in a
    thread, which ``communicate()`` cannot do, so the first line keeps its own time.
    """
    limit = SMOKE_TIMEOUT_S if timeout_s is None else timeout_s
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
        start_new_session=not IS_WINDOWS,  # its own process group, killed as one
        creationflags=subprocess.CREATE_NEW_PROCESS_GROUP if IS_WINDOWS else 0,
    )
    assert process.stdout is not None
    stdout = process.stdout
    first: list[float] = []
    lines: list[str] = []

    def read() -> None:
        for line in stdout:
            if not first:
                first.append(time.perf_counter() - started)
            lines.append(line.rstrip())

    reader = threading.Thread(target=read, name="timed-reader", daemon=True)
    reader.start()
    deadline = started + limit
    timed_out = False
    try:
        process.wait(timeout=max(0.0, deadline - time.perf_counter()))
        reader.join(timeout=max(0.0, deadline - time.perf_counter()))
        timed_out = reader.is_alive()  # exited, but a child still holds the pipe
    except subprocess.TimeoutExpired:
        timed_out = True
    if timed_out:
        _kill_group(process)
        process.wait(timeout=30)
        reader.join(timeout=5)  # the pipe closes with the group; never wait for ever
    total = time.perf_counter() - started
    code = process.returncode if process.returncode is not None else -1
    return Run(first[0] if first else 0.0, total, code, list(lines), timed_out)


def smoke_ok(run: Run) -> bool:
    steps = [line for line in run.lines if line.startswith(("ok ", "FAIL"))]
    return (
        run.code == 0
        and not run.timed_out
        and bool(steps)
        and all(line.startswith("ok ") for line in steps)
    )


def check(runs: int, installer: Path | None) -> dict[str, object]:
    frozen = [str(BUNDLE / f"capdesk-cli{EXE}")]
    source = [sys.executable, "-m", "capdesk"]
    figures: dict[str, object] = {"version": __version__, "platform": sys.platform}
    with tempfile.TemporaryDirectory(prefix="capdesk-check-") as tmp:
        say("smoke test of the frozen build (Qt offscreen, throw-away user folders)")
        first = timed([*frozen, "--smoke-test"], isolated_env(Path(tmp) / "smoke"))
        for line in first.lines:
            print(f"    {line}")
        if not smoke_ok(first):
            if first.timed_out:
                say(f"FAILED: the frozen --smoke-test did not end within {SMOKE_TIMEOUT_S} s")
            else:
                say(f"FAILED: the frozen --smoke-test exited {first.code}")
            figures["smoke_test"] = "failed"
            return figures
        figures["smoke_test"] = "passed"
        try:
            pin = subprocess.run(
                [*frozen, "hash-pin"],
                input="2468\n",
                capture_output=True,
                text=True,
                check=False,
                timeout=SMOKE_TIMEOUT_S,
            )
            hashed = pin.stdout.startswith("pbkdf2_sha256$")
        except subprocess.TimeoutExpired:
            say(f"FAILED: the frozen hash-pin did not end within {SMOKE_TIMEOUT_S} s")
            hashed = False
        figures["hash_pin"] = "passed" if hashed else "failed"

        measured: dict[str, list[Run]] = {"frozen": [], "source": []}
        version_runs: dict[str, list[float]] = {"frozen": [], "source": []}
        for index in range(runs):
            for name, command in (("frozen", frozen), ("source", source)):
                env = isolated_env(Path(tmp) / f"{name}-{index}")
                measured[name].append(timed([*command, "--smoke-test"], env))
                version_runs[name].append(timed([*command, "--version"], env).total_s)
        for name, results in measured.items():
            bad = [r for r in results if not smoke_ok(r)]
            if bad:
                ended = "timed out" if bad[0].timed_out else f"exited {bad[0].code}"
                say(f"FAILED: a {name} --smoke-test run {ended}")
                figures["smoke_test"] = "failed"
            figures[f"{name}_window_open_s"] = round(
                statistics.median(r.first_line_s for r in results), 2
            )
            figures[f"{name}_smoke_test_total_s"] = round(
                statistics.median(r.total_s for r in results), 2
            )
            figures[f"{name}_version_s"] = round(statistics.median(version_runs[name]), 2)
    size, files = tree_size(BUNDLE)
    figures.update(bundle_mb=mb(size), bundle_files=files, runs=runs)
    figures["exe_mb"] = mb((BUNDLE / f"capdesk{EXE}").stat().st_size)
    if installer is not None and installer.exists():
        figures["installer_mb"] = mb(installer.stat().st_size)
    return figures


def print_figures(figures: dict[str, object]) -> None:
    say("figures:")
    for key, value in figures.items():
        print(f"    {key:28} {value}")


def portable_zip() -> Path:
    """dist/capdesk-<v>-portable.zip: the onedir plus the ``portable`` marker."""
    target = DIST / f"capdesk-{__version__}-portable.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(BUNDLE.rglob("*")):
            if path.is_file():
                archive.write(path, Path("capdesk") / path.relative_to(BUNDLE))
        archive.writestr("capdesk/portable", "settings and history stay in this folder\n")
    say(f"wrote {target} ({mb(target.stat().st_size)} MB)")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="smoke-test and measure the build")
    parser.add_argument("--skip-freeze", action="store_true", help="reuse dist/capdesk")
    parser.add_argument("--skip-nsis", action="store_true", help="do not build the installer")
    parser.add_argument("--clean", action="store_true", help="clear PyInstaller's cache first")
    parser.add_argument("--makensis", help="path of makensis (default: found on PATH)")
    parser.add_argument("--portable-zip", action="store_true", help="also zip a portable copy")
    parser.add_argument("--runs", type=int, default=3, help="start-up runs per variant")
    parser.add_argument("--figures", type=Path, default=DIST / "figures.json")
    parser.add_argument(
        "--windows",
        action="store_true",
        help="on Linux: build the real Windows app under wine (installer/windows.py)",
    )
    parser.add_argument(
        "--wine-prefix", type=Path, help="with --windows (default: build/windows/prefix)"
    )
    parser.add_argument(
        "--windows-tests",
        action="store_true",
        help="with --windows: run tests/windows on the Windows interpreter under wine",
    )
    args = parser.parse_args(argv)

    if args.windows:
        import windows  # only --windows needs packaging, wine and the download cache

        return windows.main(args)

    if not args.skip_freeze:
        freeze(args.clean)
    elif not (BUNDLE / f"capdesk-cli{EXE}").exists():
        say(f"FAILED: --skip-freeze but there is no build in {BUNDLE}")
        return 1

    installer: Path | None = None
    nsis_seconds = None
    if not args.skip_nsis:
        makensis = find_makensis(args.makensis)
        if makensis is None:
            say("makensis not found: skipping the installer (install NSIS to build it)")
        else:
            installer = installer_path()
            nsis_seconds = compile_nsis(makensis, installer)
    if args.portable_zip:
        portable_zip()
    if not args.check:
        return 0
    figures = check(args.runs, installer)
    if nsis_seconds is not None:
        figures["nsis_compile_s"] = round(nsis_seconds, 1)
    print_figures(figures)
    args.figures.parent.mkdir(parents=True, exist_ok=True)
    args.figures.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    ok = figures.get("smoke_test") == "passed" and figures.get("hash_pin") == "passed"
    say("check passed" if ok else "check FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
