"""OtpPanel, driven like a person: read the code, copy it, watch it expire and vanish."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from capdesk.api.models import ApiWarning, OtpResult, ServerTime
from capdesk.ui.common import announcer
from capdesk.ui.common.clipboard_guard import KDE_PASSWORD_HINT, ClipboardGuard
from capdesk.ui.otp.code_label import group_code
from capdesk.ui.otp.panel import OtpPanel
from tests.fake_clock import FakeClock


def make_result(
    clock: FakeClock,
    seconds_valid: float,
    *,
    server_ahead_s: float = 0.0,
    code: str = "538AD87",
    warnings: tuple[ApiWarning, ...] = (),
) -> OtpResult:
    server_date = clock.now() + timedelta(seconds=server_ahead_s)
    return OtpResult(
        code=code,
        valid_upto=server_date + timedelta(seconds=seconds_valid),
        org_id=50001,
        user_id=3001,
        warnings=warnings,
        server_time=ServerTime(server_date, clock.monotonic()),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def board(qapp):
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("before")
    yield clipboard
    clipboard.clear()


@pytest.fixture
def window(qtbot, clock, board):
    """A window holding the panel and a button outside it, shown and active."""
    window = QWidget()
    guard = ClipboardGuard(parent=window, platform="linux")
    panel = OtpPanel(clock, guard, window, tick_ms=10_000, hide_after_expiry_s=30)
    outside = QPushButton("Elsewhere", window)
    layout = QVBoxLayout(window)
    layout.addWidget(panel)
    layout.addWidget(outside)
    qtbot.addWidget(window)
    window.resize(520, 320)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    window.panel, window.guard, window.outside = panel, guard, outside
    return window


@pytest.fixture
def panel(window) -> OtpPanel:
    return window.panel


@pytest.fixture
def said():
    spoken: list[tuple[str, bool]] = []

    def listener(_widget, text, assertive):
        spoken.append((text, assertive))

    announcer.add_listener(listener)
    yield spoken
    announcer.remove_listener(listener)


def code_label(panel) -> QLabel:
    return panel.findChild(QLabel, "otpCode")


def countdown_text(panel) -> str:
    return panel.findChild(QLabel, "otpCountdown").text()


def copy_button(panel) -> QPushButton:
    return panel.findChild(QPushButton, "copyOtpButton")


def background(panel) -> QColor:
    image = panel.grab().toImage()
    return image.pixelColor(panel.width() // 2, panel.height() - 6)


@pytest.mark.parametrize(
    ("code", "grouped"),
    [
        ("538AD87", "538 AD87"),
        ("123456", "123 456"),
        ("1234", "1234"),
        ("12345", "12345"),
        ("12345678", "1234 5678"),
        ("123456789", "123 456 789"),
        ("1234567890", "123 456 7890"),
    ],
)
def test_code_is_grouped_for_reading_aloud(code, grouped):
    assert group_code(code) == grouped


def test_starts_empty_without_a_code(panel):
    assert panel.state == "empty"
    assert not code_label(panel).isVisible()
    assert not copy_button(panel).isVisible()


def test_shows_the_code_grouped_with_customer_and_validity(panel, clock):
    result = make_result(
        clock, 282, server_ahead_s=180, warnings=(ApiWarning(1234, "Customer has no email"),)
    )
    panel.show_otp(result, "+91 98765 43210")
    assert code_label(panel).text() == "538 AD87"
    assert code_label(panel).isVisible()
    assert panel.state == "valid"
    assert countdown_text(panel) == "Expires in 4:42"
    assert copy_button(panel).isEnabled()
    # Who it is for, so staff can check the person; the Org ID is for support (Details).
    customer = panel.findChild(QLabel, "otpCustomer")
    assert customer.text() == "For +91 98765 43210  ·  Customer ID 3001"
    local = result.valid_upto.astimezone()
    assert panel.findChild(QLabel, "otpValidUntil").text() == f"valid until {local:%H:%M:%S}"
    warnings = panel.findChild(QLabel, "otpWarnings")
    assert warnings.isVisible() and "Customer has no email (code 1234)" in warnings.text()
    assert panel.findChild(QProgressBar, "otpProgress").value() == 1000


def test_code_is_large_monospaced_and_selectable(panel, clock):
    panel.show_otp(make_result(clock, 120))
    label = code_label(panel)
    assert label.font().pointSize() >= 24
    assert label.fontInfo().fixedPitch()
    assert label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse


def test_countdown_follows_server_time_despite_skew_and_pc_clock_jumps(panel, clock):
    # validUpto is 10 min after the PC's clock, but the server is 8 min ahead: 2 min left.
    server_date = clock.now() + timedelta(minutes=8)
    panel.show_otp(
        OtpResult(
            code="538AD87",
            valid_upto=clock.now() + timedelta(minutes=10),
            org_id=1,
            user_id=2,
            warnings=(),
            server_time=ServerTime(server_date, clock.monotonic()),
        )
    )
    assert countdown_text(panel) == "Expires in 2:00"
    clock.advance(15)
    clock.set_wall(clock.now() - timedelta(hours=2))  # someone fixes the PC clock
    panel.countdown.poll()
    assert countdown_text(panel) == "Expires in 1:45"


def test_last_ten_seconds_change_colour_and_words(panel, clock):
    panel.show_otp(make_result(clock, 60))
    calm = background(panel)
    clock.advance(49.5)  # 10.5 s left
    panel.countdown.poll()
    assert panel.state == "valid"
    assert countdown_text(panel) == "Expires in 0:11"
    clock.advance(2.5)  # 8 s left
    panel.countdown.poll()
    assert panel.state == "expiring"
    assert countdown_text(panel) == "Expires in 0:08 — hurry"
    assert background(panel) != calm
    assert copy_button(panel).isEnabled()


def test_expired_code_is_struck_copy_disabled_then_hidden(qtbot, window, panel, clock, board):
    expired = []
    panel.expired.connect(lambda: expired.append(1))
    panel.show_otp(make_result(clock, 20))
    clock.advance(20)
    panel.countdown.poll()
    assert panel.state == "expired"
    assert expired == [1]
    assert countdown_text(panel) == "Expired — ask the customer to request a new OTP"
    assert not copy_button(panel).isEnabled()
    assert code_label(panel).text() == "538 AD87"  # still readable, but struck out
    assert code_label(panel).accessibleDescription() == "Expired"
    # Ctrl+C does nothing for an expired code.
    code_label(panel).setFocus()
    qtbot.keyClick(code_label(panel), Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert board.text() == "before"
    # 30 s after expiry (same clock) the code leaves the screen.
    clock.advance(29)
    panel.countdown.poll()
    assert panel.code_visible
    clock.advance(1)
    panel.countdown.poll()
    assert not panel.code_visible
    assert not code_label(panel).isVisible()
    assert "538" not in code_label(panel).text()
    assert not panel.countdown.running
    assert expired == [1]


def test_an_already_expired_result_shows_as_expired(panel, clock):
    panel.show_otp(make_result(clock, -3))
    assert panel.state == "expired"
    assert not copy_button(panel).isEnabled()


def test_the_timer_updates_the_panel_without_polling(qtbot, clock, board):
    panel = OtpPanel(clock, ClipboardGuard(platform="linux"), tick_ms=20)
    qtbot.addWidget(panel)
    panel.show_otp(make_result(clock, 90))
    clock.advance(85)
    qtbot.waitUntil(lambda: countdown_text(panel) == "Expires in 0:05 — hurry", timeout=1000)
    panel.clear()


def test_copy_button_copies_the_bare_code_marked_secret(qtbot, panel, clock, board):
    panel.show_otp(make_result(clock, 120))
    with qtbot.waitSignal(panel.copied, timeout=1000):
        qtbot.mouseClick(copy_button(panel), Qt.MouseButton.LeftButton)
    assert board.text() == "538AD87"
    assert bytes(board.mimeData().data(KDE_PASSWORD_HINT)) == b"secret"
    assert "cleared in 30 s" in panel.findChild(QLabel, "otpCopyNote").text()


def test_ctrl_c_copies_when_the_panel_has_focus(qtbot, window, panel, clock, board):
    panel.show_otp(make_result(clock, 120))
    panel.setFocus()
    qtbot.waitUntil(lambda: code_label(panel).hasFocus(), timeout=1000)
    qtbot.keyClick(code_label(panel), Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert board.text() == "538AD87"  # the bare code, not "538 AD87"


def test_ctrl_c_with_the_code_selected_still_copies_it_bare_and_secret(
    qtbot, window, panel, clock, board
):
    panel.show_otp(make_result(clock, 120))
    label = code_label(panel)
    label.setFocus()
    qtbot.waitUntil(label.hasFocus, timeout=1000)
    label.setSelection(0, len(label.text()))
    assert label.selectedText() == "538 AD87"
    qtbot.keyClick(label, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert board.text() == "538AD87"
    assert board.mimeData().hasFormat(KDE_PASSWORD_HINT)


def test_ctrl_c_on_the_copy_button_copies_too(qtbot, window, panel, clock, board):
    panel.show_otp(make_result(clock, 120))
    copy_button(panel).setFocus()
    qtbot.waitUntil(lambda: copy_button(panel).hasFocus(), timeout=1000)
    qtbot.keyClick(copy_button(panel), Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert board.text() == "538AD87"


def test_ctrl_c_elsewhere_in_the_window_does_not_copy_the_code(qtbot, window, panel, clock, board):
    panel.show_otp(make_result(clock, 120))
    window.outside.setFocus()
    qtbot.waitUntil(lambda: window.outside.hasFocus(), timeout=1000)
    qtbot.keyClick(window.outside, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert board.text() == "before"


def test_clear_hides_the_code_for_the_next_customer(panel, clock, board):
    panel.show_otp(make_result(clock, 120))
    panel.copy_code()
    panel.clear()
    assert panel.state == "empty"
    assert not panel.code_visible
    assert code_label(panel).text() == ""
    assert not panel.countdown.running
    assert board.text() == ""  # our copied code left the clipboard too
    assert panel.findChild(QLabel, "otpPlaceholder").isVisible()


def test_screen_reader_hears_the_code_once_and_the_warning_once(panel, clock, said):
    panel.show_otp(make_result(clock, 250))
    assert said == [("OTP 5 3 8 A D 8 7, expires in 4 minutes", False)]
    for _ in range(260 * 4):  # every tick of the whole countdown
        clock.advance(0.25)
        panel.countdown.poll()
    assert said[1:] == [
        ("The OTP expires in 10 seconds", True),
        ("The OTP has expired. Ask the customer to request a new one.", False),
    ]


def test_value_labels_have_no_accessible_name(panel, clock):
    # design.md pitfall: an accessibleName replaces a label's text for screen readers.
    panel.show_otp(make_result(clock, 120))
    for name in ("otpCode", "otpCountdown", "otpValidUntil", "otpCustomer"):
        label = panel.findChild(QLabel, name)
        assert label.accessibleName() == ""
        assert label.accessibleIdentifier() == name
    buddies = [label for label in panel.findChildren(QLabel) if label.buddy() is code_label(panel)]
    assert [label.text() for label in buddies] == ["OTP code"]
