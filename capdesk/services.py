"""What the window calls: the client, credentials and history behind async methods.

The window must never block, so every blocking step (HTTP, keyring, SQLite) runs
in a worker thread through ``loop.run_in_executor``; coroutines here are awaited
on the qasync loop, so their results and errors arrive on the GUI thread.

No Qt here: the same service runs under plain asyncio in tests and benchmarks.

Card numbers are precious (each call consumes one): a worker thread generates a
number *and* appends it to the durable history in one step, so a number that
came back is recorded even if the window closes or the batch is cancelled while
it was in flight.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

from capdesk.api.auth import BasicCredentials, Credentials
from capdesk.api.client import CapillaryClient
from capdesk.api.clusters import TRAINING, Cluster
from capdesk.api.errors import CapdeskError, InvalidInput, NotSignedIn
from capdesk.api.models import OtpResult
from capdesk.api.transport import Timeouts
from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.executor import DaemonThreadExecutor
from capdesk.settings import Settings
from capdesk.simulator import TrainingSimulator
from capdesk.simulator.demo_data import TILL as TRAINING_TILL
from capdesk.store.credentials import CredentialStore
from capdesk.store.history import CardHistory, HistoryEntry

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class OtpQueryParams:
    """A validated OTP look-up (the identifier already normalised)."""

    name: str
    value: str
    source: str = "INSTORE"
    account_id: str | None = None
    scope: str = "POINTS"
    threshold: int | None = None


class DeskService:
    """One per window: the current cluster, its client, and the local stores."""

    def __init__(
        self,
        *,
        settings: Settings,
        credential_store: CredentialStore,
        history: CardHistory,
        clusters: dict[str, Cluster],
        clock: Clock = SYSTEM_CLOCK,
        executor: Executor | None = None,
        initial_cluster: Cluster | None = None,
    ) -> None:
        self.settings = settings
        self.credential_store = credential_store
        self.history = history
        self.clusters = clusters
        self.clock = clock
        self._executor = executor or DaemonThreadExecutor(max_workers=8)
        self._owns_executor = executor is None
        self._clients: dict[str, CapillaryClient] = {}
        self.training: TrainingSimulator | None = None
        self.cluster = initial_cluster or clusters.get(settings.last_cluster, TRAINING)

    # --- running blocking work -----------------------------------------------------

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
        """The embedded training cluster, started on first use."""
        if self.training is None:
            self.training = TrainingSimulator()
            self.training.start()
            log.info("Training cluster running at %s", self.training.base_url)
        return self.training

    def base_url(self, cluster: Cluster) -> str:
        if cluster.training:
            return self.ensure_training().base_url
        if not cluster.base_url:
            raise InvalidInput("This cluster has no address. Choose another one.")
        return cluster.base_url

    def stored_credentials(self, cluster: Cluster) -> Credentials | None:
        """Training uses its demo till; other clusters read the OS keyring."""
        if cluster.training:
            return BasicCredentials.from_password(TRAINING_TILL.username, TRAINING_TILL.password)
        return self.credential_store.load(cluster.key)

    def signed_in_as(self, cluster: Cluster) -> str | None:
        try:
            credentials = self.stored_credentials(cluster)
        except CapdeskError:
            return None
        return credentials.display_name if credentials else None

    def _new_client(self, cluster: Cluster, credentials: Credentials) -> CapillaryClient:
        settings = self.settings
        return CapillaryClient(
            self.base_url(cluster),
            credentials,
            cluster_label=cluster.label,
            timeouts=Timeouts(settings.connect_timeout, settings.read_timeout),
            card_method=settings.card_method,
            clock=self.clock,
            external_id_param=settings.external_id_param,
        )

    def _client(self, cluster: Cluster) -> CapillaryClient:
        client = self._clients.get(cluster.key)
        if client is None:
            credentials = self.stored_credentials(cluster)
            if credentials is None:
                raise NotSignedIn(
                    f"No till is signed in for {cluster.label}. Choose “Sign in…” first."
                )
            client = self._clients[cluster.key] = self._new_client(cluster, credentials)
        return client

    def forget_clients(self) -> None:
        """Drop cached clients (credentials or settings changed)."""
        clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()

    async def test_credentials(self, cluster: Cluster, credentials: Credentials) -> str:
        """Prove credentials against the cluster without consuming anything."""

        def check() -> str:
            client = self._new_client(cluster, credentials)
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
        client = self._clients.pop(cluster.key, None)
        if client is not None:
            client.close()

    # --- OTP ----------------------------------------------------------------------------

    async def fetch_otp(self, query: OtpQueryParams) -> OtpResult:
        client = self._client(self.cluster)
        return await self._in_worker(
            lambda: client.fetch_otp(
                query.name,
                query.value,
                source=query.source,
                account_id=query.account_id,
                scope=query.scope,
                threshold=query.threshold,
            )
        )

    async def simulate_customer_otp_request(self, query: OtpQueryParams) -> None:
        """Training only: the demo customer asks for an OTP (the code is *not* returned:
        staff must fetch it, as at a real counter)."""
        if not self.cluster.training:
            raise InvalidInput("Simulated requests only work on the training cluster.")
        simulator = self.ensure_training()
        await self._in_worker(
            lambda: simulator.customer_requests_otp(
                query.name,
                query.value,
                source=query.source,
                account_id=query.account_id,
                scope=query.scope,
            )
        )

    def set_training_scenario(self, name: str) -> None:
        self.ensure_training().set_scenario(name)

    # --- card numbers --------------------------------------------------------------------

    def _generate_and_record(
        self, client: CapillaryClient, cluster: Cluster, till: str
    ) -> HistoryEntry:
        """One number, recorded durably before anyone sees it. Runs in a worker."""
        result = client.generate_card_number()
        return self.history.append(
            result.number, cluster=cluster.label, till=till, request_id=result.request_id
        )

    async def generate_card_numbers(
        self,
        count: int,
        *,
        on_number: Callable[[HistoryEntry], None],
        cancel: asyncio.Event | None = None,
        concurrency: int = 4,
    ) -> list[HistoryEntry]:
        """Generate ``count`` numbers with at most ``concurrency`` calls in flight.

        Stops starting new calls on ``cancel`` or on the first error; calls already in
        flight finish and their numbers are kept (and reported through ``on_number``).
        The first error is raised after the in-flight calls settle.
        """
        if count < 1:
            raise InvalidInput("Choose how many card numbers to generate (at least 1).")
        cluster = self.cluster
        client = self._client(cluster)
        till = self.signed_in_as(cluster) or ""
        cancel = cancel or asyncio.Event()
        received: list[HistoryEntry] = []
        errors: list[BaseException] = []
        remaining = count

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0 and not cancel.is_set() and not errors:
                remaining -= 1
                try:
                    entry = await self._in_worker(self._generate_and_record, client, cluster, till)
                except CapdeskError as error:
                    errors.append(error)
                    return
                received.append(entry)
                on_number(entry)

        workers = [asyncio.ensure_future(worker()) for _ in range(max(1, min(concurrency, count)))]
        await asyncio.gather(*workers)
        if errors:
            raise errors[0]
        return received

    # --- shutdown -----------------------------------------------------------------------

    async def close(self) -> None:
        """Release clients and the training server; never waits on a stuck call."""
        self.forget_clients()
        if self.training is not None:
            self.training.stop()
            self.training = None
        if self._owns_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)
