"""The real Windows installer, installed, run, upgraded and removed under wine.

    uv run python installer/build.py --windows --check   # runs these after the smoke test
    uv run python installer/wine_checks.py [--setup dist/capdesk-<v>-setup.exe]

Why: the setup.exe that ``build.py --windows`` makes from the real Windows bundle is
what IT deploys, and until now only ``.github/workflows/windows.yml`` (which cannot
run here) ever installed it. Issue 10, section 2 asks that, on every CI run, it

1. installs silently with policy switches (kiosk, cluster, country, a PIN hash) and
   ``policy.ini`` says so, as capdesk's own policy loader reads it;
2. the **installed** ``capdesk-cli.exe --smoke-test`` passes with that policy in
   ``C:\\ProgramData\\capdesk``. The smoke test always runs on the training cluster
   in a throw-away profile, so it cannot show the policy by itself; the same
   installed exe then proves it read the file: ``card-number --cluster training`` is
   refused as locked (exit 2) and ``card-number`` alone goes to the locked cluster
   (EU: "not signed in", exit 3) — both offline, both only true with the policy;
3. a second kiosk launch of ``capdesk.exe`` activates the first: the second exits 0
   promptly and logs "already running", the first logs that it was asked to come to
   the front (capdesk/single_instance.py) and keeps running;
4. an upgrade keeps a ``/D=`` folder (the NSIS script reads ``InstallLocation`` in
   the 64-bit view): files updated there, nothing in the default folder;
5. a silent uninstall, without and with ``/REMOVEUSERDATA=1``, leaves what
   installer/README.md promises.

Everything runs in a fresh wine prefix of its own (``prepare_prefix.sh``), never in
the build's prefix, so a later build is not affected and no earlier state helps.
Wine's quirks as in ``windows.py``: output read through a pipe (never a file), one
Xvfb and a persistent wineserver started first, every run bounded and killed with
its process group. The pure parts are unit-tested in
``tests/installer/test_wine_checks.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "installer") not in sys.path:
    sys.path.insert(0, str(ROOT / "installer"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import windows  # noqa: E402

PIN = "246810"
APP_DIR = r"C:\Apps\capdesk"  # the /D= folder of the first install
DEFAULT_DIR = r"C:\Program Files\capdesk"
UNINST_KEY = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\capdesk"
# What the policy switches of the first install must come back as, read by
# capdesk.store.policy (values after its own validation).
EXPECTED_POLICY: dict[str, object] = {
    "cluster": "eu",
    "kiosk": True,
    "default_country": "GB",
}
EXPECTED_LOCKED = frozenset({"kiosk", "cluster"})
INSTALL_TIMEOUT_S = 180.0
RUN_TIMEOUT_S = 120.0
GONE_TIMEOUT_S = 60.0
KIOSK_START_TIMEOUT_S = 60.0
SECOND_LAUNCH_TIMEOUT_S = 30.0  # "promptly": it connects for at most 2 s, then exits
# Log lines of capdesk.app (the second launch) and capdesk.single_instance (the first).
SECOND_SAYS = "capdesk is already running: brought it to the front"
FIRST_SAYS = "another launch asked this window to come to the front"
KIOSK_SAYS = "kiosk locked"  # capdesk.ui.kiosk.admin_controls, once the kiosk window is built


# --- pure parts (unit-tested) ----------------------------------------------------------


def install_command(setup: str, switches: list[str], folder: str | None = None) -> list[str]:
    """``wine setup.exe /S switches... [/D=folder]``: ``/D=`` must be last, unquoted."""
    command = ["wine", setup, "/S", *switches]
    if folder is not None:
        command.append(f"/D={folder}")
    return command


def policy_switches(pin_hash: str) -> list[str]:
    """The first install's switches: a locked kiosk on EU with a PIN, British numbers.

    Passed as separate arguments (wine joins them into the Windows command line; none
    contains a space, so none is quoted and the NSIS switch parser sees them as typed).
    """
    return [
        "/CLUSTER=eu",
        "/KIOSK=1",
        "/COUNTRY=GB",
        f"/ADMINPINHASH={pin_hash}",
        "/LOCKED=kiosk,cluster",
        "/DESKTOPSHORTCUT=1",
    ]


def parse_reg_query(output: str) -> dict[str, str]:
    """``reg query KEY`` output as {value name: data} (``REG_*`` type dropped)."""
    values: dict[str, str] = {}
    for line in output.splitlines():
        match = re.match(r"^\s+(\S.*?)\s+(REG_[A-Z_]+)\s*(.*?)\s*$", line)
        if match:
            values[match.group(1)] = match.group(3)
    return values


def host_path(drive_c: Path, windows_path: str) -> Path:
    r"""``C:\a\b`` as the Linux path inside the prefix's ``drive_c``."""
    if not windows_path[:2].upper() == "C:":
        raise ValueError(f"not on drive C: {windows_path}")
    parts = [p for p in windows_path[2:].replace("\\", "/").split("/") if p]
    return drive_c.joinpath(*parts)


