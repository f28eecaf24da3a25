"""A private Secret Service for tests: gnome-keyring-daemon on its own D-Bus session bus.

Why a private bus: the tests must never read or write the developer's real keyring,
and must not depend on a desktop session. The bus has no activatable services, so
gnome-keyring cannot launch its password prompter: anything that would prompt (a
locked collection) fails at once instead of opening a window or hanging.

The login keyring is created and unlocked from a password on stdin (``--unlock``);
its files live in a temporary folder that :meth:`SecretServiceSession.stop` removes.
Only the processes started here are ever stopped, by their own process ids.
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import BinaryIO

PROGRAMS = {
    "dbus-daemon": "dbus-daemon",
    "gnome-keyring-daemon": "gnome-keyring",
}
START_TIMEOUT = 10.0

_BUS_CONFIG = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class SecretServiceUnavailable(RuntimeError):
    """The daemons were found but did not come up (the message says what they printed)."""


def missing_programs() -> list[str]:
    """``"program (Debian package)"`` for every program needed that is not on PATH."""
    return [
        f"{name} (Debian package {deb})" for name, deb in PROGRAMS.items() if not shutil.which(name)
    ]


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None:
        return
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=3)
    if process.stdout is not None:
        process.stdout.close()


class SecretServiceSession:
    """``start()`` a bus and a keyring daemon; ``address`` is for DBUS_SESSION_BUS_ADDRESS."""

    def __init__(self, password: str = "capdesk-test-keyring-password") -> None:
        self.password = password
        # Short path: unix socket paths are limited to about 100 bytes.
        self.folder = Path(tempfile.mkdtemp(prefix="capdesk-ss-"))
        self.data_dir = self.folder / "data"  # XDG_DATA_HOME: keyrings/login.keyring
        self.runtime_dir = self.folder / "run"  # XDG_RUNTIME_DIR: gnome-keyring's control socket
        self.address = ""
        self._bus: subprocess.Popen[bytes] | None = None
        self._keyring: subprocess.Popen[bytes] | None = None

    @property
    def keyring_files(self) -> list[Path]:
        """The daemon's files on disk (to check they hold no secret in clear)."""
        return sorted((self.data_dir / "keyrings").glob("*"))

    def _environment(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DISPLAY", "WAYLAND_DISPLAY", "GNOME_KEYRING_CONTROL")
        }
        env.update(
            DBUS_SESSION_BUS_ADDRESS=self.address,
            XDG_DATA_HOME=str(self.data_dir),
            XDG_RUNTIME_DIR=str(self.runtime_dir),
            HOME=str(self.folder),
        )
        return env

    def start(self) -> SecretServiceSession:
        for folder in (self.data_dir, self.runtime_dir):
            folder.mkdir(mode=0o700, exist_ok=True)
        config = self.folder / "bus.conf"
        config.write_text(_BUS_CONFIG.format(socket=self.folder / "bus"), encoding="utf-8")
        try:
            with self._log("dbus-daemon") as log:
                self._bus = subprocess.Popen(
                    ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=log,
                )
            self.address = self._read_address(self._bus)
            self.start_keyring()
        except BaseException:
            self.stop()
            raise
        return self

    def _log(self, program: str) -> BinaryIO:
        """A file for the program's messages (a pipe nobody reads could fill up and block)."""
        return open(self.folder / f"{program}.log", "ab")  # closed by the caller

    def _printed(self, program: str) -> str:
        try:
            text = (self.folder / f"{program}.log").read_text("utf-8", "replace")
        except OSError:
            return ""
        return " ".join(text.split())[-500:]

    def _read_address(self, bus: subprocess.Popen[bytes]) -> str:
        assert bus.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(bus.stdout, selectors.EVENT_READ)
            if not selector.select(timeout=START_TIMEOUT):
                raise SecretServiceUnavailable("dbus-daemon printed no address in time")
        line = bus.stdout.readline().decode("utf-8", "replace").strip()
        if not line:
            bus.wait(timeout=3)
            raise SecretServiceUnavailable(
                f"dbus-daemon did not start: {self._printed('dbus-daemon')}"
            )
        return line

    def start_keyring(self) -> None:
        """Start gnome-keyring-daemon, which creates or unlocks the login keyring."""
        with self._log("gnome-keyring-daemon") as log:
            self._keyring = subprocess.Popen(
                ["gnome-keyring-daemon", "--foreground", "--components=secrets", "--unlock"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=self._environment(),
            )
        assert self._keyring.stdin is not None
        self._keyring.stdin.write(self.password.encode())
        self._keyring.stdin.close()
        self._wait_for_default_collection()

    def stop_keyring(self) -> None:
        _stop(self._keyring)
        self._keyring = None

    def restart_keyring(self) -> None:
        """A fresh daemon that must read the keyring back from its file on disk."""
        self.stop_keyring()
        self.start_keyring()

    def _wait_for_default_collection(self) -> None:
        import secretstorage
        from jeepney.io.blocking import open_dbus_connection

        deadline = time.monotonic() + START_TIMEOUT
        reason = "not started"
        while time.monotonic() < deadline:
            assert self._keyring is not None
            if self._keyring.poll() is not None:
                raise SecretServiceUnavailable(
                    f"gnome-keyring-daemon exited: {self._printed('gnome-keyring-daemon')}"
                )
            try:
                with closing(open_dbus_connection(self.address)) as connection:
                    collection = secretstorage.Collection(connection)  # the "default" alias
                    if not collection.is_locked():
                        return
                    reason = "the login keyring is locked"
            except Exception as error:  # not there yet
                reason = f"{type(error).__name__}: {error}"
            time.sleep(0.02)
        raise SecretServiceUnavailable(f"gnome-keyring-daemon not ready in time ({reason})")

    def stop(self) -> None:
        """Stop both daemons (by their own process ids) and remove the folder."""
        self.stop_keyring()
        _stop(self._bus)
        self._bus = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> SecretServiceSession:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
