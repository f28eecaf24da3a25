"""``Retry-After``: one reading (:func:`capdesk.api.wire.retry_after_seconds`) for both of
its users, the GET retry policy and the staff sentence, so that they never disagree."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from capdesk.api import errors as e
from capdesk.api.operations import Operation
from capdesk.api.responses import classify
from capdesk.api.transport import Timeouts, make_session, send
from capdesk.api.wire import retry_after_seconds
from tests.api.local_server import Answer, LocalServer

SERVER_NOW = "Wed, 21 Oct 2015 07:28:00 GMT"  # the answer's Date: the server's clock
GATEWAY_PAGE = b"<html><body><h1>429 Too Many Requests</h1></body></html>"


def dated(retry_after: str) -> dict[str, str]:
    return {"Retry-After": retry_after, "Date": SERVER_NOW}


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({}, None),  # absent: the server said nothing
        ({"Retry-After": ""}, None),
        ({"retry-after": "5"}, 5.0),  # delay-seconds, any header case
        ({"Retry-After": " 30 "}, 30.0),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "999999999"}, 86_400.0),  # nine digits: read, but at most a day
        ({"Retry-After": "9" * 10}, None),  # ten digits or more: unreadable
        ({"Retry-After": "9" * 50}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-5"}, None),
        ({"Retry-After": "1.5"}, None),
        ({"Retry-After": "\u00b2"}, None),  # superscript two: a digit to Python, not to HTTP
        ({"Retry-After": "\u0663"}, None),  # Arabic-Indic three
        (dated("Wed, 21 Oct 2015 07:28:30 GMT"), 30.0),  # a date, by the server's clock
        (dated("Wed, 21 Oct 2015 07:00:00 GMT"), 0.0),  # a date already past
        (dated("Fri, 23 Oct 2015 07:28:00 GMT"), 86_400.0),  # two days: at most a day
        (dated("Fri, 31 Dec 9999 23:59:59 GMT"), None),  # a broken clock: unreadable
        (dated("Wed, 32 Oct 2015 07:28:00 GMT"), None),
    ],
)
def test_the_one_rule(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after_seconds(headers) == seconds


def test_a_date_without_the_servers_clock_is_counted_from_this_pcs() -> None:
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    wanted = retry_after_seconds({"Retry-After": in_a_minute})
    assert wanted is not None and 57 <= wanted <= 60


# --- both users, on one real answer -----------------------------------------------------


def get(server: LocalServer, *, retries: int = 2):
    session = make_session(retries, 0.01)
    try:
        return send(
            session,
            "GET",
            server.base_url + "/v2/otp",
            headers={"Accept": "application/json"},
            timeouts=Timeouts(connect=1.0, read=1.0),
            cluster_label="EU",
        )
    finally:
        session.close()


def gateway_429(**headers: str) -> Answer:
    return Answer(429, GATEWAY_PAGE, {"Content-Type": "text/html", **headers})


def test_an_unreadable_wish_is_not_retried_and_names_no_number() -> None:
    with LocalServer(gateway_429(**{"Retry-After": "soon"})) as server:
        raw = get(server)
        assert server.count() == 1  # the policy would not guess how long to wait
    error = classify(raw.status, raw.headers, raw.body, operation=Operation.FETCH_OTP)
    assert isinstance(error, e.RateLimited) and error.retry_after is None
    assert error.sentence == (
        "Capillary is getting too many requests right now. Wait a minute, then try again."
    )


def test_a_long_dated_wish_is_read_alike_by_the_policy_and_the_sentence() -> None:
    """Two minutes by the server's clock (its Date header), whatever this PC's clock
    says: too long to wait out, so handed back, and the sentence says two minutes."""
    answer = gateway_429(**{"Retry-After": "Wed, 21 Oct 2015 07:30:00 GMT", "Date": SERVER_NOW})
    with LocalServer(answer) as server:
        started = time.monotonic()
        raw = get(server)
        assert server.count() == 1
    assert time.monotonic() - started < 1
    error = classify(raw.status, raw.headers, raw.body, operation=Operation.FETCH_OTP)
    assert isinstance(error, e.RateLimited) and error.retry_after == 120
    assert "Wait 2 minutes" in error.sentence


def test_a_short_dated_wish_is_waited_out_by_the_servers_clock() -> None:
    """One second after the server's Date: the retry waits that second (a date counted
    from this PC's clock, years later, would be no wait at all)."""
    answer = gateway_429(**{"Retry-After": "Wed, 21 Oct 2015 07:28:01 GMT", "Date": SERVER_NOW})
    with LocalServer(answer) as server:
        started = time.monotonic()
        raw = get(server, retries=1)
        waited = time.monotonic() - started
        assert server.count() == 2
    assert raw.status == 429
    assert 0.9 <= waited < 3
