"""Card numbers: ``DeskService.generate_card_numbers`` vs a one-at-a-time loop.

Loopback answers in about a millisecond, which would make any concurrency look
pointless or miraculous; a real Capillary cluster answers in tens of milliseconds.
So the simulator (its own process) runs its ``slow_network`` scenario with
``slow_seconds`` = 20 ms on every call, for *both* sides. Each number is appended to
a real SQLite history (WAL, synchronous=FULL) in both, as capdesk must.

Throughput ratio = baseline time / batch time for the same count, runs interleaved.
"Peak memory flat" is defined numerically: the batch's tracemalloc peak above its
starting point stays within 5 MiB for the whole count (a separate traced run, since
tracing slows allocation and would skew the timing).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import tracemalloc
from pathlib import Path

from benchmarks.common import DEMO_TILL, Figure, median, ratio, simulator_process
from capdesk.api.auth import BasicCredentials
from capdesk.api.client import CapillaryClient
from capdesk.api.clusters import TRAINING, Cluster, custom_cluster
from capdesk.paths import AppPaths
from capdesk.services import DeskService
from capdesk.settings import Settings
from capdesk.store.credentials import CredentialStore
from capdesk.store.history import CardHistory
from capdesk.store.policy import Policy
from tests.memory_keyring import MemoryKeyring  # the tests' in-memory keyring

SERVER_LATENCY_S = 0.020
PEAK_GOAL_MIB = 5.0


def make_service(root: Path, cluster: Cluster) -> DeskService:
    """A DeskService as the window builds it, signed in to ``cluster`` (a benchmark server)."""
    paths = AppPaths(root / "config", root / "data", root / "logs", root / "machine").ensure()
    store = CredentialStore(MemoryKeyring())
    store.save(cluster.key, BasicCredentials.from_password(*DEMO_TILL))
    return DeskService(
        settings=Settings(paths, Policy()),
        credential_store=store,
        history=CardHistory(paths.history_file),
        clusters={TRAINING.key: TRAINING},
        initial_cluster=cluster,
    )


def _sequential(base_url: str, count: int, folder: Path) -> float:
    """The baseline: one call, one append, then the next."""
    client = CapillaryClient(base_url, BasicCredentials.from_password(*DEMO_TILL))
    history = CardHistory(folder / "sequential.sqlite3")
    try:
        started = time.perf_counter()
        for _ in range(count):
            result = client.generate_card_number()
            history.append(
                result.number, cluster="bench", till=DEMO_TILL[0], request_id=result.request_id
            )
        return time.perf_counter() - started
    finally:
        client.close()
        history.close()


def _batch(base_url: str, count: int, folder: Path, *, traced: bool = False) -> tuple[float, int]:
    """capdesk's batch; returns (seconds, tracemalloc peak growth in bytes or 0)."""
    service = make_service(folder, custom_cluster(base_url))
    received: list[object] = []

    async def run() -> None:
        try:
            entries = await service.generate_card_numbers(count, on_number=received.append)
            if len(entries) != count:
                raise RuntimeError(f"batch returned {len(entries)} of {count} numbers")
        finally:
            await service.close()

    peak = 0
    try:
        if traced:
            tracemalloc.start()
            start_size = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        asyncio.run(run())
        elapsed = time.perf_counter() - started
        if traced:
            peak = tracemalloc.get_traced_memory()[1] - start_size
    finally:
        if traced:
            tracemalloc.stop()
        service.history.close()
    return elapsed, peak


def measure(count: int, pairs: int) -> list[Figure]:
    sequential: list[float] = []
    batch: list[float] = []
    with (
        simulator_process(slow_seconds=SERVER_LATENCY_S, scenario="slow_network") as base_url,
        tempfile.TemporaryDirectory(prefix="capdesk-bench-cards-") as tmp,
    ):
        for index in range(pairs):
            folder = Path(tmp) / f"run{index}"
            folder.mkdir()
            if index % 2 == 0:
                sequential.append(_sequential(base_url, count, folder))
                batch.append(_batch(base_url, count, folder / "batch")[0])
            else:
                batch.append(_batch(base_url, count, folder / "batch")[0])
                sequential.append(_sequential(base_url, count, folder))
        traced_folder = Path(tmp) / "traced"
        traced_folder.mkdir()
        _, peak = _batch(base_url, count, traced_folder, traced=True)

    seq_s, batch_s = median(sequential), median(batch)
    return [
        Figure(
            "cards_throughput_ratio",
            f"{count:,} card numbers: batch vs one at a time",
            ratio(count / batch_s, count / seq_s),
            "x",
            baseline=round(count / seq_s, 1),
            measured=round(count / batch_s, 1),
            goal=">= 3x",
            goal_value=3.0,
            at_least=True,
            details={
                "unit": "numbers/s",
                "server_latency_ms": SERVER_LATENCY_S * 1000,
                "concurrency": 4,
                "pairs": pairs,
            },
        ),
        Figure(
            "cards_peak_growth_mib",
            "card batch: tracemalloc peak growth",
            peak / 2**20,
            "MiB",
            goal=f"<= {PEAK_GOAL_MIB:g} MiB",
            goal_value=PEAK_GOAL_MIB,
            details={"bytes_per_number": round(peak / count)},
        ),
    ]
