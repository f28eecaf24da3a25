"""Server text is data: never markup in the window, never control in a terminal or a file.

A raw-socket server on loopback answers with markup (``<h1>``, ``<img>``, ``<a href>``),
terminal escapes (OSC title, CSI clear and colour, the 8-bit C1 forms, a full reset),
bidi overrides and isolates, NUL/DEL/BEL, forged log lines and very long values, in
every place a server fills: the ``X-Cap-Requestid`` and ``Content-Type`` headers, the
Capillary error message, the warnings, the card number and the OTP code.

* Through the real window (its buttons, its service, the keyring, the SQLite history):
  every label and tooltip showing that text renders exactly the characters that were
  sent (markup included, as text), and no control character at all.
* Through the command line: stdout and stderr, the log file and the history rows
  hold no escape, C1, bidi or other control character, and every value is bounded.
* :func:`clean_server_text` as a property: printable, bounded, idempotent, and it
  leaves ordinary text (any script, any printable character) as it was.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel

from capdesk import cli
from capdesk.api.auth import BasicCredentials
from capdesk.api.text import clean_server_text, strip_controls
from capdesk.logs import setup_logging
from capdesk.paths import default_paths
from capdesk.store.history import CardHistory
from capdesk.ui.main_window import MainWindow
from tests.cli.conftest import DEMO_PASSWORD, DEMO_TILL, Outcome
from tests.faults.desk import Desk, windows
from tests.hostile.server import HostileServer, answers_by_path, raw_reply
from tests.root_logger import restored_root_logger

TILL = BasicCredentials.from_password("store.till", "till-pass-1234")
MOBILE = "919876543210"
OTP_PATH = "/v2/otp"
CARD_PATH = "/v2/cardNumber"

# Renders as a heading, an image, a link, a table, huge red text in a QLabel on AutoText.
MARKUP = {
    "heading": "<h1>BIG</h1>",
    "image": "<img src='file:///C:/Windows/win.ini' width=900>",
    "link": "<a href='http://evil.example/'>Call 0800 EVIL</a>",
    "table": "<table><tr><td>x</td></tr></table>",
    "styled": "<span style='font-size:72pt;color:red'>PAID</span>",
    "bold-no-spaces": "<b>1000000018</b>",
}
# Retitle, clear, colour, hyperlink or reset a terminal; spoof the reading order;
# break files; forge a log record.
ESCAPES = {
    "osc-title": "\x1b]0;pwned\x07",
    "osc-hyperlink": "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "csi-clear": "\x1b[2J\x1b[H",
    "csi-colour": "\x1b[31mred\x1b[0m",
    "full-reset": "\x1bc",
    "c1-csi": "\x9b2J",
    "c1-osc": "\x9d0;pwned\x9c",
    "bidi-override": "card \u202e8100\u202c",
    "bidi-isolate": "\u2067evil\u2069",
    "nul-del-bell": "a\x00b\x7fc\x07",
    "log-forgery": "\x1b[1A\x1b[2Kok\n2026-01-01 00:00:00,000 ERROR capdesk forged record\r",
}
LONG = "\x1b[2J<b>" + "L" * 50_000 + "</b>"
PAYLOADS = {**MARKUP, **ESCAPES, "long": LONG}

# Any character that is not text a person can read, except the line feed between lines.
FORBIDDEN = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)


def assert_clean(text: str | None, where: str) -> None:
    found = sorted({repr(ch) for ch in FORBIDDEN.findall(text or "")})
    assert not found, f"{where} holds {', '.join(found)}"


def as_header(payload: str) -> str:
    """A header line cannot hold CR or LF (they would end it): the rest goes as sent."""
    return payload.replace("\r", "").replace("\n", "")


def card_number_like(payload: str) -> bool:
    """What the client accepts as a card number (printable, no space, at most 50)."""
    return 0 < len(payload) <= 50 and payload.isprintable() and " " not in payload


def otp_code_like(payload: str) -> bool:
    """What the client accepts as an OTP code (printable, trimmed, at most 64)."""
    return 0 < len(payload) <= 64 and payload.isprintable() and payload.strip() == payload


# --- the hostile answers ------------------------------------------------------------------


def _json(status: int, document: object, payload: str) -> bytes:
    return raw_reply(
        status,
        [
            ("Content-Type", "application/json; " + as_header(payload)),
            ("X-Cap-Requestid", as_header(payload)),
            ("Date", format_datetime(datetime.now(UTC), usegmt=True)),
        ],
        json.dumps(document).encode(),
    )


def card_answer(payload: str) -> bytes:
    number = payload if card_number_like(payload) else "1000000018"
    document = {"entity": number, "warnings": [{"status": False, "code": 1, "message": payload}]}
    return _json(200, document, payload)


def otp_answer(payload: str) -> bytes:
    valid_upto = (datetime.now(UTC) + timedelta(minutes=10)).isoformat(timespec="seconds")
    document = {
        "orgId": 50001,
        "userId": 3001,
        "code": payload if otp_code_like(payload) else "538AD87",
        "validUpto": valid_upto,
        "warnings": [{"status": False, "code": 2, "message": payload}],
    }
    return _json(200, document, payload)


def error_answer(payload: str, status: int = 400, code: int = 8015) -> bytes:
    return _json(status, {"errors": [{"status": False, "code": code, "message": payload}]}, payload)


def page_answer(payload: str) -> bytes:
    """A gateway's HTML page, its Content-Type and request id carrying the payload."""
    body = f"<html><body><h1>Bad gateway</h1>{payload}</body></html>".encode("utf-8", "replace")
    headers = [
        ("Content-Type", "text/html; " + as_header(payload)),
        ("X-Cap-Requestid", as_header(payload)),
    ]
    return raw_reply(502, headers, body)


