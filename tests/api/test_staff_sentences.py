"""Every sentence the non-UI layers can show staff: plain words, and what to do next.

Counter staff are often not native English readers. A sentence says what happened
and what to do; configuration keys, protocol names, exception names and the
cluster's label belong in the details (:class:`ErrorDetails`), never in it.

The sentences are gathered, not listed by hand, so a new one is checked without
anyone remembering to add it:

* every :class:`CapdeskError` subclass's ``default_sentence``, and every literal
  sentence passed to one in the source (``capdesk/`` except the UI, which has its own
  tests, and the developer smoke test);
* :func:`classify` over a matrix of HTTP statuses x bodies (Capillary codes, HTML
  pages, empty, cut-off JSON) x ``Retry-After`` x operations;
* :func:`network_error` for real exceptions of every ``reason``, and one real refused
  connection;
* the training simulator's own fault replies;
* the command line's messages, by running its pieces.
"""

from __future__ import annotations

import argparse
import ast
import http.client
import io
import json
import re
import socket
import ssl
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
import urllib3.exceptions as u3

import capdesk
import capdesk.settings
import capdesk.store.credentials
import capdesk.store.history
from capdesk.api import errors as e
from capdesk.api import responses
from capdesk.api.clusters import PRESETS, TRAINING
from capdesk.api.network_errors import deadline_error, network_error
from capdesk.api.operations import Operation
from capdesk.api.responses import classify
from capdesk.api.transport import make_session, send
from capdesk.services import CLOSING
from capdesk.simulator import replies
from capdesk.store.pin import PIN_SENTENCE
from tests.faults import sentences as fault_sentences

LABEL = TRAINING.label  # "Training (simulated)": the label that read so badly in sentences

# --- the rules ------------------------------------------------------------------------

# Words that belong to support, not to the counter.
FORBIDDEN_WORDS = ("CONF_", "HTTP", "JSON", "Traceback", "Exception", "Error:", "object at")
FORBIDDEN_PATTERNS = {
    "an exception class name": re.compile(r"\b(?:[A-Z][a-z]+)+(?:Error|Exception)\b"),
    "None": re.compile(r"\bNone\b"),
    "a repr": re.compile(r"<|\{'|\w+\(\w*=|\\x[0-9a-f]{2}"),
    "nested parentheses": re.compile(r"\([^()]*\(|\)\s*\)"),
    "the training cluster's label": re.compile(re.escape(LABEL)),
    # Capillary's InTouch keys; the command line's own CAPDESK_* variables are what a
    # script writer types, so naming them is the instruction.
    "a configuration key": re.compile(r"\b(?!CAPDESK_)[A-Z]+(?:_[A-Z0-9]+){2,}\b"),
}
# What staff can do: an imperative at the start of a sentence or clause ("Try again",
# "..., then try again", "...; if it keeps happening, call support"). A verb elsewhere
# ("Capillary could not check...") does not count.
ACTIONS = (
    "Ask",
    "Call",
    "Check",
    "Choose",
    "Enter",
    "Open",
    "Read",
    "Remove",
    "Restart",
    "Run",
    "Set",
    "Sign in",
    "Try",
    "Type",
    "Update",
    "Wait",
    "Write",
)
INSTRUCTION = re.compile(
    r"(?:^|[.;:!?]\s+|,\s+(?:then\s+|or\s+|and\s+)?)(?:" + "|".join(ACTIONS) + r")\b",
    re.IGNORECASE,
)


def problems_with(sentence: str, *, must_instruct: bool = True) -> list[str]:
    """What is wrong with one staff sentence (empty when it is fine)."""
    found = [f"contains {word!r}" for word in FORBIDDEN_WORDS if word in sentence]
    found += [f"contains {what}" for what, rx in FORBIDDEN_PATTERNS.items() if rx.search(sentence)]
    if not sentence.strip():
        found.append("is empty")
    elif not sentence.rstrip().endswith("."):
        found.append("does not end with a full stop")
    if sentence != sentence.strip() or "  " in sentence or "\n" in sentence:
        found.append("has stray white space")
    if must_instruct and not INSTRUCTION.search(sentence):
        found.append("says nothing to do (no Try/Check/Ask/Wait/Call/... instruction)")
    return found


def assert_all_plain(found: dict[str, str], *, must_instruct: bool = True) -> None:
    """``found`` maps sentence → where it came from; fail listing every bad one."""
    bad = [
        f"{sentence!r}\n    from {where}: {'; '.join(issues)}"
        for sentence, where in found.items()
        if (issues := problems_with(sentence, must_instruct=must_instruct))
    ]
    assert not bad, "Sentences staff would read:\n" + "\n".join(bad)


