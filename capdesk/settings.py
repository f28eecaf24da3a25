"""The user's settings (an INI file via QSettings) under the machine policy.

Which value wins, per setting:

1. a value the policy *locks* (staff may not change it; setting it raises
   :class:`SettingLocked`); a locked key the policy does not set is held at the
   built-in default;
2. the user's own value from ``settings.ini``;
3. a value the policy sets but does not lock (a pre-provisioned default);
4. the built-in default.

Stored values are text and are parsed by the same validators as the policy; a value
that does not parse (hand-edited, older version) falls back as if unset, so a bad
file can never stop the app. Secrets never go here: credentials live in the keyring
and the admin PIN hash only in the policy.

QtCore only (no widgets), so the command line uses it too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, cast, overload

from PySide6.QtCore import QSettings

from capdesk.api.client_factory import ClientOptions
from capdesk.api.clusters import TRAINING, Cluster, custom_cluster, resolve_cluster
from capdesk.api.errors import CapdeskError, InvalidInput
from capdesk.api.sources import TRAINING_ACCOUNT_IDS
from capdesk.paths import AppPaths, private_file
from capdesk.store import policy as policy_module
from capdesk.store.policy import Policy, load_policy

log = logging.getLogger(__name__)

__all__ = ["SETTING_NAMES", "SettingLocked", "Settings"]

T = TypeVar("T")


class SettingLocked(CapdeskError):
    """Staff tried to change a setting the machine policy locks."""

    kind = "setting_locked"
    exit_code = 2
    default_sentence = (
        "This setting is managed by your IT department. Ask IT if it needs to change."
    )


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


class _Setting(Generic[T]):
    """A typed setting: its policy key, default, parser and the sentence for bad input."""

    def __init__(
        self,
        policy_key: str,
        default: T,
        parse: Callable[[str], T],
        kind: type | tuple[type, ...],
        invalid: str,
    ) -> None:
        self.policy_key = policy_key
        self.default = default
        self.parse = parse
        self.kind = kind
        self.invalid = invalid
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _Setting[T]: ...
    @overload
    def __get__(self, obj: Settings, objtype: type | None = None) -> T: ...
    def __get__(self, obj: Settings | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return obj._value(self)

    def __set__(self, obj: Settings, value: T) -> None:
        obj._store(self, value)


class Settings:
    """Typed settings; read them as attributes, assign to change (refused when locked)."""

    last_cluster = _Setting[str](
        "cluster",
        "training",
        policy_module.parse_cluster,
        str,
        "That cluster name isn't valid. Choose a cluster from the list.",
    )
    default_country = _Setting[str](
        "default_country",
        "IN",
        policy_module.parse_country,
        str,
        "Enter a two-letter country code, such as IN or GB.",
    )
    clipboard_timeout = _Setting[int](
        "clipboard_timeout",
        30,
        policy_module.parse_clipboard_timeout,
        int,
        "Choose from 5 to 600 seconds for clearing the clipboard, or 0 for never.",
    )
    card_method = _Setting[str](
        "card_method",
        "GET",
        policy_module.parse_card_method,
        str,
        "Choose GET or POST as the card-number method.",
    )
    connect_timeout = _Setting[float](
        "connect_timeout",
        5.0,
        policy_module.parse_connect_timeout,
        (int, float),
        "Choose a connection timeout from 0.5 to 60 seconds.",
    )
    read_timeout = _Setting[float](
        "read_timeout",
        20.0,
        policy_module.parse_read_timeout,
        (int, float),
        "Choose an answer timeout from 1 to 300 seconds.",
    )
    # The whole exchange, retries included: read_timeout bounds one wait, this the call.
    request_deadline = _Setting[float](
        "request_deadline",
        15.0,
        policy_module.parse_request_deadline,
        (int, float),
        "Choose a time limit for a whole request from 3 to 120 seconds.",
    )
    kiosk = _Setting[bool](
        "kiosk",
        False,
        policy_module.parse_bool,
        bool,
        "Choose on or off for kiosk mode.",
    )
    idle_timeout = _Setting[int](
        "idle_timeout",
        120,
        policy_module.parse_idle_timeout,
        int,
        "Choose an idle timeout from 15 seconds to 24 hours, or 0 for never.",
    )
    external_id_param = _Setting[str](
        "external_id_param",
        "external_id",
        policy_module.parse_external_id_param,
        str,
        "Choose external_id or externalId as the external id parameter.",
    )

    def __init__(self, paths: AppPaths, policy: Policy | None = None) -> None:
        self._paths = paths
        self._policy = policy if policy is not None else load_policy(paths)
        try:
            paths.settings_file.parent.mkdir(parents=True, exist_ok=True)
            # 0600 on POSIX before Qt writes it: QSaveFile keeps an existing file's mode
            # (a new one it creates 0644, readable by every account on a shared PC).
            private_file(paths.settings_file)
        except OSError as error:
            log.warning("settings folder cannot be created (%s)", type(error).__name__)
        self._qsettings = QSettings(str(paths.settings_file), QSettings.Format.IniFormat)

    @property
    def policy(self) -> Policy:
        return self._policy

    @property
    def paths(self) -> AppPaths:
        """Where the settings and the machine policy live (the settings dialog shows them)."""
        return self._paths

    @property
    def file(self) -> str:
        return self._qsettings.fileName()

    # --- lookup ------------------------------------------------------------------------

    @classmethod
    def _spec(cls, name: str) -> _Setting[Any]:
        """The setting called ``name`` (property name or policy key)."""
        for value in vars(cls).values():
            if isinstance(value, _Setting) and name in (value.name, value.policy_key):
                return value
        raise KeyError(name)

    def is_locked(self, name: str) -> bool:
        """Whether the policy locks this setting (property name or policy key)."""
        try:
            return self._policy.is_locked(self._spec(name).policy_key)
        except KeyError:
            return self._policy.is_locked(name)

    def _user_value(self, spec: _Setting[T]) -> T | None:
        raw = self._qsettings.value(spec.name)
        if raw is None:
            return None
        if not isinstance(raw, str | int | float):
            log.warning("settings: %s has an unusable stored value; default used", spec.name)
            return None
        try:
            return spec.parse(_format(raw))
        except ValueError as error:
            log.warning("settings: stored %s is not valid (%s); default used", spec.name, error)
            return None

    def _value(self, spec: _Setting[T]) -> T:
        if self._policy.is_locked(spec.policy_key):
            return cast(T, self._policy.get(spec.policy_key, spec.default))
        user = self._user_value(spec)
        if user is not None:
            return user
        return cast(T, self._policy.get(spec.policy_key, spec.default))

    def client_options(self) -> ClientOptions:
        """What a client is built from, as values: read here, on the thread that owns the
        settings (QSettings is not thread-safe), and handed to the worker that builds it."""
        return ClientOptions(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            request_deadline=self.request_deadline,
            card_method=self.card_method,
            external_id_param=self.external_id_param,
        )

    # --- account ids per cluster and source ---------------------------------------------

    @staticmethod
    def _accounts_group(cluster_key: str) -> str:
        return "account_ids/" + re.sub(r"[^A-Za-z0-9_.-]", "_", cluster_key)

    def account_ids(self, cluster_key: str, *, training: bool = False) -> dict[str, str]:
        """The account id to use per source on ``cluster_key`` (``{"WECHAT": "WX-1"}``).

        The training cluster's demo accounts (``training``), under the policy's
        ``account_ids`` (for every cluster, then for this one), under what staff last
        used on this cluster unless the policy locks them."""
        policy: dict[tuple[str, str], str] = self._policy.get("account_ids", {})
        result = dict(TRAINING_ACCOUNT_IDS) if training else {}
        result.update(
            {source: value for (cluster, source), value in policy.items() if cluster == "*"}
        )
        result.update(
            {source: value for (cluster, source), value in policy.items() if cluster == cluster_key}
        )
        if self._policy.is_locked("account_ids"):
            return result
        self._qsettings.beginGroup(self._accounts_group(cluster_key))
        try:
            for source in self._qsettings.childKeys():
                raw = self._qsettings.value(source)
                try:
                    result[source.upper()] = policy_module.check_account_id(str(raw))
                except ValueError:
                    log.warning("settings: a stored account id is not valid; ignored")
        finally:
            self._qsettings.endGroup()
        return result

    def remember_account_id(self, cluster_key: str, source: str, account_id: str) -> None:
        """Keep the account id a look-up on ``cluster_key`` used for ``source`` (not when
        the policy locks account ids, and not when it is already the one known)."""
        if self._policy.is_locked("account_ids"):
            return
        value = policy_module.check_account_id(account_id)
        if self.account_ids(cluster_key).get(source) == value:
            return
        self._qsettings.setValue(f"{self._accounts_group(cluster_key)}/{source.upper()}", value)
        self._sync()

    # --- changes -----------------------------------------------------------------------

    def _store(self, spec: _Setting[T], value: T) -> None:
        if self._policy.is_locked(spec.policy_key):
            raise SettingLocked()
        if isinstance(value, bool) and spec.kind is not bool:
            raise TypeError(f"{spec.name} takes {spec.kind}, not bool")
        if not isinstance(value, spec.kind):
            raise TypeError(f"{spec.name} takes {spec.kind}, not {type(value).__name__}")
        try:
            parsed = spec.parse(_format(value))
        except ValueError:
            raise InvalidInput(spec.invalid) from None
        self._qsettings.setValue(spec.name, _format(parsed))
        self._sync()

    def reset(self, name: str) -> None:
        """Forget the user's value, so the policy default or built-in default applies."""
        spec = self._spec(name)
        if self._policy.is_locked(spec.policy_key):
            raise SettingLocked()
        self._qsettings.remove(spec.name)
        self._sync()

    def _sync(self) -> None:
        self._qsettings.sync()
        if self._qsettings.status() != QSettings.Status.NoError:
            log.warning("settings could not be written to %s", self.file)


