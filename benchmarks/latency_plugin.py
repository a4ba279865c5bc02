"""A pytest plugin the live benchmark loads with `-p latency_plugin`: sync to verdict.

It wraps, in-process and without changing what they do:
- `talkqa.sync.SyncDriver.synchronize` (the harness's trigger and wait: start the pumps,
  poll until idle) and `SyncDriver.linked_id` (finding the linked record),
- `talkqa.systems.sesam.Sesam.start / pipes / pump` (the HTTP calls of a sync),
- `talkqa.sandbox.engine_pipe.Pipe.run` (the sandbox engine's own work on one pipe, done
  under the engine's lock, on the pump's thread),
- `talkqa.systems.http.retry_after` (an answer asking to retry: 429, 503, ...),
and records pytest-bdd's step ends. At the end it writes, to `TALKQA_BENCH_LATENCY`, a
JSON object: under `scenarios`, one object per scenario with its syncs (`elapsed`,
`engine`, `http`, `engine_calls`, `http_calls`, and the driver's report: `waited`,
`rounds`, `polls`, `runs`) and `verify`, the time from the end of its last sync to the
end of its last step (the verdict); under `retries`, the retryable answers of the whole
run (status, and the seconds each asked to wait; None: not said).
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

OUT = "TALKQA_BENCH_LATENCY"
_scenarios: list[dict[str, Any]] = []
_current: dict[str, Any] | None = None
_sync: dict[str, float] | None = None  # the sync under way, where engine and HTTP time go
_lock = threading.Lock()
_retries: list[tuple[int, float | None]] = []


def _add(key: str, seconds: float) -> None:
    with _lock:
        if _sync is not None:
            _sync[key] = _sync.get(key, 0.0) + seconds


def _timing(original: Callable[..., Any], key: str) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            _add(key, time.perf_counter() - start)
            _add(f"{key}_calls", 1)

    return wrapper


def _synchronize(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(self: Any) -> Any:
        global _sync
        sync: dict[str, float] = {"start": time.perf_counter()}
        with _lock:
            _sync = sync
        try:
            report = original(self)
        finally:
            with _lock:
                _sync = None
            sync["end"] = time.perf_counter()
        sync["elapsed"] = sync["end"] - sync["start"]
        for name in ("rounds", "polls", "runs", "waited"):
            sync[name] = float(getattr(report, name))
        if _current is not None:
            _current["syncs"].append(sync)
        return report

    return wrapper


def _linked_id(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            if _current is not None:
                _current["linked_id"] += time.perf_counter() - start

    return wrapper


def _retry_after(original: Callable[[Any], float | None]) -> Callable[[Any], float | None]:
    @functools.wraps(original)
    def wrapper(answer: Any) -> float | None:
        wait = original(answer)
        _retries.append((int(answer.status_code), wait))
        return wait

    return wrapper


def pytest_configure(config: pytest.Config) -> None:
    from talkqa.sandbox.engine_pipe import Pipe
    from talkqa.sync import SyncDriver
    from talkqa.systems import http
    from talkqa.systems.sesam import Sesam

    http.retry_after = _retry_after(http.retry_after)  # type: ignore[assignment]
    SyncDriver.synchronize = _synchronize(SyncDriver.synchronize)  # type: ignore[method-assign]
    SyncDriver.linked_id = _linked_id(SyncDriver.linked_id)  # type: ignore[method-assign]
    for name in ("start", "pipes", "pump"):
        setattr(Sesam, name, _timing(getattr(Sesam, name), "http"))
    Pipe.run = _timing(Pipe.run, "engine")  # type: ignore[method-assign]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    global _current
    _current = {"nodeid": item.nodeid, "syncs": [], "step_end": None, "linked_id": 0.0}
    try:
        return (yield)
    finally:
        _scenarios.append(_current)
        _current = None


def pytest_bdd_after_step(**_: Any) -> None:
    if _current is not None:
        _current["step_end"] = time.perf_counter()


def pytest_unconfigure(config: pytest.Config) -> None:
    path = os.environ.get(OUT)
    if not path:
        return
    for scenario in _scenarios:
        syncs, end = scenario["syncs"], scenario.pop("step_end")
        last = syncs[-1]["end"] if syncs else None
        scenario["verify"] = end - last if end is not None and last is not None else 0.0
        for sync in syncs:
            sync.pop("start")
            sync.pop("end")
    with open(path, "w") as out:
        json.dump({"scenarios": _scenarios, "retries": _retries}, out)
