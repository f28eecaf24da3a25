"""What the window calls: the client, credentials and history behind async methods.

The window must never block, so every blocking step (HTTP, keyring, SQLite) runs
in a worker thread through ``loop.run_in_executor``; coroutines here are awaited
on the qasync loop, so their results and errors arrive on the GUI thread.

No Qt here: the same service runs under plain asyncio in tests and benchmarks.

Card numbers are precious (each call consumes one): a number that came back is
recorded in the durable history before anyone sees it, even if the window closes or
the batch is cancelled while it was in flight. The batches themselves are run by
:class:`~capdesk.card_batches.CardBatches`, which the service composes.

Nothing the first screen does not need is done while the window is being built:
the HTTP client is imported and the training simulator imported and started by
:meth:`DeskService.start_background_work`, which the window calls once it has been
painted (a call made earlier simply does that itself, in its worker).

This is the window's only door to the stores: the history file is opened, read,
exported and closed off the GUI thread by :class:`~capdesk.history_access.HistoryAccess`,
which the service composes, and the keyring is read in workers too (who is signed in is
an async question). Workers never read the settings: ``QSettings`` belongs to
the GUI thread (reentrant, not thread-safe), so what a client is built from is read
on the calling thread as a frozen :class:`~capdesk.api.client_factory.ClientOptions`
and handed over, and clients are built only by
:func:`~capdesk.api.client_factory.new_client`, as for the command line.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from concurrent.futures import Future as ConcurrentFuture
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from capdesk.api.auth import Credentials
from capdesk.api.client_factory import (
    TRAINING_TILL_NAME,
    ClientOptions,
    new_client,
    training_credentials,
)
from capdesk.api.clusters import TRAINING, Cluster
from capdesk.api.errors import CapdeskError, ErrorDetails, InvalidInput, NotSignedIn
from capdesk.api.models import OtpLookup, OtpResult
from capdesk.card_batches import CardBatches
from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.executor import DaemonThreadExecutor
from capdesk.history_access import HistoryAccess
from capdesk.store.history import CardHistory, HistoryEntry

if TYPE_CHECKING:  # imported where used, in worker threads: the first screen needs none
    from capdesk.api.client import CapillaryClient
    from capdesk.settings import Settings
    from capdesk.simulator import TrainingSimulator
    from capdesk.store.credentials import CredentialStore

log = logging.getLogger(__name__)

T = TypeVar("T")

# What a call started while the window closes says, should anything still show it.
CLOSING = "capdesk is closing, so this was not done. Open capdesk again to do it."

# Who is signed in to a cluster, and why that could not be read (see sign_in_status).
SignInStatus = tuple[str | None, CapdeskError | None]


class DeskService:
    """One per window: the current cluster, its client, and the local stores."""

    def __init__(
        self,
        *,
        settings: Settings,
        credential_store: CredentialStore,
        clusters: dict[str, Cluster],
        history_file: Path | None = None,
        history: CardHistory | None = None,
        clock: Clock = SYSTEM_CLOCK,
        executor: Executor | None = None,
        initial_cluster: Cluster | None = None,
        simulator_factory: Callable[[], TrainingSimulator] | None = None,
    ) -> None:
        """``history_file``: the window's history, opened in a worker at once and closed
        by :meth:`close`; one that cannot be opened becomes ``history_problem``.
        ``history``: one already open that the caller owns and closes (tools and tests
        that give one history to several services). Neither: no card numbers at all."""
        self.settings = settings
        self.credential_store = credential_store
        self.clusters = clusters
        self.clock = clock
        self._owns_executor = executor is None
        if executor is None:
            own = DaemonThreadExecutor(max_workers=8)
            own.prestart()  # now (~2 ms), so that no call from the window starts a thread
            executor = own
        self._executor: Executor = executor
        self._clients: dict[str, tuple[CapillaryClient, str]] = {}  # key -> (client, till)
        # Clients and the training server are created in worker threads (reading the
        # keyring may block): this lock guards the shared state, held only briefly.
        self._lock = threading.RLock()
        self._simulator_factory = simulator_factory
        self._closed = False
        self.training: TrainingSimulator | None = None
        self._scenario_wanted = "normal"
        self._scenario_lock = threading.Lock()  # one scenario switch applied at a time
        self.cluster = initial_cluster or clusters.get(settings.last_cluster, TRAINING)
        self._history_access = HistoryAccess(executor, history_file=history_file, history=history)
        self._card_batches = CardBatches(executor)

    # --- running blocking work -----------------------------------------------------

    def start_background_work(self) -> ConcurrentFuture[None] | None:
        """Get ready for the first call without making anyone wait: in a worker, import
        the HTTP client, start the training cluster when it is current, and build the
        current cluster's client. The window calls this once it has been painted.
        Failures are left for the first call to report (e.g. not signed in yet).
        Returns the worker's future (None once closed)."""
        if self._closed:
            return None
        try:
            return self._executor.submit(self._warm_up, self.cluster, self._options())
        except RuntimeError:  # shut down already
            return None

    def _warm_up(self, cluster: Cluster, options: ClientOptions) -> None:
        try:
            self._client(cluster, options)
        except CapdeskError as error:
            log.debug("Not ready for %s yet: %s", cluster.label, error.kind)
        except Exception:
            log.exception("Getting ready for the first call failed")

    def _options(self) -> ClientOptions:
        """The settings a client is built from, read here on the caller's thread (the
        settings' own): workers are handed this frozen copy, never the settings."""
        return self.settings.client_options()

    async def _in_worker(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    # --- clusters and credentials -----------------------------------------------------

    def select_cluster(self, cluster: Cluster) -> None:
        """Make ``cluster`` current and remember it (unless IT locked the choice)."""
        self.cluster = cluster
        if cluster.key in self.clusters and not self.settings.is_locked("last_cluster"):
            self.settings.last_cluster = cluster.key

    def ensure_training(self) -> TrainingSimulator:
        """The embedded training cluster, started on first use (never after close).

        It must not issue the training numbers the history already holds: those are
        read with the history, in its worker, so this may wait for the file to open but
        never reads SQLite itself (the window's scenario choice calls it on the GUI
        thread)."""
        with self._lock:
            if self._closed:
                raise CapdeskError(CLOSING)
            if self.training is not None:
                return self.training
        taken = (
            self._history_access.training_numbers() if self._simulator_factory is None else set()
        )
        with self._lock:
            if self._closed:
                raise CapdeskError(CLOSING)
            if self.training is None:
                if self._simulator_factory is not None:
                    simulator = self._simulator_factory()
                else:
                    from capdesk.simulator import TrainingSimulator

                    simulator = TrainingSimulator(card_numbers_taken=taken)
                simulator.start()
                self.training = simulator
                log.info("Training cluster running at %s", simulator.base_url)
            return self.training

    def base_url(self, cluster: Cluster) -> str:
        if cluster.training:
            return self.ensure_training().base_url
        if not cluster.base_url:
            raise InvalidInput("This cluster has no address. Choose another one.")
        return cluster.base_url

    def stored_credentials(self, cluster: Cluster) -> Credentials | None:
        """Training uses its demo till; other clusters read the OS keyring, which may
        block (a prompt, D-Bus): call it in a worker."""
        if cluster.training:
            return training_credentials()
        return self.credential_store.load(cluster.key)

    async def sign_in_status(self, cluster: Cluster) -> SignInStatus:
        """Who is signed in, and why that could not be read (a missing or locked OS
        password store): the window says so at once, not only at the first look-up.
        The keyring is read in a worker; the training cluster's demo till needs none."""
        if cluster.training:
            return TRAINING_TILL_NAME, None
        try:
            credentials = await self._in_worker(self.stored_credentials, cluster)
        except CapdeskError as error:
            return None, error
        return (credentials.display_name if credentials else None), None

    # --- the card-number history ---------------------------------------------------------

    @property
    def history(self) -> CardHistory | None:
        """The open history (None until it has opened, or when it cannot be)."""
        return self._history_access.history

    @property
    def history_problem(self) -> CapdeskError | None:
        """Why the history is not to be used (it failed to open or to read): card numbers
        are then refused before any call, since none could be saved first."""
        return self._history_access.problem

    def history_unusable(self, problem: CapdeskError) -> None:
        """The history could not be read: show none of it, and generate no card numbers."""
        self._history_access.unusable(problem)

    async def history_entries(
        self, search: str | None = None, limit: int | None = None
    ) -> list[HistoryEntry]:
        """Numbers from the history, newest first, read in a worker: every one, those
        matching ``search``, at most ``limit`` (see
        :meth:`~capdesk.history_access.HistoryAccess.entries`)."""
        return await self._history_access.entries(search, limit)

    async def export_history(self, path: Path, entries: list[HistoryEntry] | None) -> int:
        """Write ``entries`` (None: all) as CSV to ``path`` in a worker; returns the count."""
        return await self._history_access.export(path, entries)

    def account_ids(self, cluster: Cluster) -> dict[str, str]:
        """The account id per source for ``cluster`` (see ``Settings.account_ids``)."""
        return self.settings.account_ids(cluster.key, training=cluster.training)

    def remember_account_id(self, cluster: Cluster, lookup: OtpLookup) -> None:
        """After a look-up Capillary answered: keep the account id it used for its source."""
        if lookup.account_id:
            try:
                self.settings.remember_account_id(cluster.key, lookup.source, lookup.account_id)
            except ValueError:
                log.debug("Account id not remembered: not a valid one")

    # --- clients ---------------------------------------------------------------------------

    def _new_client(
        self, cluster: Cluster, credentials: Credentials, options: ClientOptions
    ) -> CapillaryClient:
        """A client from the one factory the command line uses too. In a worker: it
        imports requests (~130 ms) and may start the training cluster."""
        return new_client(
            self.base_url(cluster),
            credentials,
            cluster_label=cluster.label,
            options=options,
            clock=self.clock,
        )

    def _client(self, cluster: Cluster, options: ClientOptions) -> tuple[CapillaryClient, str]:
        """The cached client for ``cluster`` and its till's name; a new one is built
        with ``options``. May block (keyring): call it in a worker. The lock is never
        held while the keyring is read."""
        with self._lock:
            cached = self._clients.get(cluster.key)
        if cached is not None:
            return cached
        credentials = self.stored_credentials(cluster)
        if credentials is None:
            raise NotSignedIn(
                "No till is signed in for this cluster. Choose “Sign in…” first.",
                ErrorDetails(cluster=cluster.label),  # the label reads badly inside a sentence
            )
        client = self._new_client(cluster, credentials, options)
        with self._lock:  # two first calls at once: keep one client, close the other
            closed = self._closed  # close() has let go of the clients already
            if not closed:
                kept = self._clients.setdefault(cluster.key, (client, credentials.display_name))
        if closed:
            client.close()
            raise CapdeskError(CLOSING)
        if kept[0] is not client:
            client.close()
        return kept

    def forget_clients(self) -> None:
        """Drop cached clients (credentials or settings changed)."""
        with self._lock:
            clients, self._clients = self._clients, {}
        for client, _till in clients.values():
            client.close()

    async def test_credentials(self, cluster: Cluster, credentials: Credentials) -> str:
        """Prove credentials against the cluster without consuming anything."""
        options = self._options()

        def check() -> str:
            client = self._new_client(cluster, credentials, options)
            try:
                client.check_credentials()
            finally:
                client.close()
            return credentials.display_name

        return await self._in_worker(check)

    async def sign_in(
        self, cluster: Cluster, credentials: Credentials, *, test_first: bool = True
    ) -> str:
        """Test (optionally) and store credentials in the OS keyring."""
        if test_first:
            await self.test_credentials(cluster, credentials)
        await self._in_worker(self.credential_store.save, cluster.key, credentials)
        self._drop_client(cluster)
        return credentials.display_name

    async def sign_out(self, cluster: Cluster) -> None:
        await self._in_worker(self.credential_store.delete, cluster.key)
        self._drop_client(cluster)

    def _drop_client(self, cluster: Cluster) -> None:
        with self._lock:
            cached = self._clients.pop(cluster.key, None)
        if cached is not None:
            cached[0].close()

    # --- OTP ----------------------------------------------------------------------------

    async def fetch_otp(self, lookup: OtpLookup) -> OtpResult:
        cluster, options = self.cluster, self._options()

        def fetch() -> OtpResult:
            client, _till = self._client(cluster, options)
            return client.fetch_otp(lookup)

        return await self._in_worker(fetch)

    async def simulate_customer_otp_request(self, lookup: OtpLookup) -> None:
        """Training only: the demo customer asks for an OTP, over HTTP through the
        training cluster's client like any call (its errors are Capillary's sentences:
        no customer, 10 a day…). The code is *not* returned: staff must fetch it, as at
        a real counter."""
        cluster = self.cluster
        if not cluster.training:
            raise InvalidInput(
                "Simulated requests only work on the training cluster. Choose the training "
                "cluster first."
            )
        options = self._options()

        def request() -> None:
            client, _till = self._client(cluster, options)
            client.simulate_customer_otp_request(lookup)

        await self._in_worker(request)

    async def set_training_scenario(self, name: str) -> None:
        """Training: switch the simulated fault. A running training cluster switches in
        memory at once (so a fetch started after the choice sees it); the first use starts
        the cluster, in a worker. Choices made quickly one after another all end on the
        last: a worker applies the newest wish, under a lock, whenever it runs."""
        self._scenario_wanted = name
        with self._lock:
            running = self.training
        if running is not None:
            with self._scenario_lock:
                running.set_scenario(name)
            return

        def apply() -> None:
            with self._scenario_lock:
                self.ensure_training().set_scenario(self._scenario_wanted)

        await self._in_worker(apply)

    # --- card numbers --------------------------------------------------------------------

    async def generate_card_numbers(
        self,
        count: int,
        *,
        on_number: Callable[[HistoryEntry], None],
        cancel: asyncio.Event | None = None,
        concurrency: int = 4,
    ) -> list[HistoryEntry]:
        """Generate ``count`` numbers with at most ``concurrency`` calls in flight.

        Each number is reported through ``on_number`` as soon as it is recorded.
        ``cancel`` and the first error both stop new calls from starting; calls already
        in flight finish and their numbers are kept and reported (each one consumed a
        number on the server). Then the first error is raised, or the numbers received
        are returned (fewer than ``count`` after a cancel). Cancelling the coroutine
        itself (the window closing) stops waiting at once; numbers still in flight are
        recorded in the history by their worker but not reported.
        """
        if count < 1:
            raise InvalidInput("Choose how many card numbers to generate (at least 1).")
        cluster, options = self.cluster, self._options()
        # Before any call: a number that cannot be saved first is not consumed at all.
        history = await self._history_access.for_cards()
        client, till = await self._in_worker(self._client, cluster, options)
        return await self._card_batches.generate(
            count, client, cluster, till, history, on_number, cancel, concurrency
        )

    # --- kiosk administrator PIN --------------------------------------------------------

    async def check_admin_pin(self, pin: str) -> bool:
        """Whether ``pin`` is the kiosk administrator's (False when the policy sets none).

        The hash is read here, on the caller's thread, since the settings belong to it;
        PBKDF2 takes about 120 ms by design, so it runs in a worker and the PIN pad
        stays responsive. The PIN is neither logged nor kept.
        """
        from capdesk.store.pin import verify_pin

        stored = self.settings.policy.admin_pin_hash
        if not stored:
            return False
        return await self._in_worker(verify_pin, pin, stored)

    # --- shutdown -----------------------------------------------------------------------

    async def close(self) -> None:
        """Release clients and the training server, then close the history it opened.

        Calls not started yet are dropped (nothing was sent). Card-number calls already
        sent get up to :data:`~capdesk.card_batches.CARD_CLOSE_GRACE_S` to be answered
        and recorded; the connections and the history are closed only after that (the
        history in a thread of its own: closing SQLite may wait, and the workers are gone
        by then). Nothing else is waited for: a stuck OTP look-up is simply abandoned (its
        worker thread is a daemon). A history the caller gave is left open for the caller
        to close.
        """
        with self._lock:
            self._closed = True
        if self._owns_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)
        await self._card_batches.wait_for_sent()
        with self._lock:
            training, self.training = self.training, None
        self.forget_clients()
        if training is not None:
            training.stop()
        await self._history_access.close()
