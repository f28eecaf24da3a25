"""The one place a window and everything behind it are put together.

``capdesk.app`` builds the staff's window here, and the tests' harnesses build theirs
the same way, passing their own keyring, clock, folders and simulator: settings, the
credential store, the history file, the clusters, the clock and the workers go in; a
:class:`Desk` (the service and its window) comes out. So a test window is the staff's
window, not a copy of how it is assembled that may drift.

Nothing here reads the keyring or SQLite, so it runs on the GUI thread without waiting:
the service opens the history in a worker, and the window asks the service who is
signed in. Call it once the QApplication and the asyncio loop exist: the window starts
those first reads as tasks on that loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from capdesk.api.clusters import Cluster, load_clusters
from capdesk.api.errors import CapdeskError
from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.paths import AppPaths
from capdesk.services import DeskService
from capdesk.settings import Settings
from capdesk.store.credentials import CredentialStore
from capdesk.store.policy import load_policy

if TYPE_CHECKING:
    from capdesk.simulator import TrainingSimulator
    from capdesk.ui.main_window import MainWindow

__all__ = ["Desk", "build_desk"]


@dataclass(frozen=True)
class Desk:
    """A window and the service behind it, its only door to the client and the stores."""

    service: DeskService
    window: MainWindow


def build_desk(
    paths: AppPaths,
    *,
    settings: Settings | None = None,
    clusters: dict[str, Cluster] | None = None,
    cluster: Cluster | None = None,
    credential_store: CredentialStore | None = None,
    history_problem: CapdeskError | None = None,
    clock: Clock = SYSTEM_CLOCK,
    executor: Executor | None = None,
    simulator_factory: Callable[[], TrainingSimulator] | None = None,
    kiosk: bool = False,
    notices: Iterable[CapdeskError] = (),
) -> Desk:
    """The service on ``paths``' files and the window on top, not shown yet.

    ``settings`` default to the user's under the machine policy; ``clusters`` to the
    presets and the administrator's files; ``cluster`` (where to open) to the last one
    used; ``credential_store`` to the OS keyring. The service opens
    ``paths.history_file`` in a worker, unless ``history_problem`` says already why it
    cannot be used (its folder could not be created): then the window says so and
    refuses card numbers before any call. ``notices``: other faults of this PC found
    while starting, shown above the work area. Close with ``await desk.service.close()``
    once the window has closed: it also closes the history, off the GUI thread.
    """
    from capdesk.ui.main_window import MainWindow  # widgets only once Qt is up

    if settings is None:
        settings = Settings(paths, load_policy(paths))
    if clusters is None:
        clusters = load_clusters(paths.cluster_files())
    service = DeskService(
        settings=settings,
        credential_store=credential_store if credential_store is not None else CredentialStore(),
        clusters=clusters,
        history_file=paths.history_file if history_problem is None else None,
        clock=clock,
        executor=executor,
        initial_cluster=cluster,
        simulator_factory=simulator_factory,
    )
    if history_problem is not None:
        service.history_unusable(history_problem)
    window = MainWindow(service, clock=clock, kiosk=kiosk, notices=notices)
    return Desk(service, window)
