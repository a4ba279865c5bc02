"""The webCRM v1 emulation, exercised over HTTP the way a connector uses it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from talkqa.sandbox.clock import ManualClock
from talkqa.sandbox.credentials import WebcrmCredentials
from talkqa.sandbox.web import Served
from talkqa.sandbox.webcrm import WebcrmApi

AUTH_CODE = WebcrmCredentials().auth_code
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def api(clock: ManualClock) -> WebcrmApi:
    return WebcrmApi(clock)


@pytest.fixture
def url(api: WebcrmApi) -> Iterator[str]:
    served = Served(api)
    yield served.url
    served.close()


def login(url: str) -> dict[str, Any]:
    answer = requests.post(f"{url}/Auth/ApiLogin", data={"authCode": AUTH_CODE}, timeout=5)
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


class Client:
    """A logged-in client: `call("GET", "/Persons")` with the bearer token."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.use(login(url)["AccessToken"])

    def use(self, token: str) -> None:
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.url}{path}", timeout=5, **kwargs)

    def create(self, path: str, body: dict[str, Any]) -> int:
        answer = self.call("POST", path, json=body)
        assert answer.status_code == 200, answer.text
        new_id = answer.json()
        assert isinstance(new_id, int)
        return new_id

    def organisation(self, name: str = "Acme AS", **fields: Any) -> int:
        return self.create("/Organisations", {"OrganisationName": name, **fields})

    def person(self, organisation_id: int, **fields: Any) -> int:
        return self.create("/Persons", {"PersonOrganisationId": organisation_id, **fields})


@pytest.fixture
def client(url: str) -> Client:
    return Client(url)


