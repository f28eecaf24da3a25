"""Entry script of the frozen build (both capdesk.exe and capdesk-cli.exe run it).

It only adds one frozen-build word to ``capdesk.__main__.main``:
``capdesk-cli hash-pin`` prints the hash of an administrator PIN for the installer's
``/ADMINPINHASH=`` switch (the same as ``python -m capdesk.store.pin``, which a
machine with only the installed app cannot run).
"""

from __future__ import annotations

import sys


def run(argv: list[str]) -> int:
    if argv[:1] in (["hash-pin"], ["--hash-pin"]):
        from capdesk.store.pin import main as hash_pin_main

        return hash_pin_main(argv[1:])
    from capdesk.__main__ import main

    return main(argv)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
