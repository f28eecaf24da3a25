"""ClipboardGuard: secret copies stay out of history and are taken back only if unchanged."""

from __future__ import annotations

import struct

import pytest
from PySide6.QtGui import QGuiApplication

from capdesk.ui.common.clipboard_guard import (
    KDE_PASSWORD_HINT,
    MAC_CONCEALED,
    WINDOWS_EXCLUDE,
    WINDOWS_NO_CLOUD,
    WINDOWS_NO_HISTORY,
    ClipboardGuard,
    secret_mime_data,
)


@pytest.fixture
def board(qapp):
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("before the test")
    yield clipboard
    clipboard.clear()


@pytest.fixture
def guard(qapp):
    guard = ClipboardGuard(platform="linux")
    yield guard
    guard.clear_if_ours()


def test_copy_puts_the_text_with_the_password_manager_hint(board, guard):
    guard.copy_secret("538AD87", 30)
    assert board.text() == "538AD87"
    assert bytes(board.mimeData().data(KDE_PASSWORD_HINT)) == b"secret"
    assert guard.holding and guard.clear_pending


def test_windows_data_is_excluded_from_history_monitors_and_cloud():
    mime = secret_mime_data("538AD87", "win32")
    assert mime.text() == "538AD87"
    assert mime.hasFormat(WINDOWS_EXCLUDE)
    for fmt in (WINDOWS_NO_HISTORY, WINDOWS_NO_CLOUD):
        assert struct.unpack("<I", bytes(mime.data(fmt))) == (0,)
    assert not mime.hasFormat(KDE_PASSWORD_HINT)


def test_macos_data_is_marked_concealed():
    mime = secret_mime_data("538AD87", "darwin")
    assert mime.hasFormat(MAC_CONCEALED)
    assert not mime.hasFormat(WINDOWS_EXCLUDE)


def test_cleared_after_the_timeout_when_unchanged(qtbot, board, guard):
    with qtbot.waitSignal(guard.cleared, timeout=2000):
        guard.copy_secret("538AD87", 0.2)
    assert board.text() == ""
    assert not guard.holding


def test_never_erases_what_the_user_copied_since(qtbot, board, guard):
    cleared = []
    guard.cleared.connect(lambda: cleared.append(1))
    guard.copy_secret("538AD87", 0.2)
    board.setText("the customer's address")
    qtbot.waitUntil(lambda: not guard.clear_pending, timeout=2000)
    assert board.text() == "the customer's address"
    assert cleared == []
    assert not guard.holding


def test_zero_timeout_never_auto_clears_but_quit_does(qtbot, board, guard):
    guard.copy_secret("538AD87", 0)
    assert not guard.clear_pending
    qtbot.wait(100)
    assert board.text() == "538AD87"
    assert guard.clear_if_ours() is True  # the window calls this on quit
    assert board.text() == ""


def test_quit_leaves_someone_elses_clipboard_alone(board, guard):
    guard.copy_secret("538AD87", 0)
    board.setText("mine")
    assert guard.clear_if_ours() is False
    assert board.text() == "mine"


def test_a_second_copy_restarts_the_timeout_for_the_new_text(qtbot, board, guard):
    guard.copy_secret("AAA111", 0.2)
    guard.copy_secret("BBB222", 0.2)
    with qtbot.waitSignal(guard.cleared, timeout=2000):
        pass
    assert board.text() == ""


def test_repr_never_shows_the_secret(guard):
    guard.copy_secret("538AD87", 0)
    assert "538AD87" not in repr(guard)
