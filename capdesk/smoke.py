"""``capdesk --smoke-test``: prove a build works end to end, through the buttons.

It drives the real window on the training cluster exactly as staff would: the demo
customer requests an OTP, staff fetch it, staff generate a card number. One line
is printed per step; the installer's checks run it on frozen builds. The OTP code
itself is never printed. ``capdesk.app`` runs it in a throwaway profile, so the
training number it generates never reaches the staff's history.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import SignalInstance

from capdesk.api.errors import CapdeskError
from capdesk.ui.main_window import MainWindow

STEP_TIMEOUT_S = 20.0
DEMO_MOBILE = "919876543210"  # Asha Rao, the training cluster's first demo customer


async def _after_click(
    click: Callable[[], None], success: SignalInstance, failure: SignalInstance
) -> Any:
    """Click, then wait for whichever of success/failure fires first."""
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[Any] = loop.create_future()

    def ok(*args: Any) -> None:
        if not outcome.done():
            outcome.set_result(args[0] if args else None)

    def failed(error: CapdeskError) -> None:
        if not outcome.done():
            outcome.set_exception(error)

    success.connect(ok)
    failure.connect(failed)
    try:
        click()
        return await asyncio.wait_for(outcome, STEP_TIMEOUT_S)
    finally:
        success.disconnect(ok)
        failure.disconnect(failed)


async def run_smoke_test(window: MainWindow, emit: Callable[[str], None]) -> int:
    """Returns 0 when every step passed, else the failing error's exit code."""
    service = window.service
    try:
        till = service.signed_in_as(service.cluster)
        emit(f"ok   window open on {service.cluster.label} as {till}")
        form = window.identifier_form
        form.clear()
        form.set_identifier("mobile", DEMO_MOBILE)
        await _after_click(
            window.training_controls.simulate_button.click,
            window.otpRequestSimulated,
            window.operationFailed,
        )
        emit(f"ok   demo customer {DEMO_MOBILE} requested an OTP")
        result = await _after_click(
            form.fetch_button.click, window.otpShown, window.operationFailed
        )
        left = int(result.seconds_left(window.clock.monotonic()))
        emit(
            f"ok   OTP fetched for user {result.user_id} ({len(result.code)} characters, "
            f"valid for {left} s)"
        )
        window.card_panel.set_count(1)
        entries = await _after_click(
            window.card_panel.generate_button.click,
            window.cardBatchFinished,
            window.operationFailed,
        )
        if not entries:
            raise CapdeskError("No card number came back.")
        emit(
            f"ok   card number {entries[0].number} generated and saved in the smoke test's "
            "own history"
        )
    except CapdeskError as error:
        emit(f"FAIL {error.sentence}")
        for line in error.details.lines():
            emit(f"     {line}")
        return error.exit_code or 1
    except TimeoutError:
        emit(f"FAIL a step took longer than {STEP_TIMEOUT_S:.0f} s")
        return 1
    emit("ok   smoke test passed")
    return 0
