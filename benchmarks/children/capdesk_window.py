"""capdesk child: the real ``capdesk.app.main`` until its main window first paints.

Nothing is added to capdesk for this: the probe is attached by wrapping
``MainWindow.show`` in this child process only.
"""

from __future__ import annotations

import sys

from _probe import watch

from capdesk import app
from capdesk.ui import main_window

_original_show = main_window.MainWindow.show


def _show_and_watch(self: main_window.MainWindow) -> None:
    watch(self)
    _original_show(self)


def main() -> int:
    main_window.MainWindow.show = _show_and_watch  # type: ignore[method-assign]
    return app.main([])


if __name__ == "__main__":
    sys.exit(main())
