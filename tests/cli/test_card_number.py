"""``capdesk card-number`` in-process: formats, history before output, failures, Ctrl+C."""

from __future__ import annotations

import io
import json
import os
import signal

import pytest

from capdesk.api.auth import BasicCredentials
from capdesk.cli.card_command import DeferredInterrupt, generate_batch
from capdesk.paths import default_paths
from capdesk.store.history import CardHistory
from tests.cli.card_server import card_server
from tests.cli.conftest import DEMO_PASSWORD, DEMO_TILL, assert_no_secrets


def history_numbers() -> list[str]:
    history = CardHistory(default_paths().history_file)
    try:
        return [entry.number for entry in reversed(history.entries())]
    finally:
        history.close()


@pytest.mark.usefixtures("basic_env")
def test_numbers_are_printed_one_per_line_and_kept_in_history(simulator, run_cli) -> None:
    result = run_cli("card-number", "--base-url", simulator.base_url, "--count", "3")
    assert result.code == 0, result.err
    printed = result.out.splitlines()
    assert printed == simulator.issued_card_numbers
    assert len(printed) == 3
    assert history_numbers() == printed
    history = CardHistory(default_paths().history_file)
    try:
        entry = history.entries(limit=1)[0]
    finally:
        history.close()
    assert entry.till == DEMO_TILL
    assert entry.cluster == f"Custom ({simulator.base_url.removeprefix('http://')})"
    assert result.err == ""  # stderr is not a terminal: no progress line
    assert_no_secrets(result.text)


