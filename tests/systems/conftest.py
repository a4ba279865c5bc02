"""Shared setup for the connector tests: serving apps on loopback, a manual clock, and a
`sleep` that moves that clock instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from talkqa.sandbox.clock import ManualClock
from talkqa.sandbox.web import Served


class FakeSleep:
    """Records each wait and advances the emulations' clock by it: no real sleeping."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sleep(clock: ManualClock) -> FakeSleep:
    return FakeSleep(clock)


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    """Serve a WSGI app on loopback for this test; answers its root URL."""
    served: list[Served] = []

    def start(app: Any) -> str:
        served.append(Served(app))
        return served[-1].url

    yield start
    for server in served:
        server.close()