def temp_dirs(drive_c: Path) -> list[Path]:
    """Each user's %TEMP% (wine 8: ``users\\<name>\\Temp``; Windows: ``AppData\\Local\\Temp``)."""
    users = drive_c / "users"
    found = [*users.glob("*/Temp"), *users.glob("*/AppData/Local/Temp")]
    return sorted(p for p in found if p.is_dir())


def instance_locks(drive_c: Path) -> list[Path]:
    """SingleInstance's ``capdesk-<user hash>.lock`` files in any user's %TEMP%."""
    return sorted(lock for folder in temp_dirs(drive_c) for lock in folder.glob("capdesk-*.lock"))


def activation_verdict(log_text: str) -> tuple[bool, bool]:
    """(the second launch said it found the first, the first said it was asked to come up)."""
    return SECOND_SAYS in log_text, FIRST_SAYS in log_text


def installing_user(drive_c: Path) -> Path:
    """The prefix's own user profile (not Public), whose %LOCALAPPDATA% the app uses."""
    profiles = [p for p in sorted((drive_c / "users").iterdir()) if p.is_dir()]
    real = [
        p for p in profiles if p.name.lower() not in {"public", "default"} and not p.is_symlink()
    ]
    if not real:
        raise RuntimeError(f"no user profile in {drive_c / 'users'}")
    return real[0]