def test_the_checker_is_not_tautological() -> None:
    """The rules catch the sentences this issue was about, and pass good ones."""
    old_cards = (
        "Card number generation is not switched on for this till. An administrator must "
        "enable CONF_CARD_NUMBER_GENERATION_ENABLED and CONF_CLIENT_V2_API_ENABLED."
    )
    assert "contains 'CONF_'" in problems_with(old_cards)
    assert "says nothing to do" in " ".join(problems_with("Something failed."))
    assert "says nothing to do" in " ".join(problems_with("Capillary could not check it."))
    old_timeout = f"Capillary ({LABEL}) did not answer in time. Check the network and try again."
    assert "contains nested parentheses" in problems_with(old_timeout)
    assert problems_with("Got ConnectTimeout: None.")  # class name, None
    assert problems_with("HTTP 429 from <Response [429]>. Try again.")
    assert problems_with("Try again")  # no full stop
    assert problems_with("Set SOURCE_ACCOUNTS_EXTERNALID_ENABLED.")
    assert problems_with("Too many OTPs for this customer today. Try again tomorrow.") == []
    assert problems_with("It failed; if it keeps happening, call support.") == []


# --- gathering --------------------------------------------------------------------------

ROOT = Path(capdesk.__file__).parent
# Not staff-facing: the widgets have their own sentence tests, and smoke.py is the
# installer's self-test, read by developers.
SKIPPED = ("ui/", "smoke.py")


def error_classes() -> list[type[e.CapdeskError]]:
    """CapdeskError and every subclass (errors.py, the store, the settings)."""
    found: list[type[e.CapdeskError]] = []
    pending = [e.CapdeskError]
    while pending:
        cls = pending.pop()
        if not cls.__module__.startswith("capdesk.ui"):
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _render(node: ast.expr) -> str | None:
    """A literal sentence from source: f-string fields become "X"; None if not literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = [_render(v) if not isinstance(v, ast.FormattedValue) else "X" for v in node.values]
        return None if None in parts else "".join(p for p in parts if p is not None)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _render(node.left), _render(node.right)
        return None if left is None or right is None else left + right
    return None


def source_sentences() -> dict[str, str]:
    """Every literal sentence given to a CapdeskError class in capdesk's source."""
    names = {cls.__name__ for cls in error_classes()}
    found: dict[str, str] = {}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(SKIPPED):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called not in names:
                continue
            args = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "sentence")]
            for arg in args:
                text = _render(arg)
                if text is not None:
                    found.setdefault(text, f"capdesk/{relative}:{node.lineno} {called}(...)")
    return found


def test_the_source_scan_finds_sentences() -> None:
    """Guard for the scan itself: it must see literals, f-strings and keyword sentences."""
    found = source_sentences()
    assert "This cluster has no address. Choose another one." in found
    assert any(s.startswith("That X is too long") for s in found)  # an f-string
    assert len(found) > 30


STATUSES = (200, 201, 302, 400, 401, 403, 404, 405, 407, 409, 415, 429)
STATUSES += (461, 500, 502, 503, 504, 521)
RETRY_AFTERS = (
    {},
    {"Retry-After": "1"},
    {"Retry-After": "30"},
    {"Retry-After": "120"},
    {"Retry-After": "7200"},
    {"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT", "Date": "Wed, 21 Oct 2015 07:28:00 GMT"},
)
OPERATIONS = (*Operation, None)


def _v2(code: object, message: object = '"Some message"') -> bytes:
    return json.dumps({"errors": [{"status": False, "code": code, "message": message}]}).encode()


def bodies() -> Iterator[tuple[str, bytes, dict[str, str]]]:
    html = {"Content-Type": "text/html; charset=utf-8"}
    as_json = {"Content-Type": "application/json"}
    yield "empty", b"", {}
    yield "blank", b"  \n", html
    yield "proxy page", b"<html><body><h1>Access denied</h1></body></html>", html
    yield "gateway 429 page", replies.GATEWAY_429_PAGE.encode(), html
    yield "outage page", replies.OUTAGE_PAGE.encode(), html
    yield "plain text", b"Too Many Requests", {"Content-Type": "text/plain"}
    yield "cut-off JSON", b'{"errors": [{"code": 8', as_json
    yield "JSON list", b"[1, 2, 3]", as_json
    yield "JSON null", b"null", as_json
    yield "no errors", b'{"errors": [], "warnings": []}', as_json
    yield "errors null", b'{"entity": "1000000010", "errors": null}', as_json
    yield "odd code", _v2("\u00b2", None), as_json
    yield "card prerequisite", _v2(403, replies.CARD_PREREQUISITE_MESSAGE), as_json
    codes = sorted({*responses._CODES, 429, 401, 403, 500, 999999})
    for code in codes:
        yield f"code {code}", _v2(code), as_json


