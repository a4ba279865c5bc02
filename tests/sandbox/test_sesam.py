"""The emulated Sesam service API, driven over HTTP the way a sync driver drives Sesam.

The engine behind it is a small scripted stand-in implementing the engine interface, so
each test decides what a run does (how long it takes, what it leaves in the queues,
whether it fails) and checks only what the API makes of it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest
import requests

from talkqa.sandbox.clock import ManualClock
from talkqa.sandbox.credentials import SesamCredentials
from talkqa.sandbox.engine import PipeInfo, PipeRun
from talkqa.sandbox.sesam import Scheduler, SesamApi
from talkqa.sandbox.web import Served

CREDENTIALS = SesamCredentials()
ACCOUNTS = "talk:zohocrm-customerp:zohocrm-account-to-customerp-customer:forward"
CUSTOMERS = "talk:zohocrm-customerp:zohocrm-account-to-customerp-customer:reverse"
DATASET = "customerp-customer-collect"
BOUND = 10.0  # seconds any poll may take before the test gives up


@dataclass
class ScriptedEngine:
    """Each run of a pipe takes one record off its source queue (two per run at most)."""

    clock: ManualClock
    queue: dict[str, int] = field(default_factory=lambda: {ACCOUNTS: 3, CUSTOMERS: 0})
    waiting: dict[str, int] = field(default_factory=lambda: {ACCOUNTS: 1, CUSTOMERS: 0})
    gate: threading.Event = field(default_factory=threading.Event)
    runs: list[str] = field(default_factory=list)
    ran: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)
    explode: bool = False
    resets: list[str] = field(default_factory=list)
    seen: dict[str, datetime | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.gate.set()

    def pipes(self) -> list[PipeInfo]:
        section = "zohocrm-customerp/zohocrm-account-to-customerp-customer"
        account, customer = ("zohocrm", "Account"), ("customerp", "Customer")
        return [
            PipeInfo(ACCOUNTS, section, "forward", account, customer),
            PipeInfo(CUSTOMERS, section, "reverse", customer, account),
        ]

    def run(self, pipe_id: str) -> PipeRun:
        assert self.gate.wait(BOUND), "the test never opened the gate"
        started = self.clock.now()
        self.runs.append(pipe_id)
        if self.explode:
            raise RuntimeError("engine broke")
        taken = min(2, self.queue[pipe_id])
        self.seen[pipe_id] = started
        self.queue[pipe_id] -= taken
        if not self.queue[pipe_id]:
            self.waiting[pipe_id] = 0
        self.ran.set()
        return PipeRun(pipe_id, started, self.clock.now(), taken, taken, list(self.errors))

    def backlog(self, pipe_id: str) -> int:
        return self.queue[pipe_id]

    def dependency_backlog(self, pipe_id: str) -> int:
        return self.waiting[pipe_id]

    def last_seen(self, pipe_id: str) -> datetime | None:
        return self.seen.get(pipe_id)

    def reset_last_seen(self, pipe_id: str) -> None:
        self.resets.append(pipe_id)
        self.seen[pipe_id] = None

    def datasets(self) -> list[str]:
        return [DATASET, "zohocrm-account-collect"]

    def entities(
        self, dataset_id: str, since: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        if dataset_id != DATASET:
            return []
        found = [
            {
                "_id": f"~:customerp-customer:{n}",
                "_updated": n,
                "_deleted": False,
                "$ids": [f"~:customerp-customer:{n}"],
                "name": f"Customer {n}",
            }
            for n in range(1, 4)
        ]
        if n := int(since or 0):
            found = [e for e in found if e["_updated"] > n]
        return found[:limit] if limit is not None else found


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def engine(clock: ManualClock) -> ScriptedEngine:
    return ScriptedEngine(clock)


@pytest.fixture
def api(engine: ScriptedEngine, clock: ManualClock) -> Iterator[SesamApi]:
    sesam = SesamApi(engine, clock)  # type: ignore[arg-type]
    yield sesam
    engine.gate.set()
    sesam.close()


@pytest.fixture
def url(api: SesamApi) -> Iterator[str]:
    served = Served(api)
    yield served.url + "/api"
    served.close()


def jwt(url: str, **form: str) -> requests.Response:
    data = {"email": CREDENTIALS.email, "password": CREDENTIALS.password, **form}
    return requests.post(f"{url}/jwt", data=data, timeout=5)


@pytest.fixture
def session(url: str) -> requests.Session:
    answer = jwt(url)
    assert answer.status_code == 200, answer.text
    client = requests.Session()
    client.headers["Authorization"] = f"Bearer {answer.json()}"
    return client


def pipe_url(url: str, pipe_id: str) -> str:
    return f"{url}/pipes/{quote(pipe_id, safe='')}"


def operate(session: requests.Session, url: str, pipe_id: str, op: str) -> requests.Response:
    return session.post(f"{pipe_url(url, pipe_id)}/pump", data={"operation": op}, timeout=5)


def runtime(session: requests.Session, url: str, pipe_id: str) -> dict[str, Any]:
    answer = session.get(f"{pipe_url(url, pipe_id)}/pump", timeout=5)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["runtime"]
    return result


def wait_until_idle(session: requests.Session, url: str, pipe_id: str) -> dict[str, Any]:
    """Poll the pump until it is not running (bounded): Sesam's own wait."""
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        state = runtime(session, url, pipe_id)
        if not state["is-running"]:
            return state
    raise AssertionError(f"{pipe_id} still running after {BOUND} s")


