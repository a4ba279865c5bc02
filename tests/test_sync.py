"""The sync driver: the wait pattern against a scripted Sesam, links against the sandbox."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from talkqa.sandbox.app import Sandbox
from talkqa.sandbox.web import Served
from talkqa.sync import (
    SyncDriver,
    SyncTimeout,
    dataset_stem,
    fed_from_datasets,
    linked_by_marker,
)
from talkqa.systems import RecordApi, Sesam, connect, settings_from_description
from talkqa.systems.errors import AuthenticationFailed, EnvironmentProblem, UsageError

FEATURES = Path(__file__).resolve().parents[1] / "features"
Runtime = dict[str, Any]


def runtime(running: bool = False, source: int = 0, dependencies: int = 0, **more: Any) -> Runtime:
    queues = {"source": source, "dependencies": dependencies}
    return {"is-running": running, "queues": queues, **more}


class FakeSesam:
    """A scripted Sesam API: each poll of a pipe's pump answers the next runtime of its
    script (the last one repeats); a start answers 409 for the pipes in `busy`. `GET
    /pipes` shows the source configs in `sources`; with `bulk` it also carries every
    runtime, as the sandbox's does: each listing is a poll of every pump. Every request is
    logged as `METHOD path form`."""

    def __init__(
        self,
        scripts: dict[str, list[Runtime]],
        busy: tuple[str, ...] = (),
        sources: dict[str, dict[str, Any]] | None = None,
        bulk: bool = False,
    ) -> None:
        self.scripts = {pipe: list(script) for pipe, script in scripts.items()}
        self.busy = set(busy)
        self.sources = sources or {}
        self.bulk = bulk
        self.disabled: set[str] = set()
        self.requests: list[str] = []

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        form = "&".join(f"{k}={v}" for k, v in sorted(request.form.items()))
        self.requests.append(f"{request.method} {request.path} {form}".strip())
        return self.answer(request)(environ, start_response)

    def answer(self, request: Request) -> Response:
        parts = request.path.split("/")  # ['', 'api', 'pipes', <id>, 'pump']
        if request.path == "/api/jwt":
            return _json("header.claims.signature")
        if request.path == "/api/pipes":
            return _json([self.listed(p) for p in self.scripts])
        if len(parts) == 5 and parts[4] == "pump" and parts[3] in self.scripts:
            script = self.scripts[parts[3]]
            if request.method == "POST":
                return _json({"runtime": script[0]}, 409 if parts[3] in self.busy else 200)
            return _json({"runtime": self.next(parts[3])})
        return _json({"title": "Not Found", "detail": request.path}, 404)

    def next(self, pipe: str) -> Runtime:
        script = self.scripts[pipe]
        return script.pop(0) if len(script) > 1 else script[0]

    def listed(self, pipe: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"_id": pipe, "runtime": {"is-disabled": pipe in self.disabled}}
        if self.bulk:
            entry["runtime"] = {**self.next(pipe), **entry["runtime"]}
        if pipe in self.sources:
            config = {"_id": pipe, "type": "pipe", "source": self.sources[pipe]}
            entry["config"] = {"original": config, "effective": config}
        return entry


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")


class FakeClock:
    """`monotonic` and `sleep` on one fake time line: sleeping only moves it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def served() -> Iterator[list[Served]]:
    servers: list[Served] = []
    yield servers
    for server in servers:
        server.close()


def driver_for(fake: FakeSesam, served: list[Served], **kw: Any) -> SyncDriver:
    served.append(Served(fake))
    return SyncDriver(Sesam(served[-1].url + "/api", "qa@example.com", "secret"), **kw)


