"""Machine policy fails closed: a broken ``policy.ini`` never unlocks a kiosk.

* A duplicate key or section is read first-wins, as Windows reads INI files, in every
  encoding the installer or Notepad writes; the kiosk keeps its lock and its PIN.
* A policy file that exists but cannot be read starts the real window (``app.main``)
  as a locked kiosk with a sentence saying why.
* A policy ``base_url`` gets exactly the verdict a ``clusters.toml`` address gets.
* The command line (and the window's ``--cluster``) keep to the cluster the policy locks.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from capdesk.api.clusters import check_base_url, load_clusters
from capdesk.api.errors import InvalidInput
from capdesk.app import main
from capdesk.paths import default_paths
from capdesk.settings import CLUSTER_LOCKED
from capdesk.store.pin import MIN_ITERATIONS, hash_pin
from capdesk.store.policy import load_policy, parse_base_url
from capdesk.ui.kiosk.lockdown import POLICY_UNREADABLE_SENTENCE
from tests.api.test_staff_sentences import problems_with
from tests.cli import conftest as cli_fixtures
from tests.ui.window_harness import guarded_gui_thread

run_cli = cli_fixtures.run_cli  # the fixture, shared with tests/cli
basic_env = cli_fixtures.basic_env

PIN, OTHER_PIN = "2468", "1357"
PIN_HASH = hash_pin(PIN, iterations=MIN_ITERATIONS)
OTHER_HASH = hash_pin(OTHER_PIN, iterations=MIN_ITERATIONS)
ENCODINGS = ["utf-16", "utf-8-sig", "utf-8", "cp1252"]  # NSIS, Notepad (BOM or not), ANSI

# A kiosk policy as the installer writes it, then the same keys again with the lock
# undone: each way a hand edit or a second installer run can leave it.
KIOSK = f"[capdesk]\nkiosk=1\nadmin_pin_hash={PIN_HASH}\nidle_timeout=60\n"
DUPLICATES = {
    "key repeated": KIOSK + f"kiosk=0\nadmin_pin_hash={OTHER_HASH}\n",
    "section repeated": KIOSK + f"[capdesk]\nkiosk=0\nadmin_pin_hash={OTHER_HASH}\n",
    "section in other case": KIOSK + "[other]\nx=1\n[CAPDESK]\nkiosk=0\nlocked=none\n",
    "both, with a junk line": KIOSK + "Politique gérée\nKiosk = 0\n[Capdesk]\nkiosk=0\n",
}


def machine_file(name: str) -> Path:
    return Path(os.environ["CAPDESK_MACHINE_CONFIG"]) / name


def write_policy(text: str, encoding: str = "utf-8") -> Path:
    path = machine_file("policy.ini")
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


# --- duplicates: first wins, and the problem never carries a value ------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("case", sorted(DUPLICATES))
def test_a_duplicate_is_read_first_wins_in_every_encoding(case: str, encoding: str) -> None:
    write_policy(DUPLICATES[case], encoding)
    policy = load_policy(default_paths(), registry_reader=dict)
    assert policy.kiosk and policy.admin_pin_hash == PIN_HASH
    assert policy.values["idle_timeout"] == 60
    assert policy.is_locked("kiosk") and not policy.unreadable
    assert any("repeats" in problem for problem in policy.problems)
    for problem in policy.problems:  # logged: line numbers and key names, never a value
        assert PIN_HASH not in problem and OTHER_HASH not in problem
        assert "pbkdf2" not in problem


# --- the real window, started as app.main starts it -----------------------------------------


def the_window():
    from capdesk.ui.main_window import MainWindow

    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    windows = [w for w in windows if w.isVisible()]
    assert len(windows) == 1
    return windows[0]


def run_window(argv: list[str], steps: list[Callable[[], None]]) -> int:
    """``main(argv)`` with each step run in turn from its event loop (a step may wait
    for the one before it); the last step must let the window close."""
    timers: list[QTimer] = []
    for delay, step in enumerate(steps):
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(step)
        timer.start(200 * delay)
        timers.append(timer)
    try:
        with guarded_gui_thread():  # no keyring, SQLite or PBKDF2 call on the GUI thread
            return main(argv)
    finally:
        for timer in timers:
            timer.stop()


def close_anyway() -> None:
    """The administrator's way out of a kiosk window (after the checks)."""
    window = the_window()
    window.close_policy.allow_next_close()
    window.close()


def kiosk_state(seen: dict[str, object]) -> Callable[[], None]:
    def look() -> None:
        window = the_window()
        admin = window.admin
        seen["kiosk"] = admin.kiosk
        seen["unlocked"] = admin.unlocked
        seen["cluster_enabled"] = window.cluster_selector.combo.isEnabled()
        seen["settings_visible"] = admin.settings_button.isVisible()
        seen["closed_by_staff"] = window.close()
        notice = getattr(admin, "policy_notice", None)
        seen["notice"] = notice.text() if notice is not None and notice.isVisible() else None
        admin.admin_button.click()  # the administrator's PIN pad

    return look


def open_pin_pads() -> list:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if w.objectName() == "adminPinDialog" and w.isVisible()
    ]


