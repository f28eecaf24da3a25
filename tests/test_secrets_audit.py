"""Secrets audit: a whole session at DEBUG, then every byte capdesk wrote is searched.

The session signs in both ways through the window's sign-in dialog (a wrong password
and a wrong OAuth secret first), fetches and copies OTPs, generates card numbers and
meets errors (outage, rate limit, a cut-off answer), on two admin-configured clusters
served by one training simulator. Then the command line does the same with
credentials in the environment, in child processes whose logging is also at DEBUG.

Afterwards every file under CAPDESK_HOME and the machine config folder (log files,
settings.ini, the history with its -wal/-shm files, policy.ini, clusters.toml) as raw
bytes, the support details copied from the window, and the captured stdout/stderr of
this process and of every child are searched for: each password, its md5 (either
case), the Basic header value, the OAuth key and secret, every token the simulator
issued and every OTP code it issued (also with the spaces removed, as codes are shown
in groups). Card numbers and request ids may appear; those are not secrets.

The one place an OTP code is meant to go is the stdout of ``capdesk otp`` (that is its
job); that stream is checked to contain the code and is searched for everything else.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import SignalInstance
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton

from capdesk.api.clusters import load_clusters
from capdesk.desk import build_desk
from capdesk.logs import setup_logging
from capdesk.paths import default_paths
from capdesk.simulator import TrainingSimulator
from capdesk.simulator.demo_data import OAUTH_KEY, OAUTH_SECRET, TILL
from capdesk.ui.account.sign_in_dialog import SignInDialog
from tests.cli.conftest import REPO, child_env
from tests.root_logger import restored_root_logger

WRONG_PASSWORD = "Wr0ng-Till-Passw0rd"
WRONG_SECRET = "wrong-oauth-secret-4711"
ASHA = "919876543210"
JOHN = "14155550123"
BASIC_KEY, OAUTH_CLUSTER_KEY = "audit-basic", "audit-oauth"
WAIT_MS = 15_000

# Runs the command line exactly as ``python -m capdesk`` does, with its log at DEBUG.
CHILD = """
import logging, sys
import capdesk.logs as logs
_setup = logs.setup_logging
logs.setup_logging = lambda log_file, level=logging.INFO: _setup(log_file, logging.DEBUG)
from capdesk.__main__ import main
sys.exit(main())
"""


@pytest.fixture
def debug_logging() -> Iterator[None]:
    """capdesk's log at DEBUG for this test; the root logger is put back afterwards."""
    with restored_root_logger():
        setup_logging(default_paths().ensure().log_file, level=logging.DEBUG)
        yield


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def basic_value(till: str, password: str) -> str:
    return base64.b64encode(f"{till}:{md5(password)}".encode()).decode()


def credential_needles() -> dict[str, str]:
    needles = {}
    for label, password in (("password", TILL.password), ("wrong password", WRONG_PASSWORD)):
        needles[label] = password
        needles[f"md5 of {label}"] = md5(password)
        needles[f"MD5 of {label}"] = md5(password).upper()
        needles[f"Basic header for {label}"] = basic_value(TILL.username, password)
    needles["OAuth key"] = OAUTH_KEY
    needles["OAuth secret"] = OAUTH_SECRET
    needles["wrong OAuth secret"] = WRONG_SECRET
    return needles


# --- the window session ---------------------------------------------------------------


