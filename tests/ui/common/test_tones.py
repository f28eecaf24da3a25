"""Meaningful text colours read on light, dark and high-contrast windows alike."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette

from capdesk.ui.common.tones import contrast, tone


@pytest.mark.parametrize("window", ["#ffffff", "#efefef", "#2b2b2b", "#000000", "#1e1e1e"])
@pytest.mark.parametrize("kind", ["error", "success", "hint"])
def test_each_tone_reaches_aa_on_the_window_it_is_shown_on(qapp, window, kind):
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor(window))
    assert contrast(QColor(tone(kind, palette)), QColor(window)) >= 4.5


def test_a_dark_window_gets_the_light_shade():
    light, dark = QPalette(), QPalette()
    light.setColor(QPalette.ColorRole.Window, QColor("#ffffff"))
    dark.setColor(QPalette.ColorRole.Window, QColor("#000000"))
    assert tone("error", light) == "#a31515"
    assert tone("error", dark) == "#ff8a80"
    assert contrast(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21)
