"""The emulated ZohoCRM v8 API, exercised over HTTP the way a connector uses it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from talkqa.sandbox.clock import ManualClock
from talkqa.sandbox.credentials import ZohoCredentials
from talkqa.sandbox.web import Served
from talkqa.sandbox.zohocrm import ZohoCrmApi

CREDS = ZohoCredentials()
GRANT = {
    "refresh_token": CREDS.refresh_token,
    "client_id": CREDS.client_id,
    "client_secret": CREDS.client_secret,
    "grant_type": "refresh_token",
}
INVALID_TOKEN = {
    "code": "INVALID_TOKEN",
    "details": {},
    "message": "invalid oauth token",
    "status": "error",
}
DEAL = {"Deal_Name": "Big deal", "Stage": "Qualification", "Closing_Date": "2024-12-31"}
ISO_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
NO_SUCH_ID = "1234567890123456789"


class Zoho:
    """A minimal client of the emulation: the /crm/v8 base and an access token."""

    def __init__(self, base: str, token: str) -> None:
        self.base = f"{base}/crm/v8"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Zoho-oauthtoken {token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base + path, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def create(self, module: str, *records: dict[str, Any]) -> list[str]:
        answer = self.post(f"/{module}", json={"data": list(records)})
        assert answer.status_code == 201, answer.text
        return [item["details"]["id"] for item in answer.json()["data"]]

    def record(self, module: str, record_id: str) -> dict[str, Any]:
        answer = self.get(f"/{module}/{record_id}")
        assert answer.status_code == 200, answer.text
        data: list[dict[str, Any]] = answer.json()["data"]
        assert len(data) == 1
        return data[0]

    def ids(self, path: str, **params: str) -> list[str]:
        answer = self.get(path, params=params)
        if answer.status_code == 204:
            return []
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["data"]]


def refresh(base: str, **overrides: str) -> requests.Response:
    return requests.post(f"{base}/oauth/v2/token", data=GRANT | overrides, timeout=10)


def token_for(base: str) -> str:
    token: str = refresh(base).json()["access_token"]
    return token


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


class Plug:
    """A WSGI app forwarding to the emulation plugged in by the current test, so that one
    loopback server serves the whole module (starting and stopping one per test is slow)."""

    def __init__(self) -> None:
        self.app: ZohoCrmApi | None = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        assert self.app is not None, "no emulation plugged in"
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def loopback() -> Iterator[tuple[Plug, str]]:
    plug = Plug()
    served = Served(plug)
    yield plug, served.url
    served.close()


@pytest.fixture
def serve(loopback: tuple[Plug, str]) -> Iterator[Callable[[ZohoCrmApi], str]]:
    """Serve an emulation over HTTP for this test; its api_domain is the served URL."""
    plug, url = loopback

    def start(api: ZohoCrmApi) -> str:
        plug.app = api
        api.api_domain = url
        return url

    yield start
    plug.app = None


@pytest.fixture
def api(clock: ManualClock) -> ZohoCrmApi:
    return ZohoCrmApi(clock)


@pytest.fixture
def server(api: ZohoCrmApi, serve: Callable[[ZohoCrmApi], str]) -> str:
    return serve(api)


@pytest.fixture
def zoho(server: str) -> Iterator[Zoho]:
    client = Zoho(server, token_for(server))
    yield client
    client.session.close()


# --- the accounts server ---------------------------------------------------------------


def test_a_refresh_grant_answers_a_bearer_token_for_the_api_domain(server: str) -> None:
    body = refresh(server).json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["api_domain"] == server
    client = Zoho(body["api_domain"], body["access_token"])
    assert client.get("/Accounts", params={"fields": "Account_Name"}).status_code == 204


def test_api_domain_defaults_to_the_origin_the_grant_came_to(api: ZohoCrmApi, server: str) -> None:
    api.api_domain = ""
    assert refresh(server).json()["api_domain"] == server


def test_a_refresh_grant_may_come_in_the_query_string(server: str) -> None:
    answer = requests.post(f"{server}/oauth/v2/token", params=GRANT, timeout=10)
    assert "access_token" in answer.json()


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"client_id": "1000.SOMEONEELSE"}, "invalid_client"),
        ({"client_secret": "not-the-secret"}, "invalid_client"),
        ({"refresh_token": "1000.revoked.revoked"}, "invalid_code"),
    ],
)
def test_a_refused_grant_answers_200_with_an_error_key(
    server: str, override: dict[str, str], error: str
) -> None:
    answer = refresh(server, **override)
    assert answer.status_code == 200
    assert answer.json() == {"error": error}


def test_more_than_ten_tokens_in_ten_minutes_are_refused(server: str, clock: ManualClock) -> None:
    for _ in range(10):
        assert "access_token" in refresh(server).json()
    refused = refresh(server)
    assert refused.status_code == 400
    assert refused.json()["error"] == "Access Denied"
    clock.advance(600)
    assert "access_token" in refresh(server).json()


# --- authentication and credits --------------------------------------------------------


def test_a_call_without_a_token_fails_authentication(server: str) -> None:
    answer = requests.get(f"{server}/crm/v8/Accounts", params={"fields": "id"}, timeout=10)
    assert answer.status_code == 401
    assert answer.json()["code"] == "AUTHENTICATION_FAILURE"


def test_an_unknown_token_answers_invalid_token(server: str) -> None:
    answer = Zoho(server, "1000.forged.forged").get("/Accounts", params={"fields": "id"})
    assert answer.status_code == 401
    assert answer.json() == INVALID_TOKEN


def test_a_token_expires_after_its_lifetime(
    clock: ManualClock, serve: Callable[[ZohoCrmApi], str]
) -> None:
    base = serve(ZohoCrmApi(clock, token_ttl=60))
    client = Zoho(base, token_for(base))
    clock.advance(59)
    assert client.get("/Accounts", params={"fields": "id"}).status_code == 204
    clock.advance(1)
    expired = client.get("/Accounts", params={"fields": "id"})
    assert (expired.status_code, expired.json()) == (401, INVALID_TOKEN)
    fresh = Zoho(base, token_for(base))
    assert fresh.get("/Accounts", params={"fields": "id"}).status_code == 204


def test_expire_tokens_ends_every_issued_token(api: ZohoCrmApi, zoho: Zoho) -> None:
    api.expire_tokens()
    answer = zoho.get("/Accounts", params={"fields": "id"})
    assert (answer.status_code, answer.json()) == (401, INVALID_TOKEN)


def test_calls_beyond_the_budget_answer_429_until_the_window_rolls_on(
    clock: ManualClock, serve: Callable[[ZohoCrmApi], str]
) -> None:
    base = serve(ZohoCrmApi(clock, request_budget=2, budget_window=100))
    client = Zoho(base, token_for(base))
    for _ in range(2):
        assert client.get("/Accounts", params={"fields": "id"}).status_code == 204
    refused = client.get("/Accounts", params={"fields": "id"})
    assert refused.status_code == 429
    assert refused.json()["code"] == "LIMIT_EXCEEDED"
    assert refused.json()["status"] == "error"
    assert "Retry-After" not in refused.headers
    clock.advance(100)
    assert client.get("/Accounts", params={"fields": "id"}).status_code == 204


# --- routing ---------------------------------------------------------------------------


def test_an_unknown_module_answers_invalid_module(zoho: Zoho) -> None:
    answer = zoho.get("/Opportunities", params={"fields": "id"})
    assert answer.status_code == 400
    assert answer.json()["code"] == "INVALID_MODULE"


def test_an_unknown_path_answers_invalid_url_pattern(zoho: Zoho) -> None:
    answer = zoho.get("/Accounts/1/notes/2")
    assert answer.status_code == 404
    assert answer.json()["code"] == "INVALID_URL_PATTERN"


# --- create ----------------------------------------------------------------------------


def test_create_answers_201_with_a_write_envelope_per_record(zoho: Zoho) -> None:
    answer = zoho.post(
        "/Accounts", json={"data": [{"Account_Name": "Acme"}, {"Account_Name": "B"}]}
    )
    assert answer.status_code == 201
    first, second = answer.json()["data"]
    assert (first["code"], first["status"], first["message"]) == (
        "SUCCESS",
        "success",
        "record added",
    )
    details = first["details"]
    assert set(details) == {"id", "Created_Time", "Modified_Time", "Created_By", "Modified_By"}
    assert re.fullmatch(r"\d{19}", details["id"])
    assert int(second["details"]["id"]) > int(details["id"])
    assert details["Created_Time"] == "2024-09-10T13:43:43+00:00"
    assert set(details["Created_By"]) == {"name", "id"}


def test_ids_keep_increasing_across_modules(zoho: Zoho) -> None:
    (account,) = zoho.create("Accounts", {"Account_Name": "Acme"})
    (contact,) = zoho.create("Contacts", {"Last_Name": "Burns"})
    (deal,) = zoho.create("Deals", DEAL)
    assert int(account) < int(contact) < int(deal)


def test_a_batch_with_one_bad_record_answers_207_naming_the_missing_field(zoho: Zoho) -> None:
    answer = zoho.post("/Contacts", json={"data": [{"Last_Name": "Burns"}, {"First_Name": "Ann"}]})
    assert answer.status_code == 207
    added, refused = answer.json()["data"]
    assert added["code"] == "SUCCESS"
    assert refused == {
        "code": "MANDATORY_NOT_FOUND",
        "details": {"api_name": "Last_Name", "json_path": "$.data[1].Last_Name"},
        "message": "required field not found",
        "status": "error",
    }


def test_a_batch_where_every_record_fails_answers_400(zoho: Zoho) -> None:
    answer = zoho.post("/Deals", json={"data": [{"Deal_Name": "No stage"}]})
    assert answer.status_code == 400
    (error,) = answer.json()["data"]
    assert error["code"] == "MANDATORY_NOT_FOUND"
    assert error["details"]["api_name"] == "Stage"


def test_an_unknown_field_is_invalid_data(zoho: Zoho) -> None:
    answer = zoho.post("/Accounts", json={"data": [{"Account_Name": "Acme", "Colour": "red"}]})
    assert answer.status_code == 400
    (error,) = answer.json()["data"]
    assert error["code"] == "INVALID_DATA"
    assert error["details"] == {"api_name": "Colour", "json_path": "$.data[0].Colour"}


@pytest.mark.parametrize(
    ("module", "record", "field", "expected"),
    [
        ("Accounts", {"Account_Name": "A", "Employees": "12"}, "Employees", "integer"),
        ("Accounts", {"Account_Name": "A", "Employees": 12.5}, "Employees", "integer"),
        ("Accounts", {"Account_Name": "A", "Annual_Revenue": "1e6"}, "Annual_Revenue", "double"),
        ("Accounts", {"Account_Name": 42}, "Account_Name", "text"),
        ("Contacts", {"Last_Name": "B", "Email_Opt_Out": "true"}, "Email_Opt_Out", "boolean"),
        ("Deals", DEAL | {"Closing_Date": "31/12/2024"}, "Closing_Date", "date"),
        ("Deals", DEAL | {"Closing_Date": "2024-02-30"}, "Closing_Date", "date"),
        ("Deals", DEAL | {"Probability": True}, "Probability", "integer"),
    ],
)
def test_a_value_of_the_wrong_type_is_invalid_data(
    zoho: Zoho, module: str, record: dict[str, Any], field: str, expected: str
) -> None:
    answer = zoho.post(f"/{module}", json={"data": [record]})
    assert answer.status_code == 400
    (error,) = answer.json()["data"]
    assert error["code"] == "INVALID_DATA"
    assert error["details"]["api_name"] == field
    assert error["details"]["expected_data_type"] == expected


def test_a_picklist_value_outside_its_choices_is_invalid_data(zoho: Zoho) -> None:
    answer = zoho.post("/Deals", json={"data": [DEAL | {"Stage": "Won"}]})
    (error,) = answer.json()["data"]
    assert error["code"] == "INVALID_DATA"
    assert error["details"]["api_name"] == "Stage"
    assert "Closed Won" in error["details"]["supported_values"]


def test_a_text_longer_than_its_field_is_invalid_data(zoho: Zoho) -> None:
    answer = zoho.post(
        "/Accounts", json={"data": [{"Account_Name": "A", "Account_Number": "9" * 41}]}
    )
    (error,) = answer.json()["data"]
    assert error["code"] == "INVALID_DATA"
    assert error["details"]["maximum_length"] == 40


def test_more_than_100_records_in_one_call_are_refused(zoho: Zoho) -> None:
    answer = zoho.post("/Accounts", json={"data": [{"Account_Name": f"A{i}"} for i in range(101)]})
    assert answer.status_code == 400
    assert answer.json()["code"] == "LIMIT_EXCEEDED"


def test_a_body_without_data_is_refused(zoho: Zoho) -> None:
    answer = zoho.post("/Accounts", json={"records": []})
    assert answer.status_code == 400
    assert answer.json()["code"] == "MANDATORY_NOT_FOUND"
    assert answer.json()["details"]["api_name"] == "data"


def test_read_only_fields_in_a_write_are_ignored(zoho: Zoho) -> None:
    (contact,) = zoho.create(
        "Contacts",
        {
            "Last_Name": "Burns",
            "First_Name": "Monty",
            "Full_Name": "Someone Else",
            "Created_Time": "2000-01-01T00:00:00+00:00",
            "Owner": {"id": "42"},
        },
    )
    record = zoho.record("Contacts", contact)
    assert record["Full_Name"] == "Monty Burns"
    assert record["Created_Time"].startswith("2024-09-10")


def test_the_store_holds_the_api_shape_with_lookups_as_ids(zoho: Zoho, api: ZohoCrmApi) -> None:
    (account,) = zoho.create("Accounts", {"Account_Name": "Acme"})
    (contact,) = zoho.create("Contacts", {"Last_Name": "Burns", "Account_Name": {"id": account}})
    stored = api.collections["Contact"].get(contact)
    assert stored is not None
    assert stored.fields == {"Last_Name": "Burns", "Account_Name": account}


# --- read one --------------------------------------------------------------------------


def test_get_one_answers_every_field_with_the_system_fields_derived(zoho: Zoho) -> None:
    (account,) = zoho.create("Accounts", {"Account_Name": "Acme"})
    (contact,) = zoho.create("Contacts", {"Last_Name": "Burns", "First_Name": "Monty"})
    values = {"Amount": 1234.5, "Probability": 60, "Account_Name": {"id": account}}
    (deal,) = zoho.create("Deals", DEAL | values | {"Contact_Name": contact})
    record = zoho.record("Deals", deal)
    assert record["id"] == deal
    assert (record["Amount"], record["Probability"]) == (1234.5, 60)
    assert record["Closing_Date"] == "2024-12-31"
    assert record["Account_Name"] == {"name": "Acme", "id": account}
    assert record["Contact_Name"] == {"name": "Monty Burns", "id": contact}
    assert set(record["Owner"]) == {"name", "id", "email"}
    assert ISO_SECONDS.fullmatch(record["Created_Time"])
    assert ISO_SECONDS.fullmatch(record["Modified_Time"])
    assert record["Description"] is None


def test_get_one_of_an_unknown_id_answers_204(zoho: Zoho) -> None:
    assert zoho.get(f"/Accounts/{NO_SUCH_ID}").status_code == 204


def test_records_the_engine_stores_read_back_like_api_records(zoho: Zoho, api: ZohoCrmApi) -> None:
    account = api.collections["Account"].insert({"Account_Name": "Initech"}, by="talk")
    contact = api.collections["Contact"].insert(
        {"Last_Name": "Lumbergh", "First_Name": "Bill", "Account_Name": account.id}, by="talk"
    )
    record = zoho.record("Contacts", str(contact.id))
    assert record["Full_Name"] == "Bill Lumbergh"
    assert record["Account_Name"] == {"name": "Initech", "id": account.id}


# --- lookups ---------------------------------------------------------------------------


def test_a_lookup_shows_the_current_name_of_the_record_it_points_at(zoho: Zoho) -> None:
    (account,) = zoho.create("Accounts", {"Account_Name": "Acme"})
    (contact,) = zoho.create("Contacts", {"Last_Name": "Burns", "Account_Name": account})
    renamed = zoho.put(f"/Accounts/{account}", json={"data": [{"Account_Name": "Acme Corp"}]})
    assert renamed.status_code == 200
    assert zoho.record("Contacts", contact)["Account_Name"] == {"name": "Acme Corp", "id": account}


def test_a_lookup_to_a_record_that_does_not_exist_is_invalid_data(zoho: Zoho) -> None:
    answer = zoho.post(
        "/Contacts", json={"data": [{"Last_Name": "Burns", "Account_Name": {"id": NO_SUCH_ID}}]}
    )
    (error,) = answer.json()["data"]
    assert error["code"] == "INVALID_DATA"
    assert error["details"]["api_name"] == "Account_Name"


# --- update ----------------------------------------------------------------------------


def test_update_one_merges_fields_and_moves_the_modified_time(
    zoho: Zoho, clock: ManualClock
) -> None:
    (account,) = zoho.create("Accounts", {"Account_Name": "Acme", "Phone": "555-0100"})
    clock.advance(60)
    answer = zoho.put(f"/Accounts/{account}", json={"data": [{"Website": "acme.example"}]})
    assert answer.status_code == 200
    (result,) = answer.json()["data"]
    assert (result["code"], result["message"]) == ("SUCCESS", "record updated")
    assert result["details"]["Modified_Time"] == "2024-09-10T13:44:43+00:00"
    record = zoho.record("Accounts", account)
    assert (record["Phone"], record["Website"]) == ("555-0100", "acme.example")
    assert record["Created_Time"] == "2024-09-10T13:43:43+00:00"


def test_update_of_an_unknown_id_is_refused(zoho: Zoho) -> None:
    answer = zoho.put(f"/Accounts/{NO_SUCH_ID}", json={"data": [{"Phone": "1"}]})
    assert answer.status_code == 400
    assert answer.json()["data"][0]["code"] == "INVALID_DATA"


def test_bulk_update_reports_each_record(zoho: Zoho) -> None:
    (account,) = zoho.create("Accounts", {"Account_Name": "Acme"})
    data = [{"id": account, "Phone": "2"}, {"Phone": "3"}, {"id": NO_SUCH_ID, "Phone": "4"}]
    answer = zoho.put("/Accounts", json={"data": data})
    assert answer.status_code == 207
    codes = [item["code"] for item in answer.json()["data"]]
    assert codes == ["SUCCESS", "MANDATORY_NOT_FOUND", "INVALID_DATA"]
    assert answer.json()["data"][1]["details"] == {"api_name": "id", "json_path": "$.data[1].id"}
    assert zoho.record("Accounts", account)["Phone"] == "2"


def test_an_update_may_not_empty_a_mandatory_field(zoho: Zoho) -> None:
    (account,) = zoho.create("Accounts", {"Account_Name": "Acme"})
    answer = zoho.put(f"/Accounts/{account}", json={"data": [{"Account_Name": None}]})
    assert answer.status_code == 400
    assert answer.json()["data"][0]["code"] == "MANDATORY_NOT_FOUND"


# --- upsert ----------------------------------------------------------------------------


def test_upsert_inserts_then_updates_the_record_its_check_field_matches(zoho: Zoho) -> None:
    body: dict[str, Any] = {
        "data": [{"Last_Name": "Burns", "Email": "monty@example.com"}],
        "duplicate_check_fields": ["Email"],
    }
    inserted = zoho.post("/Contacts/upsert", json=body)
    assert inserted.status_code == 200
    first = inserted.json()["data"][0]
    assert (first["action"], first["message"]) == ("insert", "record added")
    body["data"] = [{"Last_Name": "Burns", "Email": "MONTY@example.com", "Title": "Owner"}]
    updated = zoho.post("/Contacts/upsert", json=body).json()["data"][0]
    assert (updated["action"], updated["duplicate_field"]) == ("update", "Email")
    assert updated["details"]["id"] == first["details"]["id"]
    assert zoho.record("Contacts", first["details"]["id"])["Title"] == "Owner"


def test_upsert_without_check_fields_uses_the_system_defined_ones(zoho: Zoho) -> None:
    (account,) = zoho.create("Accounts", {"Account_Name": "Acme"})
    body = {"data": [{"Account_Name": "Acme", "Phone": "555-0100"}]}
    result = zoho.post("/Accounts/upsert", json=body).json()["data"][0]
    assert (result["action"], result["details"]["id"]) == ("update", account)


# --- delete ----------------------------------------------------------------------------


def test_delete_one_answers_record_deleted_and_the_record_is_gone(zoho: Zoho) -> None:
    (account,) = zoho.create("Accounts", {"Account_Name": "Acme"})
    answer = zoho.delete(f"/Accounts/{account}")
    assert answer.status_code == 200
    assert answer.json()["data"][0] == {
        "code": "SUCCESS",
        "details": {"id": account},
        "message": "record deleted",
        "status": "success",
    }
    assert zoho.get(f"/Accounts/{account}").status_code == 204


def test_delete_many_reports_each_id(zoho: Zoho) -> None:
    (account,) = zoho.create("Accounts", {"Account_Name": "Acme"})
    answer = zoho.delete("/Accounts", params={"ids": f"{account},{NO_SUCH_ID}"})
    assert answer.status_code == 207
    deleted, refused = answer.json()["data"]
    assert deleted["details"] == {"id": account}
    assert (refused["code"], refused["message"]) == ("INVALID_DATA", "record not deleted")
    missing = zoho.delete("/Accounts")
    assert missing.status_code == 400
    assert missing.json()["code"] == "REQUIRED_PARAM_MISSING"


# --- list ------------------------------------------------------------------------------


def test_list_needs_the_fields_parameter(zoho: Zoho) -> None:
    answer = zoho.get("/Accounts")
    assert answer.status_code == 400
    assert answer.json() == {
        "code": "REQUIRED_PARAM_MISSING",
        "details": {"param_name": "fields"},
        "message": "required param is missing",
        "status": "error",
    }


def test_list_answers_only_the_fields_asked_for_plus_id(zoho: Zoho) -> None:
    zoho.create("Contacts", {"Last_Name": "Burns", "Email": "monty@example.com", "Title": "Boss"})
    answer = zoho.get("/Contacts", params={"fields": "Last_Name,Email"})
    assert answer.status_code == 200
    (record,) = answer.json()["data"]
    assert set(record) == {"id", "Last_Name", "Email"}


def test_an_empty_list_answers_204(zoho: Zoho) -> None:
    assert zoho.get("/Deals", params={"fields": "Deal_Name"}).status_code == 204


def test_list_pages_newest_id_first_with_zoho_info(zoho: Zoho) -> None:
    ids = zoho.create("Accounts", *({"Account_Name": f"A{i}"} for i in range(5)))
    first = zoho.get("/Accounts", params={"fields": "id", "per_page": "2"}).json()
    assert [r["id"] for r in first["data"]] == [ids[4], ids[3]]
    info = first["info"]
    assert (info["per_page"], info["count"], info["page"], info["more_records"]) == (2, 2, 1, True)
    last = zoho.get("/Accounts", params={"fields": "id", "per_page": "2", "page": "3"}).json()
    assert [r["id"] for r in last["data"]] == [ids[0]]
    assert last["info"]["more_records"] is False
    beyond = zoho.get("/Accounts", params={"fields": "id", "per_page": "2", "page": "4"})
    assert beyond.status_code == 204
    too_big = zoho.get("/Accounts", params={"fields": "id", "per_page": "201"})
    assert too_big.status_code == 400
    assert too_big.json()["details"]["param_name"] == "per_page"


def test_list_sorts_by_modified_time(zoho: Zoho, clock: ManualClock) -> None:
    first, second = zoho.create("Accounts", {"Account_Name": "A"}, {"Account_Name": "B"})
    clock.advance(5)
    zoho.put(f"/Accounts/{first}", json={"data": [{"Phone": "1"}]})
    by_change = {"fields": "id", "sort_by": "Modified_Time"}
    assert zoho.ids("/Accounts", **by_change, sort_order="desc") == [first, second]
    assert zoho.ids("/Accounts", **by_change, sort_order="asc") == [second, first]
    refused = zoho.get("/Accounts", params={"fields": "id", "sort_by": "Account_Name"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "INVALID_DATA"


def test_list_can_ask_for_given_ids(zoho: Zoho) -> None:
    ids = zoho.create("Accounts", *({"Account_Name": f"A{i}"} for i in range(3)))
    assert zoho.ids("/Accounts", fields="id", ids=f"{ids[0]},{ids[2]}") == [ids[2], ids[0]]


def test_if_modified_since_lists_only_later_changes_and_304_when_none(
    zoho: Zoho, clock: ManualClock
) -> None:
    _, second = zoho.create("Accounts", {"Account_Name": "A"}, {"Account_Name": "B"})
    clock.advance(10)
    since = {"If-Modified-Since": "2024-09-10T13:43:50+00:00"}
    clock.advance(10)
    zoho.put(f"/Accounts/{second}", json={"data": [{"Phone": "1"}]})
    changed = zoho.get("/Accounts", params={"fields": "Phone"}, headers=since)
    assert [r["id"] for r in changed.json()["data"]] == [second]
    later = {"If-Modified-Since": "2024-09-10T16:00:00+02:00"}
    assert zoho.get("/Accounts", params={"fields": "id"}, headers=later).status_code == 304


# --- search ----------------------------------------------------------------------------


@pytest.fixture
def family(zoho: Zoho) -> dict[str, str]:
    people = [
        {"First_Name": "Monty", "Last_Name": "Burns", "Email": "monty@plant.example"},
        {"First_Name": "Homer", "Last_Name": "Simpson", "Phone": "+1 (555) 0101"},
        {"First_Name": "Marge", "Last_Name": "Simpson", "Description": "Blue hair"},
    ]
    ids = zoho.create("Contacts", *people)
    return dict(zip(["monty", "homer", "marge"], ids, strict=True))


def test_search_by_criteria_combines_conditions_with_and_and_or(
    zoho: Zoho, family: dict[str, str]
) -> None:
    both = "((Last_Name:equals:simpson)and(First_Name:starts_with:Ho))"
    assert zoho.ids("/Contacts/search", criteria=both) == [family["homer"]]
    either = "((Last_Name:equals:Burns)or(First_Name:equals:Marge))"
    assert set(zoho.ids("/Contacts/search", criteria=either)) == {family["monty"], family["marge"]}


def test_search_by_email_phone_and_word(zoho: Zoho, family: dict[str, str]) -> None:
    assert zoho.ids("/Contacts/search", email="MONTY@plant.example") == [family["monty"]]
    assert zoho.ids("/Contacts/search", phone="15550101") == [family["homer"]]
    assert zoho.ids("/Contacts/search", word="blue") == [family["marge"]]


def test_search_on_a_lookup_matches_the_name_it_shows(zoho: Zoho) -> None:
    (account,) = zoho.create("Accounts", {"Account_Name": "Acme"})
    (contact,) = zoho.create("Contacts", {"Last_Name": "Burns", "Account_Name": account})
    zoho.create("Contacts", {"Last_Name": "Flanders"})
    assert zoho.ids("/Contacts/search", criteria="(Account_Name:equals:Acme)") == [contact]
    by_id = f"(Account_Name.id:equals:{account})"
    assert zoho.ids("/Contacts/search", criteria=by_id) == [contact]


def test_a_search_without_matches_answers_204(zoho: Zoho, family: dict[str, str]) -> None:
    answer = zoho.get("/Contacts/search", params={"criteria": "(Last_Name:equals:Flanders)"})
    assert answer.status_code == 204


def test_a_search_needs_a_criteria(zoho: Zoho) -> None:
    answer = zoho.get("/Contacts/search")
    assert answer.status_code == 400
    assert answer.json()["code"] == "REQUIRED_PARAM_MISSING"


@pytest.mark.parametrize(
    "criteria",
    ["Last_Name:equals:Burns", "(Last_Name:like:Burns)", "(Colour:equals:red)", "((A:equals:b)"],
)
def test_a_malformed_criteria_is_an_invalid_query(zoho: Zoho, criteria: str) -> None:
    answer = zoho.get("/Contacts/search", params={"criteria": criteria})
    assert answer.status_code == 400
    assert answer.json()["code"] == "INVALID_QUERY"
