"""``capdesk login``, ``logout`` and ``clusters``: the till kept in the OS keyring.

``login`` asks for the password (or OAuth secret) without echo, proves it against
the cluster, and only then stores it: a typo is never saved. Basic logins keep the
till id and md5 only; the plain password is dropped at once.
"""

from __future__ import annotations

import argparse
import getpass
import os

from capdesk.api.auth import BasicCredentials, Credentials, OAuthCredentials
from capdesk.api.client_factory import TRAINING_TILL_NAME
from capdesk.api.errors import CapdeskError, InvalidInput
from capdesk.cli.runtime import Runtime, choose_cluster, connect


def _ask(prompt: str) -> str:
    """Read a secret from the terminal without echo; end of input means nothing typed."""
    try:
        return getpass.getpass(prompt)
    except EOFError:
        return ""


def _typed_credentials(args: argparse.Namespace) -> Credentials:
    from capdesk.logs import register_secret

    if args.username is not None:
        till = args.username.strip()
        if not till:
            raise InvalidInput("Type the till id after --username.")
        password = _ask(f"Password for till {till}: ")
        if not password:
            raise InvalidInput(
                "No password was typed, so nothing was saved. Run the command again and type "
                "the password."
            )
        register_secret(password)
        credentials: Credentials = BasicCredentials.from_password(till, password)
    else:
        key = (args.oauth_key or "").strip()
        if not key:
            raise InvalidInput("Type the OAuth key after --oauth-key.")
        secret = _ask("OAuth secret: ")
        if not secret:
            raise InvalidInput(
                "No secret was typed, so nothing was saved. Run the command again and type "
                "the secret."
            )
        credentials = OAuthCredentials(key=key, secret=secret)
    for value in credentials.secrets():
        register_secret(value)
    return credentials


def run_login(args: argparse.Namespace, runtime: Runtime) -> int:
    from capdesk.store.credentials import CredentialStore

    cluster = choose_cluster(args.cluster, args.base_url, runtime)
    if cluster.training:
        print(
            "The training cluster needs no sign-in: it always uses the demo till "
            f"{TRAINING_TILL_NAME}."
        )
        return 0
    store = CredentialStore()
    store.signed_in_as(cluster.key)  # no password store: say so before asking
    credentials = _typed_credentials(args)
    with connect(runtime, cluster, credentials) as connection:
        connection.client.check_credentials()
    store.save(cluster.key, credentials)
    print(
        f"Signed in to {cluster.label} as {credentials.display_name}. "
        "The till is kept in this computer's password store."
    )
    return 0


def run_logout(args: argparse.Namespace, runtime: Runtime) -> int:
    from capdesk.store.credentials import CredentialStore

    cluster = choose_cluster(args.cluster, args.base_url, runtime)
    if cluster.training:
        print("The training cluster has no sign-in to remove.")
        return 0
    store = CredentialStore()
    key = cluster.key
    who = store.signed_in_as(key)
    store.delete(key)
    if who:
        print(f"Signed out of {cluster.label}: till {who} was removed from this computer.")
    else:
        print(f"No till was signed in for {cluster.label}; nothing to remove.")
    return 0


def run_clusters(args: argparse.Namespace, runtime: Runtime) -> int:
    from capdesk.api.clusters import load_clusters
    from capdesk.store.credentials import CredentialStore

    clusters = load_clusters(runtime.paths.cluster_files())
    store: CredentialStore | None = CredentialStore()
    note = ""
    rows = [("CLUSTER", "NAME", "ADDRESS", "SIGNED IN AS")]
    for cluster in clusters.values():
        if cluster.training:
            demo = TRAINING_TILL_NAME
            rows.append((cluster.key, cluster.label, "simulated on this computer", demo))
            continue
        who = "unknown"
        if store is not None:
            try:
                who = store.signed_in_as(cluster.key) or "-"
            except CapdeskError as error:  # no password store: say it once, stop asking
                store, note = None, error.sentence
        rows.append((cluster.key, cluster.label, cluster.base_url or "", who))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        print("  ".join([*cells, row[3]]))
    if note:
        print(f"\n{note}")
    if os.environ.get("CAPDESK_USERNAME") or os.environ.get("CAPDESK_OAUTH_KEY"):
        print(
            "\nCredentials are set in the environment (CAPDESK_USERNAME or CAPDESK_OAUTH_KEY): "
            "commands use them instead of the signed-in tills."
        )
    return 0