@dataclass
class Results:
    """Pass/fail lines as they happen, and the figures for figures.json."""

    passed: int = 0
    failed: list[str] = field(default_factory=list)
    figures: dict[str, object] = field(default_factory=dict)
    emit: Callable[[str], None] = print

    def check(self, what: str, ok: bool, detail: str = "") -> bool:
        """Record one check and print ``ok   what`` or ``FAIL what: detail``."""
        if ok:
            self.passed += 1
            self.emit(f"    ok   {what}")
        else:
            self.failed.append(what)
            self.emit(f"    FAIL {what}" + (f": {detail}" if detail else ""))
        return ok

    @property
    def ok(self) -> bool:
        return not self.failed and self.passed > 0


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    """Poll ``condition`` until true or ``timeout`` s passed; the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


# --- wine -------------------------------------------------------------------------------


class Wine:
    """One wine prefix with its display: runs Windows programs, bounded, through pipes."""

    def __init__(self, prefix: Path, display: str) -> None:
        self.prefix = prefix
        self.drive_c = prefix / "drive_c"
        self.env = windows.wine_env(prefix)
        self.env["DISPLAY"] = display

    def run(self, command: list[str], timeout: float = RUN_TIMEOUT_S) -> windows.Finished:
        """``command`` (starting with ``wine``) to its end or killed at ``timeout``."""
        return windows.run_killable(command, self.env, timeout)

    def exe(
        self, folder: str, name: str, *args: str, timeout: float = RUN_TIMEOUT_S
    ) -> windows.Finished:
        return self.run(["wine", f"{folder}\\{name}", *args], timeout)

    def reg_values(self, key: str) -> dict[str, str] | None:
        """The values of ``key``, or None when it does not exist."""
        run = self.run(["wine", "reg", "query", key], 60)
        return parse_reg_query(run.output) if run.code == 0 else None

    def path(self, windows_path: str) -> Path:
        return host_path(self.drive_c, windows_path)

    @contextlib.contextmanager
    def background(self, command: list[str]) -> Iterator[subprocess.Popen[bytes]]:
        """``command`` running while the block runs, its output drained from a pipe (a
        windowed exe prints nothing, but a file would break a console one), then its
        whole process group killed."""
        process = subprocess.Popen(
            command,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert process.stdout is not None
        threading.Thread(target=process.stdout.read, name="drain", daemon=True).start()
        try:
            yield process
        finally:
            windows.kill_group(process.pid)
            process.wait(timeout=30)


# --- the checks ---------------------------------------------------------------------------


def hash_pin(pin: str) -> str:
    """The PIN hash IT would make (``python -m capdesk.store.pin``), computed here."""
    from capdesk.store.pin import hash_pin as make

    return make(pin)


def read_policy(machine_dir: Path) -> object:
    """``policy.ini`` in ``machine_dir`` through capdesk's own loader (Linux side)."""
    from capdesk.paths import default_paths
    from capdesk.store.policy import load_policy

    with tempfile.TemporaryDirectory(prefix="capdesk-policy-") as home:
        paths = default_paths({"CAPDESK_MACHINE_CONFIG": str(machine_dir), "CAPDESK_HOME": home})
        return load_policy(paths, registry_reader=lambda: {})


def check_install(wine: Wine, setup: str, r: Results) -> None:
    """Silent install with policy switches into ``/D=C:\\Apps\\capdesk``; what it wrote."""
    from capdesk.store.pin import verify_pin

    started = time.perf_counter()
    run = wine.run(
        install_command(setup, policy_switches(hash_pin(PIN)), APP_DIR), INSTALL_TIMEOUT_S
    )
    r.figures["wine_install_s"] = round(time.perf_counter() - started, 1)
    r.check(
        f"silent install with policy switches into {APP_DIR} exits 0",
        run.code == 0,
        f"exit {run.code}",
    )
    app = wine.path(APP_DIR)
    r.check(
        "capdesk.exe, capdesk-cli.exe, uninstall.exe, _internal installed",
        all(
            (app / n).exists()
            for n in ("capdesk.exe", "capdesk-cli.exe", "uninstall.exe", "_internal")
        ),
    )
    r.check("nothing in the default folder", not wine.path(DEFAULT_DIR).exists())
    arp = wine.reg_values(UNINST_KEY) or {}
    r.check(
        "Add/Remove key with InstallLocation C:\\Apps\\capdesk",
        arp.get("InstallLocation") == APP_DIR,
        repr(arp.get("InstallLocation")),
    )
    policy_dir = wine.path(r"C:\ProgramData\capdesk")
    policy = read_policy(policy_dir)
    values = getattr(policy, "values", {})
    wanted = {k: values.get(k) for k in EXPECTED_POLICY}
    r.check(
        "policy.ini read by capdesk's loader: no problems",
        not getattr(policy, "problems", ["?"]),
        str(getattr(policy, "problems", "")),
    )
    r.check("policy.ini: cluster=eu, kiosk on, country GB", wanted == EXPECTED_POLICY, str(wanted))
    r.check(
        "policy.ini: kiosk and cluster locked",
        getattr(policy, "locked", None) == EXPECTED_LOCKED,
        str(getattr(policy, "locked", None)),
    )
    pin_hash = getattr(policy, "admin_pin_hash", None)
    r.check(
        "policy.ini: the PIN hash verifies the PIN", bool(pin_hash) and verify_pin(PIN, pin_hash)
    )


