"""``capdesk`` / ``python -m capdesk``: subcommands go to the CLI, the rest to the window."""

from __future__ import annotations

import pytest

from capdesk.__main__ import main, wants_cli


@pytest.mark.parametrize(
    ("argv", "cli"),
    [
        (["otp", "--json"], True),
        (["card-number"], True),
        (["login"], True),
        (["logout"], True),
        (["simulator"], True),
        (["clusters"], True),
        (["-h"], True),
        (["--help"], True),
        ([], False),
        (["--kiosk"], False),
        (["--cluster", "otp"], False),
    ],
)
def test_which_argv_is_the_command_line(argv: list[str], cli: bool) -> None:
    assert wants_cli(argv) is cli


def test_main_runs_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["card-number", "--help"]) == 0
    assert "--count" in capsys.readouterr().out
    assert main(["card-number", "--count", "0"]) == 2
