"""Screen-reader announcements, said once at the moments that matter.

A countdown label that changes every second would be unbearable if a screen reader
read each change, and a value label with an accessibleName is read as that name
instead of its value (the pitfall in design.md). So the widgets leave value labels
unnamed and, at the few moments a person must hear something (an OTP arrived, it is
about to expire, an error happened), send one ``QAccessibleAnnouncementEvent``.

Listeners exist so the window (and tests) can observe what was announced without an
AT-SPI bus. Announcements may contain an OTP code: listeners must never log them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent
from PySide6.QtWidgets import QWidget

AnnouncementListener = Callable[[QWidget, str, bool], None]

_listeners: list[AnnouncementListener] = []


def announce(widget: QWidget, text: str, assertive: bool = False) -> None:
    """Ask assistive technology to speak ``text`` once, on behalf of ``widget``.

    ``assertive`` interrupts what the reader is saying (errors, "expires soon");
    polite waits for a pause (a result arriving).
    """
    if not text:
        return
    event = QAccessibleAnnouncementEvent(widget, text)
    event.setPoliteness(
        QAccessible.AnnouncementPoliteness.Assertive
        if assertive
        else QAccessible.AnnouncementPoliteness.Polite
    )
    QAccessible.updateAccessibility(event)
    for listener in list(_listeners):
        listener(widget, text, assertive)


def add_listener(listener: AnnouncementListener) -> None:
    """Call ``listener(widget, text, assertive)`` after every announcement."""
    _listeners.append(listener)


def remove_listener(listener: AnnouncementListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def spell_out(code: str) -> str:
    """``"538AD87"`` → ``"5 3 8 A D 8 7"``: a reader says each character, not a word."""
    return " ".join(ch for ch in code if not ch.isspace())
