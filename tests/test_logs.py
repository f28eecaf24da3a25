"""Logging: the rotating file, and secrets scrubbed from every record that reaches it."""

from __future__ import annotations

import io
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest

from capdesk import logs
from capdesk.logs import RedactingFilter, redact, register_secret, setup_logging
from capdesk.paths import default_paths
from tests.root_logger import restored_root_logger

log = logging.getLogger("capdesk.test_logs")


@pytest.fixture
def log_file() -> Iterator[Path]:
    """Set up logging into the test's home and put the root logger back afterwards."""
    with restored_root_logger():
        path = default_paths().log_file
        setup_logging(path, logging.DEBUG)
        yield path


def read_log(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if h.get_name() == "capdesk-file"]


def test_file_handler_rotates_1mib_by_5_in_utf8(log_file: Path) -> None:
    (handler,) = ours()
    assert isinstance(handler, RotatingFileHandler)
    assert handler.maxBytes == 1024 * 1024 and handler.backupCount == 5
    assert handler.encoding == "utf-8"
    assert any(isinstance(f, RedactingFilter) for f in handler.filters)
    log.info("Grüße from the counter, request id %s", "req-42")
    text = read_log(log_file)
    assert "Grüße from the counter, request id req-42" in text
    assert log_file.parent == default_paths().log_dir


def test_setup_twice_keeps_one_handler(log_file: Path) -> None:
    setup_logging(log_file, logging.DEBUG)
    setup_logging(log_file, logging.DEBUG)
    assert len(ours()) == 1
    marker = unique("once")
    log.info(marker)
    assert read_log(log_file).count(marker) == 1


# --- each pattern ---------------------------------------------------------------------

CASES = [
    # (logged text, secret that must go, text that must stay)
    ("Authorization: Basic dHJhaW5pbmc6YTBhMg== for till", "dHJhaW5pbmc6YTBhMg==", "for till"),
    (
        "headers {'Authorization': 'Bearer abc.def.ghi', 'X-Cap-Requestid': 'rq-7'}",
        "abc.def.ghi",
        "'X-Cap-Requestid': 'rq-7'",
    ),
    (
        "X-CAP-API-OAUTH-TOKEN: tok-5551234\r\nAccept: application/json",
        "tok-5551234",
        "Accept: application/json",
    ),
    ("CAP-API-ACCESS-TOKEN: acc-8887777", "acc-8887777", "CAP-API-ACCESS-TOKEN"),
    ("login password=hunter2hunter next=1", "hunter2hunter", "next=1"),
    ("?secret=s3cr3tval&identifierName=mobile", "s3cr3tval", "identifierName=mobile"),
    ("retry with token=t0k3nval", "t0k3nval", "retry with"),
    (
        '{"data": {"accessToken": "eyJ.tok.en", "ttlSeconds": 300}}',
        "eyJ.tok.en",
        '"ttlSeconds": 300',
    ),
    ('{"key": "client-key-1", "secret": "client-secret-1"}', "client-secret-1", '"key"'),
    ('{"key": "client-key-1", "secret": "client-secret-1"}', "client-key-1", '"secret"'),
    ('{"password_md5": "a0a2b1e6deadbeef"}', "a0a2b1e6deadbeef", "password_md5"),
    ('{"orgId": 966, "code": "538AD87", "validUpto": "2026"}', "538AD87", '"orgId": 966'),
    ("{'code': '7Q2WZ9X', 'userId': 1}", "7Q2WZ9X", "'userId': 1"),
    ('body=\'{\\"password\\": \\"esc4ped\\"}\'', "esc4ped", "body="),
]


@pytest.mark.parametrize(("text", "secret", "kept"), CASES)
def test_each_pattern_is_scrubbed(log_file: Path, text: str, secret: str, kept: str) -> None:
    assert secret not in redact(text)
    assert kept in redact(text)
    log.warning(text)
    written = read_log(log_file)
    assert secret not in written
    assert kept in written and "***" in written


@pytest.mark.parametrize(
    "text",
    [
        '{"errors": [{"status": false, "code": 9001, "message": "No valid OTP"}]}',
        "X-Cap-Requestid: 4f1c2a9e-req",
        "requestId=rq-991 status code: 200, exit code=3",
        "HTTP 401 for cluster eu",
    ],
)
def test_error_codes_and_request_ids_stay(log_file: Path, text: str) -> None:
    assert redact(text) == text
    log.error(text)
    assert text in read_log(log_file)