def test_it_sleeps_only_after_a_poll_that_saw_a_run_and_runs_again_at_once_when_queued(
    served: list[Served],
) -> None:
    script = [runtime(running=True)] * 4 + [runtime(source=3)]
    script += [runtime(running=True)] * 2 + [runtime()]
    fake = FakeSesam({"p": script})
    clock = FakeClock()
    report = driver_for(fake, served, sleep=clock.sleep, monotonic=clock.monotonic).synchronize()

    # doubling from 1 ms while it runs; none before round 2 (the poll showed it idle and
    # queued), and the back-off starts over for the new round
    assert clock.waits == [0.001, 0.002, 0.004, 0.008, 0.001, 0.002]
    assert (report.rounds, report.pipes, report.runs, report.polls) == (2, ("p",), 2, 9)
    assert report.waited == pytest.approx(0.018) and report.elapsed == pytest.approx(0.018)
    start, poll = "POST /api/pipes/p/pump operation=start", "GET /api/pipes/p/pump"
    assert fake.requests == (
        ["POST /api/jwt email=qa@example.com&password=secret", "GET /api/pipes", start]
        + [poll] * 5  # 4 running, then idle and queued: round 2 at once
        + [start]
        + [poll] * 4  # 2 running, idle with nothing queued, and the poll confirming it
    )


def test_doubling_is_bounded_by_max_wait(served: list[Served]) -> None:
    fake = FakeSesam({"p": [runtime(running=True)] * 13 + [runtime()]})
    clock = FakeClock()
    driver_for(fake, served, sleep=clock.sleep, monotonic=clock.monotonic).synchronize()
    assert clock.waits == [0.001 * 2**n for n in range(10)] + [1.0] * 3


def test_round_one_starts_inbound_pipes_and_dataset_fed_pipes_only_when_queued(
    served: list[Served],
) -> None:
    sources = {
        "inbound": {"type": "rest", "system": "zohocrm", "operation": "list-accounts"},
        "fed": {"type": "dataset", "dataset": "zohocrm-account-all"},
        "merged": {"type": "merge", "datasets": ["zohocrm-account-all a", "crm b"]},
        "idle": {"type": "dataset", "dataset": "customerp-customer-collect"},
        "talk": {"type": "talk", "system": "webcrm", "dataset": "webcrm-persons-collect"},
    }
    scripts = {  # with `bulk`, the first runtime is what the first `GET /pipes` lists
        "inbound": [runtime()],
        "fed": [runtime(source=2), runtime()],
        "merged": [runtime(dependencies=1), runtime()],
        "idle": [runtime(), runtime(source=1), runtime()],  # the inbound run feeds it
        "talk": [runtime()],
        "unknown": [runtime()],  # no config in the answer: it may read a system
    }
    fake = FakeSesam(scripts, sources=sources, bulk=True)
    clock = FakeClock()
    report = driver_for(fake, served, sleep=clock.sleep, monotonic=clock.monotonic).synchronize()

    assert fake.requests[1:] == [
        "GET /api/pipes",
        "POST /api/pipes/fed/pump operation=start",
        "POST /api/pipes/inbound/pump operation=start",
        "POST /api/pipes/merged/pump operation=start",
        "POST /api/pipes/unknown/pump operation=start",
        "GET /api/pipes",  # all idle, `idle` now queued: round 2 at once
        "POST /api/pipes/idle/pump operation=start",
        "GET /api/pipes",  # all idle, nothing queued
        "GET /api/pipes",  # confirmed
    ]
    assert (report.rounds, report.runs) == (2, 5) and clock.waits == []


def test_a_pipe_reads_datasets_when_its_source_config_names_them() -> None:
    def pipe(source: dict[str, Any], version: str = "effective") -> dict[str, Any]:
        return {"_id": "p", "config": {version: {"source": source}}}

    assert fed_from_datasets(pipe({"type": "dataset", "dataset": "a"}))
    assert fed_from_datasets(pipe({"type": "union_datasets", "datasets": ["a", "b"]}))
    assert fed_from_datasets(pipe({"type": "dataset", "dataset": "a"}, "original"))
    # the sandbox's Talk pipes read the collect dataset that mirrors their system
    assert fed_from_datasets(
        pipe({"type": "talk", "system": "zohocrm", "dataset": "zohocrm-account-collect"})
    )
    assert not fed_from_datasets(pipe({"type": "rest", "system": "zohocrm"}))
    assert not fed_from_datasets(pipe({"type": "conditional", "alternatives": {}}))
    assert not fed_from_datasets({"_id": "p"}) and not fed_from_datasets({"_id": "p", "config": {}})


