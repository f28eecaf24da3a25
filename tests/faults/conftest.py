"""Fixtures for the fault matrix: a window factory that always closes what it opened."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.faults.desk import Desk, windows


@pytest.fixture
def open_window(qtbot, async_loop) -> Iterator[Callable[..., Desk]]:
    """``open_window(base_url, credentials, **options)`` → a :class:`Desk`, closed after,
    with the GUI thread guarded (see :func:`tests.faults.desk.windows`)."""
    with windows(qtbot) as open_one:
        yield open_one