def test_registered_secrets_are_scrubbed_from_args(log_file: Path) -> None:
    secret = unique("otp")
    register_secret(secret)
    log.info("fetched %s for %s", secret, "till.one")  # not an identifier: those are masked
    log.info("headers %r", {"X-Custom": secret})
    log.info("dict arg %(value)s", {"value": secret})
    written = read_log(log_file)
    assert secret not in written
    assert "fetched *** for till.one" in written
    assert "dict arg ***" in written


def test_registered_secrets_also_in_repr_and_json_spelling(log_file: Path) -> None:
    secret = unique("it's\\a\"secret")
    register_secret(secret)
    log.info("repr %r json %s", secret, json.dumps({"v": secret}))
    written = read_log(log_file)
    assert secret not in written
    assert repr(secret)[1:-1] not in written
    assert json.dumps(secret)[1:-1] not in written


def test_short_values_are_not_registered(log_file: Path) -> None:
    register_secret("abc")
    register_secret("")
    register_secret(None)  # type: ignore[arg-type]
    log.info("abc and abcabc stay")
    assert "abc and abcabc stay" in read_log(log_file)


def test_exceptions_with_secrets_in_the_message(log_file: Path) -> None:
    secret = unique("registered")
    register_secret(secret)
    try:
        raise RuntimeError(f"failed with password=pw-{secret[-6:]}x and {secret}")
    except RuntimeError:
        log.exception("call failed")
    written = read_log(log_file)
    assert "Traceback" in written and "RuntimeError: failed with password=***" in written
    assert secret not in written and f"pw-{secret[-6:]}x" not in written


def test_exc_info_tuple_and_stack_info(log_file: Path) -> None:
    secret = unique("stack")
    register_secret(secret)
    try:
        raise ValueError(secret)
    except ValueError as error:
        log.error("failed: %s", error, exc_info=(type(error), error, error.__traceback__))
    log.info("where %s", secret, stack_info=True)
    written = read_log(log_file)
    assert "ValueError: ***" in written and "Stack (most recent call last)" in written
    assert secret not in written


def test_handlers_already_on_root_are_scrubbed_too(tmp_path: Path) -> None:
    console = io.StringIO()
    with restored_root_logger():
        logging.getLogger().addHandler(logging.StreamHandler(console))
        setup_logging(tmp_path / "logs" / "c.log")
        log.warning("Authorization: Basic c2VjcmV0OnZhbHVl")
        assert "c2VjcmV0OnZhbHVl" not in console.getvalue()
        assert "Authorization: ***" in console.getvalue()


def test_a_broken_format_still_logs_and_scrubs(log_file: Path) -> None:
    secret = unique("fmt")
    register_secret(secret)
    log.info("two %s %s", secret)  # one arg missing: logging would print a traceback
    written = read_log(log_file)
    assert "two %s %s" in written and secret not in written


def test_register_secret_from_many_threads(log_file: Path) -> None:
    secrets = [unique(f"thread{n}") for n in range(40)]

    def register(chunk: list[str]) -> None:
        for secret in chunk:
            register_secret(secret)
            log.debug("registered one")

    threads = [threading.Thread(target=register, args=(secrets[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.info("all: %s", " ".join(secrets))
    written = read_log(log_file)
    assert not any(secret in written for secret in secrets)
    assert "all: " + " ".join(["***"] * 40) in written


def test_filter_never_drops_a_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", ("abcd1234",), None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "token=***"


def test_registered_secrets_are_bounded_and_recent_ones_always_scrubbed() -> None:
    """A busy day of OTP codes must not make registering (or logging) ever slower."""
    codes = [f"Q{n:07d}Z" for n in range(logs.MAX_SECRETS + 50)]
    for code in codes:
        logs.register_secret(code)
    assert len(logs._secrets) <= logs.MAX_SECRETS
    assert logs.redact(f"answer {codes[-1]} here") == f"answer {logs.MASK} here"
    assert codes[0] not in logs._secrets  # the oldest were forgotten
