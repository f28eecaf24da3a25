"""Entry point: ``capdesk`` (console script) and ``python -m capdesk``.

A subcommand or ``-h``/``--help`` runs the command line; anything else opens the
window. Imports stay lazy so the command line never loads Qt widgets.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence

CLI_WORDS = frozenset(
    {"otp", "card-number", "login", "logout", "simulator", "clusters", "-h", "--help"}
)


def wants_cli(argv: Sequence[str]) -> bool:
    return bool(argv) and argv[0] in CLI_WORDS


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if wants_cli(args) or importlib.util.find_spec("capdesk.app") is None:
        from capdesk import cli

        # No window in this build yet: show what the command line can do instead.
        return cli.main(args if wants_cli(args) else args or ["--help"])
    from capdesk import app

    return app.main(args)


if __name__ == "__main__":
    sys.exit(main())
