"""Zoho's grant cache (`ZohoTokens`): connectors sharing one make one token grant, renew
it once for all on a 401 and before it expires, and a suite run stays under Zoho's limit
of 10 grants per refresh token per 10 minutes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import requests

from talkqa.environment import Environment, replay_environment
from talkqa.sandbox.app import Sandbox
from talkqa.sandbox.clock import ManualClock
from talkqa.sandbox.credentials import ZohoCredentials
from talkqa.sandbox.zohocrm import ZohoCrmApi
from talkqa.systems import SETTINGS, settings_from_description, variable
from talkqa.systems.zohocrm import ZohoCrm, ZohoTokens

ROOT = Path(__file__).resolve().parents[2]
PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider")
CREDENTIALS = asdict(ZohoCredentials())
Serve = Callable[[Any], str]


@pytest.fixture
def api(clock: ManualClock) -> ZohoCrmApi:
    return ZohoCrmApi(clock)  # Zoho's limit: 10 grants per refresh token per 10 minutes


@pytest.fixture
def url(api: ZohoCrmApi, serve: Serve) -> str:
    api.api_domain = serve(api)
    return api.api_domain


@pytest.fixture
def grants(api: ZohoCrmApi, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The status of every token grant the emulation answers."""
    answered: list[int] = []
    grant = api.tokens.grant

    def counted(params: Any, api_domain: str) -> tuple[int, dict[str, Any]]:
        status, body = grant(params, api_domain)
        answered.append(status)
        return status, body

    monkeypatch.setattr(api.tokens, "grant", counted)
    return answered


