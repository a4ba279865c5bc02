"""The replay adapter answers a scenario's requests from its cassette as vcrpy would.

The round trip (vcrpy records, the adapter replays, the scenario passes) is in
test_record_replay.py; these are the matching rules and the refusals, on cassettes
written here in vcrpy's format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from talkqa import replay
from talkqa.cassettes import Scrubber, replay_description

ZOHO = "http://zohocrm.talkqa.invalid"
CERP = "http://customerp.talkqa.invalid/api/v1"
JSON_TYPE = {"Content-Type": ["application/json"]}


def exchange(method: str, uri: str, answer: Any, body: Any = None, status: int = 200) -> Any:
    return {
        "request": {
            "method": method,
            "uri": uri,
            "body": None if body is None else json.dumps(body),
            "headers": JSON_TYPE if body is not None else {},
        },
        "response": {
            "status": {"code": status, "message": "OK" if status < 400 else "Bad Request"},
            "headers": {"Content-Type": ["application/json; charset=utf-8"], "X-Seen": ["a"]},
            "body": {"string": json.dumps(answer)},
        },
    }


def session_on(tmp_path: Path, *exchanges: Any) -> tuple[requests.Session, replay.Cassette]:
    path = tmp_path / "scenario.json"
    if exchanges:
        path.write_text(json.dumps({"version": 1, "interactions": list(exchanges)}))
    session = requests.Session()
    cassette = replay.mount(session, path, Scrubber(replay_description()))
    return session, cassette


def test_each_recorded_answer_is_played_once_in_recorded_order(tmp_path: Path) -> None:
    session, _ = session_on(
        tmp_path,
        exchange("GET", f"{CERP}/customers/1", {"version": 1}),
        exchange("GET", f"{CERP}/customers/2", {"other": True}),
        exchange("GET", f"{CERP}/customers/1", {"version": 2}),
    )
    assert session.get(f"{CERP}/customers/1").json() == {"version": 1}
    assert session.get(f"{CERP}/customers/1").json() == {"version": 2}
    with pytest.raises(replay.CassetteOutOfDate) as refused:
        session.get(f"{CERP}/customers/1")
    assert refused.value.why == replay.ALL_PLAYED
    assert "(3 recorded, 2 played)" in refused.value.details
    assert session.get(f"{CERP}/customers/2").json() == {"other": True}


def test_the_answer_keeps_status_headers_and_body_and_the_session_hooks_see_it(
    tmp_path: Path,
) -> None:
    session, _ = session_on(tmp_path, exchange("GET", f"{CERP}/x", {"error": "no"}, status=400))
    seen: list[int] = []
    session.hooks["response"].append(lambda answer, *_, **__: seen.append(answer.status_code))
    answer = session.get(f"{CERP}/x")
    assert (answer.status_code, answer.reason, answer.json()) == (
        400,
        "Bad Request",
        {"error": "no"},
    )
    assert answer.headers["x-seen"] == "a" and answer.encoding == "utf-8"
    assert answer.url == f"{CERP}/x" and seen == [400]


def test_a_query_matches_in_any_order_and_run_markers_are_masked(tmp_path: Path) -> None:
    body = {"data": [{"Account_Name": "Nordvik AS tqa-0badf00d"}]}
    session, _ = session_on(
        tmp_path,
        exchange("GET", f"{ZOHO}/crm/v8/Accounts/search?word=tqa-0badf00d&page=1", {"n": 1}),
        exchange("POST", f"{ZOHO}/crm/v8/Accounts", {"n": 2}, body=body),
    )
    found = session.get(f"{ZOHO}/crm/v8/Accounts/search?page=1&word=tqa-12345678")
    assert found.json() == {"n": 1}
    made = session.post(
        f"{ZOHO}/crm/v8/Accounts", json={"data": [{"Account_Name": "Nordvik AS tqa-87654321"}]}
    )
    assert made.json() == {"n": 2}


def test_json_bodies_match_as_data_not_as_text(tmp_path: Path) -> None:
    session, _ = session_on(
        tmp_path, exchange("POST", f"{CERP}/customers", {"id": 7}, body={"a": 1, "b": [1, 2]})
    )
    answer = session.post(
        f"{CERP}/customers",
        data='{"b": [1, 2],   "a": 1}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.json() == {"id": 7}


def test_a_changed_body_is_refused_with_the_difference(tmp_path: Path) -> None:
    session, _ = session_on(
        tmp_path,
        exchange("POST", f"{CERP}/customers", {"id": 7}, body={"name": "Nordvik", "phone": "1"}),
    )
    with pytest.raises(replay.CassetteOutOfDate) as refused:
        session.post(f"{CERP}/customers", json={"name": "Nordvik", "phone": "2"})
    error = refused.value
    assert error.asked == f"POST {CERP}/customers" and error.why == replay.NONE_LIKE_IT
    assert f"Closest recorded request: POST {CERP}/customers" in error.details
    assert '-  "phone": "1"' in error.details and '+  "phone": "2"' in error.details


def test_a_request_to_an_address_never_recorded_says_so(tmp_path: Path) -> None:
    session, _ = session_on(tmp_path, exchange("GET", f"{CERP}/customers/1", {}))
    with pytest.raises(replay.CassetteOutOfDate) as refused:
        session.delete(f"{CERP}/customers/1")
    assert refused.value.why == replay.NONE_LIKE_IT
    assert f"No recorded request goes to DELETE {CERP}/customers/1." in refused.value.details


def test_without_a_cassette_every_request_is_refused_and_nothing_is_sent(tmp_path: Path) -> None:
    session, cassette = session_on(tmp_path)
    assert not cassette.exists
    with pytest.raises(replay.CassetteOutOfDate) as refused:
        session.get(f"{CERP}/customers")
    assert refused.value.why == replay.NO_CASSETTE
    assert f"Cassette: {tmp_path / 'scenario.json'} (missing)" in refused.value.details


def test_secrets_in_a_replayed_request_are_scrubbed_before_matching(tmp_path: Path) -> None:
    """A login sends the replay's stand-in credentials; the recording holds them scrubbed."""
    recorded = exchange("POST", f"{ZOHO}/oauth/v2/token", {"access_token": "REDACTED"})
    recorded["request"]["body"] = "grant_type=refresh_token&client_secret=REDACTED"
    recorded["request"]["headers"] = {"Content-Type": ["application/x-www-form-urlencoded"]}
    session, _ = session_on(tmp_path, recorded)
    answer = session.post(
        f"{ZOHO}/oauth/v2/token",
        data={"grant_type": "refresh_token", "client_secret": "anything-at-all"},
    )
    assert answer.json() == {"access_token": "REDACTED"}
