"""``capdesk.app.main``: the automation surface, run in-process on the test's QApplication.

main() runs its own qasync loop until the window closes, so each test drives the
window from QTimer callbacks that fire inside that loop, and asserts afterwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QComboBox

from capdesk.app import main
from tests.ui.window_harness import guarded_gui_thread

DEMO_MOBILE = "919876543210"


@pytest.fixture(autouse=True)
def gui_thread_guarded():
    """main() builds the staff's window: no keyring or SQLite call may run on its GUI
    thread (see tests/ui/window_harness.py)."""
    with guarded_gui_thread():
        yield


def the_window():
    from capdesk.ui.main_window import MainWindow

    windows = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
    ]
    assert len(windows) == 1
    return windows[0]


def when_open(action: Callable[[], None]) -> None:
    """Run ``action`` once main()'s loop is running (the window is open by then)."""
    QTimer.singleShot(0, action)


def test_smoke_test_passes_in_process_and_never_prints_the_code(qapp, capsys, isolated_home):
    codes: list[str] = []
    when_open(lambda: the_window().otpShown.connect(lambda result: codes.append(result.code)))
    assert main(["--smoke-test"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "ok   window open on Training (simulated) as training.till"
    assert lines[1] == f"ok   demo customer {DEMO_MOBILE} requested an OTP"
    assert lines[2].startswith("ok   OTP fetched for user 3001 (7 characters, valid for ")
    assert lines[3].startswith("ok   card number ")
    assert lines[-1] == "ok   smoke test passed"
    assert len(codes) == 1 and codes[0] not in "\n".join(lines)
    # Saved in the smoke test's throwaway profile, never in the staff's history
    # (see tests/hostile/test_training_data.py).
    assert lines[3].endswith(" generated and saved in the smoke test's own history")
    assert not (isolated_home / "data" / "history.sqlite3").exists()
    assert _main_windows() == []


def _main_windows():
    from capdesk.ui.main_window import MainWindow

    return [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]


def test_the_window_is_gone_after_main_returns(qapp):
    when_open(lambda: the_window().close())
    assert main([]) == 0
    assert _main_windows() == []


def test_an_unknown_cluster_is_a_sentence_and_exit_2(qapp, capsys):
    assert main(["--cluster", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("There is no cluster called 'nope'. Choose one of: training, ")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "label", "training"),
    [([], "Training (simulated)", True), (["--cluster", "eu"], "EU", False)],
)
def test_opens_on_the_chosen_cluster(qapp, argv, label, training):
    seen: dict[str, object] = {}

    def look() -> None:
        window = the_window()
        seen["cluster"] = window.findChild(QComboBox, "clusterSelector").currentText()
        seen["banner"] = window.banner.isVisible()
        seen["simulate"] = window.training_controls.isVisible()
        window.close()

    when_open(look)
    assert main(argv) == 0
    assert seen == {"cluster": label, "banner": training, "simulate": training}


@pytest.mark.parametrize(
    ("button", "path"),
    [("fetch", "/v2/otp"), ("generate", "/v2/cardNumber")],
)
def test_closing_with_a_call_in_flight_returns_within_a_second(qapp, button, path):
    before = set(threading.enumerate())
    seen: dict[str, object] = {}

    def start_a_hanging_call() -> None:
        window = the_window()
        simulator = seen["simulator"] = window.service.ensure_training()
        simulator.set_scenario("no_response")  # the request is taken and never answered
        window.identifier_form.set_identifier("mobile", DEMO_MOBILE)
        clicked = (
            window.identifier_form.fetch_button
            if button == "fetch"
            else window.card_panel.generate_button
        )
        clicked.click()

        def close_once_sent() -> None:
            if simulator.request_count(path) < 1:
                QTimer.singleShot(10, close_once_sent)
                return
            seen["disabled"] = not clicked.isEnabled()
            seen["closed_at"] = time.monotonic()
            window.close()

        close_once_sent()

    when_open(start_a_hanging_call)
    assert main([]) == 0
    took = time.monotonic() - seen["closed_at"]
    assert seen["disabled"] is True
    assert took < 1.0, f"main() returned {took:.2f} s after the window closed"
    assert not seen["simulator"].running
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left:
            break
        time.sleep(0.02)
    assert left == []