def test_a_409_means_already_running_and_is_waited_for_like_the_others(
    served: list[Served],
) -> None:
    fake = FakeSesam(
        {"b": [runtime(running=True)] * 2 + [runtime()], "a": [runtime(running=True), runtime()]},
        busy=("a",),
    )
    clock = FakeClock()
    report = driver_for(fake, served, sleep=clock.sleep, monotonic=clock.monotonic).synchronize()

    assert (report.rounds, report.pipes, report.runs) == (1, ("a", "b"), 1)
    assert clock.waits == [0.001, 0.002]
    assert fake.requests[2:] == [
        "POST /api/pipes/a/pump operation=start",  # 409
        "POST /api/pipes/b/pump operation=start",
        "GET /api/pipes/a/pump",
        "GET /api/pipes/b/pump",
        "GET /api/pipes/a/pump",  # both still running after the first poll
        "GET /api/pipes/b/pump",
        "GET /api/pipes/b/pump",  # only b still ran
        "GET /api/pipes/a/pump",  # every run finished: one full poll decides
        "GET /api/pipes/b/pump",
    ]
    assert report.polls == 7


def test_a_stuck_pipe_times_out_naming_it_its_queues_and_what_to_do(
    served: list[Served],
) -> None:
    stuck = runtime(
        running=True,
        source=5,
        dependencies=2,
        **{"last-message": "Running: 10 processed", "last-original-error-message": "HTTP 500"},
    )
    fake = FakeSesam({"stuck": [stuck], "fine": [runtime()]})
    clock = FakeClock()
    driver = driver_for(fake, served, timeout=5, sleep=clock.sleep, monotonic=clock.monotonic)
    with pytest.raises(SyncTimeout) as caught:
        driver.synchronize()

    message = str(caught.value)
    assert "within 5 s (waited 5.0 s over 1 round(s))" in message
    assert "stuck: still running, queues source 5, dependencies 2" in message
    assert "'Running: 10 processed'" in message and "'HTTP 500'" in message
    assert "fine:" not in message
    assert "Check the environment" in message and "--talkqa-sync-timeout" in message
    assert clock.waits == [0.001 * 2**n for n in range(10)] + [1.0] * 4


def test_a_queue_that_never_drains_slows_the_rounds_down_then_times_out(
    served: list[Served],
) -> None:
    fake = FakeSesam({"p": [runtime(dependencies=1)]})
    clock = FakeClock()
    driver = driver_for(fake, served, timeout=3, sleep=clock.sleep, monotonic=clock.monotonic)
    with pytest.raises(SyncTimeout, match=r"p: idle, queues source 0, dependencies 1"):
        driver.synchronize()
    # round 2 at once (other queues than before round 1), then slower while they stay
    assert clock.waits == [0.001 * 2**n for n in range(10)] + [1.0, 1.0]
    starts = [r for r in fake.requests if r.startswith("POST /api/pipes/p/")]
    assert len(starts) == 2 + 12  # rounds 1 and 2, then one after each sleep


