"""The argument parser: the command line's public contract, in one place.

Other tools script against these exact names, so they change only together with
the docs. Validation messages are plain sentences, because argparse prints them
to the person at the keyboard (exit code 2).
"""

from __future__ import annotations

import argparse

from capdesk import __version__

SUBCOMMANDS = ("otp", "card-number", "login", "logout", "simulator", "clusters")
IDENTIFIER_NAMES = ("mobile", "email", "external_id", "wechat")
MAX_CARD_COUNT = 10_000
DEFAULT_SIMULATOR_HOST = "127.0.0.1"


def _card_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_CARD_COUNT:
        raise argparse.ArgumentTypeError(
            f"the count must be a whole number from 1 to {MAX_CARD_COUNT}, not {text!r}"
        )
    return value


def _seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"the threshold must be a whole number of seconds above 0, not {text!r}"
        )
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"the port must be a number from 0 to 65535, not {text!r}")
    return value


def _word(text: str) -> str:
    """Sources and scopes are upper-case words in Capillary; accept any case."""
    value = text.strip().upper()
    if not value:
        raise argparse.ArgumentTypeError("this value must not be empty")
    return value


def _add_target(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--cluster",
        metavar="NAME",
        help="a cluster from 'capdesk clusters' (default: training, simulated on this computer)",
    )
    group.add_argument("--base-url", metavar="URL", help="a custom Capillary address")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capdesk",
        description=(
            "Fetch a customer's OTP and generate card numbers from the command line. "
            "Without a subcommand, capdesk opens its window."
        ),
        epilog=(
            "Exit codes: 0 done, 2 bad input, 3 sign-in or permission problem, "
            "4 nothing found, 5 network or server problem, 6 unreadable answer, 130 stopped."
        ),
    )
    parser.add_argument("--version", action="version", version=f"capdesk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    otp = commands.add_parser("otp", help="show a customer's current OTP")
    _add_target(otp)
    otp.add_argument("--identifier-name", required=True, choices=IDENTIFIER_NAMES)
    otp.add_argument("--identifier-value", required=True, metavar="VALUE")
    otp.add_argument("--source", type=_word)  # default: implied by the identifier type
    otp.add_argument("--account-id", metavar="ID")
    otp.add_argument("--scope", default="POINTS", type=_word)
    otp.add_argument("--threshold", type=_seconds, metavar="SECONDS")
    otp.add_argument("--json", action="store_true", help="print one JSON object")

    card = commands.add_parser("card-number", help="generate new card numbers")
    _add_target(card)
    card.add_argument("--count", type=_card_count, default=1, metavar="N")
    card_format = card.add_mutually_exclusive_group()
    card_format.add_argument("--json", action="store_true", help="print one JSON object")
    card_format.add_argument("--csv", action="store_true", help="print CSV with a header")

    login = commands.add_parser("login", help="sign a till in and keep it in the keyring")
    _add_target(login)
    who = login.add_mutually_exclusive_group(required=True)
    who.add_argument("--username", metavar="TILL", help="till id (asks for the password)")
    who.add_argument("--oauth-key", metavar="KEY", help="OAuth client key (asks for the secret)")

    logout = commands.add_parser("logout", help="forget the till signed in for a cluster")
    _add_target(logout)

    simulator = commands.add_parser("simulator", help="run the training cluster")
    simulator.add_argument(
        "--host",
        default=DEFAULT_SIMULATOR_HOST,
        help="address to listen on (default 127.0.0.1; anything else is reachable by others)",
    )
    simulator.add_argument(
        "--port", type=_port, help="port to listen on (default 8765; 0 picks a free one)"
    )
    simulator.add_argument("--scenario", default="normal", metavar="NAME")

    commands.add_parser("clusters", help="list the clusters and who is signed in")
    return parser
