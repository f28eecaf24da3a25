"""``capdesk otp`` in-process against the training simulator: output and exit codes."""

from __future__ import annotations

import json
import re

import pytest

from tests.cli.conftest import ASHA_MOBILE, DEMO_TILL, assert_no_secrets


def _otp_args(sim, *extra: str, value: str = ASHA_MOBILE, name: str = "mobile") -> list[str]:
    return [
        "otp",
        "--base-url",
        sim.base_url,
        "--identifier-name",
        name,
        "--identifier-value",
        value,
        *extra,
    ]


@pytest.mark.usefixtures("basic_env")
def test_human_output_groups_the_code_and_says_how_long_it_is_valid(simulator, run_cli) -> None:
    code = simulator.customer_requests_otp("mobile", ASHA_MOBILE)
    result = run_cli(*_otp_args(simulator, value="+91 98765 43210"))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == f"OTP: {code[:3]} {code[3:]}"
    assert re.fullmatch(r"Valid for 1[45]:\d\d \(until \d\d:\d\d:\d\d local time\)", lines[1])
    assert "Customer id: 3001" in result.out
    assert "Org id: 50001" in result.out
    assert_no_secrets(result.text)


@pytest.mark.usefixtures("basic_env")
def test_json_is_exactly_one_object_with_the_contract_fields(simulator, run_cli) -> None:
    code = simulator.customer_requests_otp("email", "asha.rao@example.com")
    result = run_cli(*_otp_args(simulator, "--json", name="email", value=" Asha.Rao@EXAMPLE.com "))
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert set(document) == {"orgId", "userId", "code", "validUpto", "warnings", "secondsLeft"}
    assert document["code"] == code
    assert (document["orgId"], document["userId"]) == (50001, 3001)
    assert document["warnings"] == []
    assert 850 <= document["secondsLeft"] <= 900
    assert result.out.count("\n") == 1


@pytest.mark.usefixtures("basic_env")
def test_source_and_account_id_reach_the_server(simulator, run_cli) -> None:
    code = simulator.customer_requests_otp(
        "wechat", "oWX1-liwei-demo", source="WECHAT", account_id="WECHAT-DEMO1"
    )
    args = _otp_args(simulator, "--json", name="wechat", value="oWX1-liwei-demo")
    result = run_cli(*args, "--source", "wechat", "--account-id", "WECHAT-DEMO1")
    assert result.code == 0, result.err
    assert json.loads(result.out)["code"] == code
    missing_account = run_cli(*args, "--source", "WECHAT")
    assert missing_account.code == 2
    assert missing_account.out == ""


@pytest.mark.usefixtures("basic_env")
def test_no_valid_otp_is_exit_4_with_details(simulator, run_cli) -> None:
    result = run_cli(*_otp_args(simulator))
    assert result.code == 4
    assert result.out == ""
    assert "No valid OTP" in result.err
    assert "Capillary code: 9001" in result.err
    assert "Traceback" not in result.err


@pytest.mark.usefixtures("basic_env")
@pytest.mark.parametrize(
    ("name", "value"),
    [("mobile", "12ab"), ("email", "not-an-email"), ("external_id", "   "), ("wechat", "a b")],
)
def test_bad_identifier_is_exit_2_before_any_call(simulator, run_cli, name, value) -> None:
    result = run_cli(*_otp_args(simulator, name=name, value=value))
    assert result.code == 2
    assert result.out == ""
    assert result.err.strip()
    assert simulator.request_count("/v2/otp") == 0


def test_bad_identifier_needs_no_credentials_or_cluster(run_cli) -> None:
    result = run_cli(
        "otp", "--cluster", "eu", "--identifier-name", "mobile", "--identifier-value", "x"
    )
    assert result.code == 2
    assert "mobile number" in result.err


def test_wrong_password_is_exit_3(simulator, run_cli, monkeypatch) -> None:
    monkeypatch.setenv("CAPDESK_USERNAME", DEMO_TILL)
    monkeypatch.setenv("CAPDESK_PASSWORD", "not-the-password")
    simulator.customer_requests_otp("mobile", ASHA_MOBILE)
    result = run_cli(*_otp_args(simulator))
    assert result.code == 3
    assert "rejected" in result.err
    assert_no_secrets(result.text, "not-the-password")


def test_oauth_credentials_from_the_environment(simulator, run_cli, monkeypatch) -> None:
    monkeypatch.setenv("CAPDESK_OAUTH_KEY", "training-key")
    monkeypatch.setenv("CAPDESK_OAUTH_SECRET", "training-secret")
    code = simulator.customer_requests_otp("mobile", ASHA_MOBILE)
    result = run_cli(*_otp_args(simulator, "--json"))
    assert result.code == 0, result.err
    assert json.loads(result.out)["code"] == code
    assert_no_secrets(result.text)


def test_half_a_credential_pair_is_a_usage_error(simulator, run_cli, monkeypatch) -> None:
    monkeypatch.setenv("CAPDESK_USERNAME", DEMO_TILL)
    result = run_cli(*_otp_args(simulator))
    assert result.code == 2
    assert "CAPDESK_PASSWORD" in result.err
    assert simulator.request_count("/v2/otp") == 0


