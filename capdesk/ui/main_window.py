"""The capdesk window: wires the widgets to :class:`capdesk.services.DeskService`.

Widgets know nothing of the service; this window turns their signals into service
coroutines (through a :class:`TaskKeeper`, so a double click never queues a second
call and nothing is left unreferenced) and their results back into widget calls.
All callbacks run on the GUI thread because the qasync loop is Qt's loop.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from capdesk import __version__
from capdesk.api.clusters import Cluster
from capdesk.api.errors import CapdeskError
from capdesk.api.models import OtpResult
from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.services import DeskService, OtpQueryParams
from capdesk.store.history import HistoryEntry
from capdesk.ui.barcode_label import print_preview
from capdesk.ui.card_panel import CardPanel
from capdesk.ui.clipboard_guard import ClipboardGuard
from capdesk.ui.cluster_selector import ClusterSelector
from capdesk.ui.identifier_form import IdentifierForm, OtpQuery
from capdesk.ui.otp_panel import OtpPanel
from capdesk.ui.sign_in_dialog import SignInDialog
from capdesk.ui.status_panel import StatusPanel
from capdesk.ui.tasks import TaskKeeper
from capdesk.ui.training_banner import TrainingBanner
from capdesk.ui.training_controls import TrainingControls

log = logging.getLogger(__name__)

SCENARIO_SENTENCES = {
    "normal": "Training: the simulated network is back to normal.",
    "slow_network": "Training: the network is now slow (answers take a few seconds).",
    "outage": "Training: Capillary is now down (outage).",
    "rate_limit": "Training: every request is now rate limited.",
    "card_generation_disabled": "Training: card number generation is now switched off.",
}


def _params(query: OtpQuery) -> OtpQueryParams:
    return OtpQueryParams(
        name=query.name,
        value=query.value,
        source=query.source,
        account_id=query.account_id,
        scope=query.scope,
        threshold=query.threshold,
    )


class MainWindow(QMainWindow):
    """The one window staff use. Signals report outcomes (tests and --smoke-test use them)."""

    closed = Signal()
    otpShown = Signal(object)  # OtpResult
    otpRequestSimulated = Signal()
    cardBatchFinished = Signal(list)  # list[HistoryEntry]
    operationFailed = Signal(object)  # CapdeskError

    def __init__(
        self,
        service: DeskService,
        *,
        clock: Clock = SYSTEM_CLOCK,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.clock = clock
        self.keeper = TaskKeeper()
        self._card_cancel: asyncio.Event | None = None
        self._card_total = 0
        self._card_done = 0
        self.setWindowTitle(f"capdesk {__version__}")
        self.setObjectName("mainWindow")

        self.clipboard = ClipboardGuard(self)
        self.banner = TrainingBanner()
        self.cluster_selector = ClusterSelector()
        self.identifier_form = IdentifierForm()
        self.otp_panel = OtpPanel(clock, self.clipboard)
        self.training_controls = TrainingControls()
        self.card_panel = CardPanel()
        self.status = StatusPanel()
        self._build_layout()
        self._connect()

        settings = service.settings
        self.identifier_form.set_default_country(settings.default_country)
        self.otp_panel.set_clipboard_timeout(settings.clipboard_timeout)
        self.card_panel.set_history(service.history)
        self.cluster_selector.set_clusters(self._cluster_list(), service.cluster.key)
        self.cluster_selector.set_locked(settings.is_locked("last_cluster") or False)
        self._show_cluster(service.cluster)
        self.identifier_form.setFocus()

    # --- layout --------------------------------------------------------------------------

    def _build_layout(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.identifier_form)
        left_layout.addWidget(self.otp_panel)
        left_layout.addWidget(self.training_controls)
        left_layout.addStretch(1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.card_panel)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([600, 560])
        splitter.setChildrenCollapsible(False)

        top = QHBoxLayout()
        top.addWidget(self.cluster_selector, 1)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.banner)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        self.setCentralWidget(central)
        self.resize(1100, 720)

    def _connect(self) -> None:
        self.cluster_selector.clusterChosen.connect(self.choose_cluster)
        self.cluster_selector.signInRequested.connect(self.open_sign_in)
        self.cluster_selector.signOutRequested.connect(self.sign_out)
        self.identifier_form.fetchRequested.connect(self.fetch_otp)
        self.identifier_form.newCustomerRequested.connect(self.new_customer)
        self.training_controls.simulateOtpRequested.connect(self.simulate_otp_request)
        self.training_controls.scenarioChosen.connect(self.choose_scenario)
        self.card_panel.generateRequested.connect(self.generate_cards)
        self.card_panel.cancelRequested.connect(self.cancel_cards)
        self.card_panel.copyRequested.connect(self.copy_card_number)
        self.card_panel.printRequested.connect(lambda number: print_preview(number, self))
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WindowShortcut)
        escape.activated.connect(self.new_customer)

    # --- clusters and sign-in ------------------------------------------------------------

    def _cluster_list(self) -> list[Cluster]:
        clusters = list(self.service.clusters.values())
        if self.service.cluster.key not in self.service.clusters:
            clusters.append(self.service.cluster)  # a custom URL chosen at start
        return clusters

    def _show_cluster(self, cluster: Cluster) -> None:
        self.banner.setVisible(cluster.training)
        self.training_controls.setVisible(cluster.training)
        self.cluster_selector.set_signed_in(self.service.signed_in_as(cluster))
        # Training signs in by itself with its demo till: nothing to sign in or out of.
        self.cluster_selector.sign_in_button.setVisible(not cluster.training)
        self.cluster_selector.sign_out_button.setVisible(not cluster.training)

    def choose_cluster(self, cluster: Cluster) -> None:
        self.new_customer()
        self.service.select_cluster(cluster)
        self._show_cluster(cluster)
        self.status.show_info(f"Now working on {cluster.label}.")

    def open_sign_in(self) -> None:
        cluster = self.service.cluster
        if cluster.training:
            self.status.show_info("The training cluster signs in by itself with its demo till.")
            return
        dialog = SignInDialog(
            cluster.label,
            lambda credentials: self.service.test_credentials(cluster, credentials),
            self,
        )
        dialog.accepted.connect(lambda: self._save_sign_in(cluster, dialog))
        dialog.open()

    def _save_sign_in(self, cluster: Cluster, dialog: SignInDialog) -> None:
        credentials = dialog.credentials()
        dialog.deleteLater()
        if credentials is None:
            return
        self.keeper.start(
            self.service.sign_in(cluster, credentials, test_first=False),
            key="sign-in",
            on_result=lambda name: self._signed_in(cluster, name),
            on_error=self._show_error,
        )

    def _signed_in(self, cluster: Cluster, name: str) -> None:
        self.cluster_selector.set_signed_in(name)
        self.status.show_success(f"Signed in to {cluster.label} as {name}.")

    def sign_out(self) -> None:
        cluster = self.service.cluster
        if cluster.training:
            return
        self.keeper.start(
            self.service.sign_out(cluster),
            key="sign-in",
            on_result=lambda _: self._signed_out(cluster),
            on_error=self._show_error,
        )

    def _signed_out(self, cluster: Cluster) -> None:
        self.cluster_selector.set_signed_in(None)
        self.status.show_info(f"Signed out of {cluster.label}. The credentials were removed.")

    # --- OTP -----------------------------------------------------------------------------

    def fetch_otp(self, query: OtpQuery) -> None:
        task = self.keeper.start(
            self.service.fetch_otp(_params(query)),
            key="fetch",
            on_result=self._otp_fetched,
            on_error=self._show_error,
            on_done=lambda: self.identifier_form.set_busy(False),
        )
        if task is not None:
            self.identifier_form.set_busy(True)
            self.status.show_busy("Fetching the OTP…")

    def _otp_fetched(self, result: OtpResult) -> None:
        self.otp_panel.show_otp(result)
        self.status.show_success("OTP found. Read it to the customer or copy it.")
        self.otpShown.emit(result)

    def new_customer(self) -> None:
        """Clear everything about the current customer: the next one never sees it."""
        self.keeper.cancel("fetch")
        self.identifier_form.clear()
        self.otp_panel.clear()
        self.clipboard.clear_if_ours()
        self.status.clear()

    def simulate_otp_request(self) -> None:
        query = self.identifier_form.current_query()
        if query is None:
            return  # the form shows why
        task = self.keeper.start(
            self.service.simulate_customer_otp_request(_params(query)),
            key="simulate",
            on_result=lambda _: self._simulated(),
            on_error=self._show_error,
        )
        if task is not None:
            self.status.show_busy("The demo customer is requesting an OTP…")

    def _simulated(self) -> None:
        self.status.show_success("The customer requested an OTP (simulated). Now press Fetch OTP.")
        self.otpRequestSimulated.emit()

    def choose_scenario(self, name: str) -> None:
        self.service.set_training_scenario(name)
        self.status.show_info(SCENARIO_SENTENCES.get(name, f"Training scenario: {name}."))

    # --- card numbers --------------------------------------------------------------------

    def generate_cards(self, count: int) -> None:
        cancel = asyncio.Event()
        received: list[HistoryEntry] = []

        def on_number(entry: HistoryEntry) -> None:
            received.append(entry)
            self.card_panel.show_number(entry)
            self.card_panel.report_progress(len(received), count)

        task = self.keeper.start(
            self.service.generate_card_numbers(count, on_number=on_number, cancel=cancel),
            key="cards",
            on_error=self._show_error,
            on_done=lambda: self._cards_done(received, count, cancel.is_set()),
        )
        if task is not None:
            self._card_cancel = cancel
            self.card_panel.set_busy(True, count)
            noun = "card number" if count == 1 else f"{count} card numbers"
            self.status.show_busy(f"Generating {noun}…")

    def _cards_done(self, received: list[HistoryEntry], count: int, cancelled: bool) -> None:
        self._card_cancel = None
        self.card_panel.set_busy(False)
        self.card_panel.finish_batch(len(received), cancelled)
        if received and len(received) == count:
            noun = "card number" if count == 1 else f"{count} card numbers"
            self.status.show_success(f"Generated {noun}. They are saved in the history.")
        elif cancelled:
            self.status.show_info(
                f"Stopped after {len(received)} of {count}. Those are saved in the history."
            )
        self.cardBatchFinished.emit(list(received))

    def cancel_cards(self) -> None:
        if self._card_cancel is not None:
            self._card_cancel.set()

    def copy_card_number(self, number: str) -> None:
        self.clipboard.copy_secret(number, self.service.settings.clipboard_timeout)
        self.status.show_info("Card number copied.")

    # --- errors and closing --------------------------------------------------------------

    def _show_error(self, error: BaseException) -> None:
        if not isinstance(error, CapdeskError):
            log.error("Unexpected error", exc_info=error)
            error = CapdeskError()
        else:
            log.warning("%s: %s", error.kind, error.details.as_text().replace("\n", "; "))
        self.status.show_error(error)
        self.operationFailed.emit(error)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.keeper.cancel_all()
        self.otp_panel.clear()
        self.clipboard.clear_if_ours()
        event.accept()
        self.closed.emit()