def assert_error(answer: requests.Response, status: int, kind: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert set(body) == {"Message", "Type"}
    assert body["Type"] == kind
    assert body["Message"]
    return body


# Authentication


@pytest.mark.parametrize("as_multipart", [False, True], ids=["urlencoded", "multipart"])
def test_login_trades_the_application_token_for_a_bearer_token(
    url: str, as_multipart: bool
) -> None:
    login_url = f"{url}/Auth/ApiLogin"
    if as_multipart:
        answer = requests.post(login_url, files={"authCode": (None, AUTH_CODE)}, timeout=5)
    else:
        answer = requests.post(login_url, data={"authCode": AUTH_CODE}, timeout=5)
    assert answer.status_code == 200
    tokens = answer.json()
    assert set(tokens) == {
        "AccessToken",
        "RefreshToken",
        "ExpiresIn",
        "TokenType",
        "IsError",
        "Error",
        "ErrorDescription",
        "SystemId",
    }
    assert tokens["AccessToken"] and tokens["RefreshToken"]
    assert tokens["ExpiresIn"] == 3600
    assert tokens["TokenType"] == "Bearer"
    assert tokens["IsError"] is False


def test_login_with_a_wrong_application_token_is_refused(url: str) -> None:
    answer = requests.post(f"{url}/Auth/ApiLogin", data={"authCode": "not-the-code"}, timeout=5)
    assert answer.status_code == 401
    body = answer.json()
    assert body["IsError"] is True
    assert body["ErrorDescription"]
    assert body["AccessToken"] is None


@pytest.mark.parametrize("in_header", [True, False], ids=["header", "form"])
def test_refresh_token_buys_new_tokens_once(url: str, in_header: bool) -> None:
    refresh = login(url)["RefreshToken"]

    def renew() -> requests.Response:
        if in_header:
            return requests.post(
                f"{url}/Auth/ApiRefresh", headers={"refreshToken": refresh}, timeout=5
            )
        return requests.post(f"{url}/Auth/ApiRefresh", data={"refreshToken": refresh}, timeout=5)

    answer = renew()
    assert answer.status_code == 200
    tokens = answer.json()
    assert tokens["IsError"] is False
    assert tokens["RefreshToken"] != refresh
    works = requests.get(
        f"{url}/Organisations",
        headers={"Authorization": f"Bearer {tokens['AccessToken']}"},
        timeout=5,
    )
    assert works.status_code == 200
    assert renew().status_code == 401  # a used refresh token is spent


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Basic c2FuZGJveA=="],
    ids=["missing", "unknown", "not-bearer"],
)
def test_calls_without_a_valid_bearer_token_are_unauthorized(
    url: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = requests.get(f"{url}/Organisations", headers=headers, timeout=5)
    assert_error(answer, 401, "UnauthorizedException")


def test_access_token_expires_after_its_lifetime(clock: ManualClock) -> None:
    served = Served(WebcrmApi(clock, token_ttl=60))
    try:
        client = Client(served.url)
        clock.advance(59)
        assert client.call("GET", "/Organisations").status_code == 200
        clock.advance(1)
        assert_error(client.call("GET", "/Organisations"), 401, "UnauthorizedException")
    finally:
        served.close()


def test_expired_tokens_are_refused_until_the_client_refreshes(api: WebcrmApi, url: str) -> None:
    tokens = login(url)
    client = Client(url)
    client.use(tokens["AccessToken"])
    api.expire_tokens()
    assert_error(client.call("GET", "/Persons"), 401, "UnauthorizedException")
    renewed = requests.post(
        f"{url}/Auth/ApiRefresh", headers={"refreshToken": tokens["RefreshToken"]}, timeout=5
    ).json()
    client.use(renewed["AccessToken"])
    assert client.call("GET", "/Persons").status_code == 200


# Records


def test_create_answers_the_new_integer_id_and_get_answers_every_field(client: Client) -> None:
    first = client.organisation("Acme AS", OrganisationDeliveryCity="Bergen")
    second = client.organisation("Beta AS", OrganisationCompanyDescription="Makes things")
    assert (first, second) == (1, 2)
    answer = client.call("GET", f"/Organisations/{second}")
    assert answer.status_code == 200
    organisation = answer.json()
    assert organisation["OrganisationId"] == second
    assert organisation["OrganisationName"] == "Beta AS"
    assert organisation["OrganisationCompanyDescription"] == "Makes things"
    for name in (
        "OrganisationAddress",
        "OrganisationPostCode",
        "OrganisationCity",
        "OrganisationTelephone",
        "OrganisationWww",
        "OrganisationDeliveryAddress",
        "OrganisationDeliveryCity",
        "OrganisationDeliveryPostCode",
        "OrganisationDeliveryState",
    ):
        assert organisation[name] == ""
    assert ISO.match(organisation["OrganisationCreatedAt"])
    assert ISO.match(organisation["OrganisationUpdatedAt"])


def test_products_take_doubles_and_answer_them_as_numbers(client: Client) -> None:
    product_id = client.create(
        "/Products", {"ProductPrice": 10, "ProductQuantity": 2.5, "ProductVatCode": "25"}
    )
    product = client.call("GET", f"/Products/{product_id}").json()
    assert product["ProductId"] == product_id
    assert product["ProductPrice"] == 10.0 and isinstance(product["ProductPrice"], float)
    assert product["ProductQuantity"] == 2.5
    assert product["ProductCostPrice"] == 0.0
    assert product["ProductVatCode"] == "25"


def test_unknown_record_is_not_found(client: Client) -> None:
    assert_error(client.call("GET", "/Persons/999"), 404, "NotFoundException")
    assert_error(client.call("PUT", "/Persons/999", json={}), 404, "NotFoundException")


def test_lists_page_until_an_empty_array(client: Client) -> None:
    for n in range(5):
        client.organisation(f"Org {n}")
    pages = [
        client.call("GET", "/Organisations", params={"Page": p, "Size": 2}) for p in (1, 2, 3, 4)
    ]
    ids = [[o["OrganisationId"] for o in page.json()] for page in pages]
    assert ids == [[1, 2], [3, 4], [5], []]
    answer = client.call("GET", "/Organisations", params={"Page": 0})
    assert_error(answer, 400, "ValidationException")


def test_put_replaces_the_whole_object(client: Client, clock: ManualClock) -> None:
    org_id = client.organisation("Acme AS", OrganisationCity="Oslo", OrganisationWww="acme.no")
    before = client.call("GET", f"/Organisations/{org_id}").json()
    clock.advance(5)
    answer = client.call(
        "PUT", f"/Organisations/{org_id}", json={"OrganisationName": "Acme Group AS"}
    )
    assert answer.status_code == 200
    after = client.call("GET", f"/Organisations/{org_id}").json()
    assert after["OrganisationName"] == "Acme Group AS"
    assert after["OrganisationCity"] == "" and after["OrganisationWww"] == ""
    assert after["OrganisationCreatedAt"] == before["OrganisationCreatedAt"]
    assert after["OrganisationUpdatedAt"] > before["OrganisationUpdatedAt"]


def test_what_was_read_can_be_put_back(client: Client) -> None:
    org_id = client.organisation("Acme AS")
    organisation = client.call("GET", f"/Organisations/{org_id}").json()
    organisation["OrganisationCity"] = "Oslo"
    organisation["OrganisationId"] = 12345  # read-only: ignored, the path names the record
    assert client.call("PUT", f"/Organisations/{org_id}", json=organisation).status_code == 200
    assert client.call("GET", f"/Organisations/{org_id}").json()["OrganisationCity"] == "Oslo"


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"OrganisationName": "Acme", "Name": "Acme"}, "Name"),
        ({"OrganisationCity": "Oslo"}, "OrganisationName"),
        ({"OrganisationName": 42}, "OrganisationName"),
        ({"OrganisationName": "x" * 201}, "OrganisationName"),
    ],
    ids=["unknown-field", "missing-name", "wrong-type", "too-long"],
)
def test_invalid_organisations_are_refused(
    client: Client, body: dict[str, Any], mentions: str
) -> None:
    error = assert_error(
        client.call("POST", "/Organisations", json=body), 400, "ValidationException"
    )
    assert mentions in error["Message"]
    assert client.call("GET", "/Organisations").json() == []


