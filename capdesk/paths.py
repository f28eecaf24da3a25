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
        for folder in (self.config_dir, self.data_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self


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
