"""Signing a till in and out through the window, with the in-memory keyring.

The "store" cluster is an administrator's entry in the machine's clusters.toml
whose address is a test simulator on loopback (http is allowed there), so the
dialog's "Test connection" and the saved credentials make real requests.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import keyring
import shiboken6
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from capdesk.api.auth import BasicCredentials, md5_hex
from capdesk.api.errors import NotSignedIn
from capdesk.store.credentials import CredentialStore
from capdesk.ui.account.sign_in_dialog import REJECTED, SignInDialog
from tests.memory_keyring import MemoryKeyring
from tests.ui.window_harness import (
    DEMO_MOBILE,
    DEMO_MOBILE_TYPED,
    click,
)


def store_cluster(simulator) -> None:
    machine = Path(os.environ["CAPDESK_MACHINE_CONFIG"])
    (machine / "clusters.toml").write_text(
        f'[clusters.store]\nlabel = "Store server"\nbase_url = "{simulator.base_url}"\n',
        encoding="utf-8",
    )


def choose_cluster(qtbot, d, label: str) -> None:
    """Alt+U to the cluster list, then arrow keys, as a keyboard user would."""
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)
    combo = d.child("clusterSelector")
    assert QApplication.focusWidget() is combo
    for _ in range(combo.count()):
        if combo.currentText() == label:
            break
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert d.window.service.cluster.label == label


def open_dialog(qtbot, d) -> SignInDialog:
    click(qtbot, d.child("signInButton"))
    dialog = d.window.findChild(SignInDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def is_deleted(dialog) -> bool:
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return not shiboken6.isValid(dialog)


def fetch(qtbot, d, signal):
    value = d.child("identifierValue")
    value.setFocus()
    value.clear()
    qtbot.keyClicks(value, DEMO_MOBILE_TYPED)
    with qtbot.waitSignal(signal, timeout=5000) as got:
        qtbot.keyClick(value, Qt.Key.Key_Return)
    return got.args[0]


def test_sign_in_test_save_use_and_sign_out(qtbot, desk, simulator, memory_keyring):
    store_cluster(simulator)
    d = desk()
    choose_cluster(qtbot, d, "Store server")
    # Read from the password store in a worker, then shown.
    qtbot.waitUntil(lambda: d.text("signedInAs") == "Not signed in", timeout=3000)
    assert not d.child("signOutButton").isEnabled()
    assert not d.child("trainingBanner").isVisible()

    dialog = open_dialog(qtbot, d)
    qtbot.keyClicks(dialog.username, "training.till")
    qtbot.keyClicks(dialog.password, "training123")
    assert not dialog.save_button.isEnabled()  # only after a successful test
    click(qtbot, dialog.test_button)
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=5000)
    assert dialog.result_label.text() == "Connected as training.till."
    assert simulator.request_count() >= 1  # a real request, nothing consumed
    assert simulator.issued_card_numbers == []

    click(qtbot, dialog.save_button)
    qtbot.waitUntil(lambda: d.text("signedInAs") == "Signed in as training.till", timeout=3000)
    assert d.text("statusMessage") == "Signed in to Store server as training.till."
    assert is_deleted(dialog)
    assert d.child("signOutButton").isEnabled()

    assert list(memory_keyring.store) == [("capdesk", "cluster:store")]
    saved = json.loads(memory_keyring.store[("capdesk", "cluster:store")])
    assert saved == {
        "scheme": "basic",
        "till_id": "training.till",
        "password_md5": md5_hex("training123"),
    }

    code = simulator.customer_requests_otp("mobile", DEMO_MOBILE)
    assert fetch(qtbot, d, d.window.otpShown).code == code  # the saved till works

    click(qtbot, d.child("signOutButton"))
    assert not d.child("otpCode").isVisible()  # at once, before the keyring answers
    qtbot.waitUntil(lambda: d.text("signedInAs") == "Not signed in", timeout=3000)
    assert memory_keyring.store == {}
    assert isinstance(fetch(qtbot, d, d.window.operationFailed), NotSignedIn)


def test_a_cancelled_dialog_is_deleted_and_saves_nothing(qtbot, desk, simulator, memory_keyring):
    store_cluster(simulator)
    d = desk(cluster="store")
    dialog = open_dialog(qtbot, d)
    qtbot.keyClicks(dialog.username, "training.till")
    qtbot.keyClicks(dialog.password, "training123")
    click(qtbot, dialog.test_button)
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=5000)
    password = dialog.password
    qtbot.keyClick(password, Qt.Key.Key_Escape)
    assert password.text() == ""  # no plain secret outlives the dialog
    assert is_deleted(dialog)
    assert memory_keyring.store == {}
    assert d.text("signedInAs") == "Not signed in"

    dialog = open_dialog(qtbot, d)
    click(qtbot, dialog.cancel_button)
    assert is_deleted(dialog)
    assert d.window.findChildren(SignInDialog) == []


def test_wrong_password_cannot_be_saved_and_is_retyped(qtbot, desk, simulator, memory_keyring):
    store_cluster(simulator)
    d = desk(cluster="store")
    dialog = open_dialog(qtbot, d)
    qtbot.keyClicks(dialog.username, "training.till")
    qtbot.keyClicks(dialog.password, "not-the-password")
    click(qtbot, dialog.test_button)
    qtbot.waitUntil(lambda: dialog.result_label.text() == REJECTED, timeout=5000)
    assert not dialog.save_button.isEnabled()
    assert QApplication.focusWidget() is dialog.password  # ready to retype
    assert dialog.password.selectedText() == dialog.password.text()
    qtbot.keyClicks(dialog.password, "training123")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)  # Enter tests again
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=5000)
    assert QApplication.focusWidget() is dialog.save_button
    assert memory_keyring.store == {}
    qtbot.keyClick(dialog.save_button, Qt.Key.Key_Return)  # Enter now saves
    qtbot.waitUntil(lambda: d.text("signedInAs") == "Signed in as training.till", timeout=3000)
    assert list(memory_keyring.store) == [("capdesk", "cluster:store")]


def test_training_needs_no_sign_in(qtbot, desk, memory_keyring):
    d = desk()
    assert d.text("signedInAs") == "Signed in as training.till"
    assert not d.child("signInButton").isVisible()
    assert not d.child("signOutButton").isVisible()
    assert d.window.account_flow.open_sign_in() is None
    assert d.text("statusMessage") == "The training cluster signs in by itself with its demo till."
    assert memory_keyring.store == {}


class GatedKeyring(MemoryKeyring):
    """Reads wait until the test opens the gate, like a password store asking to be
    unlocked; counts the reads that answered."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.readers: list[str] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.gate.wait(5)
        self.readers.append(threading.current_thread().name)
        return super().get_password(service, username)