@contextlib.contextmanager
def hostile(replies: dict[str, bytes]) -> Iterator[str]:
    """A scripted server answering from ``replies`` (changed between calls); its base URL."""
    with HostileServer(answers_by_path(replies)) as server:
        yield server.url().rsplit("/v2/", 1)[0]


# --- what a person sees -------------------------------------------------------------------


def rendered(html: str) -> str:
    document = QTextDocument()
    document.setHtml(html)
    return document.toPlainText()


def shown(label: QLabel) -> str:
    """The characters ``label`` puts on screen: its text, or what its markup renders to."""
    text = label.text()
    fmt = label.textFormat()
    rich = fmt == GuiQt.TextFormat.RichText or (
        fmt == GuiQt.TextFormat.AutoText and GuiQt.mightBeRichText(text)
    )
    return rendered(text) if rich else text


def shown_tooltip(tooltip: str) -> str:
    """The characters a tooltip shows: Qt renders it as rich text when it looks like it."""
    return rendered(tooltip) if GuiQt.mightBeRichText(tooltip) else tooltip


def assert_shows(shown_text: str, payload: str, where: str) -> None:
    """No control character on screen, and markup shown as the very characters sent."""
    assert_clean(shown_text, where)
    if payload in MARKUP.values():
        assert payload in " ".join(shown_text.split()), f"{where} shows {shown_text!r}"


def test_payloads_would_render_as_markup_on_auto_text() -> None:
    """The markup cases are real markup to Qt (else the window tests would prove nothing)."""
    for payload in MARKUP.values():
        assert GuiQt.mightBeRichText(payload)
        assert rendered(payload).strip() != payload


# --- through the window --------------------------------------------------------------------


@pytest.fixture
def window_on(qtbot, async_loop) -> Iterator[Callable[[str], Desk]]:
    """``window_on(base_url)``: the real window on that cluster, logging to its file."""
    with restored_root_logger(), windows(qtbot) as open_window:
        setup_logging(default_paths().log_file)
        yield lambda base_url: open_window(base_url, TILL)


def _label(window: MainWindow, name: str) -> QLabel:
    label = window.findChild(QLabel, name)
    assert label is not None, name
    return label


