"""``python -m capdesk`` as a real process: exit codes, streams, durability, Ctrl+C.

The child has its own CAPDESK_HOME (inherited from the test) and keyring's ``fail``
backend, and talks to a simulator in this process over loopback.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from capdesk.api.auth import md5_hex
from capdesk.paths import default_paths
from capdesk.store.history import CardHistory
from tests.cli.conftest import (
    ASHA_MOBILE,
    DEMO_PASSWORD,
    DEMO_TILL,
    REPO,
    assert_no_secrets,
    child_env,
    run_child,
    start_child,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def history_numbers() -> list[str]:
    history = CardHistory(default_paths().history_file)
    try:
        return [entry.number for entry in reversed(history.entries())]
    finally:
        history.close()


def read_lines(process: subprocess.Popen[str], count: int) -> list[str]:
    assert process.stdout is not None
    lines = []
    while len(lines) < count:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
    return lines


def test_help_lists_the_commands_and_loads_no_qt_or_http() -> None:
    code = (
        "import sys; from capdesk.__main__ import main; rc = main(['--help']); "
        "print('LOADED', sorted(m for m in ('requests', 'PySide6.QtCore', 'PySide6.QtWidgets')"
        " if m in sys.modules)); sys.exit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env(), cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    for command in ("otp", "card-number", "login", "logout", "simulator", "clusters"):
        assert command in done.stdout
    assert "LOADED []" in done.stdout


def test_a_command_never_loads_qt_widgets(simulator) -> None:
    code = (
        "import sys; from capdesk.__main__ import main; rc = main(sys.argv[1:]); "
        "print('WIDGETS', 'PySide6.QtWidgets' in sys.modules); sys.exit(rc)"
    )
    args = ["card-number", "--base-url", simulator.base_url]
    env = child_env(CAPDESK_USERNAME=DEMO_TILL, CAPDESK_PASSWORD=DEMO_PASSWORD)
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert "WIDGETS False" in done.stdout


def test_otp_json_and_human_against_a_custom_address(simulator) -> None:
    code = simulator.customer_requests_otp("external_id", "CARD1001")
    args = ["otp", "--base-url", simulator.base_url, "--identifier-name", "external_id"]
    args += ["--identifier-value", "CARD1001"]
    env = {"CAPDESK_USERNAME": DEMO_TILL, "CAPDESK_PASSWORD": DEMO_PASSWORD}
    as_json = run_child([*args, "--json"], **env)
    assert as_json.code == 0, as_json.err
    assert json.loads(as_json.out)["code"] == code
    human = run_child(args, **env)
    assert human.code == 0, human.err
    assert human.out.startswith(f"OTP: {code[:3]} {code[3:]}\nValid for ")
    for outcome in (as_json, human):
        assert_no_secrets(outcome.text)
    log_text = default_paths().log_file.read_text(encoding="utf-8")
    assert_no_secrets(log_text, code)
    assert "Authorization" not in log_text or "Basic ***" in log_text


def test_embedded_training_cluster_by_default() -> None:
    cards = run_child(["card-number", "--count", "3", "--csv"])
    assert cards.code == 0, cards.err
    lines = cards.out.splitlines()
    assert lines[0] == "cardNumber"
    assert lines[1:] == history_numbers()
    assert len(lines) == 4
    assert "Training cluster" in cards.err
    otp = run_child(["otp", "--identifier-name", "mobile", "--identifier-value", ASHA_MOBILE])
    assert otp.code == 4
    assert otp.out == ""
    assert "No valid OTP" in otp.err


@pytest.mark.parametrize(
    ("scenario", "extra_env", "argv", "exit_code"),
    [
        ("normal", {"CAPDESK_PASSWORD": "wrong"}, ["card-number"], 3),
        ("normal", {}, ["otp", "--identifier-name", "mobile", "--identifier-value", "x1"], 2),
        ("card_generation_disabled", {}, ["card-number"], 3),
        ("outage", {}, ["card-number"], 5),
        ("malformed_body", {}, ["card-number", "--json"], 6),
    ],
)
def test_exit_codes(simulator, scenario, extra_env, argv, exit_code) -> None:
    simulator.set_scenario(scenario)
    env = {"CAPDESK_USERNAME": DEMO_TILL, "CAPDESK_PASSWORD": DEMO_PASSWORD, **extra_env}
    result = run_child([*argv, "--base-url", simulator.base_url], **env)
    assert result.code == exit_code, result.err
    assert result.out == ""
    assert result.err.strip()
    assert "Traceback" not in result.err
    assert_no_secrets(result.text, md5_hex("wrong"))


def test_not_signed_in_without_a_password_store_is_exit_3() -> None:
    result = run_child(
        ["otp", "--cluster", "eu", "--identifier-name", "mobile", "--identifier-value", ASHA_MOBILE]
    )
    assert result.code == 3
    assert "CAPDESK_USERNAME" in result.err
    assert "Traceback" not in result.err


def test_killed_mid_batch_every_printed_number_is_in_history(simulator, basic_env) -> None:
    process = start_child(["card-number", "--count", "200", "--base-url", simulator.base_url])
    try:
        printed = read_lines(process, 50)
    finally:
        process.kill()  # SIGKILL: no handler, no flush, no goodbye
        process.communicate(timeout=10)
    assert len(printed) == 50
    assert len(simulator.issued_card_numbers) < 200  # it really was mid-batch
    saved = history_numbers()
    assert set(printed) <= set(saved)
    assert saved[:50] == printed


def test_ctrl_c_mid_batch_exits_130_and_keeps_every_number(simulator, basic_env) -> None:
    process = start_child(["card-number", "--count", "200", "--base-url", simulator.base_url])
    try:
        printed = read_lines(process, 20)
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    printed += rest.splitlines()
    assert process.returncode == 130, err
    assert len(printed) < 200
    # Nothing received is lost: issued by the server == printed == saved.
    assert printed == simulator.issued_card_numbers == history_numbers()
    assert f"Stopped. {len(printed)} card numbers were generated" in err
    assert "saved in the card history" in err
    assert "Traceback" not in err


def test_simulator_command_serves_until_ctrl_c() -> None:
    process = start_child(["simulator", "--port", "0", "--scenario", "normal"])
    try:
        lines = read_lines(process, 4)
        url = next(line.split()[-1] for line in lines if "running at" in line)
        assert url.startswith("http://127.0.0.1:")
        import urllib.request

        request = urllib.request.Request(
            url + "/_training/otp",
            data=json.dumps(
                {"identifierName": "mobile", "identifierValue": ASHA_MOBILE, "source": "INSTORE"}
            ).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert json.loads(answer.read())["code"]
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Training cluster: simulated data" in "\n".join(lines)
    assert "Stopping the training cluster." in out
    assert "other computers" not in "\n".join(lines)
    assert "Traceback" not in err


def test_simulator_on_another_address_only_when_asked_and_with_a_warning() -> None:
    process = start_child(["simulator", "--host", "0.0.0.0", "--port", "0"])
    try:
        lines = read_lines(process, 3)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    text = "\n".join(lines)
    assert "other computers on the network can reach this training server" in text
    assert process.returncode == 0


def test_simulator_refuses_an_unknown_scenario() -> None:
    result = run_child(["simulator", "--scenario", "earthquake"])
    assert result.code == 2
    assert "outage" in result.err
    assert os.environ["CAPDESK_HOME"]
