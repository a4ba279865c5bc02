"""The webCRM connector against the v1 emulation served on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from talkqa.sandbox.clock import ManualClock
from talkqa.sandbox.credentials import WebcrmCredentials
from talkqa.sandbox.webcrm import WebcrmApi
from talkqa.systems.errors import AuthenticationFailed, RateLimited, UsageError
from talkqa.systems.webcrm import Webcrm

AUTH_CODE = WebcrmCredentials().auth_code
Serve = Callable[[Any], str]


class Refusing:
    """A live tenant's differences in front of the emulation: `refuse` maps (method,
    path prefix) to the status answered instead; every request's path is recorded."""

    def __init__(self, api: WebcrmApi, refuse: dict[tuple[str, str], int]) -> None:
        self.api, self.refuse = api, refuse
        self.paths: list[str] = []

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        self.paths.append(request.path)
        for (method, prefix), status in self.refuse.items():
            if request.method == method and request.path.startswith(prefix):
                body = json.dumps({"Message": "refused", "Type": "Refused"})
                return Response(body, status, content_type="application/json")(
                    environ, start_response
                )
        return self.api(environ, start_response)


@pytest.fixture
def api(clock: ManualClock) -> WebcrmApi:
    return WebcrmApi(clock)


@pytest.fixture
def webcrm(api: WebcrmApi, serve: Serve, sleep: Any) -> Webcrm:
    return Webcrm(serve(api), AUTH_CODE, page_size=2, sleep=sleep)


def organisation(webcrm: Webcrm, name: str, **fields: Any) -> str:
    return webcrm.create("Organisations", {"OrganisationName": name, **fields})


def test_login_then_refresh_after_the_token_expires(webcrm: Webcrm, api: WebcrmApi) -> None:
    record_id = organisation(webcrm, "Acme")
    first, refresh = webcrm.login.access, webcrm.login.refresh
    api.expire_tokens()
    assert webcrm.get("Organisations", record_id) is not None
    assert webcrm.login.access != first
    assert webcrm.login.refresh not in (None, refresh)  # refreshed, not logged in anew


def test_a_refused_refresh_token_falls_back_to_logging_in(webcrm: Webcrm, api: WebcrmApi) -> None:
    record_id = organisation(webcrm, "Acme")
    webcrm.login.refresh = "not-a-refresh-token"
    api.expire_tokens()
    assert webcrm.get("Organisations", record_id) is not None


def test_a_wrong_auth_code_says_which_variable_to_check(api: WebcrmApi, serve: Serve) -> None:
    webcrm = Webcrm(serve(api), "00000000-0000-0000-0000-000000000000")
    with pytest.raises(AuthenticationFailed) as caught:
        list(webcrm.list("Persons"))
    message = str(caught.value)
    assert "invalid_grant: The authentication code is not valid" in message
    assert "TALKQA_WEBCRM_AUTH_CODE" in message and "00000000-0000" not in message


def test_create_get_update_delete_with_string_ids(webcrm: Webcrm) -> None:
    record_id = organisation(webcrm, "Acme", OrganisationCity="Oslo")
    assert record_id.isdigit()
    record = webcrm.get("Organisations", record_id)
    assert record is not None and record["OrganisationId"] == int(record_id)
    webcrm.update("Organisations", record_id, {"OrganisationTelephone": "22 00 00 00"})
    record = webcrm.get("Organisations", record_id)
    assert record is not None
    assert (record["OrganisationName"], record["OrganisationCity"]) == ("Acme", "Oslo")
    assert record["OrganisationTelephone"] == "22 00 00 00"
    assert webcrm.delete("Organisations", record_id) is True
    assert webcrm.get("Organisations", record_id) is None


def test_a_tenant_without_delete_answers_false(api: WebcrmApi, serve: Serve) -> None:
    url = serve(Refusing(api, {("DELETE", "/Organisations"): 405}))
    webcrm = Webcrm(url, AUTH_CODE)
    record_id = organisation(webcrm, "Acme")
    assert webcrm.delete("Organisations", record_id) is False
    assert webcrm.get("Organisations", record_id) is not None


def test_ids_must_be_integers(webcrm: Webcrm) -> None:
    with pytest.raises(UsageError, match="webCRM ids are integers"):
        webcrm.get("Persons", "abc")


def test_list_pages_until_an_empty_page(webcrm: Webcrm) -> None:
    made = [organisation(webcrm, f"Acme {n}") for n in range(5)]
    assert [str(r["OrganisationId"]) for r in webcrm.list("Organisations")] == made


def test_find_queries_by_text_and_by_number(webcrm: Webcrm) -> None:
    acme = organisation(webcrm, "Acme")
    person = {"PersonLastName": "O'Brien", "PersonEmail": "ob@example.com"}
    obrien = webcrm.create("Persons", {**person, "PersonOrganisationId": int(acme)})
    beta = int(organisation(webcrm, "Beta"))
    other = {"PersonLastName": "Other", "PersonEmail": "other@example.com"}
    webcrm.create("Persons", {**other, "PersonOrganisationId": beta})
    found = webcrm.find("Persons", "PersonLastName", "O'Brien")
    assert [str(p["PersonId"]) for p in found] == [obrien]
    found = webcrm.find("Persons", "PersonOrganisationId", int(acme))
    assert [str(p["PersonId"]) for p in found] == [obrien]


def test_find_falls_back_to_person_search_then_to_listing(api: WebcrmApi, serve: Serve) -> None:
    app = Refusing(api, {("GET", "/Queries"): 403})
    webcrm = Webcrm(serve(app), AUTH_CODE)
    acme = organisation(webcrm, "Acme")
    person = {"PersonLastName": "Lovelace", "PersonEmail": "ada@x.org"}
    ada = webcrm.create("Persons", {**person, "PersonOrganisationId": int(acme)})
    assert [str(p["PersonId"]) for p in webcrm.find("Persons", "PersonEmail", "ada@x.org")] == [ada]
    assert "/Persons/Search" in app.paths
    found = webcrm.find("Organisations", "OrganisationName", "acme")
    assert [str(o["OrganisationId"]) for o in found] == [acme]


def test_the_per_minute_limit_is_waited_out(clock: ManualClock, serve: Serve, sleep: Any) -> None:
    webcrm = Webcrm(serve(WebcrmApi(clock, requests_per_minute=3)), AUTH_CODE, sleep=sleep)
    made = [organisation(webcrm, f"Acme {n}") for n in range(7)]
    assert len(set(made)) == 7
    assert sleep.waits == [60.0, 60.0]  # the Retry-After webCRM answered, twice


def test_a_limit_longer_than_max_wait_is_rate_limited(
    clock: ManualClock, serve: Serve, sleep: Any
) -> None:
    url = serve(WebcrmApi(clock, requests_per_minute=1))
    webcrm = Webcrm(url, AUTH_CODE, sleep=sleep, max_wait=30)
    organisation(webcrm, "Acme")
    with pytest.raises(RateLimited) as caught:
        organisation(webcrm, "Beta")
    assert sleep.waits == []
    assert "The request was throttled" in str(caught.value)
    assert "next wait 60 s" in str(caught.value)
