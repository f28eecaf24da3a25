"""The Windows test subset: capdesk's Windows-only code on a real Windows CPython.

Collected only when ``sys.platform == "win32"`` (``tests/conftest.py`` leaves this folder
out elsewhere, so a Linux run neither runs nor "skips" it). On Linux it runs under wine:
``installer/build.py --windows --windows-tests`` stages python.org's interpreter with the locked
wheels plus pytest and runs ``python.exe -m pytest -c tests/windows/pytest.ini`` there
(see ``installer/windows.py``, ``check_windows_tests``). It runs on a real Windows
runner as part of the normal ``pytest`` too, so the fixtures below undo what
``tests/conftest.py`` fakes (the in-memory keyring, ``CAPDESK_HOME``): here the real
Windows code paths are the point.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

if sys.platform != "win32":  # belt and braces: tests/conftest.py already ignores us
    collect_ignore_glob = ["*"]

# Qt's real Windows platform plugin: the clipboard test needs the Win32 clipboard,
# which the offscreen plugin only imitates. Under wine installer/windows.py sets it
# (drawing on Xvfb); in a whole-suite run on a Windows runner tests/conftest.py has
# already chosen offscreen for every test, and the clipboard tests skip there.
if sys.platform == "win32":  # never on Linux: Qt there has no "windows" plugin and aborts
    os.environ.setdefault("QT_QPA_PLATFORM", "windows")


@pytest.fixture(scope="session")
def qt_app() -> Iterator[Any]:
    """One QApplication for the session (Qt allows one per process)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["capdesk-windows-tests"])
    yield app


@pytest.fixture
def real_keyring() -> Iterator[Any]:
    """keyring's own choice of backend for this PC, as capdesk gets it at run time.

    ``tests/conftest.py`` (when loaded, on a real Windows runner) installs an
    in-memory keyring; this puts back what keyring itself would pick.
    """
    import keyring
    import keyring.core

    previous = keyring.get_keyring()
    keyring.core.init_backend()  # keyring's detection by priority, as at run time
    yield keyring.get_keyring()
    keyring.set_keyring(previous)