def test_who_is_signed_in_is_read_off_the_gui_thread_and_a_late_answer_is_dropped(
    qtbot, desk, simulator
):
    store_cluster(simulator)
    backend = GatedKeyring()
    store = CredentialStore(backend)
    store.save("store", BasicCredentials.from_password("store.till", "till-pass-1234"))
    keyring.set_keyring(backend)  # the autouse memory_keyring fixture restores it
    d = desk()
    try:
        choose_cluster(qtbot, d, "Store server")
        qtbot.wait(50)  # the password store has not answered: nothing is claimed yet
        assert d.text("signedInAs") == ""
        assert not d.child("signOutButton").isEnabled()
        assert d.text("statusMessage") == "Now working on Store server."  # not frozen

        combo = d.child("clusterSelector")  # staff move on meanwhile: back to training
        qtbot.keyClick(combo, Qt.Key.Key_Home)
        assert d.window.service.cluster.training
        qtbot.waitUntil(lambda: d.text("signedInAs") == "Signed in as training.till")
    finally:
        backend.gate.set()
    qtbot.waitUntil(lambda: len(backend.readers) == 1, timeout=3000)
    qtbot.wait(50)  # the store's answer reached the loop, and was dropped
    assert d.text("signedInAs") == "Signed in as training.till"
    assert threading.current_thread().name not in backend.readers

    choose_cluster(qtbot, d, "Store server")  # and asked again, it is shown
    qtbot.waitUntil(lambda: d.text("signedInAs") == "Signed in as store.till", timeout=3000)
    assert d.child("signOutButton").isEnabled()
