"""What every CLI command needs: paths, logging, settings, the cluster, credentials, a client.

Credentials come from the environment first (for scripts), then the cluster's
keyring entry; the training cluster runs its simulator embedded on a random
loopback port with the demo till, and stops it on exit. Secrets found here are
registered with the log redaction filter before anything else can log them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from capdesk.api.auth import BasicCredentials, Credentials, OAuthCredentials
from capdesk.api.client_factory import new_client, training_credentials
from capdesk.api.errors import ErrorDetails, InvalidInput, KeyringUnavailable, NotSignedIn
from capdesk.paths import AppPaths, default_paths

if TYPE_CHECKING:
    from capdesk.api.client import CapillaryClient
    from capdesk.api.clusters import Cluster
    from capdesk.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The paths and settings of this run; logging is already set up."""

    paths: AppPaths
    settings: Settings


def start_runtime(environ: Mapping[str, str] | None = None) -> Runtime:
    """Create the user folders, send logging to the rotating log file, read settings."""
    from capdesk.logs import setup_logging
    from capdesk.settings import Settings
    from capdesk.store.policy import load_policy

    paths = default_paths(dict(environ) if environ is not None else None).ensure()
    setup_logging(paths.log_file)
    return Runtime(paths, Settings(paths, load_policy(paths)))  # policy logs its problems


def choose_cluster(name: str | None, base_url: str | None, runtime: Runtime) -> Cluster:
    """The cluster from ``--cluster``/``--base-url``; training when neither is given.

    A cluster or address the machine policy locks is honoured: used when neither is
    given, and another one asked for is refused (SettingLocked, exit code 2), as the
    window refuses it, so the command line is no way around IT's lock.
    """
    from capdesk.api.clusters import TRAINING, load_clusters
    from capdesk.settings import requested_cluster

    clusters = load_clusters(runtime.paths.cluster_files())
    chosen = requested_cluster(name, base_url, runtime.settings.policy, clusters)
    return chosen if chosen is not None else clusters.get(TRAINING.key, TRAINING)


def login_hint(cluster: Cluster) -> str:
    """The exact command that signs a till in for this cluster."""
    where = f"--base-url {cluster.base_url}" if cluster.custom else f"--cluster {cluster.key}"
    return f"capdesk login {where} --username TILL"


def environment_credentials(environ: Mapping[str, str] | None = None) -> Credentials | None:
    """Credentials from CAPDESK_USERNAME/PASSWORD or CAPDESK_OAUTH_KEY/SECRET, if set.

    The password is hashed at once; every secret is registered for log redaction.
    Half a pair (or both kinds) is a usage mistake, reported as such.
    """
    from capdesk.logs import register_secret

    env = os.environ if environ is None else environ
    username = env.get("CAPDESK_USERNAME", "").strip()
    password = env.get("CAPDESK_PASSWORD", "")
    key = env.get("CAPDESK_OAUTH_KEY", "").strip()
    secret = env.get("CAPDESK_OAUTH_SECRET", "")
    basic = bool(username or password)
    oauth = bool(key or secret)
    if basic and oauth:
        raise InvalidInput(
            "Set either CAPDESK_USERNAME and CAPDESK_PASSWORD, or CAPDESK_OAUTH_KEY and "
            "CAPDESK_OAUTH_SECRET, not both."
        )
    credentials: Credentials
    if basic:
        if not (username and password):
            raise InvalidInput("Set both CAPDESK_USERNAME and CAPDESK_PASSWORD, or neither.")
        register_secret(password)
        credentials = BasicCredentials.from_password(username, password)
    elif oauth:
        if not (key and secret):
            raise InvalidInput("Set both CAPDESK_OAUTH_KEY and CAPDESK_OAUTH_SECRET, or neither.")
        credentials = OAuthCredentials(key=key, secret=secret)
    else:
        return None
    for value in credentials.secrets():
        register_secret(value)
    return credentials


def stored_credentials(cluster: Cluster) -> Credentials:
    """The cluster's keyring entry, or :class:`NotSignedIn` saying how to sign in."""
    from capdesk.logs import register_secret
    from capdesk.store.credentials import CredentialStore

    try:
        credentials = CredentialStore().load(cluster.key)
    except KeyringUnavailable as error:
        raise KeyringUnavailable(
            f"{error.sentence} For scripts, set CAPDESK_USERNAME and CAPDESK_PASSWORD instead.",
            error.details,
        ) from None
    if credentials is None:
        # The cluster goes in the details: its label inside the sentence reads badly.
        raise NotSignedIn(
            f"No till is signed in for this cluster. Sign in with “{login_hint(cluster)}”, "
            "or set CAPDESK_USERNAME and CAPDESK_PASSWORD.",
            ErrorDetails(cluster=cluster.label),
        )
    for value in credentials.secrets():
        register_secret(value)
    return credentials


def credentials_for(cluster: Cluster) -> Credentials:
    """Training: the demo till. Otherwise the environment, else the keyring."""
    if cluster.training:
        return training_credentials()
    return environment_credentials() or stored_credentials(cluster)


@dataclass
class Connection:
    """A ready client and what it was made from (for history rows and messages)."""

    cluster: Cluster
    credentials: Credentials
    client: CapillaryClient
    base_url: str
    simulator: Any = None  # the embedded TrainingSimulator, when training


@contextmanager
def training_base_url(
    cluster: Cluster, card_numbers_taken: Iterable[str] = ()
) -> Iterator[tuple[str, Any]]:
    """The cluster's URL; for training, an embedded simulator that stops on exit.
    ``card_numbers_taken``: the history's training numbers, never issued again."""
    if not cluster.training:
        assert cluster.base_url is not None
        yield cluster.base_url, None
        return
    from capdesk.simulator import TrainingSimulator

    simulator = TrainingSimulator(host="127.0.0.1", port=0, card_numbers_taken=card_numbers_taken)
    simulator.start()
    log.info("Embedded training simulator at %s", simulator.base_url)
    try:
        yield simulator.base_url, simulator
    finally:
        simulator.stop()


@contextmanager
def connect(
    runtime: Runtime,
    cluster: Cluster,
    credentials: Credentials | None = None,
    *,
    card_numbers_taken: Iterable[str] = (),
) -> Iterator[Connection]:
    """A client for ``cluster``; the simulator (if any) and the client close on exit.
    ``card_numbers_taken``: see :func:`training_base_url`."""
    if credentials is None:
        credentials = credentials_for(cluster)
    with ExitStack() as stack:
        base_url, simulator = stack.enter_context(training_base_url(cluster, card_numbers_taken))
        # The window's factory too, with the same settings (read once, here).
        client = new_client(
            base_url,
            credentials,
            cluster_label=cluster.label,
            options=runtime.settings.client_options(),
        )
        stack.callback(client.close)
        log.info("Using cluster %s at %s", cluster.key, base_url)
        yield Connection(cluster, credentials, client, base_url, simulator)
