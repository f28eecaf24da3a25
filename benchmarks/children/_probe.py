"""Shared by the start-up children: report the moment a window first paints, then exit.

"Shown" means the first paint event of the top-level window: the moment staff could
see it, not merely ``show()`` having been called. The time is ``time.monotonic()``,
which is system-wide on Linux, so the parent subtracts its own pre-spawn reading.
RSS is read right after, then the process leaves at once (same way for both children).
"""

from __future__ import annotations

import json
import os
import sys
import time

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        import psutil

        return int(psutil.Process().memory_info().rss)


class FirstPaint(QObject):
    """Event filter: on the window's first Paint, print the figures and exit."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            shown = time.monotonic()
            report = {
                "shown_monotonic": shown,
                "cpu_seconds": time.process_time(),
                "rss_bytes": _rss_bytes(),
            }
            sys.stdout.write(json.dumps(report) + "\n")
            sys.stdout.flush()
            os._exit(0)
        return False


_filter: FirstPaint | None = None


def watch(window: QWidget) -> None:
    """Install the first-paint probe on ``window`` (before it is shown)."""
    global _filter
    _filter = FirstPaint()
    window.installEventFilter(_filter)
