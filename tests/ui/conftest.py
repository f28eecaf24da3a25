"""Fixtures for the widget tests: ``desk`` opens the real main window (see window_harness)."""

from tests.ui.window_harness import desk  # noqa: F401
