"""One OTP look-up at a time, as staff live it: started, waited for, cancelled, shown.

A code belongs to one customer. That rule touches the form, the panel, the status
line and the call in flight at once, so it lives here rather than spread over the
window: whatever was on screen goes the moment a fetch starts or the look-up is
edited; an answer is shown only if it belongs to the fetch still wanted (not
cancelled, look-up unchanged); after a second the status line shows the time waited;
and the status line never says "read it" beside a code that is gone or expired.

No HTTP here: the fetch is the service's coroutine, run through the window's
``run`` (a :class:`capdesk.ui.common.tasks.TaskKeeper` under the key ``"fetch"``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from capdesk.api.clusters import Cluster
from capdesk.api.models import OtpLookup, OtpResult
from capdesk.clock import Clock
from capdesk.services import DeskService
from capdesk.ui.common.status_panel import StatusPanel
from capdesk.ui.common.tasks import TaskKeeper
from capdesk.ui.otp.identifier_form import IdentifierForm
from capdesk.ui.otp.identifier_hints import shown_identifier
from capdesk.ui.otp.lookup_names import scope_name, source_name
from capdesk.ui.otp.panel import OtpPanel

# After this long a fetch shows the time waited, so a hung call is visible.
WAIT_SHOWN_AFTER_S = 1.0
FETCH = "fetch"

Run = Callable[..., Any]  # MainWindow._run: (coro, *, key, on_result, on_error, on_done)


class OtpLookupFlow(QObject):
    """Fetches for the form, shows in the panel, speaks on the status line."""

    shown = Signal(object)  # OtpResult, once it is on screen

    def __init__(
        self,
        *,
        service: DeskService,
        keeper: TaskKeeper,
        run: Run,
        show_error: Callable[[BaseException], None],
        form: IdentifierForm,
        panel: OtpPanel,
        status: StatusPanel,
        clock: Clock,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._keeper = keeper
        self._run = run
        self._show_error = show_error
        self._form = form
        self._panel = panel
        self._status = status
        self._clock = clock
        # The fetch whose answer may be shown: bumped when a fetch starts, is cancelled
        # or the look-up changes, so a late answer (another customer's code) is dropped.
        self._fetch_id = 0
        self._started = 0.0
        self._status_text: str | None = None  # the status line's text when it was ours
        self._wait_timer = QTimer(self)
        self._wait_timer.setInterval(250)
        self._wait_timer.timeout.connect(self._show_time_waited)
        panel.stateChanged.connect(self._panel_state_changed)

    @property
    def busy(self) -> bool:
        return self._keeper.is_running(FETCH)

    @property
    def owns_status(self) -> bool:
        """Whether the status line still says what this flow last put there."""
        return self._status_text is not None and self._status.text == self._status_text

    def fetch(self, lookup: OtpLookup) -> None:
        """Fetch ``lookup``'s OTP; what was shown goes at once (it may fail, and the
        code on screen was another look-up's)."""
        if self.busy:
            return
        self._panel.clear()
        self._fetch_id += 1
        fetch_id = self._fetch_id
        cluster = self._service.cluster

        def current(callback: Callable[..., None]) -> Callable[..., None]:
            return lambda *args: callback(*args) if fetch_id == self._fetch_id else None

        task = self._run(
            self._service.fetch_otp(lookup),
            key=FETCH,
            on_result=current(lambda result: self._fetched(cluster, lookup, result)),
            on_error=current(self._failed),
            on_done=current(self._finished),
        )
        if task is not None:
            self._form.set_busy(True)
            self._started = self._clock.monotonic()
            self._wait_timer.start()
            self._say(self._status.show_busy, "Fetching the OTP…")

    def cancel(self) -> bool:
        """Stop waiting (Cancel, Esc); a late answer is dropped, the form is kept.
        False when no fetch was running."""
        if not self.busy:
            return False
        self._drop_call()
        self._say(
            self._status.show_info, "Stopped waiting for Capillary. Press Enter to try again."
        )
        return True

    def lookup_changed(self) -> None:
        """Staff edited who or what to look up: the code shown (or on its way) was
        another look-up's, so it goes at once, and so does what the status said of it."""
        self._drop_call()
        self._panel.clear()
        if self.owns_status:
            self._status.clear()
        self._status_text = None

    def reset(self) -> None:
        """New customer: no call, no code. The window decides about the status line."""
        self._drop_call()
        self._panel.clear()
        self._status_text = None

    # --- internals ----------------------------------------------------------------

    def _drop_call(self) -> None:
        self._keeper.cancel(FETCH)
        self._fetch_id += 1
        self._finished()

    def _fetched(self, cluster: Cluster, lookup: OtpLookup, result: OtpResult) -> None:
        if lookup.account_id:
            self._service.remember_account_id(cluster, lookup)
            self._form.set_account_ids(self._service.account_ids(cluster))
        self._panel.show_otp(result, shown_identifier(lookup))
        if self._panel.code_visible and self._panel.state != "expired":
            self._say(
                self._status.show_success,
                "OTP found. Check the Customer ID, then read the code to the customer.",
                otp_details(cluster, lookup, result),
            )
        self.shown.emit(result)

    def _failed(self, error: BaseException) -> None:
        self._panel.clear()  # hidden since the fetch started; never shown back
        self._show_error(error)
        self._status_text = self._status.text

    def _finished(self) -> None:
        self._wait_timer.stop()
        self._form.set_busy(False)

    def _show_time_waited(self) -> None:
        waited = self._clock.monotonic() - self._started
        if waited >= WAIT_SHOWN_AFTER_S and self.owns_status:
            self._say(self._status.update_busy, f"Waiting for Capillary… {int(waited)} s")

    def _panel_state_changed(self, state: str) -> None:
        if state == "expired" and self.owns_status:
            # The panel has just announced it in these words: shown, not spoken again.
            text = "The OTP has expired. Ask the customer to request a new one."
            self._say(self._status.show_info, text, spoken=False)

    def _say(self, show: Callable[..., None], text: str, *args: Any, **kwargs: Any) -> None:
        show(text, *args, **kwargs)
        self._status_text = text


def otp_details(cluster: Cluster, lookup: OtpLookup, result: OtpResult) -> list[str]:
    """For support: what was asked, in Capillary's words too, and what answered."""
    pairs = [
        ("Cluster", cluster.label),
        ("Identifier", f"{lookup.name.value} {lookup.value}"),
        ("Source", f"{source_name(lookup.source)} ({lookup.source})"),
        ("Account id", lookup.account_id),
        ("Scope", f"{scope_name(lookup.scope)} ({lookup.scope})"),
        ("Customer ID", result.user_id),
        ("Org ID", result.org_id),
        ("Valid until", result.valid_upto_text or result.valid_upto.isoformat()),
        ("Request id", result.request_id),
    ]
    return [f"{label}: {value}" for label, value in pairs if value not in (None, "")]
