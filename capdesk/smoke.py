"""``capdesk --smoke-test``: prove a build works end to end, through the buttons.

It drives the real window on the training cluster exactly as staff would: the demo
customer requests an OTP, staff fetch it, staff generate a card number. One line
is printed per step; the installer's checks run it on frozen builds. The OTP code
itself is never printed. ``capdesk.app`` runs it in a throwaway profile, so the
training number it generates never reaches the staff's history.

It ends by itself: ``capdesk.app`` returns its exit code as soon as the flow is done,
never waiting for the window's ``closed`` signal (under wine with Qt offscreen that
signal never came, and the process never exited). Two deadlines bound a flow that
hangs: ``SMOKE_DEADLINE_S`` inside the event loop (a step that never answers), and a
watchdog thread (:func:`start_watchdog`) for an event loop that stops turning; each
ends with a ``FAIL`` sentence and a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import SignalInstance

from capdesk.api.errors import CapdeskError
from capdesk.ui.main_window import MainWindow

STEP_TIMEOUT_S = 20.0
# The whole flow (three steps of at most STEP_TIMEOUT_S each, plus the window opening).
SMOKE_DEADLINE_S = 80.0
# The watchdog fires this long after SMOKE_DEADLINE_S: time to tear the window down.
# Both stay under installer/build.py's SMOKE_TIMEOUT_S (120 s), so the sentence is ours.
WATCHDOG_MARGIN_S = 20.0
WATCHDOG_EXIT_CODE = 3
DEMO_MOBILE = "919876543210"  # Asha Rao, the training cluster's first demo customer


async def after_click(
    click: Callable[[], None],
    success: SignalInstance,
    failure: SignalInstance | None,
    *,
    timeout: float = STEP_TIMEOUT_S,
) -> Any:
    """Click, then wait for whichever of ``success`` (its first argument is returned)
    and ``failure`` (its CapdeskError is raised) fires first; TimeoutError after
    ``timeout`` seconds. Without ``failure``, only ``success`` ends the wait (a card
    batch always ends with its finished signal, even after an error).

    The one way to drive the window and wait for the outcome: the smoke test, the
    screenshots and the tests use it."""
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[Any] = loop.create_future()

    def ok(*args: Any) -> None:
        if not outcome.done():
            outcome.set_result(args[0] if args else None)

    def failed(error: CapdeskError) -> None:
        if not outcome.done():
            outcome.set_exception(error)

    success.connect(ok)
    if failure is not None:
        failure.connect(failed)
    try:
        click()
        return await asyncio.wait_for(outcome, timeout)
    finally:
        success.disconnect(ok)
        if failure is not None:
            failure.disconnect(failed)


def start_watchdog(seconds: float | None = None) -> threading.Event:
    """End the process with a sentence if the smoke test has not finished in ``seconds``.

    The asyncio deadline cannot fire when the event loop itself is stuck (a blocking
    call on the GUI thread, a teardown that never returns), so this is a thread: it
    prints a ``FAIL`` line and leaves with ``os._exit`` (no clean-up can run on a stuck
    GUI thread). Set the returned event to disarm it; ``capdesk.app`` does so when
    ``main()`` returns, so a host running the smoke test in-process goes on.
    """
    limit = SMOKE_DEADLINE_S + WATCHDOG_MARGIN_S if seconds is None else seconds
    done = threading.Event()

    def watch() -> None:
        if done.wait(limit):
            return
        message = (
            f"FAIL the smoke test did not end within {limit:.0f} s "
            "(the window stopped responding); capdesk stopped it\n"
        )
        # os.write: no lock the stuck GUI thread may hold. No usable stdout (a windowed
        # exe): the exit code still says it.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.write(sys.stdout.fileno(), message.encode())
        os._exit(WATCHDOG_EXIT_CODE)

    threading.Thread(target=watch, name="smoke-watchdog", daemon=True).start()
    return done


async def run_smoke_test(window: MainWindow, emit: Callable[[str], None]) -> int:
    """Returns 0 when every step passed, else the failing error's exit code.

    Bounded by ``SMOKE_DEADLINE_S`` as a whole, so a step that never answers (with a
    step timeout longer than the flow's) still ends with a sentence and exit code 1.
    """
    try:
        return await asyncio.wait_for(_steps(window, emit), SMOKE_DEADLINE_S)
    except TimeoutError:
        emit(f"FAIL the smoke test did not finish within {SMOKE_DEADLINE_S:.0f} s")
        return 1


async def _steps(window: MainWindow, emit: Callable[[str], None]) -> int:
    service = window.service
    try:
        till, _problem = await service.sign_in_status(service.cluster)
        emit(f"ok   window open on {service.cluster.label} as {till}")
        form = window.identifier_form
        form.clear()
        form.set_identifier("mobile", DEMO_MOBILE)
        await after_click(
            window.training_controls.simulate_button.click,
            window.otpRequestSimulated,
            window.operationFailed,
        )
        emit(f"ok   demo customer {DEMO_MOBILE} requested an OTP")
        result = await after_click(form.fetch_button.click, window.otpShown, window.operationFailed)
        left = int(result.seconds_left(window.clock.monotonic()))
        emit(
            f"ok   OTP fetched for user {result.user_id} ({len(result.code)} characters, "
            f"valid for {left} s)"
        )
        window.card_panel.set_count(1)
        entries = await after_click(
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
