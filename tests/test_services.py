"""DeskService under plain asyncio (no Qt loop), against the training simulator.

The card-number batch is where money is: every number the server issued must be in
the history and reported exactly once, whether the batch finishes, is cancelled, or
fails half-way.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from capdesk.api import errors
from capdesk.api.auth import BasicCredentials, md5_hex
from capdesk.api.clusters import TRAINING, load_clusters
from capdesk.api.identifiers import make_lookup
from capdesk.local_faults import CardsNeedHistory, HistoryUnusable
from capdesk.paths import default_paths
from capdesk.services import DeskService
from capdesk.settings import Settings
from capdesk.simulator import TrainingSimulator
from capdesk.simulator import cards as card_module
from capdesk.store.credentials import CredentialStore
from capdesk.store.history import HistoryEntry
from capdesk.store.policy import load_policy
from capdesk.store.thread_guard import BlockingCallOnGuardedThread, forbid_blocking_on, violations
from tests.memory_keyring import MemoryKeyring

DEMO = make_lookup("mobile", "919876543210")


class Desk:
    """A service as the window has it: the history file opened (and closed) by it."""

    def __init__(self, cluster_key: str = "training", settings: Settings | None = None) -> None:
        self.paths = default_paths().ensure()
        clusters = load_clusters(self.paths.cluster_files())
        self.service = DeskService(
            settings=settings or Settings(self.paths, load_policy(self.paths)),
            credential_store=CredentialStore(),
            history_file=self.paths.history_file,
            clusters=clusters,
            initial_cluster=clusters[cluster_key],
            simulator_factory=lambda: TrainingSimulator(slow_seconds=0.2),
        )

    @property
    def sim(self) -> TrainingSimulator:
        return self.service.ensure_training()

    def run(self, coro):
        return asyncio.run(coro)

    def recorded(self) -> list[HistoryEntry]:
        """What the history file holds, newest first, read through the service."""
        return self.run(self.service.history_entries())

    def close(self) -> None:
        asyncio.run(self.service.close())


@pytest.fixture
def desk() -> Iterator[Desk]:
    before = set(threading.enumerate())
    made = Desk()
    yield made
    made.close()
    for _ in range(100):
        if not [t for t in threading.enumerate() if t not in before and t.is_alive()]:
            break
        threading.Event().wait(0.02)
    assert [t.name for t in threading.enumerate() if t not in before and t.is_alive()] == []


def numbers(entries: list[HistoryEntry]) -> list[str]:
    return sorted(entry.number for entry in entries)


def test_a_batch_reports_each_number_once_and_records_it(desk):
    reported: list[HistoryEntry] = []
    entries = desk.run(desk.service.generate_card_numbers(7, on_number=reported.append))
    assert len(entries) == 7
    assert numbers(entries) == numbers(reported) == sorted(desk.sim.issued_card_numbers)
    assert numbers(desk.recorded()) == numbers(entries)
    assert {entry.till for entry in entries} == {"training.till"}


def test_a_batch_keeps_at_most_four_calls_in_flight(desk):
    desk.sim.set_scenario("slow_network")
    sim = desk.sim
    peak = 0

    async def batch_watched():
        nonlocal peak
        task = asyncio.ensure_future(
            desk.service.generate_card_numbers(9, on_number=lambda entry: None)
        )
        while not task.done():  # requests the server holds = received - answered
            in_flight = sim.request_count("/v2/cardNumber") - len(sim.issued_card_numbers)
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
        return task.result()

    assert len(desk.run(batch_watched())) == 9
    assert peak == 4


def test_cancel_stops_new_calls_and_keeps_those_in_flight(desk):
    desk.sim.set_scenario("slow_network")
    reported: list[HistoryEntry] = []

    async def batch():
        cancel = asyncio.Event()

        def on_number(entry: HistoryEntry) -> None:
            reported.append(entry)
            cancel.set()  # staff press Cancel as the first number arrives

        return await desk.service.generate_card_numbers(20, on_number=on_number, cancel=cancel)

    entries = desk.run(batch())
    assert 1 <= len(entries) <= 4  # the calls already sent finished, nothing new started
    assert numbers(entries) == numbers(reported) == sorted(desk.sim.issued_card_numbers)
    assert numbers(desk.recorded()) == numbers(entries)
    assert desk.sim.request_count("/v2/cardNumber") == len(entries)


def test_the_first_error_is_raised_after_the_calls_in_flight_settle(desk):
    desk.sim.set_scenario("slow_network")
    reported: list[HistoryEntry] = []

    async def batch():
        task = asyncio.ensure_future(
            desk.service.generate_card_numbers(10, on_number=reported.append)
        )
        while desk.sim.request_count("/v2/cardNumber") < 4:
            await asyncio.sleep(0.01)
        desk.sim.set_scenario("outage")  # the four waiting calls still get their numbers
        return await task

    with pytest.raises(errors.ServerBusy):
        desk.run(batch())
    issued = sorted(desk.sim.issued_card_numbers)
    assert len(issued) == 4
    assert numbers(reported) == issued
    assert numbers(desk.recorded()) == issued


def test_an_error_in_on_number_stops_the_batch_but_loses_nothing(desk):
    def on_number(entry: HistoryEntry) -> None:
        raise RuntimeError("a bug in the window")

    with pytest.raises(RuntimeError):
        desk.run(desk.service.generate_card_numbers(12, on_number=on_number))
    issued = sorted(desk.sim.issued_card_numbers)
    assert 1 <= len(issued) <= 4
    assert numbers(desk.recorded()) == issued


def test_a_number_that_cannot_be_saved_is_still_told(desk):
    desk.recorded()  # open
    desk.service.history.close()  # the history file is gone (disk removed, …)
    with pytest.raises(errors.CapdeskError) as raised:
        desk.run(desk.service.generate_card_numbers(1, on_number=lambda entry: None))
    (number,) = desk.sim.issued_card_numbers
    assert raised.value.sentence == (
        f"Card number {number} was generated but could not be saved in the history. "
        "Write it down now, then call support."
    )


def test_at_least_one_number(desk):
    with pytest.raises(errors.InvalidInput):
        desk.run(desk.service.generate_card_numbers(0, on_number=lambda entry: None))


def test_fetch_returns_the_code_the_customer_requested(desk):
    code = desk.sim.customer_requests_otp("mobile", DEMO.value)
    assert desk.run(desk.service.fetch_otp(DEMO)).code == code


@pytest.mark.parametrize(
    ("typed", "country", "expected"),
    [("+1 506-234-5678", "CN", "15062345678"), ("+95 9 212 3456", "IN", "9592123456")],
)
def test_a_lookup_reaches_the_server_as_the_form_normalised_it(desk, typed, country, expected):
    """Issue 8: the service's client used to normalise the value again in the default
    country of the settings and sent 8615062345678 / 919592123456."""
    desk.service.settings.default_country = country
    lookup = make_lookup("mobile", typed, default_country=country)
    with pytest.raises(errors.CustomerNotFound):
        desk.run(desk.service.fetch_otp(lookup))
    assert desk.sim.received_identifier_values == [expected]


def test_a_simulated_request_speaks_the_staff_sentence(desk):
    nobody = make_lookup("mobile", "+44 7400 123456")
    with pytest.raises(errors.CustomerNotFound):
        desk.run(desk.service.simulate_customer_otp_request(nobody))
    for _ in range(10):
        desk.run(desk.service.simulate_customer_otp_request(DEMO))
    with pytest.raises(errors.RateLimited):  # 10 a day, as on Capillary
        desk.run(desk.service.simulate_customer_otp_request(DEMO))


def test_workers_are_started_with_the_service_not_by_calls(desk):
    workers = [t for t in threading.enumerate() if t.name.startswith("capdesk-worker")]
    assert len(workers) == 8
    desk.sim.customer_requests_otp("mobile", DEMO.value)
    desk.run(desk.service.fetch_otp(DEMO))
    after = [t for t in threading.enumerate() if t.name.startswith("capdesk-worker")]
    assert sorted(t.name for t in after) == sorted(t.name for t in workers)


class RecordingKeyring(MemoryKeyring):
    """Remembers which threads read it."""

    def __init__(self) -> None:
        super().__init__()
        self.readers: set[str] = set()

    def get_password(self, service: str, username: str) -> str | None:
        self.readers.add(threading.current_thread().name)
        return super().get_password(service, username)


def store_cluster(base_url: str) -> None:
    machine = Path(os.environ["CAPDESK_MACHINE_CONFIG"])
    (machine / "clusters.toml").write_text(
        f'[clusters.store]\nlabel = "Store"\nbase_url = "{base_url}"\n', encoding="utf-8"
    )


def test_sign_in_stores_md5_only_and_calls_read_the_keyring_off_the_loop(simulator):
    import keyring

    store_cluster(simulator.base_url)
    backend = RecordingKeyring()
    keyring.set_keyring(backend)  # conftest restores the previous one
    desk = Desk("store")
    try:
        cluster = desk.service.cluster
        with pytest.raises(errors.NotSignedIn):
            desk.run(desk.service.fetch_otp(DEMO))
        wrong = BasicCredentials.from_password("training.till", "wrong")
        with pytest.raises(errors.AuthenticationFailed):
            desk.run(desk.service.sign_in(cluster, wrong))
        assert backend.store == {}

        right = BasicCredentials.from_password("training.till", "training123")
        assert desk.run(desk.service.sign_in(cluster, right)) == "training.till"
        assert json.loads(backend.store[("capdesk", "cluster:store")]) == {
            "scheme": "basic",
            "till_id": "training.till",
            "password_md5": md5_hex("training123"),
        }
        backend.readers.clear()
        code = simulator.customer_requests_otp("mobile", DEMO.value)
        assert desk.run(desk.service.fetch_otp(DEMO)).code == code
        assert backend.readers and threading.main_thread().name not in backend.readers

        desk.run(desk.service.sign_out(cluster))
        assert backend.store == {}
        with pytest.raises(errors.NotSignedIn):
            desk.run(desk.service.fetch_otp(DEMO))
    finally:
        desk.close()


def test_close_stops_the_training_cluster_for_good(desk):
    simulator = desk.sim
    assert simulator.running
    desk.run(desk.service.close())
    assert not simulator.running
    with pytest.raises(errors.CapdeskError):
        desk.service.ensure_training()


def test_the_first_scenario_starts_training_in_a_worker_and_the_last_choice_wins(desk):
    """Starting the training cluster blocks (a server, the history's numbers): never on
    the caller's thread. Quick choices all end on the newest one, whatever order the
    workers run in."""
    assert desk.service.training is None

    async def choose() -> None:
        with forbid_blocking_on():  # nothing here may read SQLite on this thread
            await asyncio.gather(
                desk.service.set_training_scenario("outage"),
                desk.service.set_training_scenario("rate_limit"),
                desk.service.set_training_scenario("slow_network"),
            )
            assert violations() == []
        assert desk.service.training is not None
        assert desk.service.training.scenario == "slow_network"
        await desk.service.set_training_scenario("normal")  # running: switched at once
        assert desk.service.training.scenario == "normal"

    desk.run(choose())


def test_training_is_the_default_cluster(desk):
    assert desk.service.cluster == TRAINING
    assert desk.run(desk.service.sign_in_status(TRAINING)) == ("training.till", None)


# --- the only door: nothing blocking on the caller's thread -------------------------------


def test_the_history_is_opened_read_exported_and_closed_in_workers(tmp_path):
    """Under the guard (the caller's thread refuses keyring, SQLite and file writes),
    as the window's GUI thread does in the window tests."""
    with forbid_blocking_on():
        desk = Desk()
        try:
            reported: list[HistoryEntry] = []
            entries = desk.run(desk.service.generate_card_numbers(3, on_number=reported.append))
            assert numbers(desk.recorded()) == numbers(entries)
            assert desk.run(desk.service.export_history(tmp_path / "all.csv", None)) == 3
            assert desk.run(desk.service.sign_in_status(TRAINING)) == ("training.till", None)
        finally:
            desk.close()
        history = desk.service.history
    assert violations() == []
    with pytest.raises(errors.CapdeskError):  # closed by the service's close()
        history.entries()


def test_the_guard_would_catch_a_read_on_the_callers_thread():
    """The test above can fail: the same history read on the guarded thread is refused."""
    desk = Desk()
    try:
        desk.recorded()
        with forbid_blocking_on(), pytest.raises(BlockingCallOnGuardedThread):
            desk.service.history.entries()
        assert violations() == ["SQLite read on the GUI thread (MainThread): run it in a worker"]
    finally:
        desk.close()


def test_a_page_of_history_and_a_search_go_through_the_service(desk):
    entries = desk.run(desk.service.generate_card_numbers(5, on_number=lambda entry: None))
    newest_first = [entry.number for entry in desk.recorded()]
    assert sorted(newest_first) == numbers(entries)
    page = desk.run(desk.service.history_entries(limit=2))
    assert [entry.number for entry in page] == newest_first[:2]
    wanted = newest_first[3]
    found = desk.run(desk.service.history_entries(search=wanted))
    assert [entry.number for entry in found] == [wanted]
    assert desk.run(desk.service.history_entries(search="no such number")) == []


def test_a_history_that_cannot_be_opened_refuses_card_numbers_before_any_call():
    paths = default_paths().ensure()
    paths.history_file.write_bytes(b"this is not SQLite at all " * 400)
    desk = Desk()
    try:
        with pytest.raises(HistoryUnusable):
            desk.recorded()
        assert isinstance(desk.service.history_problem, HistoryUnusable)
        with pytest.raises(CardsNeedHistory):
            desk.run(desk.service.generate_card_numbers(1, on_number=lambda entry: None))
        assert desk.sim.request_count("/v2/cardNumber") == 0
        assert desk.service.history is None
    finally:
        desk.close()


def test_training_never_repeats_a_number_the_history_holds(monkeypatch):
    """The training numbers are read with the history, in its worker: a second window
    on the same file, drawing the same random start, continues past the first one's
    numbers, and starting its training cluster on the caller's thread reads no SQLite."""
    monkeypatch.setattr(card_module.random, "SystemRandom", lambda: random.Random(3))
    paths = default_paths().ensure()
    runs: list[list[str]] = []
    for _ in range(2):
        service = DeskService(  # its own simulator, as the app's: told the numbers taken
            settings=Settings(paths, load_policy(paths)),
            credential_store=CredentialStore(),
            history_file=paths.history_file,
            clusters=load_clusters(paths.cluster_files()),
        )
        try:
            with forbid_blocking_on():
                service.ensure_training()
            assert violations() == []
            entries = asyncio.run(service.generate_card_numbers(3, on_number=lambda e: None))
            runs.append([entry.number for entry in entries])
        finally:
            asyncio.run(service.close())
    assert set(runs[0]).isdisjoint(runs[1])
    assert min(runs[1]) > max(runs[0])


class WatchedSettings(Settings):
    """Notes which threads read the settings (QSettings is not thread-safe)."""

    def __getattribute__(self, name: str):
        if not name.startswith("_") and name != "readers":
            object.__getattribute__(self, "readers").add(threading.current_thread().name)
        return super().__getattribute__(name)


def test_workers_are_handed_a_snapshot_never_the_settings(simulator):
    store_cluster(simulator.base_url)
    paths = default_paths().ensure()
    settings = WatchedSettings(paths, load_policy(paths))
    settings.readers = set()
    desk = Desk("store", settings=settings)
    try:
        till = BasicCredentials.from_password("training.till", "training123")
        desk.run(desk.service.sign_in(desk.service.cluster, till))
        code = simulator.customer_requests_otp("mobile", DEMO.value)
        assert desk.run(desk.service.fetch_otp(DEMO)).code == code
        desk.run(desk.service.generate_card_numbers(2, on_number=lambda entry: None))
        assert desk.service.start_background_work().result(5) is None
    finally:
        desk.close()
    assert settings.readers == {threading.current_thread().name}