def classify_sentences() -> tuple[dict[str, str], list[str]]:
    """Sentences classify() gives over the matrix, and any error missing its cluster."""
    found: dict[str, str] = {}
    misplaced: list[str] = []
    for status in STATUSES:
        for body_name, body, content_type in bodies():
            for wait in RETRY_AFTERS:
                headers = {**content_type, **wait, "X-Cap-Requestid": "req-1"}
                for operation in OPERATIONS:
                    error = classify(
                        status, headers, body, cluster_label=LABEL, operation=operation
                    )
                    if error is None:
                        continue
                    where = f"classify({status}, {body_name}, {wait or 'no Retry-After'}, "
                    where += f"{operation or 'no operation'})"
                    found.setdefault(error.sentence, where)
                    if error.details.cluster != LABEL:
                        misplaced.append(where)
    return found, misplaced


def _refused_for_real() -> e.NetworkError:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = make_session(0, 0)
    try:
        send(session, "GET", f"http://127.0.0.1:{port}/v2/otp", headers={}, cluster_label=LABEL)
    except e.NetworkError as error:
        return error
    finally:
        session.close()
    raise AssertionError("a closed port answered")


def network_failures() -> Iterator[tuple[str, BaseException]]:
    """Real exception objects, shaped as requests/urllib3 raise them, for every reason."""

    def caused(outer: BaseException, inner: BaseException) -> BaseException:
        outer.__cause__ = inner
        return outer

    dns = u3.NameResolutionError("eu.invalid", None, socket.gaierror(-2, "Name unknown"))
    yield "dns", requests.exceptions.ConnectionError(u3.MaxRetryError(None, "/v2/otp", dns))
    yield "refused", requests.exceptions.ConnectionError(ConnectionRefusedError(111, "refused"))
    verify = ssl.SSLCertVerificationError(1, "certificate verify failed")
    yield "tls", requests.exceptions.SSLError(caused(u3.SSLError("bad cert"), verify))
    yield "timeout", requests.exceptions.ReadTimeout("Read timed out. (read timeout=20)")
    yield "timeout", requests.exceptions.ConnectTimeout("Connection to eu timed out")
    yield "timeout", TimeoutError("The answer did not arrive completely within 20 s")
    reset = ConnectionResetError(104, "Connection reset by peer")
    yield "reset", requests.exceptions.ConnectionError(u3.ProtocolError("aborted", reset))
    yield "reset", requests.exceptions.ChunkedEncodingError(http.client.IncompleteRead(b"{"))
    yield "reset", http.client.RemoteDisconnected("Remote end closed connection")
    proxy = u3.ProxyError("Unable to connect to proxy", OSError("Tunnel connection failed"))
    yield "other", requests.exceptions.ProxyError(proxy)
    yield "other", requests.exceptions.ConnectionError("something else")
    yield "other", ValueError("not a network error at all")


def network_sentences() -> dict[str, str]:
    found: dict[str, str] = {}
    for expected, exc in network_failures():
        error = network_error(exc, LABEL)
        assert error.reason == expected, f"{exc!r} is {error.reason}, not {expected}"
        assert error.details.cluster == LABEL and error.details.technical
        found.setdefault(error.sentence, f"network_error({type(exc).__name__}, {expected})")
    refused = _refused_for_real()
    assert refused.reason == "refused"
    found.setdefault(refused.sentence, "send() to a closed port")
    for seconds, exc in ((15.0, None), (1.0, TimeoutError("timed out")), (2.5, None)):
        error = deadline_error(seconds, LABEL, exc)
        assert error.details.cluster == LABEL
        found.setdefault(error.sentence, f"deadline_error({seconds})")
    return found


def class_sentences() -> dict[str, str]:
    found = {cls.default_sentence: f"{cls.__name__}.default_sentence" for cls in error_classes()}
    for name in capdesk.settings.SETTING_NAMES:
        spec = getattr(capdesk.settings.Settings, name, None)
        if spec is not None and hasattr(spec, "invalid"):
            found.setdefault(spec.invalid, f"Settings.{name} (invalid value)")
    found[CLOSING] = "capdesk.services.CLOSING"
    found[PIN_SENTENCE] = "capdesk.store.pin.PIN_SENTENCE"
    return found


