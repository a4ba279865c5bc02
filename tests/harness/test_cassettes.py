"""What a cassette keeps of an exchange, and how a replayed request finds its recording."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from vcr.request import Request

from talkqa.cassettes import (
    MATCH_ON,
    PLACEHOLDERS,
    REDACTED,
    Scrubber,
    body_without_markers,
    cassette_name,
    literals_pattern,
    query_without_markers,
    replay_description,
)

DESCRIPTION = {
    "zohocrm": {"accounts_url": "http://127.0.0.1:40001", "api_url": "http://127.0.0.1:40001"},
    "webcrm": {"api_url": "http://127.0.0.1:40002"},
    "customerp": {"api_url": "http://127.0.0.1:40003/api/v1"},
    "sesam": {"api_url": "http://127.0.0.1:40004/api"},
    "credentials": {
        "zohocrm": {
            "client_id": "1000.CLIENTID",
            "client_secret": "zsecret-123456",
            "refresh_token": "1000.refresh-abc",
        },
        "webcrm": {"auth_code": "webcrm-auth-code-1"},
        "customerp": {"api_key": "cerp_key_123456"},
        "sesam": {"email": "qa@example.com", "password": "sesam-pass-1"},
    },
}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


def response(body: Any, headers: dict[str, list[str]] | None = None) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return {
        "status": {"code": 200, "message": "OK"},
        "headers": headers or {"Content-Type": ["application/json"]},
        "body": {"string": text.encode()},
    }


def test_logins_lose_their_credentials_and_move_to_the_placeholders() -> None:
    scrub = Scrubber(DESCRIPTION)
    grant = scrub.request(
        Request(
            "POST",
            "http://127.0.0.1:40001/oauth/v2/token",
            "grant_type=refresh_token&client_id=1000.CLIENTID&client_secret=zsecret-123456"
            "&refresh_token=1000.refresh-abc",
            FORM,
        )
    )
    assert grant.uri == PLACEHOLDERS["zohocrm"] + "/oauth/v2/token"
    assert grant.body == (
        b"grant_type=refresh_token&client_id=REDACTED&client_secret=REDACTED&refresh_token=REDACTED"
    )
    sesam = scrub.request(
        Request(
            "POST",
            "http://127.0.0.1:40004/api/jwt",
            "email=qa%40example.com&password=sesam-pass-1",
            FORM,
        )
    )
    assert sesam.body == b"email=REDACTED&password=REDACTED"
    webcrm = scrub.request(
        Request("POST", "http://127.0.0.1:40002/Auth/ApiLogin", "authCode=webcrm-auth-code-1", FORM)
    )
    assert webcrm.body == b"authCode=REDACTED"
    keyed = scrub.request(
        Request(
            "GET",
            "http://127.0.0.1:40003/api/v1/customers?page=1",
            None,
            {"X-API-Key": "cerp_key_123456", "User-Agent": "python-requests"},
        )
    )
    assert keyed.uri == PLACEHOLDERS["customerp"] + "/api/v1/customers?page=1"
    assert dict(keyed.headers) == {"X-API-Key": REDACTED}


def test_issued_tokens_are_replaced_in_answers_and_wherever_they_appear_later() -> None:
    scrub = Scrubber(DESCRIPTION)
    grant = scrub.response(
        response({"access_token": "1000.issued-token", "api_domain": "https://www.zohoapis.eu"})
    )
    body = json.loads(grant["body"]["string"])
    assert body == {"access_token": REDACTED, "api_domain": PLACEHOLDERS["zohocrm"]}
    jwt = scrub.response(response('"eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"'))
    assert jwt["body"]["string"] == b'"REDACTED"'
    login = scrub.response(response({"AccessToken": "wc-access-1", "RefreshToken": "wc-refresh-1"}))
    assert json.loads(login["body"]["string"]) == {
        "AccessToken": REDACTED,
        "RefreshToken": REDACTED,
    }
    # later, the live API host the grant named is a placeholder, and tokens are gone
    later = scrub.request(
        Request(
            "GET",
            "https://www.zohoapis.eu/crm/v8/Accounts/1",
            None,
            {"Authorization": "Zoho-oauthtoken 1000.issued-token", "refreshToken": "wc-refresh-1"},
        )
    )
    assert later.uri == PLACEHOLDERS["zohocrm"] + "/crm/v8/Accounts/1"
    assert set(later.headers.values()) == {REDACTED}
    echoed = scrub.response(response({"note": "token 1000.issued-token was used"}))
    assert b"1000.issued-token" not in echoed["body"]["string"]


def test_record_data_is_kept_even_where_its_field_names_a_login_field() -> None:
    scrub = Scrubber(DESCRIPTION)
    contact = scrub.response(response({"email": "kari@example.com", "password_hint": None}))
    assert json.loads(contact["body"]["string"])["email"] == "kari@example.com"
    search = scrub.request(
        Request("GET", "http://127.0.0.1:40003/api/v1/contacts?email=kari%40example.com", None, {})
    )
    assert "email=kari%40example.com" in search.uri


def test_requests_differing_only_in_their_run_marker_match() -> None:
    recorded = Request(
        "POST", "http://x.invalid/a?name=Acme+tqa-0a1b2c3d", '{"name": "Acme tqa-0a1b2c3d"}', JSON
    )
    replayed = Request(
        "POST", "http://x.invalid/a?name=Acme+tqa-99999999", '{"name": "Acme tqa-99999999"}', JSON
    )
    body_without_markers(recorded, replayed)
    query_without_markers(recorded, replayed)
    other = Request(
        "POST", "http://x.invalid/a?name=Acme+tqa-99999999", '{"name": "Acme 2 tqa-99999999"}', JSON
    )
    with pytest.raises(AssertionError):
        body_without_markers(recorded, other)
    assert MATCH_ON[0] == "method" and "talkqa_body" in MATCH_ON


def test_a_replay_connects_only_to_placeholders_with_stand_in_credentials() -> None:
    description = replay_description()
    urls = [v for part in description.values() for k, v in part.items() if k.endswith("_url")]
    assert urls and all(".talkqa.invalid" in url for url in urls)
    assert {v for part in description["credentials"].values() for v in part.values()} == {REDACTED}


def test_cassette_names_come_from_the_rendered_scenario_name() -> None:
    assert cassette_name("Account_Name.id is synchronized with customer_id as string") == (
        "account-name-id-is-synchronized-with-customer-id-as-string"
    )
    assert cassette_name("Properties travel", ["Phone", "phone"]) == "properties-travel-phone-phone"


def test_the_pattern_of_learnt_secrets_finds_each_and_nothing_else() -> None:
    words = ["abcdef", "abc", "abx", "q.z*", "sandbox-webcrm-refresh-000001"]
    found = re.compile(literals_pattern(words), re.IGNORECASE)
    text = "abcdefg abcz ABX ab q.z* qaz sandbox-webcrm-refresh-000001 sandbox-webcrm-refresh-0"
    assert [m.group(0) for m in found.finditer(text)] == [
        "abcdef",
        "abc",
        "ABX",
        "q.z*",
        "sandbox-webcrm-refresh-000001",
    ]


def test_a_scrubber_that_learnt_hundreds_of_tokens_still_replaces_each() -> None:
    scrubber = Scrubber(DESCRIPTION)
    tokens = [f"webcrm-access-{i:04d}-{i * 7919:08x}" for i in range(300)]
    for token in tokens:
        scrubber.learn(token)
    text = json.dumps({"seen": [tokens[0], tokens[150], tokens[299]], "other": "webcrm-access-"})
    assert json.loads(scrubber.text(text)) == {
        "seen": [REDACTED, REDACTED, REDACTED],
        "other": "webcrm-access-",
    }