def test_a_stuck_dataset_fed_pipe_times_out_naming_it(served: list[Served]) -> None:
    sources = {"in": {"type": "json", "system": "crm"}, "out": {"type": "dataset", "dataset": "a"}}
    fake = FakeSesam(
        {"in": [runtime()], "out": [runtime(), runtime(source=4)]}, sources=sources, bulk=True
    )
    clock = FakeClock()
    driver = driver_for(fake, served, timeout=2, sleep=clock.sleep, monotonic=clock.monotonic)
    with pytest.raises(SyncTimeout) as caught:
        driver.synchronize()
    message = str(caught.value)
    assert "  out: idle, queues source 4, dependencies 0" in message and "  in:" not in message
    assert fake.requests[2:4] == ["POST /api/pipes/in/pump operation=start", "GET /api/pipes"]


def test_the_same_answers_give_the_same_requests_whatever_the_clock(
    served: list[Served],
) -> None:
    def scripts() -> dict[str, list[Runtime]]:
        return {
            "talk:x:b:forward": [runtime(running=True)] * 3 + [runtime(source=1), runtime()],
            "talk:x:a:reverse": [runtime(running=True), runtime()],
            "talk:x:a:forward": [runtime()],
        }

    recorded, replayed = FakeSesam(scripts(), busy=("talk:x:a:forward",)), FakeSesam(scripts())
    replayed.busy = recorded.busy
    clock = FakeClock()
    driver_for(recorded, served, sleep=clock.sleep, monotonic=clock.monotonic).synchronize()
    driver_for(replayed, served, sleep=lambda seconds: None).synchronize()  # as in replay

    assert recorded.requests == replayed.requests
    pipes = [r for r in recorded.requests if r.startswith("POST /api/pipes/")]
    assert pipes[:3] == [
        f"POST /api/pipes/talk:x:{p}/pump operation=start"
        for p in ("a:forward", "a:reverse", "b:forward")
    ]


def test_disabled_pipes_are_left_alone_and_a_selection_picks_the_pipes(
    served: list[Served],
) -> None:
    fake = FakeSesam({"a": [runtime()], "b": [runtime()], "c": [runtime()]})
    fake.disabled = {"b"}
    assert driver_for(fake, served, sleep=lambda s: None).synchronize().pipes == ("a", "c")
    chosen = driver_for(fake, served, pipes=lambda pipes: ["c", "b"]).synchronize()
    assert chosen.pipes == ("b", "c")


def test_a_refused_login_and_an_unreachable_node_keep_the_connectors_errors() -> None:
    with Sandbox(features_dir=FEATURES) as sandbox:
        url = sandbox.description()["sesam"]["api_url"]
        with pytest.raises(AuthenticationFailed, match="TALKQA_SESAM_PASSWORD"):
            SyncDriver(Sesam(url, "nobody@example.com", "wrong")).synchronize()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = Sesam(f"http://127.0.0.1:{port}/api", "qa@example.com", "secret")
    with pytest.raises(EnvironmentProblem, match="cannot connect"):
        SyncDriver(unreachable).synchronize()


def test_dataset_stems_follow_the_catalogue_names() -> None:
    assert dataset_stem("webcrm", "Organisation") == "webcrm-organisations"
    assert dataset_stem("ZohoCRM", "Accounts") == "zohocrm-account"
    with pytest.raises(UsageError, match="no entity 'Planet'"):
        dataset_stem("customerp", "Planet")


# -- against the sandbox ----------------------------------------------------------------


@pytest.fixture
def systems() -> Iterator[dict[str, Any]]:
    with Sandbox(features_dir=FEATURES) as sandbox:
        settings = settings_from_description(sandbox.description())
        yield {key: connect(key, value) for key, value in settings.items()}


