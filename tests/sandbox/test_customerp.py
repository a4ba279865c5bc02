"""The emulated Customerp API over HTTP, held to its own OpenAPI document.

Every exchange a test makes through the `client`/`anonymous` fixtures is checked against
the contract when the test ends: each answer must be one the document describes (status,
headers, body), and each request that succeeded must be one the document allows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_spec_validator import validate as validate_openapi_document

from talkqa.sandbox.clock import ManualClock
from talkqa.sandbox.credentials import CustomerpCredentials
from talkqa.sandbox.customerp import CustomerpApi, contract_text
from talkqa.sandbox.store import Record
from talkqa.sandbox.web import Served
from talkqa.spec.catalogue import load_catalogue

KEY = CustomerpCredentials().api_key
API = "/api/v1"


def _text(data: bytes, **parameters: str) -> str:
    return data.decode(parameters.get("charset", "utf-8"))


CONTRACT = OpenAPI.from_dict(
    yaml.safe_load(contract_text()),
    config=Config(extra_media_type_deserializers={"application/yaml": _text}),
)


def contract_problems(exchanges: list[requests.Response]) -> list[str]:
    """Every way the exchanges depart from the contract, one line each."""
    problems = []
    for response in exchanges:
        request = RequestsOpenAPIRequest(response.request)
        errors = list(CONTRACT.iter_response_errors(request, RequestsOpenAPIResponse(response)))
        if response.ok:
            errors += CONTRACT.iter_request_errors(request)
        for err in errors:
            cause = f": {err.__cause__}" if err.__cause__ else ""
            what = f"{response.request.method} {response.request.path_url}"
            problems.append(f"{what} -> {response.status_code}: {err!r}{cause}")
    return problems


class Client:
    """Calls one served Customerp and keeps every answer for the contract check."""

    def __init__(self, base: str, exchanges: list[requests.Response], key: str | None) -> None:
        self.base = base
        self.exchanges = exchanges
        self.session = requests.Session()
        if key is not None:
            self.session.headers["X-API-Key"] = key

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.session.request(method, self.base + API + path, timeout=10, **kwargs)
        self.exchanges.append(response)
        return response

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.call("GET", path, params=params)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.call("POST", path, json=body)

    def patch(self, path: str, body: Any) -> requests.Response:
        return self.call("PATCH", path, json=body)

    def delete(self, path: str) -> requests.Response:
        return self.call("DELETE", path)

    def create(self, collection: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post(f"/{collection}", body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def api(clock: ManualClock) -> CustomerpApi:
    return CustomerpApi(clock)


class _Current:
    """Serves whichever Customerp the running test made: one server for the module."""

    app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Served, _Current]]:
    current = _Current()
    served = Served(current)
    yield served, current
    served.close()


@pytest.fixture
def served(server: tuple[Served, _Current], api: CustomerpApi) -> Served:
    served, current = server
    current.app = api
    return served


@pytest.fixture
def exchanges() -> Iterator[list[requests.Response]]:
    """Every exchange of the test; when it ends, each must keep to the contract."""
    seen: list[requests.Response] = []
    yield seen
    problems = contract_problems(seen)
    assert not problems, "answers off the contract:\n" + "\n".join(problems)


@pytest.fixture
def client(served: Served, exchanges: list[requests.Response]) -> Client:
    return Client(served.url, exchanges, KEY)


@pytest.fixture
def anonymous(served: Served, exchanges: list[requests.Response]) -> Client:
    return Client(served.url, exchanges, None)


def error_of(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    detail: dict[str, Any] = response.json()["error"]
    return detail


# -- the contract itself ------------------------------------------------------------


def test_the_contract_is_a_valid_openapi_document() -> None:
    validate_openapi_document(yaml.safe_load(contract_text()))


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _flat_properties(document: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    """A schema's properties with nested objects' members as dotted names."""
    flat: dict[str, dict[str, Any]] = {}
    for prop, raw in _schema(document, {"$ref": name})["properties"].items():
        schema = _schema(document, raw)
        if "properties" in schema:
            for member, inner in schema["properties"].items():
                flat[f"{prop}.{member}"] = inner
        else:
            flat[prop] = schema
    return flat


def test_the_catalogue_lists_the_fields_the_contract_defines() -> None:
    document = yaml.safe_load(contract_text())
    for entity in load_catalogue().systems["customerp"].entities.values():
        answered = _flat_properties(document, f"#/{entity.name}")
        writable = _flat_properties(document, f"#/{entity.name}Update")
        create = document["components"]["schemas"][f"{entity.name}Create"]
        assert set(answered) == set(entity.fields), entity.name
        assert set(writable) == {n for n, f in entity.fields.items() if not f.read_only}
        assert set(create["required"]) == {n for n, f in entity.fields.items() if f.required}
        for name, spec in entity.fields.items():
            schema = answered[name]
            assert schema.get("maxLength") == spec.max_length, f"{entity.name}.{name}"
            if spec.choices:
                assert tuple(_schema(document, schema["oneOf"][0])["enum"]) == spec.choices


def test_the_contract_is_served_without_a_key(anonymous: Client) -> None:
    response = anonymous.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(response.text) == yaml.safe_load(contract_text())


class _Drifted(CustomerpApi):
    """A Customerp that answers employee counts as strings, against its contract."""

    def as_json(self, entity_name: str, record: Record) -> dict[str, Any]:
        body = super().as_json(entity_name, record)
        body["employees"] = str(body["employees"])
        return body


def test_the_contract_check_catches_an_answer_off_the_contract(
    server: tuple[Served, _Current], clock: ManualClock
) -> None:
    served, current = server
    current.app = _Drifted(clock)
    seen: list[requests.Response] = []
    Client(served.url, seen, KEY).create("customers", {"name": "Acme", "employees": 5})
    problems = contract_problems(seen)
    assert problems
    assert "employees" in problems[0]


# -- authentication and errors ------------------------------------------------------


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_a_call_without_the_right_key_is_refused(served: Served, exchanges: Any, key: Any) -> None:
    response = Client(served.url, exchanges, key).get("/customers")
    detail = error_of(response, 401)
    assert detail["code"] == "unauthorized"
    assert detail["message"]


def test_an_unknown_id_is_not_found(client: Client) -> None:
    for collection in ("customers", "contacts", "orders", "products"):
        assert error_of(client.get(f"/{collection}/99"), 404)["code"] == "not_found"
        assert error_of(client.patch(f"/{collection}/99", {}), 404)["code"] == "not_found"
        assert error_of(client.delete(f"/{collection}/99"), 404)["code"] == "not_found"


def test_a_body_that_is_not_a_json_object_is_a_validation_error(client: Client) -> None:
    malformed = client.call("POST", "/customers", data=b"{not json")
    assert error_of(malformed, 400)["code"] == "validation_error"
    assert error_of(client.post("/customers", ["name"]), 400)["code"] == "validation_error"


# -- creating and reading -----------------------------------------------------------


def test_a_created_customer_gets_an_id_a_number_timestamps_and_defaults(client: Client) -> None:
    response = client.post("/customers", {"name": "Acme AS"})
    assert response.status_code == 201
    customer = response.json()
    assert customer["id"] == 1
    assert customer["customer_number"] == "C-00001"
    assert customer["is_active"] is True
    assert customer["tags"] == []
    assert customer["email"] is None
    assert customer["billing_address"] == dict.fromkeys(
        ["street", "city", "postal_code", "state", "country"]
    )
    assert customer["created_at"].endswith("Z")
    assert customer["updated_at"] == customer["created_at"]
    assert client.create("customers", {"name": "Beta"})["customer_number"] == "C-00002"


def test_the_location_of_a_created_record_reads_it_back(client: Client) -> None:
    created = client.post("/products", {"sku": "SKU-1", "name": "Widget"})
    location = created.headers["Location"]
    assert location == f"{API}/products/{created.json()['id']}"
    assert client.call("GET", location.removeprefix(API)).json() == created.json()


def test_every_field_written_is_answered_as_written(client: Client) -> None:
    body = {
        "name": "Acme AS",
        "organization_number": "923609016",
        "email": "post@acme.example",
        "phone": "+47 22 00 00 00",
        "website": "https://acme.example",
        "billing_address": {"street": "Storgata 1", "city": "Oslo", "postal_code": "0155"},
        "delivery_address": {"state": "Viken", "country": "Norway"},
        "employees": 42,
        "annual_revenue": "1234.50",
        "credit_limit": "-10",
        "is_active": False,
        "tags": ["vip", "nordic"],
        "description": "A customer",
    }
    created = client.create("customers", body)
    read = client.get(f"/customers/{created['id']}").json()
    assert read == created
    assert read["annual_revenue"] == "1234.50"
    assert read["billing_address"]["city"] == "Oslo"
    assert read["billing_address"]["state"] is None
    assert read["delivery_address"]["country"] == "Norway"
    assert {k: read[k] for k in body if "address" not in k} == {
        k: v for k, v in body.items() if "address" not in k
    }


def test_an_order_gets_a_number_and_defaults_and_refers_to_its_customer(client: Client) -> None:
    customer = client.create("customers", {"name": "Acme"})
    contact = client.create("contacts", {"last_name": "Nordmann", "customer_id": customer["id"]})
    order = client.create(
        "orders",
        {
            "customer_id": customer["id"],
            "contact_id": contact["id"],
            "title": "Big deal",
            "order_date": "2024-09-10",
            "total_amount": "99999.99",
        },
    )
    assert order["order_number"] == "SO-00001"
    assert order["currency"] == "NOK"
    assert order["status"] == "draft"
    assert (order["customer_id"], order["contact_id"]) == (customer["id"], contact["id"])
    assert contact["email_opt_out"] is False


def test_a_product_keeps_numbers_and_decimal_strings(client: Client) -> None:
    product = client.create(
        "products",
        {"sku": "W-1", "name": "Widget", "unit_price": "10.00", "stock_quantity": 3},
    )
    assert product["unit_price"] == "10.00"
    assert product["stock_quantity"] == 3.0
    assert product["is_active"] is True


# -- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("collection", "body", "field"),
    [
        ("customers", {"name": "A", "colour": "red"}, "colour"),
        ("customers", {"name": "A", "billing_address": {"town": "Oslo"}}, "billing_address.town"),
        ("customers", {"name": "A", "billing_address.city": "Oslo"}, "billing_address.city"),
        ("customers", {"name": "A", "id": 7}, "id"),
        ("customers", {"name": "A", "customer_number": "C-1"}, "customer_number"),
        ("customers", {"name": "A", "updated_at": "2024-09-10T00:00:00Z"}, "updated_at"),
        ("customers", {"email": "a@b.example"}, "name"),
        ("customers", {"name": ""}, "name"),
        ("customers", {"name": "A" * 201}, "name"),
        ("customers", {"name": "A", "employees": "ten"}, "employees"),
        ("customers", {"name": "A", "employees": True}, "employees"),
        ("customers", {"name": "A", "annual_revenue": 1234.5}, "annual_revenue"),
        ("customers", {"name": "A", "annual_revenue": "1,234.50"}, "annual_revenue"),
        ("customers", {"name": "A", "credit_limit": "1e3"}, "credit_limit"),
        ("customers", {"name": "A", "is_active": "yes"}, "is_active"),
        ("customers", {"name": "A", "tags": "vip"}, "tags"),
        ("customers", {"name": "A", "tags": [1]}, "tags"),
        ("customers", {"name": "A", "billing_address": "Oslo"}, "billing_address"),
        ("customers", {"name": "A", "billing_address": {"city": 5}}, "billing_address.city"),
        ("contacts", {"first_name": "Ola"}, "last_name"),
        ("contacts", {"last_name": "N", "customer_id": 99}, "customer_id"),
        ("contacts", {"last_name": "N", "customer_id": "1"}, "customer_id"),
        ("contacts", {"last_name": "N", "email_opt_out": 0}, "email_opt_out"),
        ("orders", {"title": "T"}, "customer_id"),
        ("products", {"name": "Widget"}, "sku"),
        ("products", {"sku": "S", "name": "W", "stock_quantity": "3"}, "stock_quantity"),
        ("products", {"sku": "S", "name": "W", "unit_price": "ten"}, "unit_price"),
    ],
)
def test_an_invalid_field_is_a_validation_error_naming_it(
    client: Client, collection: str, body: dict[str, Any], field: str
) -> None:
    detail = error_of(client.post(f"/{collection}", body), 400)
    assert detail["code"] == "validation_error"
    assert detail["field"] == field
    assert client.get(f"/{collection}").json()["meta"]["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "T", "order_date": "10.09.2024"}, "order_date"),
        ({"title": "T", "order_date": "2024-02-30"}, "order_date"),
        ({"title": "T", "status": "won"}, "status"),
        ({"title": "T", "currency": "nok"}, "currency"),
        ({"title": "T", "contact_id": 99}, "contact_id"),
        ({"title": "T", "total_amount": "12.5.0"}, "total_amount"),
    ],
)
def test_an_invalid_order_value_is_a_validation_error_naming_it(
    client: Client, body: dict[str, Any], field: str
) -> None:
    customer = client.create("customers", {"name": "Acme"})
    detail = error_of(client.post("/orders", {"customer_id": customer["id"], **body}), 400)
    assert (detail["code"], detail["field"]) == ("validation_error", field)


def test_a_duplicate_sku_is_a_conflict(client: Client) -> None:
    client.create("products", {"sku": "W-1", "name": "Widget"})
    other = client.create("products", {"sku": "W-2", "name": "Gadget"})
    detail = error_of(client.post("/products", {"sku": "W-1", "name": "Copy"}), 409)
    assert (detail["code"], detail["field"]) == ("conflict", "sku")
    detail = error_of(client.patch(f"/products/{other['id']}", {"sku": "W-1"}), 409)
    assert (detail["code"], detail["field"]) == ("conflict", "sku")
    assert client.patch(f"/products/{other['id']}", {"sku": "W-2", "name": "G"}).ok


# -- updating -------------------------------------------------------------------------


def test_a_patch_changes_only_what_it_sends(client: Client, clock: ManualClock) -> None:
    created = client.create(
        "customers", {"name": "Acme", "email": "a@acme.example", "employees": 5}
    )
    clock.advance(60)
    response = client.patch(f"/customers/{created['id']}", {"employees": 6})
    assert response.status_code == 200
    updated = response.json()
    assert updated["employees"] == 6
    assert (updated["name"], updated["email"]) == ("Acme", "a@acme.example")
    assert updated["updated_at"] > created["updated_at"]
    assert updated["created_at"] == created["created_at"]
    assert client.get(f"/customers/{created['id']}").json() == updated


def test_a_patch_with_null_clears_a_field(client: Client) -> None:
    created = client.create("customers", {"name": "Acme", "email": "a@acme.example"})
    updated = client.patch(f"/customers/{created['id']}", {"email": None}).json()
    assert updated["email"] is None


def test_a_patch_cannot_clear_a_required_field(client: Client) -> None:
    created = client.create("customers", {"name": "Acme"})
    detail = error_of(client.patch(f"/customers/{created['id']}", {"name": None}), 400)
    assert detail["field"] == "name"
    assert client.get(f"/customers/{created['id']}").json()["name"] == "Acme"


def test_a_patch_merges_an_address_member_by_member(client: Client) -> None:
    created = client.create(
        "customers", {"name": "Acme", "billing_address": {"street": "Storgata 1", "city": "Oslo"}}
    )
    path = f"/customers/{created['id']}"
    moved = client.patch(path, {"billing_address": {"city": "Bergen"}}).json()
    assert moved["billing_address"]["city"] == "Bergen"
    assert moved["billing_address"]["street"] == "Storgata 1"
    unnamed = client.patch(path, {"billing_address": {"street": None}}).json()
    assert unnamed["billing_address"]["street"] is None
    assert unnamed["billing_address"]["city"] == "Bergen"
    cleared = client.patch(path, {"billing_address": None}).json()
    assert set(cleared["billing_address"].values()) == {None}


def test_a_patch_that_changes_nothing_keeps_updated_at(client: Client, clock: ManualClock) -> None:
    created = client.create("customers", {"name": "Acme", "employees": 5})
    clock.advance(60)
    same = client.patch(f"/customers/{created['id']}", {"name": "Acme", "employees": 5}).json()
    assert same["updated_at"] == created["updated_at"]


def test_a_patch_with_an_unknown_field_changes_nothing(client: Client) -> None:
    created = client.create("customers", {"name": "Acme"})
    detail = error_of(client.patch(f"/customers/{created['id']}", {"name": "B", "x": 1}), 400)
    assert detail["field"] == "x"
    assert client.get(f"/customers/{created['id']}").json() == created


# -- deleting -------------------------------------------------------------------------


def test_a_deleted_record_is_gone(client: Client) -> None:
    product = client.create("products", {"sku": "W-1", "name": "Widget"})
    response = client.delete(f"/products/{product['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert error_of(client.get(f"/products/{product['id']}"), 404)["code"] == "not_found"
    assert client.create("products", {"sku": "W-1", "name": "Widget again"})["id"] == 2


def test_a_customer_with_contacts_or_orders_cannot_be_deleted(client: Client) -> None:
    customer = client.create("customers", {"name": "Acme"})
    contact = client.create("contacts", {"last_name": "Nordmann", "customer_id": customer["id"]})
    order = client.create(
        "orders", {"customer_id": customer["id"], "contact_id": contact["id"], "title": "Deal"}
    )
    assert error_of(client.delete(f"/customers/{customer['id']}"), 409)["code"] == "conflict"
    assert error_of(client.delete(f"/contacts/{contact['id']}"), 409)["code"] == "conflict"
    assert client.delete(f"/orders/{order['id']}").status_code == 204
    assert error_of(client.delete(f"/customers/{customer['id']}"), 409)["code"] == "conflict"
    assert client.delete(f"/contacts/{contact['id']}").status_code == 204
    assert client.delete(f"/customers/{customer['id']}").status_code == 204


# -- listing --------------------------------------------------------------------------


def test_a_list_is_paged_in_id_order(client: Client) -> None:
    for n in range(5):
        client.create("customers", {"name": f"Customer {n}"})
    first = client.get("/customers", page_size=2).json()
    assert [c["id"] for c in first["data"]] == [1, 2]
    assert first["meta"] == {"page": 1, "page_size": 2, "total": 5, "next_page": 2}
    last = client.get("/customers", page=3, page_size=2).json()
    assert [c["id"] for c in last["data"]] == [5]
    assert last["meta"]["next_page"] is None
    beyond = client.get("/customers", page=4, page_size=2).json()
    assert (beyond["data"], beyond["meta"]["total"]) == ([], 5)


def test_a_list_pages_50_by_default_and_200_at_most(client: Client) -> None:
    meta = client.get("/customers").json()["meta"]
    assert (meta["page"], meta["page_size"], meta["next_page"]) == (1, 50, None)
    assert client.get("/customers", page_size=200).status_code == 200
    for params in ({"page_size": 201}, {"page_size": 0}, {"page": 0}, {"page": "two"}):
        detail = error_of(client.get("/customers", **params), 400)
        assert detail["field"] == next(iter(params))


def test_updated_since_answers_later_changes_oldest_first(
    client: Client, clock: ManualClock
) -> None:
    first = client.create("customers", {"name": "First"})
    clock.advance(60)
    second = client.create("customers", {"name": "Second"})
    clock.advance(60)
    third = client.create("customers", {"name": "Third"})
    clock.advance(60)
    client.patch(f"/customers/{first['id']}", {"name": "First, renamed"})

    changed = client.get("/customers", updated_since=second["updated_at"]).json()
    assert [c["id"] for c in changed["data"]] == [third["id"], first["id"]]
    assert changed["meta"]["total"] == 2
    everything = client.get("/customers", updated_since="2000-01-01T00:00:00+00:00").json()
    assert [c["id"] for c in everything["data"]] == [second["id"], third["id"], first["id"]]
    latest = changed["data"][-1]["updated_at"]
    assert client.get("/customers", updated_since=latest).json()["data"] == []


@pytest.mark.parametrize("value", ["yesterday", "2024-09-10", "2024-09-10T12:00:00"])
def test_updated_since_must_be_an_instant_with_a_zone(client: Client, value: str) -> None:
    detail = error_of(client.get("/customers", updated_since=value), 400)
    assert (detail["code"], detail["field"]) == ("validation_error", "updated_since")


def test_equality_filters_narrow_a_list(client: Client) -> None:
    acme = client.create("customers", {"name": "Acme", "email": "post@acme.example"})
    beta = client.create("customers", {"name": "Beta", "email": "post@beta.example"})
    client.create("contacts", {"last_name": "A", "customer_id": acme["id"], "email": "a@x.no"})
    client.create("contacts", {"last_name": "B", "customer_id": beta["id"]})
    client.create("orders", {"customer_id": beta["id"], "title": "Deal", "status": "confirmed"})
    client.create("products", {"sku": "W-1", "name": "Widget"})
    client.create("products", {"sku": "W-2", "name": "Widget"})

    def names(collection: str, field: str, **params: Any) -> list[Any]:
        response = client.get(f"/{collection}", **params)
        assert response.status_code == 200, response.text
        return [row[field] for row in response.json()["data"]]

    assert names("customers", "name", email="post@beta.example") == ["Beta"]
    assert names("customers", "name", name="Acme") == ["Acme"]
    assert names("customers", "name", customer_number="C-00002") == ["Beta"]
    assert names("contacts", "last_name", customer_id=acme["id"]) == ["A"]
    assert names("contacts", "last_name", email="a@x.no") == ["A"]
    assert names("orders", "title", customer_id=beta["id"], status="confirmed") == ["Deal"]
    assert names("orders", "title", customer_id=acme["id"]) == []
    assert names("products", "sku", sku="W-2") == ["W-2"]
    assert names("products", "sku", name="Widget") == ["W-1", "W-2"]


def test_an_unknown_or_malformed_query_parameter_is_a_validation_error(client: Client) -> None:
    assert error_of(client.get("/customers", colour="red"), 400)["field"] == "colour"
    assert error_of(client.get("/products", email="a@b.no"), 400)["field"] == "email"
    assert error_of(client.get("/contacts", customer_id="one"), 400)["field"] == "customer_id"
    assert error_of(client.get("/orders", status="won"), 400)["field"] == "status"


# -- the store the sync engine shares -------------------------------------------------


def test_records_are_stored_in_the_api_shape_without_what_the_system_maintains(
    client: Client, api: CustomerpApi
) -> None:
    created = client.create(
        "customers", {"name": "Acme", "billing_address": {"city": "Oslo"}, "credit_limit": "5.00"}
    )
    stored = api.collections["Customer"].get(created["id"])
    assert stored is not None
    assert stored.fields == {
        "name": "Acme",
        "billing_address": {"city": "Oslo"},
        "credit_limit": "5.00",
        "is_active": True,
        "tags": [],
    }


def test_a_record_the_engine_stores_is_answered_like_any_other(
    client: Client, api: CustomerpApi
) -> None:
    customer = api.collections["Customer"].insert(
        {"name": "From Talk", "billing_address": {"city": "Oslo"}}, by="talk"
    )
    api.collections["Order"].insert({"customer_id": customer.id, "title": "Deal"}, by="talk")
    answered = client.get(f"/customers/{customer.id}").json()
    assert answered["customer_number"] == "C-00001"
    assert answered["billing_address"]["city"] == "Oslo"
    assert answered["billing_address"]["street"] is None
    assert (answered["is_active"], answered["tags"]) == (True, [])
    order = client.get("/orders", customer_id=customer.id).json()["data"][0]
    assert (order["order_number"], order["status"], order["currency"]) == (
        "SO-00001",
        "draft",
        "NOK",
    )