def enter_pin(pin: str, seen: dict[str, object]) -> Callable[[], None]:
    def type_it() -> None:
        dialogs = open_pin_pads()
        seen["pin_pad"] = bool(dialogs)
        if dialogs:
            seen["pin_pad_open"] = dialogs[0].field.isEnabled()
            dialogs[0].field.setText(pin)
            dialogs[0].submit()  # checked in a worker: after_pin waits for the answer

    return type_it


def after_pin(seen: dict[str, object], wait_s: float = 10.0) -> Callable[[], None]:
    give_up = time.monotonic() + wait_s

    def look() -> None:
        pads = open_pin_pads()
        if any(pad.checking for pad in pads) and time.monotonic() < give_up:
            QTimer.singleShot(20, look)
            return
        seen["unlocked_by_pin"] = the_window().admin.unlocked
        for pad in pads:
            pad.reject()  # still open when the PIN was wrong or could not be checked
        close_anyway()

    return look


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_kiosk_policy_with_duplicates_still_locks_with_its_pin(qapp, encoding: str) -> None:
    write_policy(DUPLICATES["both, with a junk line"], encoding)
    seen: dict[str, object] = {}
    code = run_window([], [kiosk_state(seen), enter_pin(PIN, seen), after_pin(seen)])
    assert code == 0
    assert seen["kiosk"] is True and seen["unlocked"] is False
    assert seen["cluster_enabled"] is False and seen["settings_visible"] is False
    assert seen["closed_by_staff"] is False
    assert seen["notice"] is None  # readable: nothing to report to staff
    assert seen["unlocked_by_pin"] is True  # the first PIN, not the repeated one


def test_the_repeated_pin_does_not_unlock_the_kiosk(qapp) -> None:
    write_policy(DUPLICATES["key repeated"])
    seen: dict[str, object] = {}
    run_window([], [kiosk_state(seen), enter_pin(OTHER_PIN, seen), after_pin(seen)])
    assert seen["kiosk"] is True and seen["unlocked_by_pin"] is False


UNREADABLE: dict[str, Callable[[Path], None]] = {
    "garbage bytes": lambda p: p.write_bytes(b"\x00\xff\xfe\x00garbage\x9d\x81" * 40),
    "nuls of a cut-short write": lambda p: p.write_bytes(b"\x00" * 4096),
    "empty": lambda p: p.write_bytes(b""),
    "no capdesk section": lambda p: p.write_text("kiosk=1\nadmin_pin_hash=x\n"),
    "too large": lambda p: p.write_bytes(b"[capdesk]\nkiosk=1\n" + b";" * 300_000),
    "cannot be opened": lambda p: p.mkdir(),  # the OSError path, as permission denied
}


@pytest.mark.parametrize("argv", [[], ["--kiosk"]], ids=["policy", "--kiosk"])
@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_an_unreadable_policy_keeps_the_window_locked_and_says_so(
    qapp, case: str, argv: list[str]
) -> None:
    UNREADABLE[case](machine_file("policy.ini"))
    seen: dict[str, object] = {}
    code = run_window(argv, [kiosk_state(seen), enter_pin(PIN, seen), after_pin(seen)])
    assert code == 0
    assert seen["kiosk"] is True and seen["unlocked"] is False
    assert seen["cluster_enabled"] is False and seen["settings_visible"] is False
    assert seen["closed_by_staff"] is False
    assert seen["notice"] == POLICY_UNREADABLE_SENTENCE
    assert seen["pin_pad"] is True and seen["pin_pad_open"] is False  # no PIN is known
    assert seen["unlocked_by_pin"] is False


def test_the_locked_sentence_is_plain_words_with_something_to_do() -> None:
    assert problems_with(POLICY_UNREADABLE_SENTENCE) == []
    assert problems_with(CLUSTER_LOCKED) == []


def test_an_unreadable_registry_key_fails_closed_too() -> None:
    def denied() -> dict[str, str]:
        raise PermissionError("access denied")

    policy = load_policy(default_paths(), registry_reader=denied)
    assert policy.unreadable and policy.values == {}


def test_a_readable_policy_without_kiosk_leaves_the_window_open(qapp) -> None:
    write_policy("[capdesk]\ndefault_country=GB\n")
    seen: dict[str, object] = {}
    assert run_window([], [lambda: seen.update(kiosk=the_window().admin.kiosk), close_anyway]) == 0
    assert seen["kiosk"] is False


# --- base_url: one validator for the policy and clusters.toml ---------------------------------

