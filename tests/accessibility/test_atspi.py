"""What a screen reader really gets from the capdesk window, read over AT-SPI.

A private X server (Xvfb) and a private D-Bus session are started, then the real app
(``python -m capdesk`` on the training cluster, Qt's xcb plugin, accessibility always
on; run by ``guarded_app.py``, which ends it at a keyring or SQLite call on its GUI
thread), then ``atspi_client.py`` under Debian's ``/usr/bin/python3`` with pyatspi. The
client types the demo mobile, presses Simulate / Fetch OTP / Generate card number as
a screen-reader user would, and prints JSON of what it heard; the tests assert on it.

Why not an in-process check: the pitfall in design.md (a QLabel's accessibleName
*replaces* its text) only shows on the real bridge, so the check goes through it.

Needs the Debian packages ``at-spi2-core``, ``python3-pyatspi``, ``xvfb`` and
``dbus-daemon``; skipped, naming the missing piece, when they are absent.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CLIENT = HERE / "atspi_client.py"
SYSTEM_PYTHON = "/usr/bin/python3"
BUS_LAUNCHERS = (
    "/usr/libexec/at-spi-bus-launcher",
    "/usr/lib/at-spi2-core/at-spi-bus-launcher",
)
STEP_TIMEOUT_S = 15.0  # one step of the client (the window appearing, a fetch, ...)
CLIENT_TIMEOUT_S = 60.0  # the whole client run, normally ~6 s
CODE_SHAPE = re.compile(r"^#{3}(?: #{3,4})+$")


def _missing_piece() -> str | None:
    """Why this machine cannot run the check, or None when it can."""
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} is missing (Debian package python3-pyatspi brings it)"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import pyatspi"],
        capture_output=True,
        env=_system_python_env(dict(os.environ)),
        timeout=30,
        check=False,
    )
    if probe.returncode != 0:
        return f"{SYSTEM_PYTHON} cannot import pyatspi (Debian package python3-pyatspi)"
    if not any(os.access(p, os.X_OK) for p in BUS_LAUNCHERS) and not shutil.which(
        "at-spi-bus-launcher"
    ):
        return "at-spi-bus-launcher is missing (Debian package at-spi2-core)"
    if not shutil.which("Xvfb"):
        return "Xvfb is missing (Debian package xvfb)"
    if not shutil.which("dbus-daemon"):
        return "dbus-daemon is missing (Debian package dbus-daemon)"
    return None


def _system_python_env(env: dict[str, str]) -> dict[str, str]:
    """The environment without our venv, so Debian's python finds its own packages."""
    for name in (
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "UV_PROJECT_ENVIRONMENT",
    ):
        env.pop(name, None)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


def _read_line_from(fd: int, what: str, deadline: float) -> str:
    """One line written by a child to ``fd`` (Xvfb's display, dbus's address)."""
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"{what} did not start in time")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError(f"{what} exited before it was ready")
        data += chunk
    return data.decode().strip()


class _Processes:
    """Children started here, each in its own process group, all ended in teardown."""

    def __init__(self) -> None:
        self._children: list[subprocess.Popen] = []

    def start(self, args: list[str], **kwargs) -> subprocess.Popen:
        child = subprocess.Popen(args, start_new_session=True, **kwargs)
        self._children.append(child)
        return child

    def stop_all(self) -> None:
        """Newest first: the app, then D-Bus (with the AT-SPI bus it activated), then X."""
        for child in reversed(self._children):
            _stop_group(child)
        self._children.clear()


