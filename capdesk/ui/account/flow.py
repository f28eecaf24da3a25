"""Who works where, as staff live it: a cluster chosen, a till signed in or out.

Kept apart from the window for the same reason as :mod:`capdesk.ui.otp.lookup_flow`:
these steps have rules of their own. Who is signed in is read by the service in a
worker (the OS password store may block, or show a prompt), so the selector claims
nothing until the answer comes, and an answer for a cluster no longer current, or
older than a sign-in or sign-out made since, is dropped. Any change of cluster or till
first says :attr:`AccountFlow.leaving`: the window then clears the customer, since a
code belongs to one customer on one cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from capdesk.api.auth import Credentials
from capdesk.api.clusters import Cluster
from capdesk.services import DeskService, SignInStatus
from capdesk.ui.account.cluster_selector import ClusterSelector
from capdesk.ui.common.status_panel import StatusPanel
from capdesk.ui.common.tasks import TaskKeeper

if TYPE_CHECKING:  # opened only when asked for: the first screen does not need it
    from capdesk.ui.account.sign_in_dialog import SignInDialog

# The task that reads who is signed in (tests wait for it to know the window is ready).
SIGN_IN_STATUS = "sign-in-status"
SIGN_IN = "sign-in"

Run = Callable[..., Any]  # MainWindow._run: (coro, *, key, on_result, on_error, on_done)


class AccountFlow(QObject):
    """Switches clusters, signs tills in and out, and shows who is signed in."""

    leaving = Signal()  # the cluster or the till is about to change: clear the customer
    clusterShown = Signal(object)  # Cluster, now current (banner, training row, account ids)

    def __init__(
        self,
        *,
        service: DeskService,
        keeper: TaskKeeper,
        run: Run,
        show_error: Callable[[BaseException], None],
        selector: ClusterSelector,
        status: StatusPanel,
        dialog_parent: QWidget,
    ) -> None:
        super().__init__(dialog_parent)
        self._service = service
        self._keeper = keeper
        self._run = run
        self._show_error = show_error
        self._selector = selector
        self._status = status
        self._dialog_parent = dialog_parent
        self._sign_in_shown = 0  # bumped whenever "Signed in as …" changes or is asked
        selector.clusterChosen.connect(self.choose_cluster)
        selector.signInRequested.connect(self.open_sign_in)
        selector.signOutRequested.connect(self.sign_out)

    def show_cluster(self, cluster: Cluster) -> None:
        """Show ``cluster`` as current: its sign-in buttons and who is signed in."""
        # Training signs in by itself with its demo till: nothing to sign in or out of.
        self._selector.sign_in_button.setVisible(not cluster.training)
        self._selector.sign_out_button.setVisible(not cluster.training)
        self.clusterShown.emit(cluster)
        self._read_sign_in(cluster)

    def _read_sign_in(self, cluster: Cluster) -> None:
        self._sign_in_shown += 1
        read = self._sign_in_shown
        self._keeper.cancel(SIGN_IN_STATUS)
        self._selector.set_signed_in_unknown()

        def known(status: SignInStatus) -> None:
            if read != self._sign_in_shown or cluster != self._service.cluster:
                return
            name, problem = status
            self._selector.set_signed_in(name)
            if problem is not None:  # no or a locked password store: say what to do now
                self._show_error(problem)

        self._run(self._service.sign_in_status(cluster), key=SIGN_IN_STATUS, on_result=known)

    def choose_cluster(self, cluster: Cluster) -> None:
        self.leaving.emit()
        self._service.select_cluster(cluster)
        self.show_cluster(cluster)
        self._status.show_info(f"Now working on {cluster.label}.")

    def open_sign_in(self) -> SignInDialog | None:
        """Open the (window-modal) sign-in dialog for the current cluster; it is deleted
        however it closes (Save, Cancel, Esc, close box)."""
        cluster = self._service.cluster
        if cluster.training:
            self._status.show_info("The training cluster signs in by itself with its demo till.")
            return None
        from capdesk.ui.account.sign_in_dialog import SignInDialog

        dialog = SignInDialog(
            cluster.label,
            lambda credentials: self._service.test_credentials(cluster, credentials),
            self._dialog_parent,
        )
        dialog.setObjectName("signInDialog")
        dialog.accepted.connect(lambda: self.save_sign_in(cluster, dialog.credentials()))
        dialog.finished.connect(dialog.deleteLater)  # emitted before accepted: deferred
        dialog.open()
        return dialog

    def save_sign_in(self, cluster: Cluster, credentials: Credentials | None) -> None:
        """Store tested credentials (what the dialog's Save does)."""
        if credentials is None:
            return
        self._run(
            self._service.sign_in(cluster, credentials, test_first=False),
            key=SIGN_IN,
            on_result=lambda name: self._signed_in(cluster, name),
        )

    def _signed_in(self, cluster: Cluster, name: str) -> None:
        if cluster == self._service.cluster:
            self._sign_in_shown += 1  # newer than any read still on its way
            self._selector.set_signed_in(name)
        self._status.show_success(f"Signed in to {cluster.label} as {name}.")

    def sign_out(self) -> None:
        cluster = self._service.cluster
        if cluster.training:
            return
        self.leaving.emit()  # nothing about the last customer stays once the till leaves
        self._run(
            self._service.sign_out(cluster),
            key=SIGN_IN,
            on_result=lambda _: self._signed_out(cluster),
        )

    def _signed_out(self, cluster: Cluster) -> None:
        if cluster == self._service.cluster:
            self._sign_in_shown += 1  # newer than any read still on its way
            self._selector.set_signed_in(None)
        self._status.show_info(f"Signed out of {cluster.label}. The credentials were removed.")