def test_person_name_is_derived_from_first_middle_and_last_name(client: Client) -> None:
    org_id = client.organisation()
    person_id = client.person(
        org_id, PersonFirstName="Kari", PersonMiddleName="Anne", PersonLastName="Nordmann"
    )
    person = client.call("GET", f"/Persons/{person_id}").json()
    assert person["PersonName"] == "Kari Anne Nordmann"
    client.call(
        "PUT",
        f"/Persons/{person_id}",
        json={"PersonOrganisationId": org_id, "PersonFirstName": "Kari", "PersonLastName": "Berg"},
    )
    assert client.call("GET", f"/Persons/{person_id}").json()["PersonName"] == "Kari Berg"


@pytest.mark.parametrize("organisation_id", [None, 0, 77], ids=["missing", "zero", "unknown"])
def test_a_person_must_belong_to_an_existing_organisation(
    client: Client, organisation_id: int | None
) -> None:
    client.organisation()
    body: dict[str, Any] = {"PersonFirstName": "Kari"}
    if organisation_id is not None:
        body["PersonOrganisationId"] = organisation_id
    error = assert_error(client.call("POST", "/Persons", json=body), 400, "ValidationException")
    assert "PersonOrganisationId" in error["Message"]


def test_persons_of_an_organisation_by_either_route(client: Client) -> None:
    acme, beta = client.organisation("Acme AS"), client.organisation("Beta AS")
    kari = client.person(acme, PersonFirstName="Kari")
    client.person(beta, PersonFirstName="Ola")
    for path in (f"/Organisations/{acme}/Persons", f"/Persons/ByOrganisation/{acme}"):
        answer = client.call("GET", path)
        assert [p["PersonId"] for p in answer.json()] == [kari]
    assert_error(client.call("GET", "/Persons/ByOrganisation/99"), 404, "NotFoundException")


def test_person_search_matches_name_or_email(client: Client) -> None:
    org_id = client.organisation()
    kari = client.person(org_id, PersonFirstName="Kari", PersonEmail="kb@example.com")
    ola = client.person(org_id, PersonFirstName="Ola", PersonEmail="ola.kari@example.org")
    client.person(org_id, PersonFirstName="Per", PersonEmail="per@example.net")

    def found(text: str) -> list[int]:
        answer = client.call("GET", "/Persons/Search", params={"input": text})
        assert answer.status_code == 200
        return [p["PersonId"] for p in answer.json()]

    assert found("kari") == [kari, ola]
    assert found("EXAMPLE.com") == [kari]
    assert found("nobody") == []


