"""The Sesam connector against the sandbox's emulated Sesam service API and Talk engine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from talkqa.sandbox.app import Sandbox
from talkqa.sandbox.clock import ManualClock
from talkqa.sandbox.credentials import SesamCredentials
from talkqa.systems.errors import AuthenticationFailed, NotFound
from talkqa.systems.sesam import Sesam

FEATURES = Path(__file__).resolve().parents[2] / "features"
CREDENTIALS = SesamCredentials()
PIPE = "talk:zohocrm-customerp:zohocrm-account-to-customerp-customer:forward"
DATASET = "customerp-customer-collect"


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[Sandbox]:
    with Sandbox(features_dir=FEATURES, clock=clock) as sandbox:
        yield sandbox


@pytest.fixture
def url(sandbox: Sandbox) -> str:
    return str(sandbox.description()["sesam"]["api_url"])


@pytest.fixture
def sesam(url: str) -> Sesam:
    return Sesam(url, CREDENTIALS.email, CREDENTIALS.password)


def test_a_jwt_is_fetched_once_and_renewed_when_it_expires(
    sesam: Sesam, clock: ManualClock
) -> None:
    assert PIPE in [p["_id"] for p in sesam.pipes()]
    first = sesam.jwt.token
    assert first and first.count(".") == 2
    sesam.pipes()
    assert sesam.jwt.token == first
    clock.advance(3601)
    assert sesam.pipe(PIPE)["_id"] == PIPE
    assert sesam.jwt.token != first


def test_a_wrong_password_says_what_to_check(url: str) -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        Sesam(url, CREDENTIALS.email, "wrong-password").pipes()
    message = str(caught.value)
    assert "Unauthorized: wrong email or password" in message
    assert "TALKQA_SESAM_PASSWORD" in message and "wrong-password" not in message


def test_pipe_ids_are_encoded_with_nothing_safe(sesam: Sesam) -> None:
    assert sesam.pipe(PIPE)["runtime"]["is-running"] is False
    assert sesam.pump(PIPE)["runtime"]["queues"] == {"source": 0, "dependencies": 0}
    with pytest.raises(NotFound, match="No pipe with id 'talk:nope' was found"):
        sesam.pipe("talk:nope")


def test_start_answers_false_while_a_run_is_under_way(
    sesam: Sesam, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, run = threading.Event(), sandbox.engine.run

    def held(pipe_id: str) -> Any:
        gate.wait(10)
        return run(pipe_id)

    monkeypatch.setattr(sandbox.engine, "run", held)
    try:
        assert sesam.start(PIPE) is True
        assert sesam.start(PIPE) is False
    finally:
        gate.set()


def test_entities_after_a_run_with_since_and_limit(sesam: Sesam, sandbox: Sandbox) -> None:
    for n in range(3):
        sandbox.customerp.collections["Customer"].insert({"name": f"Customer {n}"})
    sandbox.engine.run(PIPE.replace("forward", "reverse"))
    names = [e["name"] for e in sesam.entities(DATASET)]
    assert names == ["Customer 0", "Customer 1", "Customer 2"]
    first = sesam.entities(DATASET, limit=1)
    assert len(first) == 1
    assert [e["name"] for e in sesam.entities(DATASET, since=first[0]["_updated"])] == names[1:]