def test_a_zohocrm_account_reaches_customerp_then_webcrm_and_stays_linked(
    systems: dict[str, Any],
) -> None:
    zoho, customerp, webcrm = systems["zohocrm"], systems["customerp"], systems["webcrm"]
    driver = SyncDriver(systems["sesam"])
    account = zoho.create("Account", {"Account_Name": "Fjord Chain AS", "Phone": "+47 555"})
    assert driver.linked_id("zohocrm", "Account", account, "customerp", "Customer") is None

    started = time.monotonic()
    report = driver.synchronize()
    assert time.monotonic() - started < 10 and report.rounds >= 2

    customer = driver.linked_id("zohocrm", "Account", account, "customerp", "Customer")
    assert customer is not None
    assert customerp.get("Customer", customer)["name"] == "Fjord Chain AS"
    organisation = driver.linked_id("customerp", "Customer", customer, "webcrm", "Organisation")
    assert organisation is not None
    assert webcrm.get("Organisations", organisation)["OrganisationName"] == "Fjord Chain AS"
    # the other way round: the Customer was Talk's insert, its $origin names the Account
    assert driver.linked_id("customerp", "Customer", customer, "zohocrm", "Account") == account

    # nothing changed since: every sandbox pipe reads a dataset, none has anything queued
    idle = driver.synchronize()
    assert (idle.rounds, idle.runs) == (1, 0)

    customerp.update("Customer", customer, {"name": "Fjord Chain Renamed AS"})
    driver.synchronize()
    assert zoho.get("Account", account)["Account_Name"] == "Fjord Chain Renamed AS"
    assert webcrm.get("Organisations", organisation)["OrganisationName"] == (
        "Fjord Chain Renamed AS"
    )


def test_linked_ids_are_found_across_dataset_pages(systems: dict[str, Any]) -> None:
    sesam: Sesam = systems["sesam"]
    reads: list[Any] = []
    entities = sesam.entities

    def counted(
        dataset: str, since: Any = None, limit: Any = None, **kw: Any
    ) -> list[dict[str, Any]]:
        reads.append((dataset, since, limit))
        return entities(dataset, since=since, limit=limit, **kw)

    sesam.entities = counted  # type: ignore[method-assign]
    driver = SyncDriver(sesam, page_size=2)
    accounts = [
        systems["zohocrm"].create("Account", {"Account_Name": f"Page {n}"}) for n in range(5)
    ]
    driver.synchronize()
    customer = driver.linked_id("zohocrm", "Account", accounts[4], "customerp", "Customer")
    assert (
        customer is not None and systems["customerp"].get("Customer", customer)["name"] == "Page 4"
    )
    assert reads[:3] == [
        ("customerp-customer-collect", None, 2),
        ("customerp-customer-collect", 2, 2),
        ("customerp-customer-collect", 4, 2),
    ]


def test_records_merged_on_a_criterion_are_found_linked_through_their_ids(
    systems: dict[str, Any],
) -> None:
    """The seed features merge a Customer and an Organisation on the organisation number:
    neither is Talk's insert, so no `$origin` names the other; their `$ids` do."""
    driver = SyncDriver(systems["sesam"])
    number = "987654321"
    organisation = systems["webcrm"].create(
        "Organisations", {"OrganisationName": "Merge AS", "OrganisationVatNumber": number}
    )
    customer = systems["customerp"].create(
        "Customer", {"name": "Merge AS", "organization_number": number}
    )
    driver.synchronize()
    found = driver.linked_id("customerp", "Customer", customer, "webcrm", "Organisations")
    assert found == str(organisation)
    assert driver.linked_id("webcrm", "Organisations", organisation, "customerp", "Customer") == (
        str(customer)
    )
    origin = f"~:customerp-customer:{customer}"
    assert driver.inserted_from([origin], ["webcrm-organisations"]) == []


def test_without_a_sesam_api_a_marker_finds_the_record_on_the_other_side(
    systems: dict[str, Any],
) -> None:
    customerp: RecordApi = systems["customerp"]
    systems["zohocrm"].create("Account", {"Account_Name": "marker-7f3a"})
    SyncDriver(systems["sesam"]).synchronize()
    found = linked_by_marker(customerp, "Customer", "name", "marker-7f3a")
    assert [record["name"] for record in found] == ["marker-7f3a"]
    assert linked_by_marker(customerp, "Customer", "name", "no-such-marker") == []