def test_find_by_update_dates_includes_start_and_excludes_end(
    client: Client, clock: ManualClock
) -> None:
    early = client.organisation("Early")  # 2024-09-10T13:43:43
    clock.advance(1800)
    late = client.organisation("Late")  # 14:13:43
    clock.advance(60)
    client.call("PUT", f"/Organisations/{early}", json={"OrganisationName": "Early, edited"})
    late_at = client.call("GET", f"/Organisations/{late}").json()["OrganisationUpdatedAt"]

    def found(start: str, end: str) -> list[int]:
        answer = client.call("GET", f"/Organisations/FindByUpdateDates/{start}/{end}")
        assert answer.status_code == 200
        return [o["OrganisationId"] for o in answer.json()]

    assert found("2024-09-10T14:00:00", "2024-09-10T14:14:00Z") == [late]
    assert found("2024-09-10", "2024-09-11") == [early, late]
    assert found(late_at, "2024-09-10T14:14:00+00:00") == [late]
    assert found("2024-09-10T13:00:00", late_at) == []
    answer = client.call("GET", "/Organisations/FindByUpdateDates/yesterday/today")
    assert_error(answer, 400, "ValidationException")


def test_queries_find_records_by_field_equality(client: Client) -> None:
    org_id = client.organisation("Acme AS")
    kari = client.person(org_id, PersonFirstName="Kari", PersonEmail="Kari@Example.com")
    client.person(org_id, PersonFirstName="Kari", PersonEmail="kari2@example.com")

    def query(script: str, **paging: int) -> requests.Response:
        return client.call("GET", "/Queries", params={"script": script, **paging})

    answer = query("SELECT * FROM Person WHERE PersonEmail='kari@example.com'", Page=1, Size=10)
    assert [p["PersonId"] for p in answer.json()] == [kari]
    assert answer.json()[0]["PersonName"] == "Kari"
    both = query(
        f"SELECT * FROM Person\n WHERE PersonOrganisationId = {org_id} AND PersonFirstName='Kari'"
    )
    assert len(both.json()) == 2
    assert len(query("SELECT * FROM Person WHERE PersonFirstName='Kari'", Size=1).json()) == 1
    acme = query("SELECT * FROM Organisation WHERE OrganisationName='Acme AS'").json()
    assert [o["OrganisationId"] for o in acme] == [org_id]
    quoted = client.organisation("O'Brien Ltd")
    found = query("SELECT * FROM Organisation WHERE OrganisationName='O''Brien Ltd'").json()
    assert [o["OrganisationId"] for o in found] == [quoted]


@pytest.mark.parametrize(
    "script",
    [
        "SELECT * FROM Person WHERE PersonEmail LIKE '%x%'",
        "SELECT * FROM Person WHERE PersonEmail='a' OR PersonEmail='b'",
        "SELECT PersonEmail FROM Person",
        "SELECT * FROM Person WHERE Email='a'",
        "SELECT * FROM Opportunity WHERE OpportunityId=1",
        "DELETE FROM Person",
    ],
)
def test_queries_beyond_simple_equalities_are_refused(client: Client, script: str) -> None:
    answer = client.call("GET", "/Queries", params={"script": script})
    assert_error(answer, 400, "ValidationException")


def test_bulk_patch_inserts_updates_and_reports_failures(client: Client) -> None:
    acme = client.organisation("Acme AS", OrganisationCity="Oslo")
    answer = client.call(
        "PATCH",
        "/Organisations",
        json=[
            {"OrganisationName": "New AS"},
            {"OrganisationId": acme, "OrganisationName": "Acme Group AS"},
            {"OrganisationCity": "Bergen"},
            {"OrganisationId": 99, "OrganisationName": "Ghost AS"},
        ],
    )
    assert answer.status_code == 200
    results = answer.json()
    assert results[:2] == ["2", str(acme)]
    assert "OrganisationName" in results[2] and "99" in results[3]
    names = [o["OrganisationName"] for o in client.call("GET", "/Organisations").json()]
    assert names == ["Acme Group AS", "New AS"]
    acme_now = client.call("GET", f"/Organisations/{acme}").json()
    assert acme_now["OrganisationCity"] == ""  # an update replaces the whole object


