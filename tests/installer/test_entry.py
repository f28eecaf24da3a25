"""The frozen entry script: hash-pin for the installer, everything else to capdesk.__main__."""

from __future__ import annotations

import io

import pytest

from capdesk import __version__
from capdesk.store.pin import verify_pin
from tests.installer.conftest import load

entry = load("capdesk_entry")


def test_hash_pin_prints_a_hash_that_verifies(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("246810\n"))
    assert entry.run(["hash-pin"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("pbkdf2_sha256$")
    assert "246810" not in printed
    assert verify_pin("246810", printed)


@pytest.mark.parametrize("word", ["hash-pin", "--hash-pin"])
def test_hash_pin_refuses_a_bad_pin(monkeypatch, capsys, word):
    monkeypatch.setattr("sys.stdin", io.StringIO("12ab\n"))
    assert entry.run([word]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "4 to 12 digits" in captured.err


def test_other_words_go_to_capdesk_main(capsys):
    with pytest.raises(SystemExit) as stop:
        entry.run(["--version"])
    assert stop.value.code == 0
    assert __version__ in capsys.readouterr().out