def _status_details(window: MainWindow) -> QLabel:
    return _label(window, "statusDetails")


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_window_shows_server_text_as_characters(qtbot, window_on, payload: str) -> None:
    replies = {CARD_PATH: card_answer(payload), OTP_PATH: otp_answer(payload)}
    with hostile(replies) as base_url:
        desk = window_on(base_url)
        window = desk.window

        # A card number (the payload itself when it can be one), its warning, its request id.
        outcome = desk.generate(1)
        assert outcome.error is None, outcome.error and outcome.error.for_support()
        number = _label(window, "cardNumber")
        if card_number_like(payload):
            assert number.text() == payload
            assert_shows(shown(number), payload, "the card number")
        assert_clean(shown(number), "the card number")
        model = window.card_panel.history.model
        for column in range(model.columnCount()):
            index = model.index(0, column)
            tooltip = model.data(index, GuiQt.ItemDataRole.ToolTipRole) or ""
            assert_clean(model.data(index), f"history column {column}")
            assert_clean(shown_tooltip(tooltip), f"history tooltip {column}")
        request_tooltip = model.data(model.index(0, 4), GuiQt.ItemDataRole.ToolTipRole)
        assert_shows(shown_tooltip(request_tooltip), payload, "the request id tooltip")
        if card_number_like(payload):
            number_tooltip = model.data(model.index(0, 0), GuiQt.ItemDataRole.ToolTipRole)
            assert_shows(shown_tooltip(number_tooltip), payload, "the card number tooltip")

        # An OTP (the payload as the code when it can be one) and its warning.
        desk.type_identifier("mobile", MOBILE)
        outcome = desk.fetch()
        assert outcome.error is None, outcome.error and outcome.error.for_support()
        code = _label(window, "otpCode")
        if otp_code_like(payload):
            assert code.text().replace(" ", "") == payload.replace(" ", "")
        assert_clean(shown(code), "the OTP code")
        assert_shows(shown(_label(window, "otpWarnings")), payload, "the OTP warning")

        # Capillary's error message and request id, in the status and its details.
        replies[OTP_PATH] = error_answer(payload)
        outcome = desk.fetch()
        assert outcome.error is not None
        assert_clean(shown(_label(window, "statusMessage")), "the status sentence")
        details = shown(_status_details(window))
        assert_shows(details, payload, "the error details")
        assert all(len(line) <= 340 for line in details.splitlines()), "details unbounded"

        # A gateway's HTML page: its Content-Type reaches the technical note.
        replies[OTP_PATH] = page_answer(payload)
        outcome = desk.fetch()
        assert outcome.error is not None
        assert_clean(shown(_status_details(window)), "the non-JSON details")

        # Signing in: the rejection's support details are the result's tooltip.
        replies[OTP_PATH] = error_answer(payload, status=401, code=401)
        dialog = window.account_flow.open_sign_in()
        assert dialog is not None
        try:
            dialog.username.setText("store.till")
            dialog.password.setText("till-pass-1234")
            dialog.test_button.click()
            qtbot.waitUntil(lambda: bool(dialog.result_label.toolTip()), timeout=10_000)
            assert_clean(shown(dialog.result_label), "the sign-in result")
            assert_shows(shown_tooltip(dialog.result_label.toolTip()), payload, "sign-in tip")
        finally:
            dialog.reject()

    for entry in desk.history_entries():
        for value in (entry.number, entry.cluster, entry.till, entry.request_id):
            assert_clean(value, "a history row")
        assert entry.request_id is None or len(entry.request_id) <= 200
    log_text = default_paths().log_file.read_text(encoding="utf-8")
    assert_clean(log_text, "the log file")


# --- through the command line -----------------------------------------------------------


@pytest.fixture
def capdesk_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """``capdesk ARGS`` in this process, stdout and stderr captured (as tests/cli)."""

    def run(*argv: str) -> Outcome:
        capsys.readouterr()
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def _history_rows() -> list[tuple[str | None, ...]]:
    history = CardHistory(default_paths().history_file)
    try:
        return [(e.number, e.cluster, e.till, e.request_id) for e in history.entries()]
    finally:
        history.close()