def test_delete_removes_products_persons_and_organisations(client: Client) -> None:
    acme, beta = client.organisation("Acme AS"), client.organisation("Beta AS")
    kari = client.person(acme, PersonFirstName="Kari")
    ola = client.person(beta, PersonFirstName="Ola")
    product = client.create("/Products", {"ProductOrganisationId": acme, "ProductPrice": 1})
    other = client.create("/Products", {"ProductOrganisationId": beta})

    assert client.call("DELETE", f"/Products/{other}").status_code == 200
    assert_error(client.call("GET", f"/Products/{other}"), 404, "NotFoundException")
    assert client.call("DELETE", f"/Persons/{ola}").status_code == 200
    assert_error(client.call("GET", f"/Persons/{ola}"), 404, "NotFoundException")
    assert client.call("DELETE", f"/Organisations/{acme}").status_code == 200
    for path in (f"/Organisations/{acme}", f"/Persons/{kari}", f"/Products/{product}"):
        assert_error(client.call("GET", path), 404, "NotFoundException")
    assert_error(client.call("DELETE", f"/Organisations/{acme}"), 404, "NotFoundException")


def test_store_holds_the_api_shape_and_engine_writes_show_over_http(
    api: WebcrmApi, client: Client
) -> None:
    org_id = client.organisation("Acme AS", OrganisationCity="Oslo")
    stored = api.collections["Organisations"].get(org_id)
    assert stored is not None
    assert stored.fields == {"OrganisationName": "Acme AS", "OrganisationCity": "Oslo"}
    person = api.collections["Persons"].insert(
        {"PersonOrganisationId": org_id, "PersonFirstName": "Kari", "PersonLastName": "Berg"},
        by="talk",
    )
    answer = client.call("GET", f"/Persons/{person.id}").json()
    assert answer["PersonName"] == "Kari Berg"
    assert answer["PersonOrganisationId"] == org_id
    assert answer["PersonStatus"] == "Active"


# Rate limit


def test_requests_over_the_limit_are_throttled_until_the_oldest_leaves_the_window(
    clock: ManualClock,
) -> None:
    served = Served(WebcrmApi(clock, requests_per_minute=3))
    try:
        client = Client(served.url)
        assert client.call("GET", "/Products").status_code == 200
        clock.advance(10)
        assert client.call("GET", "/Products").status_code == 200
        assert client.call("GET", "/Products").status_code == 200
        throttled = client.call("GET", "/Products")
        assert throttled.status_code == 429
        body = throttled.json()
        assert body["Type"] == "TooManyRequestsException"
        assert body["Message"].startswith("The request was throttled.")
        assert body["RetryAfterSeconds"] == 50
        assert throttled.headers["Retry-After"] == "50"
        # A new token from the same application token shares the window.
        client.use(login(served.url)["AccessToken"])
        assert client.call("GET", "/Products").status_code == 429
        clock.advance(50)
        assert client.call("GET", "/Products").status_code == 200
    finally:
        served.close()


def test_retry_after_is_at_least_one_second(clock: ManualClock) -> None:
    served = Served(WebcrmApi(clock, requests_per_minute=1))
    try:
        client = Client(served.url)
        assert client.call("GET", "/Products").status_code == 200
        clock.advance(59.9999)
        throttled = client.call("GET", "/Products")
        assert throttled.status_code == 429
        assert throttled.headers["Retry-After"] == "1"
        assert throttled.json()["RetryAfterSeconds"] == 1
    finally:
        served.close()


def test_no_limit_admits_every_request(clock: ManualClock) -> None:
    """What the suite's sandbox runs with: a whole live run never waits out a minute."""
    served = Served(WebcrmApi(clock, requests_per_minute=None))
    try:
        client = Client(served.url)
        statuses = {client.call("GET", "/Products").status_code for _ in range(300)}
        assert statuses == {200}
    finally:
        served.close()