def simulator_sentences() -> dict[str, str]:
    """What the training cluster's own answers become, for each call."""
    answers = {
        "rate_limit scenario": replies.gateway_rate_limit_reply(),
        "outage scenario": replies.outage_reply(),
        "card_generation_disabled scenario": replies.SimulatorError(
            403, replies.CARD_PREREQUISITE, replies.CARD_PREREQUISITE_MESSAGE
        ).reply(),
        "daily OTP limit": replies.SimulatorError(429, 429, "OTP limit reached").reply(),
        "no customer": replies.SimulatorError(400, 8015, "No customer found").reply(),
    }
    found: dict[str, str] = {}
    for name, reply in answers.items():
        for operation in OPERATIONS:
            error = classify(reply.status, dict(reply.headers), reply.body, operation=operation)
            assert error is not None
            found.setdefault(error.sentence, f"simulator {name} ({operation})")
    return found


def gathered() -> dict[str, str]:
    found = class_sentences()
    for more in (source_sentences(), classify_sentences()[0], network_sentences()):
        for sentence, where in more.items():
            found.setdefault(sentence, where)
    for sentence, where in simulator_sentences().items():
        found.setdefault(sentence, where)
    return found


# --- the checks ---------------------------------------------------------------------------


def test_every_staff_sentence_is_plain_and_says_what_to_do() -> None:
    found = gathered()
    assert len(found) > 80  # the gathering itself works
    assert_all_plain(found)


def test_default_sentences_of_every_error_class() -> None:
    classes = error_classes()
    assert {"HistoryError", "SettingLocked", "CardGenerationNotEnabled"} <= {
        cls.__name__ for cls in classes
    }
    assert_all_plain({cls.default_sentence: cls.__name__ for cls in classes})


def test_classify_keeps_the_cluster_in_details_only() -> None:
    found, misplaced = classify_sentences()
    assert misplaced == []
    assert_all_plain(found)


def test_network_failures_of_every_reason() -> None:
    found = network_sentences()
    assert len(found) >= 5  # tls, timeout, reset, can't reach, proxy
    assert_all_plain(found)


def test_each_training_scenario_says_what_it_simulates() -> None:
    """rate_limit is a gateway refusing everything, not this customer's OTPs for today."""
    gateway = replies.gateway_rate_limit_reply()
    for operation in (Operation.FETCH_OTP, Operation.CARD_NUMBER, Operation.CHECK):
        error = classify(gateway.status, dict(gateway.headers), gateway.body, operation=operation)
        assert isinstance(error, e.RateLimited)
        assert error.sentence == (
            "Capillary is getting too many requests right now. Wait 30 seconds, then try again."
        )
    daily = replies.SimulatorError(429, 429, "OTP limit reached").reply()
    for operation in (Operation.FETCH_OTP, Operation.GENERATE_OTP):
        error = classify(daily.status, dict(daily.headers), daily.body, operation=operation)
        assert error.sentence == e.RateLimited.default_sentence
        assert "OTPs for this customer today" in error.sentence
    assert_all_plain(simulator_sentences())


def test_the_reviewed_fault_sentences_follow_the_rules_too() -> None:
    listed = {
        value: f"tests/faults/sentences.py {name}"
        for name, value in vars(fault_sentences).items()
        if name.isupper() and isinstance(value, str) and not name.endswith("_HELP")
    }
    assert_all_plain(listed)


# --- the command line ------------------------------------------------------------------------


class _Store:
    """A CredentialStore stand-in: nobody signed in, or no password store at all."""

    unavailable = False

    def load(self, cluster_key: str) -> None:
        if self.unavailable:
            raise e.KeyringUnavailable(details=e.ErrorDetails(technical="fail.Keyring"))
        return None