URLS = [
    "https://eu.api.capillarytech.com",
    "https://mybrand.example.com/capillary/",
    "http://127.0.0.1:8080",
    "http://127.0.0.2:8080",  # loopback too
    "http://localhost.localdomain",
    "https://[::1]:8443",
    "https://eu.api.capillarytech.com/\x1b]0;owned\x07",
    "https://eu.api.capillarytech.com\x1b]0;owned\x07",
    "https://eu.api.capillarytech.com/\x07",
    "https://eu.api.capillarytech.com/\x00",
    "https://eu.api\x7f.capillarytech.com",
    "https://eu.api.capillarytech.com/a\u202eb",
    "https://eu.api.capillary tech.com",
    "https://eu.api.capillarytech.com/\u00a0",
    "https://user:pass@eu.api.capillarytech.com",
    "https://user@eu.api.capillarytech.com",
    "https://eu.api.capillarytech.com?x=1",
    "https://eu.api.capillarytech.com?",
    "https://eu.api.capillarytech.com#",
    "https://eu.api.capillarytech.com#top",
    "http://eu.api.capillarytech.com",
    "ftp://eu.api.capillarytech.com",
    "https://",
    "https://eu.api.capillarytech.com:99999",
    "https://" + "a" * 2100 + ".com",
]


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string, control characters escaped."""
    escaped = "".join(
        ch if ch.isprintable() and ch not in '"\\' else f"\\u{ord(ch):04x}" for ch in text
    )
    return f'"{escaped}"'


def clusters_toml_verdict(url: str) -> str | None:
    machine_file("clusters.toml").write_text(
        f"[clusters.mine]\nbase_url = {toml_string(url)}\n", encoding="utf-8"
    )
    cluster = load_clusters([machine_file("clusters.toml")]).get("mine")
    return cluster.base_url if cluster is not None else None


def policy_verdict(url: str) -> str | None:
    write_policy(f"[capdesk]\nbase_url = {url}\n", "utf-16")
    return load_policy(default_paths(), registry_reader=dict).values.get("base_url")


@pytest.mark.parametrize("url", URLS, ids=[ascii(url)[:60] for url in URLS])
def test_a_policy_address_gets_the_clusters_toml_verdict(url: str) -> None:
    try:
        expected: str | None = check_base_url(url)
    except InvalidInput:
        expected = None
    assert clusters_toml_verdict(url) == expected
    # (A file's NULs are dropped while it is decoded, as for a cut-short write; the
    # same address from the registry still gets the verdict below.)
    if url.strip() == url and "\x00" not in url:
        assert policy_verdict(url) == expected
    try:
        assert parse_base_url(url) == expected
    except ValueError:
        assert expected is None


def test_a_control_character_in_a_policy_address_is_refused_and_logged_without_it() -> None:
    policy = load_policy(
        default_paths(),
        registry_reader=lambda: {"base_url": "https://eu.api.capillarytech.com/\x1b]0;x\x07"},
    )
    assert "base_url" not in policy.values
    assert any("base_url is not valid" in problem for problem in policy.problems)
    assert all("\x1b" not in problem for problem in policy.problems)


# --- the cluster the policy locks, on the command line and at the window's start ---------------

ASHA = ("--identifier-name", "mobile", "--identifier-value", "919876543210")


def test_the_cli_uses_the_address_the_policy_locks(simulator, run_cli, basic_env) -> None:
    write_policy(f"[capdesk]\nbase_url = {simulator.base_url}\n")
    simulator.customer_requests_otp("mobile", "919876543210")
    result = run_cli("otp", *ASHA)
    assert result.code == 0, result.err
    assert simulator.request_count("/v2/otp") == 1  # not the embedded training cluster
    same = run_cli("otp", "--base-url", simulator.base_url + "/", *ASHA)
    assert same.code == 0, same.err


@pytest.mark.parametrize(
    "flags",
    [["--cluster", "training"], ["--cluster", "eu"], ["--base-url", "https://x.example.com"]],
)
def test_the_cli_refuses_another_cluster_than_the_locked_address(
    simulator, run_cli, basic_env, flags: list[str]
) -> None:
    write_policy(f"[capdesk]\nbase_url = {simulator.base_url}\n")
    logins = ["login", *flags, "--username", "store.till"]
    for command in (["otp", *flags, *ASHA], ["card-number", *flags], logins, ["logout", *flags]):
        result = run_cli(*command)
        assert result.code == 2, (command, result.err)
        assert result.err.startswith(CLUSTER_LOCKED)
    assert simulator.request_count() == 0


def test_the_cli_refuses_another_cluster_than_the_locked_one(simulator, run_cli, basic_env) -> None:
    write_policy("[capdesk]\ncluster = training\nlocked = cluster\n")
    result = run_cli("otp", "--base-url", simulator.base_url, *ASHA)
    assert result.code == 2 and result.err.startswith(CLUSTER_LOCKED)
    assert simulator.request_count() == 0
    assert run_cli("otp", "--cluster", "training", *ASHA).code == 4  # no OTP requested yet


def test_an_unlocked_policy_cluster_is_only_a_default(simulator, run_cli, basic_env) -> None:
    write_policy("[capdesk]\ncluster = eu\nlocked = none\n")
    simulator.customer_requests_otp("mobile", "919876543210")
    assert run_cli("otp", "--base-url", simulator.base_url, *ASHA).code == 0


def test_the_window_refuses_another_cluster_than_the_locked_one(qapp, capsys) -> None:
    write_policy("[capdesk]\ncluster = training\n")
    code = run_window(["--cluster", "eu"], [close_anyway])  # (closes it, were it opened)
    assert code == 2
    assert capsys.readouterr().err.strip() == CLUSTER_LOCKED
