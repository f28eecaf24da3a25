"""Settings button and kiosk administration, driven through the real window."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from capdesk.store.pin import MIN_ITERATIONS, hash_pin
from tests.ui.window_harness import click, fake_clock

PIN = "2468"


@pytest.fixture
def kiosk_policy() -> Path:
    """A machine policy as the silent installer writes it: kiosk, PIN, idle timeout."""
    policy = Path(os.environ["CAPDESK_MACHINE_CONFIG"]) / "policy.ini"
    policy.write_text(
        "[capdesk]\n"
        "kiosk = 1\n"
        f"admin_pin_hash = {hash_pin(PIN, iterations=MIN_ITERATIONS)}\n"
        "idle_timeout = 60\n",
        encoding="utf-8",
    )
    return policy


def _open_dialog(qtbot, name: str) -> QDialog:
    found: list[QDialog] = []

    def visible() -> bool:
        found[:] = [
            w for w in QApplication.topLevelWidgets() if w.objectName() == name and w.isVisible()
        ]
        return bool(found)

    qtbot.waitUntil(visible, timeout=2000)
    return found[0]


def _enter_pin(qtbot, pin: str) -> None:
    dialog = _open_dialog(qtbot, "adminPinDialog")
    qtbot.keyClicks(dialog.field, pin)
    qtbot.keyClick(dialog.field, Qt.Key.Key_Return)


def test_outside_kiosk_settings_open_directly_and_the_window_closes(qtbot, desk):
    d = desk()
    admin = d.window.admin
    assert not admin.kiosk and admin.unlocked
    assert not admin.admin_button.isVisible()
    click(qtbot, admin.settings_button)
    dialog = _open_dialog(qtbot, "settingsDialog")
    dialog.reject()
    assert d.window.close()


def test_kiosk_refuses_to_close_and_locks_the_cluster(qtbot, desk, kiosk_policy):
    d = desk(kiosk=True)
    window = d.window
    assert window.windowState() & Qt.WindowState.WindowFullScreen
    assert not window.windowFlags() & Qt.WindowType.WindowCloseButtonHint
    assert not window.cluster_selector.combo.isEnabled()
    assert not window.admin.settings_button.isVisible()
    assert not window.close()
    assert window.isVisible()
    assert "kiosk mode" in d.text("statusMessage")


def test_the_pin_unlocks_cluster_settings_and_closing_then_lock_relocks(qtbot, desk, kiosk_policy):
    d = desk(kiosk=True)
    window, admin = d.window, d.window.admin
    click(qtbot, admin.admin_button)
    _enter_pin(qtbot, "1111")  # wrong: stays locked
    qtbot.wait(50)
    assert not admin.unlocked
    dialog = _open_dialog(qtbot, "adminPinDialog")
    qtbot.keyClicks(dialog.field, PIN)
    qtbot.keyClick(dialog.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: admin.unlocked, timeout=5000)
    assert window.cluster_selector.combo.isEnabled()
    assert admin.settings_button.isVisible()
    click(qtbot, admin.admin_button)  # now "Lock"
    assert not admin.unlocked
    assert not window.cluster_selector.combo.isEnabled()
    assert not window.close()


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


def test_settings_changes_reach_the_window(qtbot, desk):
    d = desk()
    settings = d.service.settings
    settings.default_country = "US"
    d.window.apply_settings(["default_country"])
    assert d.window.identifier_form.default_country == "US"
    assert "Settings saved" in d.text("statusMessage")