def check_installed_app(wine: Wine, r: Results) -> None:
    """The installed capdesk-cli.exe: smoke test, then proof it read the machine policy."""
    smoke = wine.exe(APP_DIR, "capdesk-cli.exe", "--smoke-test", timeout=windows.SMOKE_TIMEOUT_S)
    r.figures["wine_installed_smoke_test_s"] = round(smoke.seconds, 2)
    steps = [line for line in smoke.lines if line.startswith(("ok ", "FAIL"))]
    r.check(
        "installed capdesk-cli.exe --smoke-test passes (qwindows, policy in ProgramData)",
        smoke.code == 0 and bool(steps) and all(s.startswith("ok ") for s in steps),
        f"exit {smoke.code}: " + " | ".join(smoke.lines[-3:]),
    )
    other = wine.exe(APP_DIR, "capdesk-cli.exe", "card-number", "--cluster", "training")
    r.check(
        "installed CLI honours the locked cluster: --cluster training refused (exit 2)",
        other.code == 2 and "set by IT to one cluster" in other.output,
        f"exit {other.code}: {other.output.strip()[:200]}",
    )
    default = wine.exe(APP_DIR, "capdesk-cli.exe", "card-number")
    r.check(
        "installed CLI uses the locked cluster by default (EU, not signed in: exit 3)",
        default.code == 3 and "Cluster: EU" in default.output,
        f"exit {default.code}: {default.output.strip()[:200]}",
    )


def check_second_launch(wine: Wine, r: Results) -> None:
    """Two kiosk launches of the installed capdesk.exe: the second wakes the first."""
    log = installing_user(wine.drive_c) / "AppData" / "Local" / "capdesk" / "Logs" / "capdesk.log"
    before = log.read_text("utf-8", "replace") if log.exists() else ""
    first_cmd = ["wine", f"{APP_DIR}\\capdesk.exe"]
    with wine.background(first_cmd) as first:
        started = time.perf_counter()

        def window_up() -> bool:
            """Lock taken and the kiosk window built (its event loop about to turn): what
            staff see before they double-click again. The lock alone raced the start."""
            text = log.read_text("utf-8", "replace")[len(before) :] if log.exists() else ""
            return bool(instance_locks(wine.drive_c)) and KIOSK_SAYS in text

        up = wait_until(lambda: window_up() or first.poll() is not None, KIOSK_START_TIMEOUT_S)
        up = up and first.poll() is None
        r.figures["wine_kiosk_first_listening_s"] = round(time.perf_counter() - started, 2)
        if not r.check(
            "first kiosk capdesk.exe holds the single-instance lock",
            up,
            f"exit {first.poll()}" if first.poll() is not None else "no lock file",
        ):
            return
        second = wine.exe(APP_DIR, "capdesk.exe", timeout=SECOND_LAUNCH_TIMEOUT_S)
        r.figures["wine_second_launch_s"] = round(second.seconds, 2)
        r.check(
            f"second launch exits 0 promptly ({second.seconds:.1f} s)",
            second.code == 0,
            "killed at the timeout" if second.code is None else f"exit {second.code}",
        )

        def activated() -> bool:
            text = log.read_text("utf-8", "replace")[len(before) :] if log.exists() else ""
            return all(activation_verdict(text))

        new = ""
        if not wait_until(activated, 10):
            new = log.read_text("utf-8", "replace")[len(before) :] if log.exists() else "no log"
        r.check(
            "first logged the activation request; second logged 'already running'",
            not new,
            " | ".join(new.strip().splitlines()[-4:]),
        )
        r.check("first kiosk window still running", first.poll() is None, f"exit {first.poll()}")


