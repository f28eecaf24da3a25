"""The source facts the form, the command line and the simulator share."""

from __future__ import annotations

from capdesk.api.sources import SOURCES_NEEDING_ACCOUNT, source_for


def test_the_training_accounts_are_the_simulators_demo_accounts() -> None:
    from capdesk.api.sources import TRAINING_ACCOUNT_IDS
    from capdesk.simulator.demo_data import SOURCE_ACCOUNTS

    assert {source: {account} for source, account in TRAINING_ACCOUNT_IDS.items()} == {
        source: set(accounts) for source, accounts in SOURCE_ACCOUNTS.items()
    }


def test_an_identifier_type_found_in_one_source_implies_it() -> None:
    assert source_for("wechat", None) == "WECHAT"
    assert source_for("mobile", None) == "INSTORE"
    assert source_for("wechat", "OTHERS") == "OTHERS"  # what staff chose wins
    assert "WECHAT" in SOURCES_NEEDING_ACCOUNT
