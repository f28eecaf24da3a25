"""StatusPanel: one sentence for the counter, details for support behind a click."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QToolButton

from capdesk.api.errors import ErrorDetails, NetworkError, NoValidOtp
from capdesk.ui.common import announcer
from capdesk.ui.common.status_panel import StatusPanel


@pytest.fixture
def panel(qtbot):
    panel = StatusPanel()
    qtbot.addWidget(panel)
    panel.resize(520, 120)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


@pytest.fixture
def board(qapp):
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("before")
    yield clipboard
    clipboard.clear()


def message(panel) -> QLabel:
    return panel.findChild(QLabel, "statusMessage")


def error_with_details() -> NoValidOtp:
    return NoValidOtp(
        details=ErrorDetails(
            http_status=200,
            capillary_code=9001,
            message="No valid otp found",
            request_id="req-8f3a2c",
            cluster="Training (simulated)",
        )
    )


def test_error_shows_the_sentence_and_hides_details_until_asked(qtbot, panel):
    error = error_with_details()
    panel.show_error(error)
    assert message(panel).text() == "No valid OTP for this customer. Ask them to request a new one."
    assert panel.kind == "error"
    details = panel.findChild(QLabel, "statusDetails")
    assert not details.isVisible()
    qtbot.mouseClick(panel.findChild(QToolButton, "statusDetailsButton"), Qt.MouseButton.LeftButton)
    assert details.isVisible()
    assert details.text().splitlines() == [
        "Cluster: Training (simulated)",
        "HTTP status: 200",
        "Capillary code: 9001",
        "Message: No valid otp found",
        "Request id: req-8f3a2c",
    ]
    qtbot.mouseClick(panel.findChild(QToolButton, "statusDetailsButton"), Qt.MouseButton.LeftButton)
    assert not details.isVisible()


def test_copy_details_copies_what_support_needs(qtbot, panel, board):
    error = error_with_details()
    panel.show_error(error)
    with qtbot.waitSignal(panel.detailsCopied, timeout=1000):
        qtbot.mouseClick(
            panel.findChild(QPushButton, "copyDetailsButton"), Qt.MouseButton.LeftButton
        )
    assert board.text() == error.for_support()
    assert "Request id: req-8f3a2c" in board.text()


def test_error_without_details_offers_no_empty_details_section(panel):
    panel.show_error(NetworkError("Can't reach Capillary (EU). Check the network."))
    assert not panel.findChild(QToolButton, "statusDetailsButton").isVisible()
    assert panel.findChild(QPushButton, "copyDetailsButton").isVisible()


def test_a_new_error_starts_with_details_collapsed(panel):
    panel.show_error(error_with_details())
    panel.set_details_open(True)
    panel.show_error(error_with_details())
    assert not panel.details_open
    assert not panel.findChild(QLabel, "statusDetails").isVisible()


@pytest.mark.parametrize(
    ("method", "kind", "word"),
    [
        ("show_info", "info", "Information"),
        ("show_success", "success", "Done"),
        ("show_busy", "busy", "Working"),
    ],
)
def test_each_kind_has_words_an_icon_and_no_error_extras(panel, method, kind, word):
    panel.show_error(error_with_details())
    getattr(panel, method)("OTP fetched for customer 3001.")
    assert (panel.kind, message(panel).text()) == (kind, "OTP fetched for customer 3001.")
    icon = panel.findChild(QLabel, "statusIcon")
    assert icon.isVisible() and not icon.pixmap().isNull()
    assert icon.accessibleName() == word  # the icon says in words what its colour means
    assert not panel.findChild(QPushButton, "copyDetailsButton").isVisible()
    assert panel.findChild(QProgressBar, "statusBusy").isVisible() is (kind == "busy")
    assert panel.copy_details() is False


def test_each_kind_looks_different(panel):
    colours = set()
    for show in (panel.show_info, panel.show_success, panel.show_busy):
        show("Something happened.")
        image = panel.grab().toImage()
        colours.add(image.pixelColor(panel.width() // 2, panel.height() - 4).name())
    panel.show_error(error_with_details())
    image = panel.grab().toImage()
    colours.add(image.pixelColor(panel.width() // 2, panel.height() - 4).name())
    assert len(colours) == 4


def test_clear_empties_the_panel(panel):
    panel.show_error(error_with_details())
    panel.clear()
    assert (panel.kind, message(panel).text()) == ("", "")
    assert not panel.findChild(QLabel, "statusIcon").isVisible()


def test_errors_are_announced_assertively_once(panel):
    said = []

    def listener(_widget, text, assertive):
        said.append((text, assertive))

    announcer.add_listener(listener)
    try:
        panel.show_error(error_with_details())
    finally:
        announcer.remove_listener(listener)
    assert said == [("Error: No valid OTP for this customer. Ask them to request a new one.", True)]


def test_the_message_label_keeps_its_text_for_screen_readers(panel):
    panel.show_error(error_with_details())
    assert message(panel).accessibleName() == ""
    assert message(panel).accessibleIdentifier() == "statusMessage"
