"""Regenerate the README's screenshots of the window in the states staff see.

    uv run python scripts/screenshots.py                 # offscreen, into docs/screenshots/
    xvfb-run -a uv run python scripts/screenshots.py --platform xcb

It drives the real window on the embedded training cluster through its buttons,
with a fake clock for the window so "last 10 seconds" and "expired" can be shown
without waiting. User files go to a temporary folder; nothing real is touched.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--platform", default="offscreen", help="Qt platform (offscreen, xcb)")
    parser.add_argument(
        "--size", default="1180x760", help="window size, e.g. 1024x689 (a small screen's)"
    )
    parser.add_argument(
        "--palette",
        choices=("system", "dark", "high-contrast"),
        default="system",
        help="the colours to take the shots under (names get a -PALETTE suffix)",
    )
    args = parser.parse_args()
    os.environ["QT_QPA_PLATFORM"] = args.platform
    os.environ["CAPDESK_HOME"] = tempfile.mkdtemp(prefix="capdesk-shots-")
    os.environ["CAPDESK_MACHINE_CONFIG"] = tempfile.mkdtemp(prefix="capdesk-shots-machine-")
    args.out.mkdir(parents=True, exist_ok=True)

    import qasync
    from PySide6.QtWidgets import QApplication

    from capdesk.api.clusters import TRAINING, load_clusters
    from capdesk.api.errors import CapdeskError
    from capdesk.paths import default_paths
    from capdesk.services import DeskService
    from capdesk.settings import Settings
    from capdesk.smoke import DEMO_MOBILE, after_click
    from capdesk.store.credentials import CredentialStore
    from capdesk.store.history import CardHistory
    from capdesk.store.policy import load_policy
    from capdesk.ui.main_window import MainWindow
    from tests.fake_clock import FakeClock

    app = QApplication.instance() or QApplication(["capdesk"])
    suffix = ""
    if args.palette != "system":
        from tests.ui.palettes import palette_named

        app.setPalette(palette_named(args.palette))
        suffix = f"-{args.palette}"
    paths = default_paths().ensure()
    clock = FakeClock(start=datetime.now(UTC), monotonic_start=time.monotonic())
    history = CardHistory(paths.history_file)
    service = DeskService(
        settings=Settings(paths, load_policy(paths)),
        credential_store=CredentialStore(),
        history=history,
        clusters=load_clusters(paths.cluster_files()),
        clock=clock,
        initial_cluster=TRAINING,
    )
    loop = qasync.QEventLoop(app)  # before the window: it starts work on this loop
    asyncio.set_event_loop(loop)
    window = MainWindow(service, clock=clock)
    width, height = (int(n) for n in args.size.lower().split("x"))
    window.resize(width, height)
    window.show()

    async def shot(name: str) -> None:
        # Let the loop turn (layout requests travel up one parent per pass). Not
        # app.processEvents(): inside a task that would run other tasks' steps re-entrantly.
        for _ in range(3):
            await asyncio.sleep(0.02)
        path = args.out / f"{name}{suffix}.png"
        window.grab().save(str(path))
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)

    async def tour() -> None:
        form = window.identifier_form
        await shot("main-window-empty")
        window.card_panel.set_count(3)
        await after_click(
            window.card_panel.generate_button.click,
            window.cardBatchFinished,
            window.operationFailed,
        )
        form.set_identifier("mobile", DEMO_MOBILE)
        await after_click(
            window.training_controls.simulate_button.click,
            window.otpRequestSimulated,
            window.operationFailed,
        )
        await after_click(form.fetch_button.click, window.otpShown, window.operationFailed)
        clock.advance(95)
        window.otp_panel.countdown.poll()
        await shot("main-window")
        clock.advance(797)
        window.otp_panel.countdown.poll()
        await shot("otp-last-10-seconds")
        clock.advance(12)
        window.otp_panel.countdown.poll()
        await shot("otp-expired")
        window.new_customer()
        form.set_identifier("email", "nobody@example.com")
        with contextlib.suppress(CapdeskError):  # the error is the point of this shot
            await after_click(form.fetch_button.click, window.otpShown, window.operationFailed)
        window.status.set_details_open(True)
        await shot("error-with-details")
        window.new_customer()
        window.training_controls.set_scenario("no_response")  # a call that hangs
        await service.set_training_scenario("no_response")
        form.set_identifier("mobile", DEMO_MOBILE)
        form.fetch_button.click()
        clock.advance(4.3)
        await asyncio.sleep(0.5)  # the window's wait timer ticks
        await shot("otp-waiting")
        window.otp_flow.cancel()
        await asyncio.sleep(0.1)  # the cancelled task finishes on the loop, not in a grab
        window.training_controls.set_scenario("normal")
        await service.set_training_scenario("normal")
        window.close()

        kiosk = MainWindow(service, clock=clock, kiosk=True)  # full screen, locked down
        kiosk.show()
        await asyncio.sleep(0.3)  # it reads the history in a worker, as the window does
        path = args.out / f"kiosk{suffix}.png"
        kiosk.grab().save(str(path))
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        kiosk.close_policy.allow_next_close()
        kiosk.close()

    try:
        loop.run_until_complete(tour())
    finally:
        loop.run_until_complete(service.close())
        history.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
