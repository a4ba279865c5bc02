"""A pytest plugin the benchmarks load with `-p timing_plugin`: where a run's time goes.

It changes nothing in the run; it times it and, at the end, writes one JSON object to the
file named by `TALKQA_BENCH_OUT`:

- `collection_s`: pytest's collection, `collected`: the tests it found
- `loop_s`: running every test (`pytest_runtestloop`)
- `tests`, `outcomes`: how many tests ran and how they ended
- `setup_s`, `call_s`, `teardown_s`: the phases' durations summed over the tests, and
  `setup_max_s`, ...: the longest of each; `passed_tests_s`, `failed_tests_s`, ...: the
  tests' durations (all phases) summed by outcome
- `cassette_load_s`: loading cassettes (replay: `talkqa.replay.Cassette.load`; record:
  vcrpy's `Cassette._load`)
- `cassette_match_s`: finding a recorded answer for each request (replay: the adapter's
  `send`, scrubbing and matching; record: vcrpy)
- `cassette_save_s`: vcrpy writing cassettes (record runs)
- `allure_write_s`: allure-pytest writing result files (only with `--alluredir`)
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest

OUT = "TALKQA_BENCH_OUT"
_totals: dict[str, float] = defaultdict(float)
_outcomes: Counter[str] = Counter()
_spent: dict[str, float] = defaultdict(float)  # nodeid -> its phases so far
_verdicts: dict[str, str] = {}


def timed(owner: Any, name: str, key: str) -> None:
    """Wrap `owner.name` so that its time adds up under `key` (nested calls count once)."""
    original: Callable[..., Any] = getattr(owner, name)
    depth = [0]

    @functools.wraps(original)  # keeps pluggy's hookimpl marks (allure's logger)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if depth[0]:
            return original(*args, **kwargs)
        depth[0] += 1
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            _totals[key] += time.perf_counter() - start
            depth[0] -= 1

    setattr(owner, name, wrapper)


def _instrument_allure() -> None:
    """Time allure's file writing. Done at import (`-p` plugins load first): allure's
    logger instance binds these methods when it registers, at configure time."""
    try:
        from allure_commons.logger import AllureFileLogger
    except ImportError:
        return
    for name in (
        "report_result",
        "report_container",
        "report_attached_file",
        "report_attached_data",
    ):
        timed(AllureFileLogger, name, "allure_write_s")


_instrument_allure()


def pytest_configure(config: pytest.Config) -> None:
    """Time the cassette work (talkqa's replay, vcrpy's record). Not at import:
    pytest-recording must first register `vcr.matchers` for assertion rewriting, as in
    a run without this plugin."""
    try:
        from vcr.cassette import Cassette
    except ImportError:
        return
    from talkqa.replay import Cassette as ReplayCassette
    from talkqa.replay import ReplayAdapter

    timed(ReplayCassette, "load", "cassette_load_s")
    timed(ReplayAdapter, "send", "cassette_match_s")
    timed(Cassette, "_load", "cassette_load_s")
    timed(Cassette, "_save", "cassette_save_s")
    timed(Cassette, "can_play_response_for", "cassette_match_s")
    timed(Cassette, "play_response", "cassette_match_s")


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[None]:
    start = time.perf_counter()
    try:
        return (yield)
    finally:
        _totals["collection_s"] += time.perf_counter() - start


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Iterator[None]:
    start = time.perf_counter()
    try:
        return (yield)
    finally:
        _totals["loop_s"] += time.perf_counter() - start


def pytest_collection_finish(session: pytest.Session) -> None:
    _totals["collected"] += len(session.items)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _totals[f"{report.when}_s"] += report.duration
    _totals[f"{report.when}_max_s"] = max(_totals[f"{report.when}_max_s"], report.duration)
    _spent[report.nodeid] += report.duration
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _outcomes[report.outcome] += 1
        _verdicts[report.nodeid] = report.outcome
    if report.when == "teardown":
        verdict = _verdicts.pop(report.nodeid, "error")
        _totals[f"{verdict}_tests_s"] += _spent.pop(report.nodeid)


def pytest_unconfigure(config: pytest.Config) -> None:
    path = os.environ.get(OUT)
    if not path or hasattr(config, "workerinput"):  # an xdist worker: the controller reports
        return
    figures: dict[str, Any] = dict(_totals)
    figures["tests"] = sum(_outcomes.values())
    figures["outcomes"] = dict(_outcomes)
    with open(path, "w") as out:
        json.dump(figures, out)
