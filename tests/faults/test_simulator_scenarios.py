"""The training cluster's fault scenarios, through the window, as a real cluster.

A standalone simulator stands in for a Capillary cluster the administrator named in
clusters.toml; the till signs in with Basic credentials from the keyring. Each
scenario is switched on between two steps of a normal session, as a network going
bad mid-shift would be.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from capdesk.api.auth import BasicCredentials
from capdesk.simulator import TrainingSimulator
from capdesk.simulator.demo_data import TILL
from tests.faults import sentences as S
from tests.faults.desk import MAX_STALL
from tests.faults.servers import CARD_PATH, OTP_PATH

ASHA = "919876543210"
CREDENTIALS = BasicCredentials.from_password(TILL.username, TILL.password)
SLOW_SECONDS = 1.5  # longer than the 1 s read timeout the window is given


@dataclass(frozen=True)
class Scenario:
    name: str
    otp_sentence: str
    otp_attempts: int
    card_sentence: str
    card_issued: int  # numbers the simulator consumes for the one card call


SCENARIOS = [
    Scenario("outage", S.BUSY_503, 3, S.BUSY_503, 0),
    Scenario("no_response", S.TOO_SLOW, 1, S.TOO_SLOW, 0),
    Scenario("connection_reset", S.CUT_OFF, 3, S.CUT_OFF, 0),
    # A gateway's 429 with Retry-After 30: not the customer's daily OTP limit, and
    # longer than the client waits out, so not retried either.
    Scenario("rate_limit", S.TOO_MANY_30_SECONDS, 1, S.TOO_MANY_30_SECONDS, 0),
    # The answer comes after the client gave up: the number is consumed, never delivered.
    Scenario("slow_network", S.TOO_SLOW, 1, S.TOO_SLOW, 1),
    Scenario("malformed_body", S.UNREADABLE, 1, S.UNREADABLE, 1),
    Scenario("card_generation_disabled", S.OTP_FOUND, 1, S.CARDS_DISABLED, 0),
]


@pytest.fixture
def cluster():
    with TrainingSimulator(slow_seconds=SLOW_SECONDS) as simulator:
        yield simulator


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_scenario_through_the_window(scenario: Scenario, cluster, open_window, qtbot) -> None:
    desk = open_window(cluster.base_url, CREDENTIALS)
    cluster.customer_requests_otp("mobile", ASHA)
    desk.type_identifier("mobile", ASHA)
    typed = desk.identifier_text
    first = desk.generate(2)  # a healthy start: two numbers in the history
    assert first.error is None and len(first.entries) == 2

    cluster.set_scenario(scenario.name)
    before = cluster.request_count(OTP_PATH)
    otp = desk.fetch()
    assert desk.status_text == scenario.otp_sentence
    assert cluster.request_count(OTP_PATH) - before == scenario.otp_attempts
    assert desk.identifier_text == typed
    assert otp.max_gap < MAX_STALL, f"GUI stalled {otp.max_gap:.3f} s"

    issued_before = len(cluster.issued_card_numbers)
    before = cluster.request_count(CARD_PATH)
    cards = desk.generate(1)
    assert cards.error is not None and cards.entries == []
    assert desk.status_text == scenario.card_sentence
    if scenario.name == "card_generation_disabled":  # the InTouch names: details, for the admin
        assert S.CARDS_DISABLED_HELP in cards.error.details.lines()
    assert cluster.request_count(CARD_PATH) - before == 1  # never retried
    assert cards.max_gap < MAX_STALL, f"GUI stalled {cards.max_gap:.3f} s"
    if scenario.card_issued:  # a late answer may still consume a number on the server
        qtbot.waitUntil(
            lambda: len(cluster.issued_card_numbers) - issued_before == scenario.card_issued,
            timeout=3000,
        )
    assert len(cluster.issued_card_numbers) - issued_before == scenario.card_issued

    # Every number the cluster issued is in the history exactly once, or never reached
    # the till; nothing else is in the history.
    delivered = [entry.number for entry in reversed(first.entries)]
    assert sorted(desk.history_numbers()) == sorted(delivered)
    assert set(delivered) <= set(cluster.issued_card_numbers)

    cluster.set_scenario("normal")
    again = desk.generate(1)
    assert again.error is None and len(again.entries) == 1
    assert desk.identifier_text == typed


def test_slow_but_in_time_is_patient_and_responsive(open_window) -> None:
    with TrainingSimulator(scenario="slow_network", slow_seconds=0.4) as simulator:
        simulator.customer_requests_otp("mobile", ASHA)
        desk = open_window(simulator.base_url, CREDENTIALS)
        desk.type_identifier("mobile", ASHA)
        otp = desk.fetch()
        assert otp.error is None and desk.status_text == S.OTP_FOUND
        assert otp.seconds >= 0.4
        assert otp.max_gap < MAX_STALL
        assert simulator.request_count(OTP_PATH) == 1
