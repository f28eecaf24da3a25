"""Wording helpers: codes grouped for reading aloud, durations, the validity line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from capdesk.api.errors import ErrorDetails, NoValidOtp
from capdesk.cli.output import format_duration, format_validity, group_code, print_error


@pytest.mark.parametrize(
    ("code", "grouped"),
    [
        ("538AD87", "538 AD87"),
        ("123456", "123 456"),
        ("12345678", "1234 5678"),
        ("1234", "1234"),
        ("12345", "1 2345"),
        ("1234567890", "12 3456 7890"),
        ("", ""),
    ],
)
def test_codes_are_grouped_for_reading_aloud(code: str, grouped: str) -> None:
    assert group_code(code) == grouped
    assert group_code(code).replace(" ", "") == code


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(272, "4:32"), (272.9, "4:32"), (0, "0:00"), (-5, "0:00"), (3725, "1:02:05"), (59, "0:59")],
)
def test_durations(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_validity_line_uses_local_time_of_the_servers_instant() -> None:
    valid_upto = datetime(2026, 3, 1, 14, 5, 10, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    local = valid_upto.astimezone().strftime("%H:%M:%S")
    assert format_validity(272, valid_upto) == f"Valid for 4:32 (until {local} local time)"


def test_expired_validity_says_to_ask_again() -> None:
    line = format_validity(0, datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    assert line.startswith("Expired")
    assert "Ask for a new one" in line


def test_errors_print_the_sentence_then_the_details(capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    error = NoValidOtp(details=ErrorDetails(http_status=404, capillary_code=9001, request_id="r1"))
    print_error(error, sys.stderr)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == NoValidOtp.default_sentence
    assert lines[1:] == ["  HTTP status: 404", "  Capillary code: 9001", "  Request id: r1"]