def check_upgrade(wine: Wine, setup: str, r: Results) -> None:
    """The installer again without /D=: into C:\\Apps\\capdesk, policy kept, nothing in
    Program Files (the x86-stub bug put it there and orphaned the /D= copy)."""
    app = wine.path(APP_DIR)
    policy = wine.path(r"C:\ProgramData\capdesk\policy.ini")
    policy_before = policy.read_bytes()
    stale = app / "_internal" / "left-by-the-old-version.txt"
    stale.write_text("the upgrade must remove this\n", encoding="utf-8")
    (app / "capdesk-cli.exe").write_bytes(b"")  # the upgrade must write it again
    started = time.perf_counter()
    run = wine.run(install_command(setup, []), INSTALL_TIMEOUT_S)
    r.figures["wine_upgrade_s"] = round(time.perf_counter() - started, 1)
    r.check("upgrade (no /D=, no switches) exits 0", run.code == 0, f"exit {run.code}")
    r.check("upgrade went into C:\\Apps\\capdesk: stale file gone", not stale.exists())
    version = wine.exe(APP_DIR, "capdesk-cli.exe", "--version", timeout=60)
    r.check(
        "upgraded capdesk-cli.exe rewritten and runs",
        version.code == 0 and "capdesk" in version.output,
        f"exit {version.code}: {version.output.strip()[:120]}",
    )
    r.check("nothing in C:\\Program Files\\capdesk", not wine.path(DEFAULT_DIR).exists())
    arp = wine.reg_values(UNINST_KEY) or {}
    r.check(
        "InstallLocation still C:\\Apps\\capdesk",
        arp.get("InstallLocation") == APP_DIR,
        repr(arp.get("InstallLocation")),
    )
    r.check(
        "policy.ini unchanged by an upgrade without switches", policy.read_bytes() == policy_before
    )


def uninstall(wine: Wine, folder: str, *switches: str) -> tuple[windows.Finished, bool]:
    """``uninstall.exe /S`` from ``folder``; then wait for the folder AND the Add/Remove key.

    The uninstaller copies itself to %TEMP% and exits at once; the copy does the work,
    removing the folder before the key, so both are polled (as windows.yml must).
    """
    run = wine.exe(folder, "uninstall.exe", "/S", *switches, timeout=INSTALL_TIMEOUT_S)
    gone = wait_until(lambda: not wine.path(folder).exists(), GONE_TIMEOUT_S)
    gone = gone and wait_until(lambda: wine.reg_values(UNINST_KEY) is None, GONE_TIMEOUT_S, 0.5)
    return run, gone


def user_data(wine: Wine) -> list[Path]:
    """%LOCALAPPDATA%\\capdesk of the installing user and of a second profile ('clerk')."""
    return [
        installing_user(wine.drive_c) / "AppData/Local/capdesk",
        wine.drive_c / "users/clerk/AppData/Local/capdesk",
    ]


def shortcuts(wine: Wine) -> list[Path]:
    return [
        wine.drive_c / "ProgramData/Microsoft/Windows/Start Menu/Programs/capdesk.lnk",
        wine.drive_c / "users/Public/Desktop/capdesk.lnk",
    ]