def _failures(calls: Iterable[tuple[str, object]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for where, call in calls:
        with pytest.raises(e.CapdeskError) as caught:
            call()  # type: ignore[operator]
        found.setdefault(caught.value.sentence, where)
    return found


def test_command_line_messages(monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path) -> None:
    from capdesk.cli import _unexpected, account_commands, runtime, simulator_command
    from capdesk.cli.card_command import Batch, generate_batch, report_batch

    cluster = next(iter(PRESETS.values()))
    monkeypatch.setattr(capdesk.store.credentials, "CredentialStore", _Store)
    monkeypatch.setattr(account_commands.getpass, "getpass", lambda prompt="": "")
    monkeypatch.setattr("capdesk.simulator.serve", _cannot_listen)

    def locked_out() -> None:
        monkeypatch.setattr(_Store, "unavailable", True)
        runtime.stored_credentials(cluster)

    def simulator(**given: object) -> object:
        args = argparse.Namespace(**{"scenario": "normal", "host": "127.0.0.1", "port": 0, **given})
        return lambda: simulator_command.run_simulator(args, None)  # type: ignore[arg-type]

    instructions = _failures(
        [
            ("not signed in", lambda: runtime.stored_credentials(cluster)),
            ("no password store", locked_out),
            ("both kinds", lambda: runtime.environment_credentials(_env("u", "p", "k", "s"))),
            ("half basic", lambda: runtime.environment_credentials(_env("u", "", "", ""))),
            ("half oauth", lambda: runtime.environment_credentials(_env("", "", "k", ""))),
            ("no till id", lambda: account_commands._typed_credentials(_login(" ", None))),
            ("no password", lambda: account_commands._typed_credentials(_login("t1", None))),
            ("no oauth key", lambda: account_commands._typed_credentials(_login(None, " "))),
            ("no secret", lambda: account_commands._typed_credentials(_login(None, "key"))),
            ("bad scenario", simulator(scenario="earthquake")),
            ("no host", simulator(host=" ")),
            ("port in use", simulator()),
        ]
    )
    capsys.readouterr()

    # Unforeseen failures: one plain message, with or without a log file.
    _unexpected(RuntimeError("boom"), tmp_path / "capdesk.log")
    _unexpected(PermissionError(13, "Permission denied", str(tmp_path)), None)
    _unexpected(RuntimeError("boom"), None)
    for line in capsys.readouterr().err.splitlines():
        instructions.setdefault(line, "capdesk.cli._unexpected")

    # A number received but not saved: the one message that must never be missed.
    reports: dict[str, str] = {}
    for problem in (capdesk.store.history.HistoryError(), KeyboardInterrupt()):
        err = io.StringIO()
        batch = generate_batch(
            _OneNumber(),
            _BrokenHistory(problem),  # type: ignore[arg-type]
            3,
            cluster=LABEL,
            till="t1",
            out=io.StringIO(),
            err=err,
        )
        note = err.getvalue().strip()
        assert "1000000010" in note
        instructions.setdefault(note, f"card-number, history failed with {problem!r}")
        err = io.StringIO()
        report_batch(batch, output="text", out=io.StringIO(), err=err)
        _sort_report(err.getvalue(), instructions, reports, f"card-number report ({problem!r})")
    for numbers, stop in ((["1"], {"interrupted": True}), (["1", "2"], {"output_closed": True})):
        err = io.StringIO()
        report_batch(Batch(numbers=numbers, **stop), output="text", out=io.StringIO(), err=err)
        _sort_report(err.getvalue(), instructions, reports, f"card-number report {stop}")

    assert len(instructions) >= 15
    assert_all_plain(instructions)
    assert reports  # progress reports: plain, but they need not tell anyone to do anything
    assert_all_plain(reports, must_instruct=False)


def _env(user: str, password: str, key: str, secret: str) -> dict[str, str]:
    return {
        "CAPDESK_USERNAME": user,
        "CAPDESK_PASSWORD": password,
        "CAPDESK_OAUTH_KEY": key,
        "CAPDESK_OAUTH_SECRET": secret,
    }


def _login(username: str | None, oauth_key: str | None) -> argparse.Namespace:
    return argparse.Namespace(username=username, oauth_key=oauth_key)


def _cannot_listen(host: str, port: int, scenario: str) -> int:
    raise OSError(98, "Address already in use")


class _OneNumber:
    def generate_card_number(self) -> SimpleNamespace:
        return SimpleNamespace(number="1000000010", request_id="req-1", warnings=())


class _BrokenHistory:
    def __init__(self, problem: BaseException) -> None:
        self.problem = problem

    def append(self, *args: object, **kwargs: object) -> None:
        raise self.problem


def _sort_report(text: str, errors: dict[str, str], reports: dict[str, str], where: str) -> None:
    """An error's sentence must instruct; "Stopped. ..." lines report; details are skipped."""
    for line in text.splitlines():
        if not line.strip() or line.startswith("  "):  # support details, indented
            continue
        bucket = reports if line.startswith(("Stopped.", "Before that", "The output")) else errors
        bucket.setdefault(line, where)