def test_not_signed_in_is_exit_3_and_says_how_to_log_in(simulator, run_cli) -> None:
    result = run_cli(*_otp_args(simulator))
    assert result.code == 3
    assert f"capdesk login --base-url {simulator.base_url} --username TILL" in result.err
    named = run_cli(
        "otp", "--cluster", "eu", "--identifier-name", "mobile", "--identifier-value", ASHA_MOBILE
    )
    assert named.code == 3
    assert "capdesk login --cluster eu --username TILL" in named.err


@pytest.mark.usefixtures("basic_env")
@pytest.mark.parametrize(("scenario", "exit_code"), [("rate_limit", 5), ("malformed_body", 6)])
def test_server_trouble_exit_codes(simulator, run_cli, scenario, exit_code) -> None:
    simulator.customer_requests_otp("mobile", ASHA_MOBILE)
    simulator.set_scenario(scenario)
    result = run_cli(*_otp_args(simulator))
    assert result.code == exit_code
    assert result.out == ""
    assert "Traceback" not in result.err


def test_default_is_the_embedded_training_cluster(run_cli) -> None:
    result = run_cli("otp", "--identifier-name", "mobile", "--identifier-value", ASHA_MOBILE)
    assert result.code == 4  # the demo customer has not asked for an OTP in this simulator
    assert "Training cluster" in result.err
    named = run_cli(
        "otp", "--cluster", "training", "--identifier-name", "email",
        "--identifier-value", "nobody@example.com",
    )  # fmt: skip
    assert named.code == 4


@pytest.mark.parametrize(
    "argv",
    [
        ["otp", "--identifier-name", "phone", "--identifier-value", "1"],
        ["otp", "--identifier-name", "mobile"],
        ["otp", "--identifier-name", "mobile", "--identifier-value", "1", "--threshold", "0"],
        ["otp", "--cluster", "eu", "--base-url", "https://x.example", "--identifier-name",
         "mobile", "--identifier-value", "1"],
        ["otp", "--cluster", "atlantis", "--identifier-name", "email",
         "--identifier-value", "a@example.com"],
        ["otp", "--base-url", "http://example.com", "--identifier-name", "email",
         "--identifier-value", "a@example.com"],
        ["frobnicate"],
        [],
    ],
)  # fmt: skip
def test_usage_errors_are_exit_2(run_cli, argv) -> None:
    result = run_cli(*argv)
    assert result.code == 2
    assert result.out == ""
    assert "Traceback" not in result.err


@pytest.mark.usefixtures("basic_env")
@pytest.mark.parametrize(
    ("typed", "country", "expected"),
    [
        ("+1 506-234-5678", "CN", "15062345678"),
        ("+95 9 212 3456", "IN", "9592123456"),
        ("0095 9 212 3456", "US", "9592123456"),
    ],
)
def test_an_international_number_reaches_the_server_whatever_the_default_country(
    simulator, run_cli, typed: str, country: str, expected: str
) -> None:
    """Issue 8: the value was normalised by the CLI and again by the client, in the
    default country (CN: 8615062345678 was sent; IN: 919592123456)."""
    from capdesk.paths import default_paths

    policy = f"[capdesk]\ndefault_country = {country}\n"
    default_paths().policy_file.write_text(policy, encoding="utf-8")
    result = run_cli(*_otp_args(simulator, "--json", value=typed))
    assert result.code == 4, result.err  # nobody has that number
    assert simulator.received_identifier_values == [expected]


@pytest.mark.usefixtures("basic_env")
def test_the_default_country_setting_reads_national_numbers(simulator, run_cli) -> None:
    from capdesk.paths import default_paths

    code = simulator.customer_requests_otp("mobile", "14155550123")
    args = _otp_args(simulator, "--json", value="(415) 555-0123")
    assert run_cli(*args).code == 4  # read as an Indian number: nobody has that one
    default_paths().policy_file.write_text("[capdesk]\ndefault_country = US\n", encoding="utf-8")
    result = run_cli(*args)
    assert result.code == 0, result.err
    assert json.loads(result.out)["code"] == code


@pytest.mark.usefixtures("basic_env")
def test_a_wechat_id_implies_its_source_and_the_account_comes_from_the_policy(
    simulator, run_cli
) -> None:
    """As in the window: no --source and no --account-id needed once IT set the account."""
    from capdesk.paths import default_paths

    code = simulator.customer_requests_otp(
        "wechat", "oWX1-liwei-demo", source="WECHAT", account_id="WECHAT-DEMO1"
    )
    policy = "[capdesk]\naccount_ids = WECHAT=WECHAT-DEMO1\n"
    default_paths().policy_file.write_text(policy, encoding="utf-8")
    result = run_cli(*_otp_args(simulator, "--json", name="wechat", value="oWX1-liwei-demo"))
    assert result.code == 0, result.err
    assert json.loads(result.out)["code"] == code
