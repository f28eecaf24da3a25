"""The command line: the same pieces as the window, for scripts and support staff.

``main(argv) -> int`` never raises and never shows a traceback: a capdesk error
becomes its staff sentence plus support details on stderr and its exit code; any
other failure becomes one plain sentence, with the traceback in the log file.
Heavy imports (requests, Qt, keyring) happen only inside the commands, so
``capdesk --help`` starts fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from capdesk.api.errors import CapdeskError
from capdesk.cli.output import print_error
from capdesk.cli.parser import SUBCOMMANDS, build_parser

if TYPE_CHECKING:
    from capdesk.cli.runtime import Runtime

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

log = logging.getLogger(__name__)

EXIT_INTERRUPTED = 130


def _command(name: str) -> Callable[[argparse.Namespace, Runtime], int]:
    if name == "otp":
        from capdesk.cli.otp_command import run_otp

        return run_otp
    if name == "card-number":
        from capdesk.cli.card_command import run_card_number

        return run_card_number
    if name == "simulator":
        from capdesk.cli.simulator_command import run_simulator

        return run_simulator
    from capdesk.cli import account_commands

    return {
        "login": account_commands.run_login,
        "logout": account_commands.run_logout,
        "clusters": account_commands.run_clusters,
    }[name]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (0, 2, 3, 4, 5, 6 or 130)."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exit_request:  # --help, --version, or a usage error (2)
        code = exit_request.code
        return code if isinstance(code, int) else (0 if code is None else 2)

    log_file = None
    try:
        from capdesk.cli.runtime import start_runtime

        runtime = start_runtime()
        log_file = runtime.paths.log_file
        log.info("capdesk %s started", args.command)
        return _command(args.command)(args, runtime)
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except CapdeskError as error:
        if log_file is not None:
            log.warning("%s failed (%s): %s", args.command, error.kind, error.for_support())
        print_error(error, sys.stderr)
        return error.exit_code
    except Exception as error:  # the last line of defence: a sentence, never a traceback
        return _unexpected(error, log_file)


def _unexpected(error: Exception, log_file: object) -> int:
    """One plain message for a failure capdesk did not foresee; the traceback is logged.

    Each case is written out whole (not pieced together) so it can be translated.
    """
    if log_file is not None:
        log.exception("Unexpected failure")
        message = (
            f"Something went wrong inside capdesk. The details are in the log file {log_file}. "
            "Try again; if it keeps happening, call support."
        )
    elif isinstance(error, OSError) and error.strerror:
        # Logging never started (e.g. the user folder cannot be created): say why here.
        what = f"{error.strerror}: {error.filename}" if error.filename else error.strerror
        message = (
            f"Something went wrong inside capdesk. It could not use its folders ({what}). "
            "Try again; if it keeps happening, call support."
        )
    else:
        message = (
            "Something went wrong inside capdesk. Try again; if it keeps happening, call support."
        )
    print(message, file=sys.stderr)
    return CapdeskError.exit_code