@pytest.mark.usefixtures("basic_env")
def test_json_output(simulator, run_cli) -> None:
    result = run_cli("card-number", "--base-url", simulator.base_url, "--count", "2", "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document == {"cardNumbers": simulator.issued_card_numbers, "warnings": []}
    assert history_numbers() == document["cardNumbers"]


@pytest.mark.usefixtures("basic_env")
def test_csv_output(simulator, run_cli) -> None:
    result = run_cli("card-number", "--base-url", simulator.base_url, "--count", "2", "--csv")
    assert result.code == 0, result.err
    assert result.out.splitlines() == ["cardNumber", *simulator.issued_card_numbers]


def test_default_is_the_embedded_training_cluster(run_cli) -> None:
    result = run_cli("card-number")
    assert result.code == 0, result.err
    assert len(result.out.splitlines()) == 1
    assert "Training cluster" in result.err
    assert history_numbers() == result.out.splitlines()


@pytest.mark.usefixtures("basic_env")
def test_generation_disabled_is_exit_3_and_names_the_settings(simulator, run_cli) -> None:
    simulator.set_scenario("card_generation_disabled")
    result = run_cli("card-number", "--base-url", simulator.base_url, "--count", "5")
    assert result.code == 3
    assert result.out == ""
    sentence, *support = result.err.splitlines()
    assert "CONF_" not in sentence and "administrator" in sentence
    assert any("CONF_CARD_NUMBER_GENERATION_ENABLED" in line for line in support)
    assert simulator.request_count("/v2/cardNumber") == 1
    assert history_numbers() == []


def test_till_without_card_generation_is_exit_3(simulator, run_cli, monkeypatch) -> None:
    monkeypatch.setenv("CAPDESK_USERNAME", "training.till2")
    monkeypatch.setenv("CAPDESK_PASSWORD", DEMO_PASSWORD)
    result = run_cli("card-number", "--base-url", simulator.base_url)
    assert result.code == 3
    assert "SOURCE_ACCOUNTS_EXTERNALID_ENABLED" in result.err


@pytest.mark.usefixtures("basic_env")
@pytest.mark.parametrize(("scenario", "exit_code"), [("outage", 5), ("malformed_body", 6)])
def test_server_trouble_is_never_retried(simulator, run_cli, scenario, exit_code) -> None:
    simulator.set_scenario(scenario)
    result = run_cli("card-number", "--base-url", simulator.base_url, "--count", "4")
    assert result.code == exit_code
    assert result.out == ""
    assert "Traceback" not in result.err
    assert simulator.request_count("/v2/cardNumber") == 1


@pytest.mark.usefixtures("basic_env")
def test_failure_mid_batch_keeps_what_was_received(run_cli) -> None:
    with card_server(good=3) as server:
        result = run_cli("card-number", "--base-url", server.base_url, "--count", "10")
    assert result.code == 5
    assert result.out.splitlines() == server.issued
    assert server.requests == 4  # three numbers, one failure, no retry
    assert history_numbers() == server.issued
    assert "3 card numbers were generated" in result.err
    assert result.err.index("HTTP status: 503") < result.err.index("3 card numbers")


@pytest.mark.usefixtures("basic_env")
def test_failure_mid_batch_with_json_still_prints_the_numbers(run_cli) -> None:
    with card_server(good=2) as server:
        result = run_cli("card-number", "--base-url", server.base_url, "--count", "5", "--json")
    assert result.code == 5
    assert json.loads(result.out)["cardNumbers"] == server.issued
    assert history_numbers() == server.issued


@pytest.mark.usefixtures("basic_env")
def test_ctrl_c_finishes_the_number_in_flight_then_stops(run_cli) -> None:
    def interrupt_at_third(number: int) -> None:
        if number == 3:
            os.kill(os.getpid(), signal.SIGINT)

    previous = signal.getsignal(signal.SIGINT)
    with card_server(good=100, on_request=interrupt_at_third) as server:
        result = run_cli("card-number", "--base-url", server.base_url, "--count", "50", "--csv")
    assert signal.getsignal(signal.SIGINT) is previous  # the handler is put back
    assert result.code == 130
    assert server.requests == 3
    assert result.out.splitlines() == ["cardNumber", *server.issued]
    assert history_numbers() == server.issued
    assert "Stopped. 3 card numbers were generated; they are saved in the card history." in (
        result.err
    )
    assert "Traceback" not in result.err


@pytest.mark.parametrize("count", ["0", "10001", "two", "-1"])
def test_count_out_of_range_is_exit_2(run_cli, count) -> None:
    result = run_cli("card-number", "--count", count)
    assert result.code == 2
    assert "1 to 10000" in result.err


def test_json_and_csv_together_is_exit_2(run_cli) -> None:
    assert run_cli("card-number", "--json", "--csv").code == 2


class TerminalText(io.StringIO):
    """A text stream that says it is a terminal, as a console's stderr does."""

    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal(simulator, tmp_path) -> None:
    from capdesk.api.client import CapillaryClient

    client = CapillaryClient(
        simulator.base_url, BasicCredentials.from_password(DEMO_TILL, DEMO_PASSWORD)
    )
    history = CardHistory(tmp_path / "history.sqlite3")
    try:
        for err, expect_progress in ((TerminalText(), True), (io.StringIO(), False)):
            out = io.StringIO()
            batch = generate_batch(
                client, history, 3, cluster="t", till=DEMO_TILL, out=out, err=err,
                interrupt=DeferredInterrupt(),
            )  # fmt: skip
            assert batch.error is None
            assert out.getvalue().splitlines() == batch.numbers
            assert ("Generated 3 of 3 card numbers" in err.getvalue()) is expect_progress
            assert err.getvalue().endswith("\r") or not expect_progress  # line cleared
    finally:
        history.close()
        client.close()


@pytest.mark.usefixtures("basic_env")
def test_the_machine_policy_chooses_the_card_method(run_cli) -> None:
    policy = default_paths().policy_file
    policy.write_text("[capdesk]\ncard_method = POST\n", encoding="utf-8")
    with card_server(good=5) as server:
        result = run_cli("card-number", "--base-url", server.base_url, "--count", "2")
    assert result.code == 0, result.err
    assert server.methods == ["POST", "POST"]


def test_a_number_the_history_cannot_keep_is_still_shown(simulator, tmp_path) -> None:
    from capdesk.api.client import CapillaryClient
    from capdesk.store.history import HistoryError

    client = CapillaryClient(
        simulator.base_url, BasicCredentials.from_password(DEMO_TILL, DEMO_PASSWORD)
    )
    history = CardHistory(tmp_path / "history.sqlite3")
    history.close()  # every append now fails, as on a full disk
    out, err = io.StringIO(), io.StringIO()
    try:
        batch = generate_batch(client, history, 5, cluster="t", till=DEMO_TILL, out=out, err=err)
    finally:
        client.close()
    assert isinstance(batch.error, HistoryError)
    assert batch.numbers == []
    assert out.getvalue().splitlines() == simulator.issued_card_numbers  # exactly one, shown
    assert f"Card number {simulator.issued_card_numbers[0]} is not in the card history" in (
        err.getvalue()
    )