def check_uninstalls(wine: Wine, setup: str, r: Results) -> None:
    """Uninstall keeping user data; reinstall to the default folder; uninstall removing it."""
    own, clerk = user_data(wine)
    (clerk / "Logs").mkdir(parents=True, exist_ok=True)
    (clerk / "history.sqlite3").write_bytes(b"clerk's history")
    r.check(
        "user data exists before uninstalling (the kiosk runs' log)",
        (own / "Logs" / "capdesk.log").exists(),
    )
    r.check("shortcuts exist before uninstalling", all(p.exists() for p in shortcuts(wine)))
    started = time.perf_counter()
    run, gone = uninstall(wine, APP_DIR)
    r.figures["wine_uninstall_s"] = round(time.perf_counter() - started, 1)
    r.check("silent uninstall exits 0", run.code == 0, f"exit {run.code}")
    r.check("C:\\Apps\\capdesk and the Add/Remove key gone", gone)
    r.check("shortcuts gone", not any(p.exists() for p in shortcuts(wine)))
    r.check(
        "user data kept (both profiles)",
        (own / "Logs" / "capdesk.log").exists() and (clerk / "history.sqlite3").exists(),
    )
    r.check("machine policy kept", wine.path(r"C:\ProgramData\capdesk\policy.ini").exists())

    run = wine.run(install_command(setup, ["/KIOSK=0"]), INSTALL_TIMEOUT_S)
    r.check(
        "install again, default folder C:\\Program Files\\capdesk",
        run.code == 0 and (wine.path(DEFAULT_DIR) / "capdesk-cli.exe").exists(),
        f"exit {run.code}",
    )
    run, gone = uninstall(wine, DEFAULT_DIR, "/REMOVEUSERDATA=1")
    r.check("silent uninstall /REMOVEUSERDATA=1 exits 0", run.code == 0, f"exit {run.code}")
    r.check("C:\\Program Files\\capdesk and the Add/Remove key gone", gone)
    r.check("every profile's capdesk data removed", not own.exists() and not clerk.exists())
    r.check("machine policy folder removed", not wine.path(r"C:\ProgramData\capdesk").exists())


def run_checks(
    setup: Path, figures: dict[str, object] | None = None, emit: Callable[[str], None] = print
) -> bool:
    """All of section 2's installer checks in a fresh prefix; True when every one passed."""
    r = Results(emit=emit)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="capdesk-wine-install-") as tmp:
        prefix = Path(tmp) / "prefix"
        step = time.perf_counter()
        windows.prepare_prefix(prefix)
        r.figures["wine_install_prefix_s"] = round(time.perf_counter() - step, 1)
        shutil.copyfile(setup, prefix / "drive_c" / "setup.exe")
        with windows.virtual_display() as display, windows.wine_session(prefix, display):
            wine = Wine(prefix, display)
            steps: list[tuple[str, Callable[[], None]]] = [
                (
                    "silent install with policy switches",
                    lambda: check_install(wine, r"C:\setup.exe", r),
                ),
                ("the installed app", lambda: check_installed_app(wine, r)),
                ("a second kiosk launch", lambda: check_second_launch(wine, r)),
                (
                    "an upgrade keeps the /D= folder",
                    lambda: check_upgrade(wine, r"C:\setup.exe", r),
                ),
                ("silent uninstalls", lambda: check_uninstalls(wine, r"C:\setup.exe", r)),
            ]
            for title, body in steps:
                emit(f"[wine checks] {title}")
                step = time.perf_counter()
                try:
                    body()
                except Exception as error:  # a broken step is a failure, not a traceback
                    r.check(f"{title} ran to its end", False, f"{type(error).__name__}: {error}")
                emit(f"    ({time.perf_counter() - step:.1f} s)")
    r.figures["wine_installer_checks_s"] = round(time.perf_counter() - started, 1)
    r.figures["wine_installer_checks"] = "passed" if r.ok else "failed"
    emit(
        f"[wine checks] {r.passed} passed, {len(r.failed)} failed "
        f"in {r.figures['wine_installer_checks_s']} s"
    )
    if figures is not None:
        figures.update(r.figures)
    return r.ok


def main(argv: list[str] | None = None) -> int:
    """Standalone: the checks against an existing setup.exe (exit 1 on any failure)."""
    from capdesk import __version__

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--setup", type=Path, default=ROOT / "dist" / f"capdesk-{__version__}-setup.exe"
    )
    args = parser.parse_args(argv)
    if not args.setup.exists():
        print(
            f"wine_checks: no {args.setup}: build it with installer/build.py --windows",
            file=sys.stderr,
        )
        return 1
    missing = windows.missing_tools(check=True, nsis=False)
    if missing:
        print(f"wine_checks: install first: apt-get install {' '.join(missing)}", file=sys.stderr)
        return 1
    return 0 if run_checks(args.setup) else 1


if __name__ == "__main__":
    sys.exit(main())
