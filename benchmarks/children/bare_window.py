"""Baseline child: a bare PySide6 window on a qasync loop, with requests imported.

This is the least any PySide6 + qasync + requests desktop tool pays to show a window;
capdesk's start-up is compared with it.
"""

from __future__ import annotations

import asyncio
import sys

import qasync
import requests  # noqa: F401  (imported on purpose: part of the baseline's cost)
from _probe import watch
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


def main() -> int:
    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = QMainWindow()
    window.setCentralWidget(QLabel("bare window"))
    window.resize(1100, 720)
    watch(window)
    window.show()
    with loop:
        loop.run_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
