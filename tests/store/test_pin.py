"""The kiosk administrator PIN: hashing, verifying, and the installer's command."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capdesk.api.errors import InvalidInput
from capdesk.store.pin import (
    DEFAULT_ITERATIONS,
    MIN_ITERATIONS,
    PIN_SENTENCE,
    hash_pin,
    is_pin_hash,
    main,
    verify_pin,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
FAST = MIN_ITERATIONS  # the smallest allowed cost keeps tests quick


def test_default_hash_has_the_documented_shape() -> None:
    stored = hash_pin("123456")
    algorithm, iterations, salt, digest = stored.split("$")
    assert algorithm == "pbkdf2_sha256"
    assert int(iterations) == DEFAULT_ITERATIONS >= 200_000
    assert len(base64.b64decode(salt, validate=True)) == 16
    assert len(base64.b64decode(digest, validate=True)) == 32
    assert "123456" not in stored
    assert verify_pin("123456", stored)


def test_verify_accepts_only_the_right_pin() -> None:
    stored = hash_pin("2468", iterations=FAST)
    assert verify_pin("2468", stored)
    assert not verify_pin("2469", stored)
    assert not verify_pin("24680", stored)
    assert is_pin_hash(stored)


def test_each_hash_has_its_own_salt() -> None:
    first, second = hash_pin("2468", iterations=FAST), hash_pin("2468", iterations=FAST)
    assert first != second
    assert first.split("$")[2] != second.split("$")[2]


def test_iterations_below_the_minimum_are_refused() -> None:
    with pytest.raises(ValueError):
        hash_pin("2468", iterations=MIN_ITERATIONS - 1)


@pytest.mark.parametrize(
    "pin", ["", "123", "1234567890123", "12a4", " 1234", "1234\n", "١٢٣٤", "12.4", "-1234"]
)
def test_bad_pins_are_refused_with_a_sentence(pin: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        hash_pin(pin, iterations=FAST)
    assert (
        caught.value.sentence == PIN_SENTENCE == "Type a PIN of 4 to 12 digits, with nothing else."
    )


def _swap(stored: str, index: int, value: str) -> str:
    parts = stored.split("$")
    parts[index] = value
    return "$".join(parts)


def test_malformed_stored_values_are_false_never_errors() -> None:
    good = hash_pin("2468", iterations=FAST)
    malformed: list[object] = [
        None,
        42,
        "",
        "garbage",
        "2468",
        _swap(good, 0, "pbkdf2_sha1"),
        _swap(good, 1, "1"),
        _swap(good, 1, "99999999999"),
        _swap(good, 1, "-200000"),
        _swap(good, 2, "!!notbase64!!"),
        _swap(good, 3, base64.b64encode(b"short").decode()),
        good + "$extra",
        good.replace("$", "", 1),
        good + "é",
    ]
    for stored in malformed:
        assert verify_pin("2468", stored) is False  # type: ignore[arg-type]
        assert is_pin_hash(stored) is False
    assert verify_pin("not a pin", good) is False
    assert verify_pin(None, good) is False  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(stored=st.text(max_size=120), pin=st.text(max_size=14))
def test_verify_never_raises(stored: str, pin: str) -> None:
    assert verify_pin(pin, stored) in (True, False)


# --- python -m capdesk.store.pin ----------------------------------------------------------


def test_main_reads_a_piped_pin_and_prints_its_hash() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main([], stdin=io.StringIO("135790\n"), stdout=out, stderr=err) == 0
    stored = out.getvalue().strip()
    assert verify_pin("135790", stored)
    assert "135790" not in out.getvalue() + err.getvalue()


def test_main_refuses_a_bad_pin_with_the_sentence() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main([], stdin=io.StringIO("12ab\n"), stdout=out, stderr=err) == 2
    assert out.getvalue() == ""
    assert err.getvalue().strip() == PIN_SENTENCE


def test_module_runs_as_the_installer_docs_say() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "capdesk.store.pin"],
        input="8642\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert verify_pin("8642", done.stdout.strip())


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX pseudo-terminal")
def test_at_a_terminal_the_pin_is_typed_twice_without_echo() -> None:
    import pty

    def run(first: str, second: str) -> tuple[int, str]:
        leader, follower = pty.openpty()
        process = subprocess.Popen(
            [sys.executable, "-m", "capdesk.store.pin"],
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=follower,
            cwd=REPO_ROOT,
            start_new_session=True,
        )
        os.close(follower)
        seen = b""

        def read_until(marker: bytes) -> None:
            nonlocal seen
            while marker not in seen:
                chunk = os.read(leader, 1024)
                if not chunk:
                    raise AssertionError(f"no prompt {marker!r}: {seen!r}")
                seen += chunk

        try:
            read_until(b"Administrator PIN: ")
            os.write(leader, first.encode() + b"\n")
            read_until(b"again: ")
            os.write(leader, second.encode() + b"\n")
            out, _ = process.communicate(timeout=30)
            try:
                while chunk := os.read(leader, 1024):
                    seen += chunk
            except OSError:  # EIO once the child has gone
                pass
        finally:
            process.kill()
            os.close(leader)
        terminal = seen.decode(errors="replace")
        assert first not in terminal and second not in terminal  # never echoed
        return process.returncode, out.decode()

    code, out = run("97531", "97531")
    assert code == 0 and verify_pin("97531", out.strip())
    code, out = run("97531", "13579")
    assert code == 2 and out == ""


def test_hashing_and_checking_refuse_a_thread_that_must_not_block() -> None:
    from capdesk.store.thread_guard import BlockingCallOnGuardedThread, forbid_blocking_on

    stored = hash_pin("2468", iterations=FAST)
    with forbid_blocking_on():
        with pytest.raises(BlockingCallOnGuardedThread, match="PBKDF2 PIN check"):
            verify_pin("2468", stored)
        with pytest.raises(BlockingCallOnGuardedThread, match="PBKDF2 PIN hash"):
            hash_pin("2468", iterations=FAST)
    assert verify_pin("2468", stored)  # elsewhere (or unguarded) it just works