class Statuses(requests.Session):
    """A session that notes each answer's method, path and status."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str, int]] = []
        self.hooks["response"].append(self._note)

    def _note(self, answer: requests.Response, *args: Any, **kwargs: Any) -> None:
        path = requests.utils.urlparse(answer.url).path
        self.seen.append((answer.request.method or "", path, answer.status_code))


def connector(url: str, sleep: Any, tokens: ZohoTokens, **http: Any) -> ZohoCrm:
    return ZohoCrm(url, **CREDENTIALS, sleep=sleep, tokens=tokens, **http)


def test_many_connectors_sharing_a_cache_make_one_grant(
    url: str, sleep: Any, grants: list[int]
) -> None:
    tokens = ZohoTokens()
    for n in range(25):  # more than Zoho's 10 grants: each its own login would be refused
        zoho = connector(url, sleep, tokens)
        zoho.get("Account", zoho.create("Account", {"Account_Name": f"Acme {n}"}))
    assert grants == [200]
    assert tokens.grants == 1


def test_a_401_renews_the_token_once_for_all(
    url: str, sleep: Any, api: ZohoCrmApi, grants: list[int]
) -> None:
    tokens = ZohoTokens()
    sessions = [Statuses() for _ in range(3)]
    connectors = [connector(url, sleep, tokens, session=s) for s in sessions]
    record_id = connectors[0].create("Account", {"Account_Name": "Acme"})
    first = tokens.token
    api.expire_tokens()
    for zoho in connectors:
        assert zoho.get("Account", record_id) is not None
    assert grants == [200, 200]
    assert tokens.token != first
    refused = [s.seen for s in sessions if any(status == 401 for *_, status in s.seen)]
    assert refused == [sessions[0].seen]  # the others were sent the new token at once


def test_connectors_refused_at_once_renew_once(
    url: str, sleep: Any, api: ZohoCrmApi, grants: list[int]
) -> None:
    tokens = ZohoTokens()
    connectors = [connector(url, sleep, tokens) for _ in range(8)]
    record_id = connectors[0].create("Account", {"Account_Name": "Acme"})
    for zoho in connectors:
        zoho.grant.apply({})  # each has sent the token that is about to expire
    api.expire_tokens()
    start, found = threading.Barrier(len(connectors)), []

    def read(zoho: ZohoCrm) -> None:
        start.wait()
        zoho.grant.renew()  # what a 401 for the old token leads to, all at the same time
        found.append(zoho.get("Account", record_id))

    threads = [threading.Thread(target=read, args=(zoho,)) for zoho in connectors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(found) == len(connectors) and all(found)
    assert grants == [200, 200]


def test_a_token_is_renewed_before_it_expires(
    url: str, sleep: Any, clock: ManualClock, grants: list[int]
) -> None:
    tokens = ZohoTokens(clock=lambda: clock.now().timestamp())
    session = Statuses()
    zoho = connector(url, sleep, tokens, session=session)
    record_id = zoho.create("Account", {"Account_Name": "Acme"})
    clock.advance(3000)  # Zoho answered expires_in 3600: not yet
    zoho.get("Account", record_id)
    assert grants == [200]
    clock.advance(570)  # within a minute of expiring: renewed before the call
    zoho.get("Account", record_id)
    assert grants == [200, 200]
    assert [status for *_, status in session.seen] == [200, 201, 200, 200, 200]
    assert session.seen[3][1] == "/oauth/v2/token"


def test_a_replay_logs_in_to_nothing_but_a_refused_placeholder_is_renewed(
    url: str, sleep: Any, grants: list[int]
) -> None:
    tokens = replay_environment().zoho_tokens()
    assert tokens.token == "REDACTED" and tokens.api_domain == "http://zohocrm.talkqa.invalid"
    tokens.api_domain = url  # the placeholder host, served here: a 401 as a cassette has it
    session = Statuses()
    zoho = connector(url, sleep, tokens, session=session)
    assert list(zoho.list("Account")) == []
    assert [status for *_, status in session.seen] == [401, 200, 204]
    assert grants == [200]


def test_an_environment_hands_its_cache_to_every_zoho_connector(sandbox: Sandbox) -> None:
    environment = Environment("live", "sandbox", sandbox.description())
    tokens = environment.zoho_tokens()
    for _ in range(3):
        systems, _sesam = environment.connect(zoho_tokens=tokens)
        assert isinstance(systems["zohocrm"], ZohoCrm)
        assert systems["zohocrm"].grant.tokens is tokens
        assert list(systems["zohocrm"].list("Account")) == []
    assert tokens.grants == 1
    systems, _sesam = environment.connect()  # no cache given: the connectors' own
    assert isinstance(systems["zohocrm"], ZohoCrm)
    assert systems["zohocrm"].grant.tokens is not tokens


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(features_dir=ROOT / "features") as sandbox:  # Zoho's limit on
        yield sandbox


@pytest.mark.slow
def test_a_live_run_of_the_suite_stays_under_zoho_s_grant_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The whole checklist suite, live against a sandbox with Zoho's limit of 10 grants
    (each scenario logging in anew made 45, and 35 scenarios failed)."""
    with Sandbox(features_dir=ROOT / "features", webcrm_per_minute=None) as sandbox:
        answered: list[int] = []
        grant = sandbox.zohocrm.tokens.grant

        def counted(params: Any, api_domain: str) -> tuple[int, dict[str, Any]]:
            status, body = grant(params, api_domain)
            answered.append(status)
            return status, body

        monkeypatch.setattr(sandbox.zohocrm.tokens, "grant", counted)
        settings = settings_from_description(sandbox.description())
        outer = ("PYTEST_", "TALKQA_")  # this run's own, and any live settings
        environ = {k: v for k, v in os.environ.items() if not k.startswith(outer)}
        environ |= {variable(s, k): str(settings[s][k]) for s in SETTINGS for k in SETTINGS[s]}
        run = subprocess.run(
            [*PYTEST, "steps", "-q", "--disable-recording", "--talkqa-env", "live"],
            cwd=ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout.splitlines()[-1]
    assert answered == [200]  # one grant for the run, far under Zoho's 10
