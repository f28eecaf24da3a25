"""TaskKeeper: results and errors reach callbacks; duplicate keys are refused."""

from __future__ import annotations

import asyncio

from capdesk.ui.common.tasks import TaskKeeper


def test_result_reaches_callback(qtbot, async_loop):
    keeper = TaskKeeper()
    results = []

    async def work():
        await asyncio.sleep(0.01)
        return 42

    keeper.start(work(), on_result=results.append)
    qtbot.waitUntil(lambda: results == [42], timeout=2000)
    assert keeper.running == 0


def test_error_reaches_callback(qtbot, async_loop):
    keeper = TaskKeeper()
    errors = []

    async def fail():
        raise ValueError("boom")

    keeper.start(fail(), on_error=errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=2000)
    assert isinstance(errors[0], ValueError)


def test_second_start_with_same_key_is_refused(qtbot, async_loop):
    keeper = TaskKeeper()
    done = []

    async def slow():
        await asyncio.sleep(0.05)

    first = keeper.start(slow(), key="fetch", on_done=lambda: done.append(1))
    second = keeper.start(slow(), key="fetch", on_done=lambda: done.append(2))
    assert first is not None
    assert second is None
    assert keeper.is_running("fetch")
    qtbot.waitUntil(lambda: done == [1], timeout=2000)
    assert not keeper.is_running("fetch")


def test_cancel_all_cancels_running_tasks(qtbot, async_loop):
    keeper = TaskKeeper()
    finished = []

    async def forever():
        await asyncio.sleep(3600)

    task = keeper.start(forever(), key="k", on_done=lambda: finished.append(True))
    keeper.cancel_all()
    qtbot.waitUntil(lambda: finished == [True], timeout=2000)
    assert task.cancelled()
