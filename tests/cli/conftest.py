"""Helpers for CLI tests: run ``capdesk`` in-process or as a real subprocess.

Subprocesses inherit the test's CAPDESK_HOME / CAPDESK_MACHINE_CONFIG (set by the
top-level ``isolated_home`` fixture) and get keyring's ``fail`` backend, so a child
can never read or write the real keyring of the machine running the tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from capdesk import cli
from capdesk.api.auth import md5_hex

REPO = Path(__file__).resolve().parents[2]
DEMO_TILL = "training.till"
DEMO_PASSWORD = "training123"
OAUTH_KEY = "training-key"
OAUTH_SECRET = "training-secret"
ASHA_MOBILE = "919876543210"


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """``cli.main(argv)`` in this process, with stdout/stderr captured."""

    def run(*argv: str) -> Outcome:
        capsys.readouterr()
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


@pytest.fixture
def basic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo till's credentials in the environment, as a script would set them."""
    monkeypatch.setenv("CAPDESK_USERNAME", DEMO_TILL)
    monkeypatch.setenv("CAPDESK_PASSWORD", DEMO_PASSWORD)


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env.pop("PYTHONUNBUFFERED", None)  # the CLI must flush by itself
    env.update(extra)
    return env


def run_child(args: Sequence[str], timeout: float = 30, **env: str) -> Outcome:
    """``python -m capdesk ARGS`` to completion."""
    done = subprocess.run(
        [sys.executable, "-m", "capdesk", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env(**env),
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def start_child(args: Sequence[str], **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "capdesk", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=child_env(**env),
        cwd=REPO,
    )


def secrets_of_demo_till() -> list[str]:
    md5 = md5_hex(DEMO_PASSWORD)
    return [DEMO_PASSWORD, md5, OAUTH_KEY, OAUTH_SECRET]


def assert_no_secrets(text: str, *extra: str) -> None:
    for secret in (*secrets_of_demo_till(), *extra):
        assert secret not in text, "a secret was printed"
