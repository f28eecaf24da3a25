"""The palettes the window is checked under: the style's light one, a dark one, and a
Windows-like high-contrast one (black, white text, yellow placeholders)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

PALETTES = ("light", "dark", "high-contrast")


def palette_named(name: str) -> QPalette:
    palette = QPalette()
    if name == "light":
        return QApplication.style().standardPalette()
    window, text, base, button, highlight = {
        "dark": ("#2b2b2b", "#e6e6e6", "#1e1e1e", "#3a3a3a", "#2f65ca"),
        "high-contrast": ("#000000", "#ffffff", "#000000", "#000000", "#1aebff"),
    }[name]
    for role, colour in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, button),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, button),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.ToolTipBase, base),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.PlaceholderText, "#a0a0a0" if name == "dark" else "#ffff00"),
        (QPalette.ColorRole.Highlight, highlight),
        (QPalette.ColorRole.HighlightedText, "#000000"),
    ):
        palette.setColor(role, QColor(colour))
    return palette