class Session:
    """The window on the audit clusters, driven as staff would."""

    def __init__(self, qtbot, simulator: TrainingSimulator) -> None:
        self.qtbot = qtbot
        self.simulator = simulator
        paths = default_paths().ensure()
        self.paths = paths
        clusters_file = paths.machine_config_dir / "clusters.toml"
        clusters_file.write_text(
            f'[clusters.{BASIC_KEY}]\nlabel = "Audit Basic"\nbase_url = "{simulator.base_url}"\n'
            f'[clusters.{OAUTH_CLUSTER_KEY}]\nlabel = "Audit OAuth"\n'
            f'base_url = "{simulator.base_url}"\n',
            encoding="utf-8",
        )
        (paths.machine_config_dir / "policy.ini").write_text(
            "[capdesk]\nclipboard_timeout = 20\nread_timeout = 5\nlocked = \n", encoding="utf-8"
        )
        self.clusters = load_clusters(paths.cluster_files())
        desk = build_desk(paths, clusters=self.clusters, cluster=self.clusters[BASIC_KEY])
        self.service, self.window = desk.service, desk.window
        qtbot.addWidget(self.window)
        self.window.show()
        self.copied_details: list[str] = []

    def _wait_for(self, click: Callable[[], None], success: SignalInstance) -> object:
        outcome: list[object] = []
        success.connect(outcome.append)
        self.window.operationFailed.connect(outcome.append)
        try:
            click()
            self.qtbot.waitUntil(lambda: bool(outcome), timeout=WAIT_MS)
        finally:
            success.disconnect(outcome.append)
            self.window.operationFailed.disconnect(outcome.append)
        return outcome[0]

    def sign_in(self, *, oauth: bool, wrong: str, right: str) -> None:
        """Open the dialog, try the wrong secret, then the right one, and save."""
        self.window.account_flow.open_sign_in()
        dialog = [d for d in self.window.findChildren(SignInDialog) if d.isVisible()][-1]
        qtbot = self.qtbot
        if oauth:
            dialog.oauth_mode.click()
            qtbot.keyClicks(dialog.oauth_key, OAUTH_KEY)
            secret_field = dialog.oauth_secret
        else:
            qtbot.keyClicks(dialog.username, TILL.username)
            secret_field = dialog.password
        for attempt, expect_ok in ((wrong, False), (right, True)):
            secret_field.clear()
            qtbot.keyClicks(secret_field, attempt)
            dialog.test_button.click()
            qtbot.waitUntil(lambda: not dialog.testing, timeout=WAIT_MS)
            assert dialog.save_button.isEnabled() is expect_ok, dialog.result_label.text()
        dialog.save_button.click()
        qtbot.waitUntil(lambda: self.window.status.text.startswith("Signed in"), timeout=WAIT_MS)

    def fetch_and_copy(self, mobile: str) -> None:
        self.simulator.customer_requests_otp("mobile", mobile)
        self.window.identifier_form.set_identifier("mobile", mobile)
        result = self._wait_for(
            self.window.identifier_form.fetch_button.click, self.window.otpShown
        )
        assert not isinstance(result, Exception), result
        self.window.findChild(QPushButton, "copyOtpButton").click()
        assert QGuiApplication.clipboard().text() == result.code  # copied, for the customer

    def cards(self, count: int) -> None:
        self.window.card_panel.set_count(count)
        entries = self._wait_for(
            self.window.card_panel.generate_button.click, self.window.cardBatchFinished
        )
        assert isinstance(entries, list) and len(entries) == count

    def fail_fetch(self, scenario: str, mobile: str) -> None:
        self.simulator.set_scenario(scenario)
        self.window.identifier_form.set_identifier("mobile", mobile)
        error = self._wait_for(self.window.identifier_form.fetch_button.click, self.window.otpShown)
        self.simulator.set_scenario("normal")
        assert isinstance(error, Exception) and self.window.status.kind == "error"
        assert self.window.status.copy_details()
        self.copied_details.append(QGuiApplication.clipboard().text())

    def close(self) -> None:
        self.window.close()
        closing = asyncio.ensure_future(self.service.close())
        self.qtbot.waitUntil(closing.done, timeout=5000)  # the history is closed too


def run_window_session(session: Session) -> None:
    """Basic sign-in, OTP, cards and errors; then OAuth sign-in on the other cluster."""
    session.sign_in(oauth=False, wrong=WRONG_PASSWORD, right=TILL.password)
    session.fetch_and_copy(ASHA)
    session.cards(3)
    session.fail_fetch("outage", ASHA)
    session.fail_fetch("malformed_body", ASHA)  # the cut-off body held the OTP code
    session.fail_fetch("rate_limit", ASHA)

    session.window.account_flow.choose_cluster(session.clusters[OAUTH_CLUSTER_KEY])
    session.sign_in(oauth=True, wrong=WRONG_SECRET, right=OAUTH_SECRET)
    session.fetch_and_copy(ASHA)
    session.cards(2)
    session.fail_fetch("connection_reset", ASHA)


# --- the command line ---------------------------------------------------------------