def _stop_group(child: subprocess.Popen) -> None:
    """SIGTERM the child's process group, SIGKILL what is left after 3 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=3)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)  # services D-Bus activated stay in its group
    child.wait(timeout=3)


@pytest.fixture(scope="module")
def heard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Run the app and the AT-SPI client once; the client's JSON for every test here."""
    missing = _missing_piece()
    if missing:
        pytest.skip(missing)
    root = tmp_path_factory.mktemp("atspi")
    runtime = root / "runtime"
    runtime.mkdir(mode=0o700)
    (root / "machine").mkdir()
    processes = _Processes()
    app_log = root / "app-stderr.txt"
    try:
        deadline = time.monotonic() + 20
        read_fd, write_fd = os.pipe()
        try:
            processes.start(
                [
                    "Xvfb",
                    "-displayfd",
                    str(write_fd),
                    "-screen",
                    "0",
                    "1280x1024x24",
                    "-nolisten",
                    "tcp",
                    "-noreset",
                ],
                pass_fds=(write_fd,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            os.close(write_fd)
            display = ":" + _read_line_from(read_fd, "Xvfb", deadline)
        finally:
            os.close(read_fd)

        env = dict(os.environ)
        env.update(
            DISPLAY=display,
            XDG_RUNTIME_DIR=str(runtime),
            QT_QPA_PLATFORM="xcb",
            QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1",
            CAPDESK_HOME=str(root / "home"),
            CAPDESK_MACHINE_CONFIG=str(root / "machine"),
        )
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        env.pop("XAUTHORITY", None)
        # D-Bus after X, with DISPLAY set: the AT-SPI registry it activates needs the
        # display to synthesise the client's clicks and key presses.
        read_fd, write_fd = os.pipe()
        try:
            processes.start(
                [
                    "dbus-daemon",
                    "--session",
                    "--nofork",
                    "--nopidfile",
                    f"--print-address={write_fd}",
                ],
                pass_fds=(write_fd,),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            os.close(write_fd)
            env["DBUS_SESSION_BUS_ADDRESS"] = _read_line_from(read_fd, "dbus-daemon", deadline)
        finally:
            os.close(read_fd)

        with app_log.open("wb") as log:
            app = processes.start(  # ``python -m capdesk``, its GUI thread guarded
                [sys.executable, "-m", "tests.accessibility.guarded_app"],
                env=env,
                stdout=log,
                stderr=log,
                cwd=ROOT,
            )
        try:
            client = subprocess.run(
                [SYSTEM_PYTHON, str(CLIENT), "--timeout", str(STEP_TIMEOUT_S)],
                env=_system_python_env(dict(env)),
                capture_output=True,
                text=True,
                timeout=CLIENT_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"the AT-SPI client did not finish in {CLIENT_TIMEOUT_S:.0f} s")
        app_alive = app.poll() is None
    finally:
        processes.stop_all()

    app_output = app_log.read_text(errors="replace")[-3000:]
    try:
        result = json.loads(client.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"the AT-SPI client printed no JSON (exit {client.returncode}).\n"
            f"stderr: {client.stderr[-3000:]}\napp: {app_output}"
        )
    assert "error" not in result, (
        f"{result}\nclient stderr: {client.stderr[-2000:]}\napp: {app_output}"
    )
    assert app_alive, f"the app exited during the check.\napp: {app_output}"
    yield result


def test_the_otp_code_is_heard_not_just_its_caption(heard: dict) -> None:
    before = heard["otp_code_before"]
    code = heard["otp_code"]
    assert before["showing"] is False  # no code yet: nothing on screen to hear
    assert code["showing"] is True
    assert CODE_SHAPE.match(code["name"]), code  # the grouped code itself, e.g. 538 AD87
    assert code["name_is_code"] is True
    assert code["announced_same_code"] is True  # the label shows the code just announced
    assert code["labelled_by"] == ["OTP code"]  # the caption comes via the buddy relation
    assert code["focusable"] is True  # Tab reaches it, so a reader reads it there


def test_the_countdown_is_heard_as_time_left(heard: dict) -> None:
    countdown = heard["otp_countdown"]
    assert countdown["showing"] is True
    assert re.fullmatch(r"Expires in 1[45]:\d\d", countdown["name"]), countdown
    assert heard["otp_valid_until"]["name"].startswith("valid until ")
    assert heard["otp_progress"]["name"] == "Time left"
    assert heard["otp_progress"]["value"] > 900  # of 1000: just fetched


def test_the_status_message_is_heard_with_its_kind(heard: dict) -> None:
    simulated = heard["status_after_simulate"]
    assert simulated["name"] == ("The customer requested an OTP (simulated). Now press Fetch OTP.")
    fetched = heard["status_after_fetch"]
    assert fetched["name"] == (
        "OTP found. Check the Customer ID, then read the code to the customer."
    )
    assert fetched["description"] == "Done"  # the icon's meaning, not colour alone
    assert heard["status_after_card"]["name"].startswith("Generated card number.")


def test_the_card_number_is_heard(heard: dict) -> None:
    assert heard["card_number_before"]["name"] == "None yet"
    card = heard["card_number"]
    assert re.fullmatch(r"\d{6,}", card["name"]), card
    assert card["labelled_by"] == ["Latest card number"]
    assert card["focusable"] is True


def test_the_identifier_was_typed_and_is_heard(heard: dict) -> None:
    assert heard["typed_with"] == "keyboard"  # clicked into the field and typed
    field = heard["identifier_field"]
    assert field["name"] == "Customer identifier"
    assert re.sub(r"\D", "", field["text"]) == "919876543210"
    # What will be looked up, heard before Enter as it is seen under the field.
    assert field["description"] == "Looks up +91 98765 43210 · India"


def test_every_control_on_screen_has_a_name(heard: dict) -> None:
    controls = heard["controls"]
    assert len(controls) >= 20, controls
    unnamed = [c for c in controls if not c["name"].strip()]
    assert unnamed == [], unnamed
    names = {c["name"] for c in controls}
    for expected in (
        "Customer identifier",
        "Fetch OTP",
        "New customer",
        "Copy code",
        "Simulate: customer requests an OTP",
        "Generate card number",
        "Settings",
    ):
        assert expected in names
    # On Linux Qt names a combo box by its current value; its caption must come through
    # the buddy label's labelled-by relation, or a reader says only "POINTS, combo box".
    combos = [c for c in controls if c["role"] == "combo box"]
    assert len(combos) >= 4
    uncaptioned = [c for c in combos if not c["labelled_by"]]
    assert uncaptioned == [], uncaptioned


def test_announcements_say_the_code_once_and_never_every_second(heard: dict) -> None:
    texts = [a["text"] for a in heard["announcements"]]
    code_announcements = [t for t in texts if t.startswith("OTP ")]
    assert len(code_announcements) == 1, texts
    assert re.fullmatch(r"OTP (?:# ){6}#, expires in 1[45] minutes", code_announcements[0])
    assert not any(t.startswith("Expires in") for t in texts)  # the countdown stays quiet
