"""The clipboard's history exclusion, read back through the Win32 clipboard API.

:func:`secret_mime_data` names three registered Windows formats in Qt's
``application/x-qt-windows-mime;value="…"`` spelling. Only Qt's Windows platform
plugin turns those into real clipboard formats; this checks, with ``user32`` via
ctypes, that another program would see them with the DWORD 0 that tells clipboard
history, the cloud clipboard and monitors to skip the entry, next to the text.
"""

from __future__ import annotations

import ctypes
import struct
import time
from collections.abc import Iterator
from ctypes import wintypes
from typing import Any

import pytest

CF_UNICODETEXT = 13
FORMATS = (
    "ExcludeClipboardContentFromMonitorProcessing",
    "CanIncludeInClipboardHistory",
    "CanUploadToCloudClipboard",
)

user32 = ctypes.WinDLL("user32", use_last_error=True)
kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
user32.OpenClipboard.argtypes = [wintypes.HWND]
user32.OpenClipboard.restype = wintypes.BOOL
user32.CloseClipboard.restype = wintypes.BOOL
user32.GetClipboardData.argtypes = [wintypes.UINT]
user32.GetClipboardData.restype = wintypes.HANDLE
user32.IsClipboardFormatAvailable.argtypes = [wintypes.UINT]
user32.IsClipboardFormatAvailable.restype = wintypes.BOOL
user32.RegisterClipboardFormatW.argtypes = [wintypes.LPCWSTR]
user32.RegisterClipboardFormatW.restype = wintypes.UINT
user32.EnumClipboardFormats.argtypes = [wintypes.UINT]
user32.EnumClipboardFormats.restype = wintypes.UINT
kernel32.GlobalLock.argtypes = [wintypes.HGLOBAL]
kernel32.GlobalLock.restype = ctypes.c_void_p
kernel32.GlobalUnlock.argtypes = [wintypes.HGLOBAL]
kernel32.GlobalSize.argtypes = [wintypes.HGLOBAL]
kernel32.GlobalSize.restype = ctypes.c_size_t


def _open_clipboard() -> None:
    """OpenClipboard, retried briefly: Qt's own window may hold it for a moment."""
    for _ in range(50):
        if user32.OpenClipboard(None):
            return
        time.sleep(0.02)
    raise ctypes.WinError(ctypes.get_last_error())


def win32_clipboard() -> dict[str, bytes | None]:
    """Every format on the clipboard by name (or number), with its bytes where readable."""
    _open_clipboard()
    try:
        found: dict[str, bytes | None] = {}
        fmt = user32.EnumClipboardFormats(0)
        while fmt:
            buffer = ctypes.create_unicode_buffer(256)
            # A predefined format has no name: CF_UNICODETEXT is listed as "13".
            name = buffer.value if user32.GetClipboardFormatNameW(fmt, buffer, 256) else str(fmt)
            found[name] = _read(fmt)
            fmt = user32.EnumClipboardFormats(fmt)
        return found
    finally:
        user32.CloseClipboard()


def _read(fmt: int) -> bytes | None:
    handle = user32.GetClipboardData(fmt)
    if not handle:
        return None
    pointer = kernel32.GlobalLock(handle)
    if not pointer:
        return None
    try:
        return ctypes.string_at(pointer, kernel32.GlobalSize(handle))
    finally:
        kernel32.GlobalUnlock(handle)


@pytest.fixture
def guard(qt_app: Any) -> Iterator[Any]:
    from PySide6.QtGui import QGuiApplication

    from capdesk.ui.common.clipboard_guard import ClipboardGuard

    if QGuiApplication.platformName() != "windows":  # a whole-suite run: offscreen Qt
        pytest.skip("needs Qt's qwindows plugin (QT_QPA_PLATFORM=windows) for the clipboard")
    guard = ClipboardGuard()
    yield guard
    guard.clear_if_ours()


def _settle(qt_app: Any) -> None:
    for _ in range(5):
        qt_app.processEvents()
        time.sleep(0.01)


def test_a_copied_secret_carries_the_three_exclusion_formats_as_dword_zero(
    guard: Any, qt_app: Any
) -> None:
    guard.copy_secret("123456", clear_after_s=0)
    _settle(qt_app)
    board = win32_clipboard()
    text = board.get(str(CF_UNICODETEXT))
    assert text is not None and text.decode("utf-16-le").rstrip("\0") == "123456"
    for name in FORMATS:
        assert name in board, f"{name} is not on the clipboard: {sorted(board)}"
        data = board[name]
        assert data is not None and len(data) >= 4
        assert struct.unpack_from("<I", data)[0] == 0, name
        assert user32.IsClipboardFormatAvailable(user32.RegisterClipboardFormatW(name))


def test_qt_sees_the_formats_by_their_windows_names(guard: Any, qt_app: Any) -> None:
    from PySide6.QtGui import QGuiApplication

    from capdesk.ui.common.clipboard_guard import (
        WINDOWS_EXCLUDE,
        WINDOWS_NO_CLOUD,
        WINDOWS_NO_HISTORY,
    )

    guard.copy_secret("654321", clear_after_s=0)
    _settle(qt_app)
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.text() == "654321"
    for name in (WINDOWS_EXCLUDE, WINDOWS_NO_HISTORY, WINDOWS_NO_CLOUD):
        assert bytes(mime.data(name).data()) == b"\0\0\0\0", name


def test_clearing_takes_the_secret_and_its_markers_off_the_clipboard(
    guard: Any, qt_app: Any
) -> None:
    guard.copy_secret("777777", clear_after_s=0)
    _settle(qt_app)
    assert guard.clear_if_ours() is True
    _settle(qt_app)
    board = win32_clipboard()
    assert str(CF_UNICODETEXT) not in board or board[str(CF_UNICODETEXT)] in (None, b"\0\0")
    assert not set(FORMATS) & set(board)


def test_what_the_person_copied_since_is_left_alone(guard: Any, qt_app: Any) -> None:
    from PySide6.QtGui import QGuiApplication

    guard.copy_secret("111111", clear_after_s=0)
    _settle(qt_app)
    QGuiApplication.clipboard().setText("the person's own text")
    _settle(qt_app)
    assert guard.clear_if_ours() is False
    board = win32_clipboard()
    assert board[str(CF_UNICODETEXT)].decode("utf-16-le").rstrip("\0") == "the person's own text"
    assert not set(FORMATS) & set(board)


def test_plain_text_has_no_markers_so_the_check_above_can_fail(guard: Any, qt_app: Any) -> None:
    """The control: text copied without capdesk's markers shows none of the formats."""
    from PySide6.QtGui import QGuiApplication

    QGuiApplication.clipboard().setText("plain")
    _settle(qt_app)
    board = win32_clipboard()
    assert str(CF_UNICODETEXT) in board
    assert not set(FORMATS) & set(board)
    QGuiApplication.clipboard().clear()
