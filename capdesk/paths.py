"""Where capdesk keeps its files.

Normal installs use the platform's user dirs (platformdirs). Two overrides:

* ``CAPDESK_HOME`` (environment): every user file lives under that folder — tests
  use it so they never touch the real profile;
* portable mode: a file named ``portable`` beside the executable (frozen builds)
  keeps settings and history beside the program and touches nothing else.

The machine-wide policy lives in the platform's site config dir
(``C:\\ProgramData\\capdesk`` on Windows, ``/etc/xdg/capdesk`` on Linux), or under
``CAPDESK_MACHINE_CONFIG`` when set (tests).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from capdesk import APP_NAME

PORTABLE_MARKER = "portable"


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path  # user settings (settings.ini), user clusters.toml
    data_dir: Path  # history.sqlite3
    log_dir: Path  # capdesk.log (rotating)
    machine_config_dir: Path  # policy.ini, clusters.toml written by IT / the installer
    portable: bool = False

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.ini"

    @property
    def history_file(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "capdesk.log"

    @property
    def policy_file(self) -> Path:
        return self.machine_config_dir / "policy.ini"

    def cluster_files(self) -> list[Path]:
        """Cluster override files, machine first so a user file can add but IT wins on ties
        only where the policy locks the cluster (see settings)."""
        return [self.machine_config_dir / "clusters.toml", self.config_dir / "clusters.toml"]

    def ensure(self) -> AppPaths:
        """Create the user folders (0700 on POSIX); raise the first OSError."""
        for _folder, error in self.create_folders():
            raise error
        return self

    def create_folders(self) -> list[tuple[Path, OSError]]:
        """Create the user folders (0700 on POSIX); return the ones that failed.

        Never raises: the window starts without a folder it cannot create and says
        so (an OTP look-up needs neither the history nor the log).
        """
        failed: list[tuple[Path, OSError]] = []
        for folder in (self.config_dir, self.data_dir, self.log_dir):
            try:
                private_folder(folder)
            except OSError as error:
                failed.append((folder, error))
        return failed


# --- files only this user may read (POSIX) ------------------------------------------
#
# Counter PCs are shared and history, settings and logs name customers' cards and
# tills. On POSIX every file capdesk creates is 0600 and every folder 0700, set with
# an explicit mode and chmod, not left to the umask (which a login script may have
# set to 022). Windows keeps a profile's ACLs, which already limit them to the user.
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
_POSIX = os.name == "posix"


def private_folder(folder: Path) -> Path:
    """Create ``folder`` (and parents) if missing; make the folder itself 0700.

    Parents capdesk did not name (``~/.config``) keep their mode: only ``folder`` is
    capdesk's own.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if _POSIX and (folder.stat().st_mode & 0o777) != PRIVATE_DIR_MODE:
        os.chmod(folder, PRIVATE_DIR_MODE)
    return folder


def private_file(path: Path) -> Path:
    """Create ``path`` empty if missing, and make it 0600 (also when it already existed).

    Called before SQLite, Qt or logging open a file: they keep an existing file's mode
    (SQLite gives ``-wal``/``-shm`` the database's mode, Qt's QSaveFile the old file's).
    """
    path = Path(path)
    descriptor = os.open(path, os.O_RDONLY | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        if _POSIX:
            os.fchmod(descriptor, PRIVATE_FILE_MODE)
    finally:
        os.close(descriptor)
    return path


def throwaway_paths(root: Path, machine_config_dir: Path) -> AppPaths:
    """User folders under ``root`` (a temporary folder), for ``--smoke-test``.

    The smoke test generates a real training number and writes settings and a log:
    none of it belongs in the staff's profile (the history collected a training number
    per check). The machine folder stays the real one: it is only read (policy, IT's
    clusters), and the check should see what staff see.
    """
    return AppPaths(root / "config", root / "data", root / "logs", machine_config_dir)


def program_dir() -> Path:
    """The folder of the executable when frozen, else the source checkout's root."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def _machine_config_dir() -> Path:
    override = os.environ.get("CAPDESK_MACHINE_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.site_config_dir(APP_NAME, appauthor=False))


def default_paths(environ: dict[str, str] | None = None, exe_dir: Path | None = None) -> AppPaths:
    """Resolve the paths for this run (see module docstring for the order)."""
    env = os.environ if environ is None else environ
    machine = (
        Path(env["CAPDESK_MACHINE_CONFIG"]) if env.get("CAPDESK_MACHINE_CONFIG") else None
    ) or _machine_config_dir()
    home = env.get("CAPDESK_HOME")
    if home:
        root = Path(home)
        return AppPaths(root / "config", root / "data", root / "logs", machine)
    folder = exe_dir if exe_dir is not None else program_dir()
    frozen_or_given = getattr(sys, "frozen", False) or exe_dir is not None
    if frozen_or_given and (folder / PORTABLE_MARKER).exists():
        root = folder / "capdesk-data"
        return AppPaths(root / "config", root / "data", root / "logs", root / "machine", True)
    return AppPaths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        machine_config_dir=machine,
    )
