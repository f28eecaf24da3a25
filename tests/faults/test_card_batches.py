"""Card-number batches through the window while the cluster misbehaves.

Each call to ``/v2/cardNumber`` consumes a number, so the rule is strict: every
number the server delivered whole is in the history exactly once, and nothing else
is. Numbers the server consumed but never delivered (the answer was cut off, came too
late, could not be read) are not in the history: capdesk never saw them.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from capdesk.api.auth import BasicCredentials
from tests.faults import sentences as S
from tests.faults.desk import MAX_STALL, Desk
from tests.faults.servers import CARD_PATH, CardIssuer, FaultServer

TILL = BasicCredentials.from_password("till.one", "pass-1234")
BATCH_FAULT_SENTENCES = {
    S.CUT_OFF,
    S.TOO_SLOW,
    S.UNREADABLE,
    S.BUSY_503,
    S.TOO_MANY_MINUTE,
    S.SERVER_ERROR,
}


def assert_nothing_lost_or_doubled(numbers: list[str], issuer: CardIssuer) -> None:
    duplicates = [number for number, seen in Counter(numbers).items() if seen > 1]
    assert not duplicates, f"recorded twice: {duplicates}"
    assert set(numbers) == set(issuer.delivered), (
        f"lost: {sorted(set(issuer.delivered) - set(numbers))}, "
        f"never delivered: {sorted(set(numbers) - set(issuer.delivered))}"
    )
    assert set(issuer.delivered) <= set(issuer.issued)


def test_a_batch_across_faults_loses_and_doubles_nothing(open_window) -> None:
    script = ["ok", "ok", "cut", "ok", "503", "ok", "ok", "malformed", "ok", "429"]
    script += ["ok", "reset_before", "ok", "hang", "ok", "ok", "empty", "ok", "500_before"]
    issuer = CardIssuer(script)
    with FaultServer(issuer) as server:
        desk = open_window(server.base_url, TILL)
        failures = 0
        for _ in range(len(script)):  # each fault ends one batch; then staff click again
            outcome = desk.generate(6)
            assert outcome.max_gap < MAX_STALL, f"GUI stalled {outcome.max_gap:.3f} s"
            if outcome.error is None:
                assert len(outcome.entries) == 6
                if not issuer.script:
                    break
                continue
            failures += 1
            assert desk.status_kind == "error"
            assert desk.status_text in BATCH_FAULT_SENTENCES, desk.status_text
            # What the batch reported is what it recorded: shown numbers are saved.
            assert {e.number for e in outcome.entries} <= set(desk.history_numbers())
        assert not issuer.script, "the script was not played to the end"
        assert failures >= 3  # nine faults, at most four in flight per batch
        assert server.count(CARD_PATH) == len(issuer.outcomes)
    assert_nothing_lost_or_doubled(desk.history_numbers(), issuer)
    assert len(issuer.issued) > len(issuer.delivered)  # some numbers really were lost in transit


def test_cancel_keeps_every_number_already_in_flight(open_window) -> None:
    issuer = CardIssuer(delay=0.03)
    with FaultServer(issuer) as server:
        desk = open_window(server.base_url, TILL)
        panel = desk.window.card_panel

        def cancel_at_ten(value: int) -> None:
            if value >= 10 and panel.cancel_button.isEnabled():
                panel.cancel_button.click()

        panel.progress.valueChanged.connect(cancel_at_ten)
        outcome = desk.generate(200)
        received = len(outcome.entries)
        assert outcome.error is None
        assert 10 <= received < 200
        assert desk.status_text == (
            f"Stopped after {received} of 200. Those are saved in the history."
        )
        assert server.count(CARD_PATH) == received == len(issuer.delivered)
    assert_nothing_lost_or_doubled(desk.history_numbers(), issuer)


def test_closing_the_window_mid_batch_keeps_numbers_in_flight(open_window, qtbot) -> None:
    """Closing the window mid-batch, then shutting down as ``capdesk.app.main`` does
    (``service.close()``, which closes the history last): answers still on their way
    are numbers the server consumed and sent, so they must reach the history."""
    issuer = CardIssuer(delay=0.3)
    with FaultServer(issuer) as server:
        desk: Desk = open_window(server.base_url, TILL)
        panel = desk.window.card_panel
        panel.set_count(40)
        panel.generate_button.click()
        qtbot.waitUntil(lambda: panel.progress.value() >= 4, timeout=5000)
        in_flight = server.count(CARD_PATH) - len(desk.history_numbers())
        assert in_flight > 0

        desk.window.close()
        closing = asyncio.ensure_future(desk.service.close())
        qtbot.waitUntil(closing.done, timeout=5000)
        closing.result()
        qtbot.wait(600)  # any answer still in flight arrives (0.3 s each), too late
    assert_nothing_lost_or_doubled(desk.history_numbers(), issuer)
