"""Text colours that carry a meaning (an error, a success, a hint), readable on the
palette in use.

A colour picked for a light window fails on a dark one: the hint grey and the error
red of a light theme read at 2:1 on a dark or high-contrast Windows palette. Each
meaning has a shade for light and one for dark backgrounds (both WCAG AA, 4.5:1, on
their side), and :func:`tone` takes whichever stands out more from the palette's
window colour. The words always say the same as the colour (colour only repeats them).
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtGui import QColor, QPalette

Tone = Literal["error", "success", "hint"]

# (on a light background, on a dark background)
_SHADES: dict[Tone, tuple[str, str]] = {
    "error": ("#a31515", "#ff8a80"),
    "success": ("#1e6b1e", "#81c784"),
    "hint": ("#555555", "#b8b8b8"),
}


def _luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(one: QColor, other: QColor) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def tone(kind: Tone, palette: QPalette) -> str:
    """The shade of ``kind`` that reads best on ``palette``'s window colour ("#rrggbb")."""
    window = palette.color(QPalette.ColorRole.Window)
    return max(_SHADES[kind], key=lambda shade: contrast(QColor(shade), window))
