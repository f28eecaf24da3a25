"""Settings button and kiosk administration: through the real window, and on its own.

The bar only reports in signals and the window wires them; the PIN is checked by the
service in a worker, so the pad stays responsive and no PBKDF2 runs on the GUI thread.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from capdesk.paths import default_paths
from capdesk.settings import Settings
from capdesk.store.pin import MAX_ITERATIONS, MIN_ITERATIONS, hash_pin, verify_pin
from capdesk.store.policy import load_policy
from capdesk.store.thread_guard import forbid_blocking_on, violations
from capdesk.ui.account.admin_pin_dialog import AdminPinDialog
from capdesk.ui.kiosk.admin_controls import AdminControls
from capdesk.ui.kiosk.lockdown import REFUSED_SENTENCE
from tests.ui.window_harness import click, fake_clock

PIN = "2468"
WRONG = "1357"
PIN_HASH = hash_pin(PIN, iterations=MIN_ITERATIONS)  # made here, never under a guard


def write_kiosk_policy(pin_hash: str | None = PIN_HASH) -> Path:
    """A machine policy as the silent installer writes it: kiosk, PIN, idle timeout."""
    policy = Path(os.environ["CAPDESK_MACHINE_CONFIG"]) / "policy.ini"
    pin_line = f"admin_pin_hash = {pin_hash}\n" if pin_hash else ""
    policy.write_text(f"[capdesk]\nkiosk = 1\n{pin_line}idle_timeout = 60\n", encoding="utf-8")
    return policy


@pytest.fixture
def kiosk_policy() -> Path:
    return write_kiosk_policy()


def _slow_pin_hash(pin: str, seconds: float) -> str:
    """A hash whose check takes about ``seconds`` on this machine (within the allowed cost)."""
    started = time.perf_counter()
    verify_pin(pin, PIN_HASH)
    per_check = max(time.perf_counter() - started, 1e-3)
    iterations = int(MIN_ITERATIONS * seconds / per_check)
    return hash_pin(pin, iterations=min(max(iterations, MIN_ITERATIONS), MAX_ITERATIONS))


def _open_dialog(qtbot, name: str) -> QDialog:
    found: list[QDialog] = []

    def visible() -> bool:
        found[:] = [
            w for w in QApplication.topLevelWidgets() if w.objectName() == name and w.isVisible()
        ]
        return bool(found)

    qtbot.waitUntil(visible, timeout=2000)
    return found[0]


def _enter_pin(qtbot, pin: str) -> AdminPinDialog:
    """Type ``pin`` and Enter in the open PIN pad; returns once it has been checked."""
    dialog = _open_dialog(qtbot, "adminPinDialog")
    assert isinstance(dialog, AdminPinDialog)
    closed: list[int] = []
    dialog.finished.connect(closed.append)  # the right PIN closes it (and deletes it)
    qtbot.keyClicks(dialog.field, pin)
    qtbot.keyClick(dialog.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(closed) or not dialog.checking, timeout=10_000)
    return dialog


# --- through the real window ------------------------------------------------------------


def test_outside_kiosk_settings_open_directly_and_the_window_closes(qtbot, desk):
    d = desk()
    admin = d.window.admin
    assert not admin.kiosk and admin.unlocked
    assert not admin.admin_button.isVisible()
    click(qtbot, admin.settings_button)
    dialog = _open_dialog(qtbot, "settingsDialog")
    dialog.reject()
    with qtbot.waitSignal(d.window.closed, timeout=1000):
        assert d.window.close()


def test_ctrl_comma_opens_the_settings_from_anywhere_in_the_window(qtbot, desk):
    d = desk()
    field = d.child("identifierValue")
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    _open_dialog(qtbot, "settingsDialog").reject()


def test_kiosk_refuses_to_close_and_locks_the_cluster(qtbot, desk, kiosk_policy):
    d = desk(kiosk=True)
    window = d.window
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))
    assert window.windowState() & Qt.WindowState.WindowFullScreen
    assert not window.windowFlags() & Qt.WindowType.WindowCloseButtonHint
    assert not window.cluster_selector.combo.isEnabled()
    assert not window.admin.settings_button.isVisible()
    assert not window.close()
    assert window.isVisible() and closed == []  # refused before any clean-up
    assert d.text("statusMessage") == REFUSED_SENTENCE


def test_the_pin_unlocks_cluster_settings_and_closing_then_lock_relocks(qtbot, desk, kiosk_policy):
    d = desk(kiosk=True)
    window, admin = d.window, d.window.admin
    click(qtbot, admin.admin_button)
    dialog = _enter_pin(qtbot, WRONG)  # wrong: stays locked
    assert dialog.isVisible() and not admin.unlocked
    assert dialog.message.text() == "That PIN is not right. 4 tries left."
    _enter_pin(qtbot, PIN)
    qtbot.waitUntil(lambda: admin.unlocked, timeout=5000)
    assert window.cluster_selector.combo.isEnabled()
    assert admin.settings_button.isVisible()
    assert "Administrator mode for 2 minutes" in d.text("statusMessage")
    click(qtbot, admin.admin_button)  # now "Lock"
    assert not admin.unlocked
    assert d.text("statusMessage") == "Locked. Staff mode."
    assert not window.cluster_selector.combo.isEnabled()
    assert not window.close()


def test_an_unlocked_kiosk_lets_the_window_close(qtbot, desk, kiosk_policy):
    d = desk(kiosk=True)
    click(qtbot, d.window.admin.admin_button)
    _enter_pin(qtbot, PIN)
    qtbot.waitUntil(lambda: d.window.admin.unlocked, timeout=5000)
    with qtbot.waitSignal(d.window.closed, timeout=1000):
        assert d.window.close()
    assert not d.window.isVisible()


def test_unlocking_keeps_a_cluster_the_policy_locks(qtbot, desk):
    policy = write_kiosk_policy()
    policy.write_text(policy.read_text() + "cluster = training\n", encoding="utf-8")
    d = desk(kiosk=True)
    d.window.admin.admin_button.click()
    _enter_pin(qtbot, PIN)
    qtbot.waitUntil(lambda: d.window.admin.unlocked, timeout=5000)
    assert not d.window.cluster_selector.combo.isEnabled()  # IT's lock, not the kiosk's


def test_settings_in_kiosk_mode_ask_for_the_pin_first(qtbot, desk, kiosk_policy):
    d = desk(kiosk=True)
    d.window.admin.open_settings()
    _enter_pin(qtbot, PIN)
    dialog = _open_dialog(qtbot, "settingsDialog")
    dialog.reject()


def test_idle_clears_the_customer_and_locks_again(qtbot, desk, kiosk_policy):
    clock = fake_clock()
    d = desk(kiosk=True, clock=clock)
    admin = d.window.admin
    admin._unlock()
    qtbot.keyClicks(d.child("identifierValue"), "919876543210")
    clock.advance(61)
    admin.idle.check()
    assert d.text("identifierValue") == ""
    assert not admin.unlocked
    assert not d.window.cluster_selector.combo.isEnabled()


def test_saved_settings_reach_the_window(qtbot, desk):
    d = desk()
    click(qtbot, d.window.admin.settings_button)
    dialog = _open_dialog(qtbot, "settingsDialog")
    dialog.clipboard_timeout.setValue(90)
    dialog.accept()
    assert d.service.settings.clipboard_timeout == 90
    assert "Settings saved" in d.text("statusMessage")


def test_settings_changes_reach_the_window(qtbot, desk):
    d = desk()
    settings = d.service.settings
    settings.default_country = "US"
    d.window.apply_settings(["default_country"])
    assert d.window.identifier_form.default_country == "US"
    assert "Settings saved" in d.text("statusMessage")


# --- the PIN check stays off the GUI thread -----------------------------------------------


def test_the_service_checks_the_policy_pin(qtbot, desk, kiosk_policy, async_loop):
    d = desk(kiosk=True, show=False)
    right = async_loop.create_task(d.service.check_admin_pin(PIN))
    wrong = async_loop.create_task(d.service.check_admin_pin(WRONG))
    qtbot.waitUntil(lambda: right.done() and wrong.done(), timeout=5000)
    assert right.result() is True and wrong.result() is False


def test_without_a_policy_pin_nothing_unlocks(qtbot, desk, async_loop):
    write_kiosk_policy(pin_hash=None)
    d = desk(kiosk=True, show=False)
    check = async_loop.create_task(d.service.check_admin_pin("0000"))
    qtbot.waitUntil(check.done, timeout=5000)
    assert check.result() is False


def test_the_whole_unlock_path_runs_no_pbkdf2_on_the_gui_thread(qtbot, desk, kiosk_policy):
    d = desk(kiosk=True)
    admin = d.window.admin
    with forbid_blocking_on():  # this test's thread is the GUI thread
        click(qtbot, admin.admin_button)
        _enter_pin(qtbot, WRONG)
        _enter_pin(qtbot, PIN)
        qtbot.waitUntil(lambda: admin.unlocked, timeout=5000)
        assert violations() == []


def test_the_pin_pad_stays_responsive_while_the_pin_is_checked(qtbot, desk):
    write_kiosk_policy(_slow_pin_hash(PIN, seconds=0.4))
    d = desk(kiosk=True)
    admin = d.window.admin
    click(qtbot, admin.admin_button)
    dialog = _open_dialog(qtbot, "adminPinDialog")
    assert isinstance(dialog, AdminPinDialog)
    ticks: list[float] = []  # event-loop turns while the PIN is being checked
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: None if admin.unlocked else ticks.append(time.monotonic()))
    qtbot.keyClicks(dialog.field, PIN)
    timer.start()
    started = time.monotonic()
    qtbot.keyClick(dialog.field, Qt.Key.Key_Return)  # the check starts here
    assert dialog.checking and not dialog.ok_button.isEnabled()
    qtbot.waitUntil(lambda: admin.unlocked, timeout=20_000)
    timer.stop()
    took = time.monotonic() - started
    assert took >= 0.2, "the hash was too quick to show anything"
    gaps = [later - earlier for earlier, later in zip([started, *ticks], ticks, strict=False)]
    assert len(ticks) >= 5
    assert max(gaps) < took / 2, f"the event loop stalled {max(gaps):.2f} s of {took:.2f} s"


# --- the bar on its own: values in, signals out ------------------------------------------------


@pytest.fixture
def settings() -> Settings:
    paths = default_paths().ensure()
    return Settings(paths, load_policy(paths))


async def _never(pin: str) -> bool:
    raise AssertionError("no PIN should be checked here")


def test_the_bar_reports_in_signals(qtbot, kiosk_policy):
    clock = fake_clock()
    paths = default_paths().ensure()
    settings = Settings(paths, load_policy(paths))
    bar = AdminControls(kiosk=True, settings=settings, check_pin=_never, clock=clock)
    qtbot.addWidget(bar)
    heard: list[object] = []
    bar.lockChanged.connect(lambda locked: heard.append(("locked", locked)))
    bar.idleTimedOut.connect(lambda: heard.append("idle"))
    bar.message.connect(lambda sentence: heard.append("message"))
    bar.start()
    assert heard == [("locked", True)] and not bar.unlocked
    bar._unlock()
    assert heard[1:] == [("locked", False), "message"]
    clock.advance(61)
    assert bar.idle.check()
    assert heard[3:] == ["idle", ("locked", True)]  # the customer goes first, then the lock
    bar.idle.stop()


def test_outside_kiosk_the_bar_never_locks(qtbot, settings):
    bar = AdminControls(kiosk=False, settings=settings, check_pin=_never)
    qtbot.addWidget(bar)
    heard: list[bool] = []
    bar.lockChanged.connect(heard.append)
    bar.start()
    bar.lock()
    assert heard == [] and bar.unlocked and not bar.idle.running


def test_the_kiosk_package_does_not_import_the_window_or_the_service():
    code = (
        "import sys, capdesk.ui.kiosk.admin_controls\n"
        "print(sorted(m for m in ('capdesk.ui.main_window', 'capdesk.services')"
        " if m in sys.modules))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "[]"
