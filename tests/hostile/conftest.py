"""Fixtures for the hostile suite: ``desk`` opens the real main window (tests/ui's harness)."""

from tests.ui.window_harness import desk  # noqa: F401
