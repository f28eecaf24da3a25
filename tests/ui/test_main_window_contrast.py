"""Every text in the window reads under a light, a dark and a high-contrast palette.

Measured on the pixels, as a person sees them: each visible label is cut out of a grab
of the whole window, its background is the colour most of its pixels have, and its
text colour is the pixel that stands out most from that. WCAG AA asks 4.5:1 (3:1 for
large text). A colour hard-coded for a light window (grey hints, red errors, a white
card whose labels take the palette's white text) fails here under the dark palettes.
"""

from __future__ import annotations

from collections import Counter

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QLabel

from tests.ui.palettes import PALETTES, palette_named
from tests.ui.window_harness import DEMO_MOBILE, DEMO_MOBILE_TYPED

AA_TEXT = 4.5
AA_LARGE = 3.0


def _luminance(colour: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.red())
        + 0.7152 * channel(colour.green())
        + 0.0722 * channel(colour.blue())
    )


def contrast(one: QColor, other: QColor) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _measure(image: QImage) -> float:
    """Contrast between a label's background and the pixel that stands out most from it."""
    pixels = [
        image.pixelColor(x, y).rgb()
        for y in range(0, image.height())
        for x in range(0, image.width())
    ]
    background = QColor.fromRgb(Counter(pixels).most_common(1)[0][0])
    return max(contrast(background, QColor.fromRgb(p)) for p in set(pixels))


def _unreadable(window) -> list[str]:
    shot = window.grab().toImage()
    ratio = shot.devicePixelRatio()
    found = []
    for label in window.findChildren(QLabel):
        if not label.isVisible() or not label.text().strip() or not label.pixmap().isNull():
            continue
        if label.width() < 4 or label.height() < 4:
            continue
        top_left = label.mapTo(window, label.rect().topLeft())
        cut = shot.copy(
            round(top_left.x() * ratio),
            round(top_left.y() * ratio),
            round(label.width() * ratio),
            round(label.height() * ratio),
        )
        font = label.font()
        large = font.pointSizeF() >= 18 or (font.bold() and font.pointSizeF() >= 14)
        needed = AA_LARGE if large else AA_TEXT
        measured = _measure(cut)
        if measured < needed:
            name = label.objectName() or label.text()[:30]
            found.append(f"{name}: {measured:.2f} < {needed}")
    return found


@pytest.fixture(params=PALETTES)
def palette_name(request, qapp):
    before = qapp.palette()
    qapp.setPalette(palette_named(request.param))
    yield request.param
    qapp.setPalette(before)


def test_every_label_reads_with_a_code_shown_and_a_hint(qtbot, desk, palette_name):
    d = desk()
    d.window.resize(1280, 700)
    d.sim.customer_requests_otp("mobile", DEMO_MOBILE)
    value = d.child("identifierValue")
    value.setFocus()
    qtbot.keyClicks(value, DEMO_MOBILE_TYPED)
    with qtbot.waitSignal(d.window.otpShown, timeout=5000):
        qtbot.keyClick(value, Qt.Key.Key_Return)
    assert _unreadable(d.window) == []


def test_every_label_reads_with_an_error_and_its_details(qtbot, desk, palette_name):
    d = desk()
    d.window.resize(1280, 700)
    value = d.child("identifierValue")
    value.setFocus()
    qtbot.keyClicks(value, "12")  # too short: the form's own error under the field
    qtbot.keyClick(value, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: d.child("identifierHint").property("error") is True, timeout=3000)
    d.window.status.set_details_open(True)
    assert _unreadable(d.window) == []


def test_the_measure_sees_grey_on_dark_and_passes_black_on_white(qtbot):
    """The measure itself: the old hint grey on a dark window is caught, and the
    labels it walks are the window's (none skipped as pictures by mistake)."""
    label = QLabel("Mobile number as dialled")
    label.setStyleSheet("QLabel { color: #555555; background: #2b2b2b; }")
    qtbot.addWidget(label)
    label.resize(240, 24)
    assert _measure(label.grab().toImage()) < AA_TEXT
    label.setStyleSheet("QLabel { color: #000000; background: #ffffff; }")
    assert _measure(label.grab().toImage()) > 15
    assert label.pixmap().isNull()  # a text label: _unreadable measures it