@pytest.mark.parametrize("payload", [*ESCAPES.values(), LONG], ids=[*ESCAPES, "long"])
def test_command_line_prints_logs_and_stores_no_control(
    capdesk_cli: Callable[..., Outcome], monkeypatch: pytest.MonkeyPatch, payload: str
) -> None:
    monkeypatch.setenv("CAPDESK_USERNAME", DEMO_TILL)
    monkeypatch.setenv("CAPDESK_PASSWORD", DEMO_PASSWORD)
    replies = {CARD_PATH: card_answer(payload), OTP_PATH: otp_answer(payload)}
    outputs: list[tuple[str, str]] = []
    otp = ("otp", "--identifier-name", "mobile", "--identifier-value", MOBILE)
    with restored_root_logger(), hostile(replies) as base_url:
        for args, answer in (
            (("card-number", "--count", "2"), None),
            (("card-number", "--csv"), None),
            (otp, None),
            (otp, error_answer(payload)),
            (otp, page_answer(payload)),
            (otp, error_answer(payload, status=500, code=500)),
        ):
            if answer is not None:
                replies[OTP_PATH] = answer
            result = capdesk_cli(*args, "--base-url", base_url)
            outputs.append((f"{' '.join(args[:2])} stdout", result.out))
            outputs.append((f"{' '.join(args[:2])} stderr", result.err))
        log_text = default_paths().log_file.read_text(encoding="utf-8")

    for where, text in outputs:
        assert_clean(text, where)
        assert all(len(line) <= 340 for line in text.splitlines()), f"{where}: unbounded"
    assert "Capillary code: 8015" in outputs[7][1]  # the error's details were printed
    assert_clean(log_text, "the log file")
    assert all(len(line) <= 1000 for line in log_text.splitlines()), "a log line unbounded"
    rows = _history_rows()
    assert len(rows) == 3
    for row in rows:
        for value in row:
            assert_clean(value, "a history row")


def test_log_records_stay_one_clean_line(tmp_path: Path) -> None:
    """Whatever text reaches a record (an exception's message quoting a server), the log
    file gets one line per record without control characters; tracebacks keep theirs."""
    log = logging.getLogger("capdesk.test_server_text")
    path = tmp_path / "capdesk.log"
    with restored_root_logger():
        setup_logging(path)
        for payload in ESCAPES.values():
            log.warning("request id %s", payload)
        try:
            raise ValueError("\x1b]0;pwned\x07 \u202eevil")
        except ValueError:
            log.exception("failed")
        for handler in logging.getLogger().handlers:
            handler.flush()
    text = path.read_text(encoding="utf-8")
    assert_clean(text, "the log file")
    records = [line for line in text.splitlines() if " WARNING " in line]
    assert len(records) == len(ESCAPES)  # the forged record did not become one
    assert "forged record" in records[-1]
    assert "ValueError: ]0;pwned" not in text and "ValueError:  evil" in text


# --- the cleaning function --------------------------------------------------------------


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_each_payload_is_cleaned_whole(payload: str) -> None:
    cleaned = clean_server_text(payload)
    assert_clean(cleaned, "the cleaned text")
    assert cleaned.isprintable() and len(cleaned) <= 300
    for remnant in ("]0;", "[2J", "[31m", "8;;"):
        assert remnant not in cleaned  # an escape sequence goes with its parameters
    assert clean_server_text(cleaned) == cleaned


any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=400)
escape_soup = st.lists(
    st.one_of(
        st.sampled_from([*ESCAPES.values(), "\x1b", "\x9b", "\x1b[", "\x1b]", "\x1bP"]),
        st.text(max_size=8),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(any_text, escape_soup), limit=st.integers(min_value=1, max_value=400))
def test_clean_server_text_is_printable_bounded_and_idempotent(text: str, limit: int) -> None:
    cleaned = clean_server_text(text, limit)
    assert cleaned.isprintable()  # no control, format (bidi), surrogate, separator char
    assert len(cleaned) <= limit
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert clean_server_text(cleaned, limit) == cleaned


printable_words = st.text(
    st.characters(codec=None, exclude_categories=()).filter(lambda ch: ch.isprintable()),
    max_size=200,
).map(lambda text: " ".join(text.split()))


@settings(max_examples=300, deadline=None)
@given(text=printable_words)
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    """Any script, emoji, markup, quotes: only control and invisible characters go."""
    assert clean_server_text(text, 300) == text


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(any_text, escape_soup))
def test_strip_controls_keeps_only_what_it_is_told(text: str) -> None:
    kept = strip_controls(text, keep="\n")
    assert all(ch.isprintable() or ch == "\n" for ch in kept)
    assert strip_controls(kept, keep="\n") == kept
