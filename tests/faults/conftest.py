"""Fixtures for the fault matrix: a window factory that always closes what it opened."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.faults.desk import Desk, open_desk


@pytest.fixture
def open_window(qtbot, async_loop) -> Iterator[Callable[..., Desk]]:
    """``open_window(base_url, credentials, **options)`` → a :class:`Desk`, closed after."""
    opened: list[Desk] = []

    def factory(*args: Any, **kwargs: Any) -> Desk:
        desk = open_desk(qtbot, *args, **kwargs)
        opened.append(desk)
        return desk

    yield factory
    for desk in opened:
        desk.close()