def run_cli(simulator: TrainingSimulator, *args: str, scenario: str = "normal", **env: str):
    simulator.set_scenario(scenario)
    try:
        return subprocess.run(
            [sys.executable, "-c", CHILD, *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=child_env(**env),
            cwd=REPO,
            stdin=subprocess.DEVNULL,
        )
    finally:
        simulator.set_scenario("normal")


def run_cli_session(simulator: TrainingSimulator) -> tuple[list[str], list[str]]:
    """Returns (streams that must not hold an OTP code, ``capdesk otp`` stdouts)."""
    basic = {"CAPDESK_USERNAME": TILL.username, "CAPDESK_PASSWORD": TILL.password}
    wrong = {"CAPDESK_USERNAME": TILL.username, "CAPDESK_PASSWORD": WRONG_PASSWORD}
    oauth = {"CAPDESK_OAUTH_KEY": OAUTH_KEY, "CAPDESK_OAUTH_SECRET": OAUTH_SECRET}
    bad_oauth = {"CAPDESK_OAUTH_KEY": OAUTH_KEY, "CAPDESK_OAUTH_SECRET": WRONG_SECRET}
    otp = ("otp", "--identifier-name", "mobile", "--identifier-value", JOHN)
    streams: list[str] = []
    otp_outputs: list[str] = []

    for cluster, env in ((BASIC_KEY, basic), (OAUTH_CLUSTER_KEY, oauth)):
        simulator.customer_requests_otp("mobile", JOHN)
        done = run_cli(simulator, *otp, "--cluster", cluster, **env)
        assert done.returncode == 0, done.stderr
        otp_outputs.append(done.stdout)
        streams.append(done.stderr)
        done = run_cli(simulator, "card-number", "--cluster", cluster, "--count", "3", **env)
        assert done.returncode == 0, done.stderr
        streams += [done.stdout, done.stderr]

    failures = [
        (3, "normal", BASIC_KEY, wrong),
        (3, "normal", OAUTH_CLUSTER_KEY, bad_oauth),
        (5, "outage", BASIC_KEY, basic),
        (6, "malformed_body", OAUTH_CLUSTER_KEY, oauth),
    ]
    for code, scenario, cluster, env in failures:
        simulator.customer_requests_otp("mobile", JOHN)
        done = run_cli(simulator, *otp, "--cluster", cluster, scenario=scenario, **env)
        assert done.returncode == code, (scenario, done.stdout, done.stderr)
        streams += [done.stdout, done.stderr]
    return streams, otp_outputs


# --- the audit ----------------------------------------------------------------------


def written_files(*folders: Path) -> dict[str, bytes]:
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                found[str(path)] = path.read_bytes()
    return found


def leaks(haystacks: dict[str, bytes], needles: dict[str, str]) -> list[str]:
    problems = []
    for where, data in haystacks.items():
        squeezed = b"".join(data.split())  # codes are shown in groups: "538 AD87"
        for label, needle in needles.items():
            raw = needle.encode()
            if raw in data or raw in squeezed:
                problems.append(f"{label} found in {where}")
    return problems


def test_no_secret_in_anything_capdesk_wrote(qtbot, async_loop, debug_logging, capfd) -> None:
    paths = default_paths()
    with TrainingSimulator() as simulator:
        session = Session(qtbot, simulator)
        try:
            run_window_session(session)
            streams, otp_outputs = run_cli_session(simulator)  # while the window is open
            for handler in logging.getLogger().handlers:
                handler.flush()
            # The history is still open: its -wal and -shm files exist now.
            while_open = written_files(paths.data_dir)
        finally:
            session.close()
        state = simulator._state  # the simulator's own record of what it handed out
        tokens = list(state.tokens._tokens)
        codes = [record.code for record in state.otps._records]
        issued_cards = simulator.issued_card_numbers
    for handler in logging.getLogger().handlers:
        handler.flush()
    QGuiApplication.clipboard().clear()
    captured = capfd.readouterr()
    details = session.copied_details

    assert len(tokens) >= 4 and len(codes) >= 8 and len(issued_cards) == 11
    assert {"history.sqlite3-wal", "history.sqlite3-shm"} <= {Path(n).name for n in while_open}
    files = written_files(paths.config_dir.parent, paths.machine_config_dir)
    names = {Path(name).name for name in files}
    assert {"capdesk.log", "settings.ini", "history.sqlite3", "policy.ini"} <= names, names
    log_text = files[str(paths.log_file)].decode("utf-8")
    assert "DEBUG" in log_text and "/v2/cardNumber" in log_text  # the log saw it all
    assert "capdesk card-number started" in log_text  # ...the children's too

    haystacks = dict(files)
    haystacks.update({f"{name} (while open)": data for name, data in while_open.items()})
    haystacks.update({f"copied support details #{i}": d.encode() for i, d in enumerate(details)})
    haystacks.update({f"child stream #{i}": s.encode() for i, s in enumerate(streams)})
    haystacks["this process's stdout"] = captured.out.encode()
    haystacks["this process's stderr"] = captured.err.encode()
    otp_stdouts = {f"'capdesk otp' stdout #{i}": s.encode() for i, s in enumerate(otp_outputs)}

    needles = credential_needles()
    needles.update({f"token #{i}": token for i, token in enumerate(tokens)})
    code_needles = {f"OTP code #{i}": code for i, code in enumerate(codes)}

    problems = leaks(haystacks, needles | code_needles) + leaks(otp_stdouts, needles)
    assert not problems, "\n".join(problems)
    # The audit can see what it looks for: the OTP is where it belongs, and the raw bytes
    # of the history hold every card number (card numbers are not secrets).
    assert any(code in b"".join(o.split()).decode() for o in otp_stdouts.values() for code in codes)
    history_bytes = files[str(paths.history_file)]
    assert all(number.encode() in history_bytes for number in issued_cards)
