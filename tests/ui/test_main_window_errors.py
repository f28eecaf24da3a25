"""Every kind of failure reaches the counter as its one sentence in ``statusMessage``.

Faults come from the embedded training cluster's scenarios (the trainer's picker for
the ones it offers, the simulator's own switch for the rest); the account errors
come from a second "store" cluster that points at a test simulator's address.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from capdesk.api import errors
from capdesk.api.auth import BasicCredentials
from capdesk.store.credentials import CredentialStore
from tests.ui.window_harness import (
    DEMO_MOBILE,
    DEMO_MOBILE_TYPED,
    click,
)

PICKER_SCENARIOS = {"outage", "rate_limit", "card_generation_disabled", "slow_network"}


def choose_scenario(qtbot, d, name: str) -> None:
    """Pick ``name`` in the trainer's scenario list with the keyboard."""
    combo = d.child("scenarioSelector")
    combo.setFocus()
    for _ in range(combo.count()):
        if combo.currentData() == name:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    raise AssertionError(f"{name} is not in the scenario list")


def fail_fetch(qtbot, d, kind: str, value: str) -> errors.CapdeskError:
    combo = d.child("identifierName")
    combo.setCurrentIndex(combo.findData(kind))
    qtbot.keyClicks(d.child("identifierValue"), value)
    with qtbot.waitSignal(d.window.operationFailed, timeout=5000) as failed:
        qtbot.keyClick(d.child("identifierValue"), Qt.Key.Key_Return)
    return failed.args[0]


def fail_card(qtbot, d) -> errors.CapdeskError:
    with qtbot.waitSignal(d.window.operationFailed, timeout=5000) as failed:
        click(qtbot, d.child("generateCardButton"))
    return failed.args[0]


def assert_shown(d, error: errors.CapdeskError, expected: type[errors.CapdeskError]) -> None:
    assert type(error) is expected
    assert d.window.status.kind == "error"
    assert d.text("statusMessage") == error.sentence
    assert error.sentence.endswith(".")
    assert "Traceback" not in error.sentence and "Error" not in error.sentence


@pytest.mark.parametrize(
    ("scenario", "action", "expected"),
    [
        ("outage", "card", errors.ServerBusy),
        ("rate_limit", "fetch", errors.RateLimited),
        ("no_response", "fetch", errors.NetworkError),
        ("connection_reset", "card", errors.NetworkError),
        ("malformed_body", "fetch", errors.UnreadableResponse),
        ("card_generation_disabled", "card", errors.CardGenerationNotEnabled),
    ],
)
def test_training_scenarios_show_their_sentence(qtbot, desk, scenario, action, expected):
    d = desk(configure=lambda settings: setattr(settings, "read_timeout", 1.0))
    d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    if scenario in PICKER_SCENARIOS:
        choose_scenario(qtbot, d, scenario)
        qtbot.waitUntil(lambda: d.text("statusMessage").startswith("Training: "), timeout=3000)
        assert d.sim.scenario == scenario  # switched before the window says so
    else:
        d.sim.set_scenario(scenario)
    if action == "fetch":
        error = fail_fetch(qtbot, d, "mobile", DEMO_MOBILE_TYPED)
    else:
        error = fail_card(qtbot, d)
    assert_shown(d, error, expected)
    assert d.child("fetchOtpButton").isEnabled()
    assert d.child("generateCardButton").isEnabled()
    assert d.text("otpCode") == ""


def test_network_errors_name_the_cluster_in_the_details(qtbot, desk):
    d = desk()
    d.sim.set_scenario("connection_reset")
    error = fail_card(qtbot, d)
    assert "Training (simulated)" not in d.text("statusMessage")  # a plain sentence…
    d.window.status.set_details_open(True)
    assert "Cluster: Training (simulated)" in d.text("statusDetails").splitlines()  # …for support
    assert error.reason == "reset"


def test_no_customer_and_no_valid_otp(qtbot, desk):
    d = desk()
    error = fail_fetch(qtbot, d, "email", "nobody@example.com")
    assert_shown(d, error, errors.CustomerNotFound)
    click(qtbot, d.child("newCustomerButton"))
    assert d.text("statusMessage") == ""
    error = fail_fetch(qtbot, d, "email", "john.smith@example.com")  # never asked for one
    assert_shown(d, error, errors.NoValidOtp)
    assert d.text("statusMessage") == (
        "No valid OTP for this customer. Ask them to request a new one."
    )


def test_details_for_support_open_and_copy(qtbot, desk):
    d = desk()
    d.sim.set_scenario("outage")
    fail_card(qtbot, d)
    assert not d.child("statusDetails").isVisible()
    click(qtbot, d.child("statusDetailsButton"))
    details = d.text("statusDetails")
    assert d.child("statusDetails").isVisible()
    assert "HTTP status: 503" in details
    assert "Cluster: Training (simulated)" in details
    click(qtbot, d.child("copyDetailsButton"))
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith(d.text("statusMessage"))
    assert "HTTP status: 503" in copied


def test_a_simulated_request_for_an_unknown_customer_is_a_sentence(qtbot, desk):
    d = desk()
    qtbot.keyClicks(d.child("identifierValue"), "98765 00000")
    with qtbot.waitSignal(d.window.operationFailed, timeout=5000) as failed:
        click(qtbot, d.child("simulateOtpRequestButton"))
    assert_shown(d, failed.args[0], errors.CustomerNotFound)


def test_an_invalid_identifier_is_caught_before_any_call(qtbot, desk):
    d = desk()
    qtbot.keyClicks(d.child("identifierValue"), "12")
    before = d.sim.request_count()
    qtbot.keyClick(d.child("identifierValue"), Qt.Key.Key_Return)
    qtbot.wait(50)
    assert d.sim.request_count() == before
    assert d.text("identifierHint")  # the form says what to fix, under the field
    assert d.window.status.kind != "error"


def write_store_cluster(base_url: str) -> None:
    """An administrator's cluster file on this PC naming a store cluster."""
    machine = Path(os.environ["CAPDESK_MACHINE_CONFIG"])
    (machine / "clusters.toml").write_text(
        f'[clusters.store]\nlabel = "Store server"\nbase_url = "{base_url}"\n', encoding="utf-8"
    )


def test_not_signed_in(qtbot, desk, simulator):
    write_store_cluster(simulator.base_url)
    d = desk(cluster="store")
    assert d.text("signedInAs") == "Not signed in"
    error = fail_fetch(qtbot, d, "mobile", DEMO_MOBILE_TYPED)
    assert_shown(d, error, errors.NotSignedIn)
    assert "Sign in" in error.sentence  # what to do
    assert error.details.cluster == "Store server"
    assert simulator.request_count() == 0
    error = fail_card(qtbot, d)
    assert_shown(d, error, errors.NotSignedIn)


def test_rejected_credentials(qtbot, desk, simulator):
    write_store_cluster(simulator.base_url)
    CredentialStore().save("store", BasicCredentials.from_password("training.till", "wrong"))
    d = desk(cluster="store")
    assert d.text("signedInAs") == "Signed in as training.till"
    error = fail_fetch(qtbot, d, "mobile", DEMO_MOBILE_TYPED)
    assert_shown(d, error, errors.AuthenticationFailed)
    assert d.text("statusMessage") == "The till credentials were rejected. Sign in again."
    error = fail_card(qtbot, d)
    assert_shown(d, error, errors.AuthenticationFailed)
    assert simulator.issued_card_numbers == []
