"""Kiosk helpers on real widgets: flags, full screen, stylesheet, the close policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QPushButton, QVBoxLayout, QWidget

from capdesk.ui.kiosk.lockdown import (
    REFUSED_SENTENCE,
    ClosePolicy,
    apply_kiosk,
    kiosk_flags,
    load_kiosk_stylesheet,
    resources_dir,
)

W = Qt.WindowType


class GuardedWindow(QMainWindow):
    """A main window that asks the policy, the way MainWindow does."""

    def __init__(self, policy: ClosePolicy) -> None:
        super().__init__()
        self.policy = policy
        self.button = QPushButton("Generate card number")
        body = QWidget()
        QVBoxLayout(body).addWidget(self.button)
        self.setCentralWidget(body)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.policy.should_close(event):
            super().closeEvent(event)


@pytest.fixture
def window(qtbot):
    w = GuardedWindow(ClosePolicy(kiosk=False))
    qtbot.addWidget(w)
    w.setStyleSheet("QMainWindow { background: white; }")
    w.show()
    qtbot.waitExposed(w)
    return w


def test_kiosk_flags_drop_the_window_buttons():
    flags = kiosk_flags(W.Window | W.WindowCloseButtonHint | W.WindowMinMaxButtonsHint)
    for hint in (W.WindowCloseButtonHint, W.WindowMinimizeButtonHint, W.WindowMaximizeButtonHint):
        assert not flags & hint
    assert flags & W.CustomizeWindowHint
    assert flags & W.Window


def test_apply_kiosk_goes_full_screen_with_large_controls(qtbot, window):
    before_height = window.button.sizeHint().height()
    apply_kiosk(window)
    assert window.isVisible()
    assert window.windowState() & Qt.WindowState.WindowFullScreen
    assert not window.windowFlags() & W.WindowCloseButtonHint
    assert not window.windowFlags() & W.WindowMinimizeButtonHint
    assert "QMainWindow { background: white; }" in window.styleSheet()
    assert "min-height: 52px" in window.styleSheet()
    assert window.button.sizeHint().height() >= 52 > before_height


def test_apply_kiosk_before_show_goes_full_screen_on_show(qtbot):
    w = QMainWindow()
    qtbot.addWidget(w)
    apply_kiosk(w, stylesheet="")
    assert not w.isVisible()
    w.show()
    assert w.windowState() & Qt.WindowState.WindowFullScreen
    assert w.styleSheet() == ""


def test_close_is_refused_in_kiosk_mode_until_allowed(qtbot, window):
    window.policy.kiosk = True
    with qtbot.waitSignal(window.policy.closeRefused) as refused:
        assert window.close() is False
    assert refused.args == [REFUSED_SENTENCE]
    assert window.isVisible()
    window.policy.allow_next_close()
    assert window.close() is True
    assert not window.isVisible()
    window.show()
    assert window.close() is False  # the permission was for one close only


def test_close_goes_through_outside_kiosk_mode(qtbot, window):
    assert window.close() is True


def test_stylesheet_is_found_and_a_missing_one_is_empty(tmp_path: Path):
    assert (resources_dir() / "kiosk.qss").is_file()
    assert "font-size" in load_kiosk_stylesheet()
    assert load_kiosk_stylesheet(tmp_path / "missing.qss") == ""