SETTING_NAMES: tuple[str, ...] = tuple(
    name for name, value in vars(Settings).items() if isinstance(value, _Setting)
)


# --- the cluster a machine policy locks --------------------------------------------------

CLUSTER_LOCKED = (
    "This PC is set by IT to one cluster. Run capdesk without --cluster or --base-url, or ask IT."
)


def locked_cluster(policy: Policy, clusters: Mapping[str, Cluster]) -> Cluster | None:
    """The cluster the machine policy locks, or None when staff may choose.

    A locked ``base_url`` wins (as when the window opens), then a locked ``cluster``;
    a ``cluster`` locked without a value is held at the default, training (as
    :class:`Settings` holds every locked key the policy does not set). A locked name
    this PC does not know is training too, as in the window.
    """
    if policy.is_locked("base_url") and policy.get("base_url"):
        return custom_cluster(policy.get("base_url"))
    if policy.is_locked("cluster"):
        key = policy.get("cluster", TRAINING.key)
        return clusters.get(key, TRAINING)
    return None


def _same_cluster(one: Cluster, other: Cluster) -> bool:
    """The same entry, or two names for the same address (``--cluster eu`` and its URL)."""
    if one.key == other.key:
        return True
    if one.base_url and other.base_url:
        return custom_cluster(one.base_url).key == custom_cluster(other.base_url).key
    return False


def requested_cluster(
    name: str | None, base_url: str | None, policy: Policy, clusters: Mapping[str, Cluster]
) -> Cluster | None:
    """The cluster ``--cluster``/``--base-url`` ask for, held to the one the policy locks.

    Nothing asked: the locked cluster, or None (the caller's own default applies).
    Asked for another one than the policy locks: :class:`SettingLocked` (exit code 2),
    because IT locked it so that no till works against another cluster from this PC,
    by window or by command line.
    """
    locked = locked_cluster(policy, clusters)
    if not (name and name.strip()) and not base_url:
        return locked
    wanted = resolve_cluster(name, base_url, clusters)
    if locked is not None and not _same_cluster(wanted, locked):
        raise SettingLocked(CLUSTER_LOCKED)
    return wanted
