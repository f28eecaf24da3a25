"""Capillary clusters (hosts): presets, administrator overrides and custom URLs.

Capillary's hosts have changed over the years (``*.api.capillarytech.com`` in the
older docs, ``*.intouch.capillarytech.com`` in the newer ones), so both are shipped
as presets, an administrator can add, relabel or hide clusters in TOML files, and a
custom base URL is always possible. A broken admin file never stops the app: it is
skipped with a logged warning.

The training cluster has no URL of its own: it is resolved at run time to the
embedded simulator on loopback.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from capdesk.api.errors import InvalidInput

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cluster:
    """One Capillary cluster as staff pick it: a key, a label they understand, a URL."""

    key: str
    label: str
    base_url: str | None
    training: bool = False

    @property
    def custom(self) -> bool:
        """Typed in as an address (see :func:`custom_cluster`), not a preset or admin entry."""
        return self.key.startswith(CUSTOM_KEY + ":")


TRAINING = Cluster("training", "Training (simulated)", None, True)

_OLDER = " (older host)"
PRESETS: dict[str, Cluster] = {
    c.key: c
    for c in (
        Cluster("india", "India", "https://apac.intouch.capillarytech.com"),
        Cluster("india-legacy", "India" + _OLDER, "https://apac.api.capillarytech.com"),
        Cluster("apac2", "Asia-2 (APAC2 / SEA)", "https://sea.intouch.capillarytech.com"),
        Cluster(
            "apac2-legacy", "Asia-2 (APAC2 / SEA)" + _OLDER, "https://apac2.api.capillarytech.com"
        ),
        Cluster("eu", "EU", "https://eu.intouch.capillarytech.com"),
        Cluster("eu-legacy", "EU" + _OLDER, "https://eu.api.capillarytech.com"),
        Cluster("us", "US", "https://ushc.intouch.capillarytech.com"),
        Cluster("us-legacy", "US" + _OLDER, "https://us.api.capillarytech.com"),
        Cluster("china", "China", "https://api.capillarytech.cn.com"),
    )
}

CUSTOM_KEY = "custom"
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> str:
    """The URL without a trailing slash, or :class:`InvalidInput` saying what is wrong.

    https is required (plain http only for this PC itself, which the training
    simulator uses); no user name, password, query or fragment may be in it.
    """
    if not isinstance(base_url, str) or not base_url.strip():
        raise InvalidInput(
            "Type the cluster's address, for example https://eu.api.capillarytech.com."
        )
    text = base_url.strip()
    bad = InvalidInput(
        "That cluster address isn't valid. Type it like https://eu.api.capillarytech.com."
    )
    if len(text) > 2000 or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise bad
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise bad from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        raise bad
    if scheme == "http" and not _is_loopback(host):
        raise InvalidInput(
            "Type a cluster address that starts with https://, so the connection is secure."
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(
            "Don't put a user name or password in the cluster address. Sign in separately."
        )
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise InvalidInput("The cluster address must not contain '?' or '#'. Remove that part.")
    return text.rstrip("/")


def custom_cluster(base_url: str) -> Cluster:
    """A cluster for an address typed by an administrator (raises InvalidInput).

    Its key is ``custom:`` plus the normalised address (lower-case scheme and host,
    no default port, no trailing slash), so each custom address keeps its own
    keyring entry and the window and the command line find the same one.
    """
    url = check_base_url(base_url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    shown_host = f"[{host}]" if ":" in host else host
    default_port = {"https": 443, "http": 80}.get(scheme)
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    normalised = f"{scheme}://{shown_host}{port}{parts.path.rstrip('/')}"
    return Cluster(f"{CUSTOM_KEY}:{normalised}", f"Custom ({shown_host}{port})", url)


def load_clusters(files: Iterable[Path]) -> dict[str, Cluster]:
    """Training, the presets, then each admin TOML file's changes in order.

    File format::

        [clusters.mybrand]
        label = "MyBrand EU"
        base_url = "https://mybrand.example.com"
        [clusters.china]
        hidden = true

    Anything broken (unreadable file, bad TOML, bad URL, wrong types) is skipped with
    a warning in the log; the rest still applies.
    """
    clusters: dict[str, Cluster] = {TRAINING.key: TRAINING, **PRESETS}
    for path in files:
        if not Path(path).exists():
            continue  # the usual case: nobody configured extra clusters
        import tomllib  # only here: most PCs have no cluster file to read

        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
            log.warning("Cluster file %s skipped: %s", path, exc)
            continue
        table = data.get("clusters", {})
        if not isinstance(table, Mapping):
            log.warning("Cluster file %s skipped: [clusters] is not a table", path)
            continue
        for key, entry in table.items():
            _apply_entry(clusters, str(key), entry, path)
    return clusters


def _apply_entry(clusters: dict[str, Cluster], key: str, entry: object, path: Path) -> None:
    """Apply one ``[clusters.KEY]`` table; log and ignore it when it makes no sense."""
    where = f"{path} [clusters.{key}]"
    if not isinstance(entry, Mapping):
        log.warning("%s skipped: not a table", where)
        return
    key = key.strip().lower()
    if not key or key.split(":")[0] == CUSTOM_KEY or len(key) > 64:
        log.warning("%s skipped: unusable cluster name", where)
        return
    hidden = entry.get("hidden", False)
    label = entry.get("label")
    base_url = entry.get("base_url")
    if not isinstance(hidden, bool) or (label is not None and not isinstance(label, str)):
        log.warning("%s skipped: 'hidden' must be true/false and 'label' text", where)
        return
    if hidden:
        clusters.pop(key, None)
        return
    existing = clusters.get(key)
    if base_url is not None:
        if key == TRAINING.key:
            log.warning("%s: the training cluster has no address; base_url ignored", where)
            base_url = None
        else:
            try:
                base_url = check_base_url(base_url)
            except InvalidInput as exc:
                log.warning("%s skipped: %s", where, exc.sentence)
                return
    label = label.strip() if isinstance(label, str) and label.strip() else None
    if existing is not None:
        clusters[key] = replace(
            existing,
            label=label or existing.label,
            base_url=base_url or existing.base_url,
        )
    elif base_url is None:
        log.warning("%s skipped: a new cluster needs a base_url", where)
    else:
        clusters[key] = Cluster(key, label or key, base_url)


def resolve_cluster(
    name: str | None, base_url: str | None, clusters: Mapping[str, Cluster]
) -> Cluster:
    """The cluster a user asked for: a custom URL wins, then a name, else training."""
    if base_url:
        return custom_cluster(base_url)
    if not name or not name.strip():
        return clusters.get(TRAINING.key, TRAINING)
    wanted = name.strip().lower()
    if wanted in clusters:
        return clusters[wanted]
    for cluster in clusters.values():  # staff may type the label ("EU")
        if cluster.label.lower() == wanted:
            return cluster
    valid = ", ".join(clusters) or "none"
    raise InvalidInput(f"There is no cluster called '{name.strip()[:40]}'. Choose one of: {valid}.")
