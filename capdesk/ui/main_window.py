"""The capdesk window: wires the widgets to :class:`capdesk.services.DeskService`.

Widgets know nothing of the service; this window turns their signals into service
coroutines (through a :class:`TaskKeeper`, so a double click never queues a second
call and nothing is left unreferenced) and their results back into widget calls.
The OTP look-up and the card side each have rules of their own: they live in
:class:`OtpLookupFlow` and :class:`CardsFlow`, which the window builds and wires.
All callbacks run on the GUI thread because the qasync loop is Qt's loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QSplitter, QVBoxLayout, QWidget

from capdesk import __version__
from capdesk.api.clusters import Cluster
from capdesk.api.errors import CapdeskError
from capdesk.clock import SYSTEM_CLOCK, Clock
from capdesk.local_faults import log_unavailable
from capdesk.services import DeskService
from capdesk.ui.account.cluster_selector import ClusterSelector
from capdesk.ui.account.flow import AccountFlow
from capdesk.ui.cards.flow import CardsFlow
from capdesk.ui.cards.panel import CardPanel
from capdesk.ui.common.clipboard_guard import ClipboardGuard
from capdesk.ui.common.local_notice import LocalNotice
from capdesk.ui.common.status_panel import StatusPanel
from capdesk.ui.common.tab_order import set_tab_order
from capdesk.ui.common.tasks import TaskKeeper
from capdesk.ui.kiosk.admin_controls import AdminControls
from capdesk.ui.kiosk.lockdown import ClosePolicy, apply_kiosk
from capdesk.ui.otp.identifier_form import IdentifierForm
from capdesk.ui.otp.lookup_flow import OtpLookupFlow
from capdesk.ui.otp.panel import OtpPanel
from capdesk.ui.training.banner import TrainingBanner
from capdesk.ui.training.controls import TrainingControls, chosen_sentence

log = logging.getLogger(__name__)
T = TypeVar("T")


# objectNames in the order Tab visits them: top to bottom, left to right (_set_tab_order).
TAB_ORDER = (  # noqa: SIM905 (a line per area of the window reads better)
    "clusterSelector signInButton signOutButton settingsButton adminButton"
    " identifierName identifierValue sourceSelector accountId scopeSelector advancedToggle"
    " otpThreshold fetchOtpButton cancelFetchButton newCustomerButton otpCode copyOtpButton"
    " simulateOtpRequestButton scenarioSelector"
    " cardCount generateCardButton cancelCardsButton cardNumber copyCardButton printCardButton"
    " cardHistorySearch exportHistoryButton cardHistory statusDetailsButton copyDetailsButton"
).split()


class MainWindow(QMainWindow):
    """The one window staff use. Signals report outcomes (tests and --smoke-test use them)."""

    closed = Signal()
    otpShown = Signal(object)  # OtpResult
    otpRequestSimulated = Signal()
    cardBatchFinished = Signal(list)  # list[HistoryEntry]
    operationFailed = Signal(object)  # CapdeskError
    historyExported = Signal(int)  # how many card numbers Export CSV… wrote
    # The log file stopped working: emitted from whichever thread was logging (queued
    # to the GUI thread by Qt), see capdesk.logs.set_log_problem_listener.
    logProblem = Signal(object)  # Exception

    def __init__(
        self,
        service: DeskService,
        *,
        clock: Clock = SYSTEM_CLOCK,
        kiosk: bool = False,
        notices: Iterable[CapdeskError] = (),
        parent: QWidget | None = None,
    ) -> None:
        """``notices``: faults of this PC found while starting (a folder that cannot be
        created, an unwritable log), shown in a standing notice above the work area."""
        super().__init__(parent)
        self.service = service
        self.clock = clock
        self.keeper = TaskKeeper()
        self._closed = False  # late task callbacks must not touch a closed window
        self.setWindowTitle(f"capdesk {__version__}")
        self.setObjectName("mainWindow")

        self.clipboard = ClipboardGuard(self)
        self.banner = TrainingBanner()
        self.notice = LocalNotice()
        self.cluster_selector = ClusterSelector()
        self.identifier_form = IdentifierForm()
        self.otp_panel = OtpPanel(clock, self.clipboard)
        self.training_controls = TrainingControls()
        self.card_panel = CardPanel()
        self.status = StatusPanel()
        self.otp_flow = OtpLookupFlow(
            service=service,
            keeper=self.keeper,
            run=self._run,
            show_error=self._show_error,
            form=self.identifier_form,
            panel=self.otp_panel,
            status=self.status,
            clock=clock,
            parent=self,
        )
        self.account_flow = AccountFlow(
            service=service,
            keeper=self.keeper,
            run=self._run,
            show_error=self._show_error,
            selector=self.cluster_selector,
            status=self.status,
            dialog_parent=self,
        )
        self.cards_flow = CardsFlow(
            service=service,
            run=self._run,
            panel=self.card_panel,
            status=self.status,
            notice=self.notice,
            parent=self,
        )
        self._build_layout()
        self._connect()
        self.admin = AdminControls(
            kiosk=kiosk, settings=service.settings, check_pin=service.check_admin_pin, clock=clock
        )
        self._top_bar.addWidget(self.admin)
        self.close_policy = ClosePolicy(kiosk, self)
        self._wire_admin()
        self._set_tab_order()

        settings = service.settings
        self.identifier_form.set_default_country(settings.default_country)
        self.otp_panel.set_clipboard_timeout(settings.clipboard_timeout)
        for notice in notices:
            self.notice.add(notice)
        self.cards_flow.load_history()
        self.cluster_selector.set_clusters(self._cluster_list(), service.cluster.key)
        if not kiosk:  # in kiosk mode the admin controls decide
            self.cluster_selector.set_locked(settings.is_locked("last_cluster"))
        self.account_flow.show_cluster(service.cluster)
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

        top = self._top_bar = QHBoxLayout()
        top.addWidget(self.cluster_selector, 1)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.banner)
        layout.addWidget(self.notice)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        self.setCentralWidget(central)
        self.resize(1100, 720)

    def _set_tab_order(self) -> None:
        """One Tab order for the whole window, top to bottom and left to right; hidden
        or disabled controls are skipped by Qt as they come and go."""
        set_tab_order(self.findChild(QWidget, name) for name in TAB_ORDER)

    def _connect(self) -> None:
        self.account_flow.leaving.connect(self.new_customer)
        self.account_flow.clusterShown.connect(self._show_cluster)
        self.identifier_form.fetchRequested.connect(self.otp_flow.fetch)
        self.identifier_form.newCustomerRequested.connect(self.new_customer)
        self.identifier_form.cancelRequested.connect(self.otp_flow.cancel)
        self.identifier_form.lookupChanged.connect(self.otp_flow.lookup_changed)
        self.otp_flow.shown.connect(self.otpShown)
        self.training_controls.simulateOtpRequested.connect(self.simulate_otp_request)
        self.training_controls.scenarioChosen.connect(self.choose_scenario)
        self.cards_flow.batchFinished.connect(self.cardBatchFinished)
        self.cards_flow.historyExported.connect(self.historyExported)
        self.card_panel.copyRequested.connect(self.copy_card_number)
        self.card_panel.printRequested.connect(self._print_card)
        self.logProblem.connect(lambda error: self.notice.add(log_unavailable(error)))

    def _wire_admin(self) -> None:
        """The administrator bar only reports; what that means for the rest of the
        window is decided here. A kiosk then goes full screen and starts locked."""
        self.admin.lockChanged.connect(self._admin_lock_changed)
        self.admin.idleTimedOut.connect(self.new_customer)
        self.admin.settingsSaved.connect(self.apply_settings)
        self.admin.message.connect(self.status.show_info)
        self.close_policy.closeRefused.connect(self.status.show_info)
        if self.admin.kiosk:
            apply_kiosk(self)
        self.admin.start()

    def _admin_lock_changed(self, locked: bool) -> None:
        """Locked: the cluster and sign-out need the PIN. Unlocked: only the policy's lock."""
        settings = self.service.settings
        self.cluster_selector.set_locked(locked or settings.is_locked("last_cluster"))

    def _print_card(self, number: str) -> None:
        from capdesk.ui.cards.barcode_label import print_preview  # Qt print support: ~15 ms

        print_preview(number, self)

    def _cluster_list(self) -> list[Cluster]:
        clusters = list(self.service.clusters.values())
        if self.service.cluster.key not in self.service.clusters:
            clusters.append(self.service.cluster)  # a custom URL chosen at start
        return clusters

    def _show_cluster(self, cluster: Cluster) -> None:
        """What belongs to the current cluster: the training banner and row, its account ids."""
        self.banner.setVisible(cluster.training)
        self.training_controls.setVisible(cluster.training)
        self.identifier_form.set_account_ids(self.service.account_ids(cluster))

    # --- OTP -----------------------------------------------------------------------------

    def new_customer(self) -> None:
        """Clear everything about the current customer: the next one never sees it.

        A card batch still running keeps its status line: it is not about the customer.
        """
        self.otp_flow.reset()
        self.identifier_form.clear()
        self.clipboard.clear_if_ours()
        if not self.cards_flow.running:
            self.status.clear()

    def simulate_otp_request(self) -> None:
        query = self.identifier_form.current_query()
        if query is None:
            return  # the form shows why
        button = self.training_controls.simulate_button
        task = self._run(
            self.service.simulate_customer_otp_request(query),
            key="simulate",
            on_result=lambda _: self._simulated(),
            on_done=lambda: button.setEnabled(True),
        )
        if task is not None:
            button.setEnabled(False)
            self.status.show_busy("The demo customer is requesting an OTP…")

    def _simulated(self) -> None:
        self.status.show_success("The customer requested an OTP (simulated). Now press Fetch OTP.")
        self.otpRequestSimulated.emit()

    def choose_scenario(self, name: str) -> None:
        """Each choice is its own task (no key): the service applies the newest one."""
        self._run(
            self.service.set_training_scenario(name),
            key=None,
            on_result=lambda _: self.status.show_info(chosen_sentence(name)),
        )

    # --- card numbers --------------------------------------------------------------------

    def copy_card_number(self, number: str) -> None:
        self.clipboard.copy_secret(number, self.service.settings.clipboard_timeout)
        self.status.show_info("Card number copied.")

    # --- settings ------------------------------------------------------------------------

    def apply_settings(self, changed: list[str]) -> None:
        """The settings dialog saved: the next call uses the new values."""
        settings = self.service.settings
        self.service.forget_clients()
        self.identifier_form.set_default_country(settings.default_country)
        self.otp_panel.set_clipboard_timeout(settings.clipboard_timeout)
        if changed:
            self.status.show_success("Settings saved.")

    # --- errors and closing --------------------------------------------------------------

    def _run(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        key: str | None,
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_done: Callable[[], None] | None = None,
    ) -> asyncio.Task[T] | None:
        """Start ``coro`` under ``key`` (returns ``None`` if that key is busy; a ``None``
        key is never busy); errors go to the status line. Callbacks are skipped once the
        window closed: its widgets may be gone."""

        def alive(callback: Callable[..., None] | None) -> Callable[..., None] | None:
            if callback is None:
                return None
            return lambda *args: None if self._closed else callback(*args)

        return self.keeper.start(
            coro,
            key=key,
            on_result=alive(on_result),
            on_error=alive(on_error or self._show_error),
            on_done=alive(on_done),
        )

    def _show_error(self, error: BaseException) -> None:
        if not isinstance(error, CapdeskError):
            log.error("Unexpected error", exc_info=error)
            error = CapdeskError()
        else:
            log.warning("%s: %s", error.kind, error.details.as_text().replace("\n", "; "))
        self.status.show_error(error)
        self.operationFailed.emit(error)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc anywhere clears the customer. Not a window-wide QShortcut: that would
        make Esc ambiguous with the form's own Esc and the card batch's Esc (Cancel),
        and an ambiguous shortcut does nothing at all. Keys no child wanted end here."""
        if event.key() == Qt.Key.Key_Escape and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            event.accept()
            if not self.otp_flow.cancel():  # Esc stops a wait first; what was typed stays
                self.new_customer()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        """A locked kiosk refuses (the status line says why); an unlocked one, or a
        normal window, closes and leaves nothing of the customer behind."""
        if self.admin.unlocked:
            self.close_policy.allow_next_close()
        if not self.close_policy.should_close(event):
            return
        self._closed = True
        self.cards_flow.cancel()
        self.keeper.cancel_all()
        self.otp_panel.clear()
        self.clipboard.clear_if_ours()
        event.accept()
        self.closed.emit()