# -- authentication ---------------------------------------------------------------------


def test_the_jwt_is_a_json_string_that_opens_the_api(url: str) -> None:
    answer = jwt(url)
    assert answer.status_code == 200
    token = answer.json()
    assert isinstance(token, str) and token.count(".") == 2
    listed = requests.get(f"{url}/pipes", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert listed.status_code == 200


def test_wrong_credentials_get_no_jwt(url: str) -> None:
    assert jwt(url, password="not-the-password").status_code == 401
    assert jwt(url, email="someone@else.invalid").status_code == 401


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not.a.jwt", "Basic abc"])
def test_every_call_needs_a_valid_bearer_jwt(url: str, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    answer = requests.get(f"{url}/pipes", headers=headers, timeout=5)
    assert answer.status_code == 401
    assert answer.json()["status"] == 401


def test_a_jwt_expires(url: str, session: requests.Session, clock: ManualClock) -> None:
    assert session.get(f"{url}/pipes", timeout=5).status_code == 200
    clock.advance(3601)
    assert session.get(f"{url}/pipes", timeout=5).status_code == 401


# -- pipes ------------------------------------------------------------------------------


def test_pipes_are_listed_with_config_and_runtime(url: str, session: requests.Session) -> None:
    pipes = session.get(f"{url}/pipes", timeout=5).json()
    assert [p["_id"] for p in pipes] == [ACCOUNTS, CUSTOMERS]
    forward = pipes[0]
    effective = forward["config"]["effective"]
    assert effective["source"]["system"] == "zohocrm"
    assert effective["sink"] == {"type": "talk", "system": "customerp", "entity": "Customer"}
    assert effective["metadata"]["direction"] == "forward"
    assert set(forward["runtime"]) >= {
        "is-running",
        "is-disabled",
        "last-run",
        "next-run",
        "last-seen",
        "progress",
        "last-message",
        "last-original-error-message",
        "queues",
    }
    assert forward["runtime"]["queues"] == {"source": 3, "dependencies": 1}
    assert forward["runtime"]["last-run"] is None


def test_a_pipe_id_may_be_url_encoded_with_nothing_safe(
    url: str, session: requests.Session
) -> None:
    encoded = session.get(pipe_url(url, ACCOUNTS), timeout=5)
    assert "%3A" in encoded.url
    assert encoded.status_code == 200 and encoded.json()["_id"] == ACCOUNTS
    plain = session.get(f"{url}/pipes/{ACCOUNTS}/pump", timeout=5)
    assert plain.status_code == 200 and plain.json()["runtime"]["is-running"] is False


def test_an_unknown_pipe_is_a_404_in_sesams_shape(url: str, session: requests.Session) -> None:
    for path in ("", "/pump", "/log"):
        answer = session.get(pipe_url(url, "talk:no-such-pipe") + path, timeout=5)
        assert answer.status_code == 404
        assert answer.json()["status"] == 404 and "talk:no-such-pipe" in answer.json()["detail"]
    assert operate(session, url, "talk:no-such-pipe", "start").status_code == 404


# -- pump operations ----------------------------------------------------------------------


def test_start_runs_the_pipe_in_the_background_and_a_second_start_conflicts(
    url: str, session: requests.Session, engine: ScriptedEngine
) -> None:
    engine.gate.clear()
    started = operate(session, url, ACCOUNTS, "start")
    assert started.status_code == 200
    assert started.json()["runtime"]["is-running"] is True
    again = operate(session, url, ACCOUNTS, "start")
    assert again.status_code == 409
    assert again.json()["runtime"]["is-running"] is True
    engine.gate.set()
    state = wait_until_idle(session, url, ACCOUNTS)
    assert engine.runs == [ACCOUNTS]
    assert state["progress"]["processed"] == 2
    assert state["last-run"] is not None and state["last-seen"]
    assert state["queues"] == {"source": 1, "dependencies": 1}


def test_the_wait_pattern_ends_when_both_queues_are_empty(
    url: str, session: requests.Session, engine: ScriptedEngine
) -> None:
    for _ in range(10):
        assert operate(session, url, ACCOUNTS, "start").status_code == 200
        state = wait_until_idle(session, url, ACCOUNTS)
        if state["queues"]["source"] == 0 and state["queues"]["dependencies"] == 0:
            break
    else:
        raise AssertionError("the queues never emptied")
    assert engine.runs == [ACCOUNTS, ACCOUNTS]


def test_an_unsupported_operation_is_a_400(url: str, session: requests.Session) -> None:
    answer = operate(session, url, ACCOUNTS, "explode")
    assert answer.status_code == 400
    assert "doesn't support the operation" in answer.json()["detail"]


def test_stop_on_an_idle_pump_changes_nothing(
    url: str, session: requests.Session, engine: ScriptedEngine
) -> None:
    answer = operate(session, url, ACCOUNTS, "stop")
    assert answer.status_code == 200
    assert answer.json()["runtime"]["is-running"] is False
    assert engine.runs == []


def test_disable_and_enable_show_in_the_runtime_and_a_disabled_pipe_still_starts_by_hand(
    url: str, session: requests.Session, engine: ScriptedEngine
) -> None:
    assert operate(session, url, ACCOUNTS, "disable").json()["runtime"]["is-disabled"] is True
    assert operate(session, url, ACCOUNTS, "start").status_code == 200
    wait_until_idle(session, url, ACCOUNTS)
    assert engine.runs == [ACCOUNTS]
    assert operate(session, url, ACCOUNTS, "enable").json()["runtime"]["is-disabled"] is False


def test_start_rescan_resets_last_seen_then_runs(
    url: str, session: requests.Session, engine: ScriptedEngine
) -> None:
    operate(session, url, ACCOUNTS, "start")
    assert wait_until_idle(session, url, ACCOUNTS)["last-seen"]
    engine.gate.clear()
    rescan = operate(session, url, ACCOUNTS, "start-rescan")
    assert rescan.status_code == 200
    assert rescan.json()["runtime"]["last-seen"] == ""
    assert engine.resets == [ACCOUNTS]
    engine.gate.set()
    wait_until_idle(session, url, ACCOUNTS)
    assert engine.runs == [ACCOUNTS, ACCOUNTS]


# -- the log and errors --------------------------------------------------------------------


def test_the_log_records_each_run(url: str, session: requests.Session) -> None:
    operate(session, url, ACCOUNTS, "start")
    wait_until_idle(session, url, ACCOUNTS)
    log = session.get(f"{pipe_url(url, ACCOUNTS)}/log", timeout=5).json()
    assert [e["event_type"] for e in log] == ["pump-started", "pump-completed"]
    assert log[1]["entities_succeeded"] == 2


def test_a_run_with_errors_fails_and_says_why(
    url: str, session: requests.Session, engine: ScriptedEngine
) -> None:
    engine.errors = ["Customer 7: name is required"]
    operate(session, url, ACCOUNTS, "start")
    state = wait_until_idle(session, url, ACCOUNTS)
    assert state["last-original-error-message"] == "Customer 7: name is required"
    log = session.get(f"{pipe_url(url, ACCOUNTS)}/log", timeout=5).json()
    assert [e["event_type"] for e in log] == ["pump-started", "write-error", "pump-failed"]
    engine.errors = []
    operate(session, url, ACCOUNTS, "start")
    assert wait_until_idle(session, url, ACCOUNTS)["last-original-error-message"] is None


def test_an_engine_crash_is_a_failed_run_not_a_dead_server(
    url: str, session: requests.Session, engine: ScriptedEngine
) -> None:
    engine.explode = True
    operate(session, url, ACCOUNTS, "start")
    state = wait_until_idle(session, url, ACCOUNTS)
    assert "engine broke" in state["last-original-error-message"]
    assert state["last-message"].startswith("Failed")
    engine.explode = False
    assert operate(session, url, ACCOUNTS, "start").status_code == 200


# -- datasets -----------------------------------------------------------------------------


def test_datasets_are_listed(url: str, session: requests.Session) -> None:
    ids = [d["_id"] for d in session.get(f"{url}/datasets", timeout=5).json()]
    assert ids == [DATASET, "zohocrm-account-collect"]


def test_entities_honour_since_and_limit(url: str, session: requests.Session) -> None:
    base = f"{url}/datasets/{DATASET}/entities"
    every = session.get(base, timeout=5).json()
    assert [e["_updated"] for e in every] == [1, 2, 3]
    later = session.get(base, params={"since": "1", "limit": "1"}, timeout=5).json()
    assert [e["_updated"] for e in later] == [2]
    assert session.get(base, params={"limit": "many"}, timeout=5).status_code == 400
    assert session.get(base, params={"since": "yesterday"}, timeout=5).status_code == 400


def test_one_entity_by_id(url: str, session: requests.Session) -> None:
    base = f"{url}/datasets/{DATASET}/entity"
    found = session.get(base, params={"entity_id": "~:customerp-customer:2"}, timeout=5)
    assert found.status_code == 200 and found.json()["name"] == "Customer 2"
    missing = session.get(base, params={"entity_id": "~:customerp-customer:9"}, timeout=5)
    assert missing.status_code == 404


def test_an_unknown_dataset_is_a_404(url: str, session: requests.Session) -> None:
    answer = session.get(f"{url}/datasets/nope-collect/entities", timeout=5)
    assert answer.status_code == 404 and answer.json()["title"] == "Not Found"


# -- the scheduler ------------------------------------------------------------------------


def test_the_scheduler_runs_enabled_pipes_only(
    url: str, session: requests.Session, api: SesamApi, engine: ScriptedEngine
) -> None:
    operate(session, url, CUSTOMERS, "disable")
    scheduler = Scheduler(api, interval=0.01)
    scheduler.start()
    try:
        assert engine.ran.wait(BOUND), "no scheduled run happened"
        assert runtime(session, url, ACCOUNTS)["next-run"] is not None
        assert runtime(session, url, CUSTOMERS)["next-run"] is None
    finally:
        scheduler.close()
    assert ACCOUNTS in engine.runs and CUSTOMERS not in engine.runs
    assert runtime(session, url, ACCOUNTS)["next-run"] is None


def test_the_schedule_interval_must_be_positive(api: SesamApi) -> None:
    with pytest.raises(ValueError, match="positive"):
        Scheduler(api, interval=0)


class EngineWithoutRescan(ScriptedEngine):
    reset_last_seen = None  # type: ignore[assignment]


def test_without_an_engine_reset_there_is_no_rescan(clock: ManualClock) -> None:
    api = SesamApi(EngineWithoutRescan(clock), clock)  # type: ignore[arg-type]
    served = Served(api)
    try:
        url = served.url + "/api"
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {jwt(url).json()}"
        assert "start-rescan" not in runtime(session, url, ACCOUNTS)["supported-operations"]
        assert operate(session, url, ACCOUNTS, "start-rescan").status_code == 400
    finally:
        served.close()
