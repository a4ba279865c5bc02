"""The sandbox's Talk engine, driven through the emulated systems' HTTP APIs.

Records are created and edited over HTTP the way a QA engineer's steps do it; the engine's
pipes run in-process; the linked record is found in the link view (`$origin`) and read
back over HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from talkqa.checklist.model import SystemEntity
from talkqa.sandbox.clock import ManualClock
from talkqa.sandbox.convert import ConversionError, convert, same
from talkqa.sandbox.credentials import CustomerpCredentials, WebcrmCredentials, ZohoCredentials
from talkqa.sandbox.customerp import CustomerpApi
from talkqa.sandbox.engine import PipeRun, SystemHandle, TalkEngine
from talkqa.sandbox.faults import FaultSet
from talkqa.sandbox.web import Served
from talkqa.sandbox.webcrm import WebcrmApi
from talkqa.sandbox.zohocrm import ZohoCrmApi
from talkqa.spec.catalogue import Field, load_catalogue
from talkqa.spec.dataflow import Mapping, SectionSpec, load_specs

FEATURES = Path(__file__).resolve().parents[2] / "features"
SPECS = load_specs(FEATURES)
ACCOUNT = "zohocrm-account-to-customerp-customer"
CONTACT = "zohocrm-contact-to-customerp-contact"
DEAL = "zohocrm-deal-to-customerp-order"
CUSTOMER = "customerp-customer-to-webcrm-organisations"
PERSON = "customerp-contact-to-webcrm-persons"
PRODUCT = "customerp-product-to-webcrm-products"
TIMEOUT = 10


class Client:
    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers.update(headers)

    def call(self, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        answer = self.session.request(method, self.base + path, timeout=TIMEOUT, **kwargs)
        assert answer.status_code == expect, answer.text
        return answer.json() if answer.content else None


class Zoho(Client):
    def __init__(self, url: str) -> None:
        creds = ZohoCredentials()
        grant = {
            "grant_type": "refresh_token",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "refresh_token": creds.refresh_token,
        }
        token = requests.post(f"{url}/oauth/v2/token", data=grant, timeout=TIMEOUT).json()
        super().__init__(
            f"{url}/crm/v8", {"Authorization": f"Zoho-oauthtoken {token['access_token']}"}
        )

    def create(self, module: str, **fields: Any) -> str:
        answer = self.call("POST", f"/{module}", 201, json={"data": [fields]})
        return str(answer["data"][0]["details"]["id"])

    def update(self, module: str, record_id: str, **fields: Any) -> None:
        self.call("PUT", f"/{module}/{record_id}", 200, json={"data": [fields]})

    def get(self, module: str, record_id: str) -> dict[str, Any]:
        record: dict[str, Any] = self.call("GET", f"/{module}/{record_id}", 200)["data"][0]
        return record

    def delete(self, module: str, record_id: str) -> None:
        self.call("DELETE", f"/{module}/{record_id}", 200)


class Customerp(Client):
    def __init__(self, url: str) -> None:
        super().__init__(f"{url}/api/v1", {"X-API-Key": CustomerpCredentials().api_key})

    def create(self, collection: str, **fields: Any) -> int:
        return int(self.call("POST", f"/{collection}", 201, json=fields)["id"])

    def update(self, collection: str, record_id: int, **fields: Any) -> None:
        self.call("PATCH", f"/{collection}/{record_id}", 200, json=fields)

    def get(self, collection: str, record_id: int) -> dict[str, Any]:
        record: dict[str, Any] = self.call("GET", f"/{collection}/{record_id}", 200)
        return record


class Webcrm(Client):
    def __init__(self, url: str) -> None:
        login = {"authCode": WebcrmCredentials().auth_code}
        token = requests.post(f"{url}/Auth/ApiLogin", data=login, timeout=TIMEOUT).json()
        super().__init__(url, {"Authorization": f"Bearer {token['AccessToken']}"})

    def create(self, kind: str, **fields: Any) -> int:
        return int(self.call("POST", f"/{kind}", 200, json=fields))

    def get(self, kind: str, record_id: int) -> dict[str, Any]:
        record: dict[str, Any] = self.call("GET", f"/{kind}/{record_id}", 200)
        return record

    def update(self, kind: str, record_id: int, **fields: Any) -> None:
        self.call("PUT", f"/{kind}/{record_id}", 200, json=self.get(kind, record_id) | fields)


@dataclass
class Sandbox:
    clock: ManualClock
    engine: TalkEngine
    zoho: Zoho
    customerp: Customerp
    webcrm: Webcrm

    def pipe(self, stem: str, direction: str = "forward") -> str:
        found = [p.id for p in self.engine.pipes() if p.section.endswith(f"/{stem}")]
        assert found, f"no pipe for {stem}"
        return next(p for p in found if p.endswith(f":{direction}"))

    def run(self, stem: str, direction: str = "forward") -> PipeRun:
        return self.engine.run(self.pipe(stem, direction))

    def linked(self, dataset: str, origin: str) -> list[Any]:
        """Ids of the records Talk inserted into `dataset` because of `origin`."""
        return [
            e["_id"].rsplit(":", 1)[1]
            for e in self.engine.entities(f"{dataset}-collect")
            if e.get("$origin") == origin and not e["_deleted"]
        ]

    def one_linked(self, dataset: str, origin: str) -> int:
        found = self.linked(dataset, origin)
        assert len(found) == 1, f"{origin}: {len(found)} linked records in {dataset}"
        return int(found[0])


MakeSandbox = Callable[..., Sandbox]


@pytest.fixture
def make_sandbox() -> Iterator[MakeSandbox]:
    """A sandbox over the given sections (the features by default) and systems."""
    served: list[Served] = []

    def make(
        sections: Sequence[SectionSpec] = SPECS,
        systems: Sequence[str] = ("zohocrm", "customerp", "webcrm"),
        faults: Sequence[str] = (),
    ) -> Sandbox:
        clock = ManualClock()
        apis: dict[str, ZohoCrmApi | CustomerpApi | WebcrmApi] = {
            "zohocrm": ZohoCrmApi(clock),
            "customerp": CustomerpApi(clock),
            "webcrm": WebcrmApi(clock),
        }
        catalogue = load_catalogue()
        handles = {
            key: SystemHandle(key, catalogue.systems[key], apis[key].collections, apis[key].render)
            for key in systems
        }
        engine = TalkEngine(handles, sections, clock, FaultSet.parse(faults))
        urls = {}
        for key, api in apis.items():
            served.append(Served(api))
            urls[key] = served[-1].url
        return Sandbox(
            clock,
            engine,
            Zoho(urls["zohocrm"]),
            Customerp(urls["customerp"]),
            Webcrm(urls["webcrm"]),
        )

    yield make
    for server in served:
        server.close()


@pytest.fixture
def sandbox(make_sandbox: MakeSandbox) -> Sandbox:
    return make_sandbox()


def section(
    stem: str,
    source: tuple[str, str],
    target: tuple[str, str],
    rows: Sequence[tuple[str, str]],
    merge: Sequence[tuple[str, str]] = (),
) -> SectionSpec:
    """A section written for one test (the features stay as QA wrote them)."""
    return SectionSpec(
        dataflow="tests",
        title="Tests",
        feature_path=f"features/tests/{stem}.feature",
        source=SystemEntity(*source),
        target=SystemEntity(*target),
        kind="merge" if merge else "sync",
        statement="",
        properties=tuple(Mapping(s, t, "string", '"string"') for s, t in rows),
        merge_criteria=tuple(merge),
    )


def account(sandbox: Sandbox, **fields: Any) -> tuple[str, int]:
    """A Zoho account synchronized to Customerp: (account id, customer id)."""
    account_id = sandbox.zoho.create("Accounts", **({"Account_Name": "Acme AS"} | fields))
    sandbox.engine.run_all()
    return account_id, sandbox.one_linked("customerp-customer", f"~:zohocrm-account:{account_id}")


# -- pipes -------------------------------------------------------------------------------


def test_every_served_section_gets_a_forward_and_a_reverse_pipe(sandbox: Sandbox) -> None:
    pipes = sandbox.engine.pipes()
    assert len(pipes) == 2 * len(SPECS)
    forward = {p.id: p for p in pipes if p.direction == "forward"}
    info = forward[f"talk:zohocrm-customerp:{ACCOUNT}:forward"]
    assert info.section == f"zohocrm-customerp/{ACCOUNT}"
    assert (info.source, info.target) == (("zohocrm", "Account"), ("customerp", "Customer"))
    reverse = sandbox.pipe(ACCOUNT, "reverse")
    assert reverse == f"talk:zohocrm-customerp:{ACCOUNT}:reverse"
    assert sandbox.engine.skipped_sections() == []


def test_sections_of_systems_not_served_are_skipped_with_the_reason(
    make_sandbox: MakeSandbox,
) -> None:
    hubspot = section("hubspot-deal", ("HubSpot", "Deal"), ("Customerp", "Order"), [])
    sandbox = make_sandbox([*SPECS, hubspot], systems=("zohocrm", "customerp"))
    skipped = dict(sandbox.engine.skipped_sections())
    assert skipped["tests/hubspot-deal"] == "the catalogue knows no system 'HubSpot'"
    assert skipped[f"customerp-webcrm/{CUSTOMER}"] == "no WebCRM emulation is served"
    assert all("webcrm" not in p.id for p in sandbox.engine.pipes())


def test_an_unknown_pipe_is_a_key_error(sandbox: Sandbox) -> None:
    with pytest.raises(KeyError, match="talk:nope"):
        sandbox.engine.run("talk:nope")


# -- creation, links, chains --------------------------------------------------------------


def test_a_new_account_creates_a_linked_customer_with_converted_values(sandbox: Sandbox) -> None:
    account_id = sandbox.zoho.create(
        "Accounts",
        Account_Name="Acme AS",
        Phone="+47 22 00 00 00",
        Billing_City="Oslo",
        Shipping_City="Bergen",
        Employees=12,
        Annual_Revenue=1234.5,
    )
    run = sandbox.run(ACCOUNT)
    assert (run.processed, run.written, run.errors) == (1, 1, [])
    customer_id = sandbox.one_linked("customerp-customer", f"~:zohocrm-account:{account_id}")
    customer = sandbox.customerp.get("customers", customer_id)
    assert customer["name"] == "Acme AS"
    assert customer["phone"] == "+47 22 00 00 00"
    assert customer["billing_address"]["city"] == "Oslo"
    assert customer["delivery_address"]["city"] == "Bergen"
    assert customer["employees"] == 12
    assert customer["annual_revenue"] == "1234.50"  # Customerp writes decimals as strings
    assert customer["id"] != account_id  # the id row is the link, not a copied value


def test_records_talk_inserts_carry_origin_talk_and_a_dollar_origin(sandbox: Sandbox) -> None:
    account_id, customer_id = account(sandbox)
    stored = sandbox.engine.systems["customerp"].collections["Customer"].get(customer_id)
    assert stored is not None and stored.modified_by == "talk"
    entity = next(
        e
        for e in sandbox.engine.entities("customerp-customer-collect")
        if e["_id"] == f"~:customerp-customer:{customer_id}"
    )
    assert entity["$origin"] == f"~:zohocrm-account:{account_id}"
    assert entity["$ids"] == [entity["_id"]]
    assert entity["name"] == "Acme AS"
    accounts = sandbox.engine.entities("zohocrm-account-collect")
    assert "$origin" not in accounts[0]  # created by a user, not by Talk


def test_a_chain_carries_an_account_on_to_a_webcrm_organisation(sandbox: Sandbox) -> None:
    account_id, customer_id = account(sandbox, Billing_City="Oslo", Website="acme.example")
    org_id = sandbox.one_linked("webcrm-organisations", f"~:customerp-customer:{customer_id}")
    org = sandbox.webcrm.get("Organisations", org_id)
    assert (org["OrganisationName"], org["OrganisationCity"]) == ("Acme AS", "Oslo")
    assert org["OrganisationWww"] == "acme.example"
    sandbox.clock.advance(1)
    sandbox.zoho.update("Accounts", account_id, Billing_City="Trondheim")
    sandbox.engine.run_all()
    assert sandbox.webcrm.get("Organisations", org_id)["OrganisationCity"] == "Trondheim"


def test_an_edit_in_webcrm_travels_back_along_the_chain_to_zohocrm(sandbox: Sandbox) -> None:
    account_id, customer_id = account(sandbox, Billing_City="Oslo")
    org_id = sandbox.one_linked("webcrm-organisations", f"~:customerp-customer:{customer_id}")
    sandbox.clock.advance(1)
    # webCRM's PUT sends the whole object back, unset text fields as "".
    sandbox.webcrm.update("Organisations", org_id, OrganisationCity="Bodø")
    sandbox.engine.run_all()
    assert sandbox.zoho.get("Accounts", account_id)["Billing_City"] == "Bodø"
    address = sandbox.customerp.get("customers", customer_id)["billing_address"]
    assert address == {
        "street": None,
        "city": "Bodø",
        "postal_code": None,
        "state": None,
        "country": None,
    }


def test_reruns_and_reset_tracking_create_nothing_twice(sandbox: Sandbox) -> None:
    account_id, _ = account(sandbox)
    for pipe in sandbox.engine.pipes():
        sandbox.engine.reset_last_seen(pipe.id)
    runs = sandbox.engine.run_all()
    assert sum(r.written for r in runs) == 0
    assert len(sandbox.linked("customerp-customer", f"~:zohocrm-account:{account_id}")) == 1


# -- edits in both directions, latest wins ------------------------------------------------


def test_an_edit_of_the_source_reaches_the_linked_target(sandbox: Sandbox) -> None:
    account_id, customer_id = account(sandbox, Phone="1")
    sandbox.clock.advance(1)
    sandbox.zoho.update("Accounts", account_id, Phone="2", Annual_Revenue=99.9)
    run = sandbox.run(ACCOUNT)
    assert (run.processed, run.written) == (1, 1)
    customer = sandbox.customerp.get("customers", customer_id)
    assert (customer["phone"], customer["annual_revenue"]) == ("2", "99.90")


def test_an_edit_of_the_target_reaches_the_linked_source(sandbox: Sandbox) -> None:
    account_id, customer_id = account(sandbox)
    sandbox.clock.advance(1)
    sandbox.customerp.update(
        "customers", customer_id, billing_address={"city": "Tromsø"}, annual_revenue="10.25"
    )
    run = sandbox.run(ACCOUNT, "reverse")
    assert run.written == 1
    zoho = sandbox.zoho.get("Accounts", account_id)
    assert (zoho["Billing_City"], zoho["Annual_Revenue"]) == ("Tromsø", 10.25)


def test_nothing_is_created_backwards(sandbox: Sandbox) -> None:
    customer_id = sandbox.customerp.create("customers", name="ERP only AS")
    sandbox.engine.run_all()
    assert sandbox.engine.systems["zohocrm"].collections["Account"].all() == []
    # ...while Customerp is the source of the customerp-webcrm dataflow and creates there.
    assert sandbox.linked("webcrm-organisations", f"~:customerp-customer:{customer_id}")


@pytest.mark.parametrize("later", ["zoho", "customerp"])
def test_when_both_sides_changed_a_property_the_later_edit_wins(
    sandbox: Sandbox, later: str
) -> None:
    account_id, customer_id = account(sandbox, Phone="0")
    edits = {
        "zoho": lambda: sandbox.zoho.update("Accounts", account_id, Phone="zoho"),
        "customerp": lambda: sandbox.customerp.update("customers", customer_id, phone="erp"),
    }
    for name in sorted(edits, key=lambda n: n == later):
        sandbox.clock.advance(1)
        edits[name]()
    sandbox.engine.run_all()
    expected = {"zoho": "zoho", "customerp": "erp"}[later]
    assert sandbox.zoho.get("Accounts", account_id)["Phone"] == expected
    assert sandbox.customerp.get("customers", customer_id)["phone"] == expected


def test_edits_of_different_properties_on_both_sides_both_survive(sandbox: Sandbox) -> None:
    account_id, customer_id = account(sandbox, Phone="0", Website="old.example")
    sandbox.clock.advance(1)
    sandbox.zoho.update("Accounts", account_id, Phone="zoho")
    sandbox.clock.advance(1)
    sandbox.customerp.update("customers", customer_id, website="erp.example")
    sandbox.engine.run_all()
    for record in (
        sandbox.zoho.get("Accounts", account_id),
        sandbox.customerp.get("customers", customer_id),
    ):
        assert (record.get("Phone") or record.get("phone")) == "zoho"
        assert (record.get("Website") or record.get("website")) == "erp.example"


def test_an_empty_value_never_overwrites_a_filled_one(sandbox: Sandbox) -> None:
    account_id, customer_id = account(sandbox, Phone="+47 1")
    sandbox.clock.advance(1)
    sandbox.zoho.update("Accounts", account_id, Phone=None)
    sandbox.engine.run_all()
    assert sandbox.customerp.get("customers", customer_id)["phone"] == "+47 1"


def test_talk_never_deletes(sandbox: Sandbox) -> None:
    account_id, customer_id = account(sandbox)
    sandbox.zoho.delete("Accounts", account_id)
    sandbox.engine.run_all()
    assert sandbox.customerp.get("customers", customer_id)["name"] == "Acme AS"


# -- selective sync, references, dependencies -----------------------------------------------


def test_a_deal_reaches_the_erp_only_once_won(sandbox: Sandbox) -> None:
    account_id, customer_id = account(sandbox)
    deal_id = sandbox.zoho.create(
        "Deals",
        Deal_Name="Big deal",
        Stage="Negotiation/Review",
        Closing_Date="2024-12-31",
        Amount=2500,
        Account_Name={"id": account_id},
    )
    origin = f"~:zohocrm-deal:{deal_id}"
    sandbox.engine.run_all()
    assert sandbox.linked("customerp-order", origin) == []
    assert sandbox.engine.dependency_backlog(sandbox.pipe(DEAL)) == 0
    sandbox.clock.advance(1)
    sandbox.zoho.update("Deals", deal_id, Stage="Closed Won")
    sandbox.engine.run_all()
    order = sandbox.customerp.get("orders", sandbox.one_linked("customerp-order", origin))
    assert (order["title"], order["total_amount"]) == ("Big deal", "2500.00")
    assert (order["order_date"], order["customer_id"]) == ("2024-12-31", customer_id)


def test_a_contact_waits_for_its_account_and_then_refers_to_the_linked_customer(
    sandbox: Sandbox,
) -> None:
    account_id = sandbox.zoho.create("Accounts", Account_Name="Acme AS")
    contact_id = sandbox.zoho.create(
        "Contacts", Last_Name="Berg", First_Name="Kari", Account_Name={"id": account_id}
    )
    origin = f"~:zohocrm-contact:{contact_id}"
    run = sandbox.run(CONTACT)
    assert (run.processed, run.written) == (1, 0)
    assert sandbox.engine.dependency_backlog(sandbox.pipe(CONTACT)) == 1
    assert sandbox.linked("customerp-contact", origin) == []
    sandbox.run(ACCOUNT)
    run = sandbox.run(CONTACT)
    assert (run.processed, run.written) == (1, 1)
    assert sandbox.engine.dependency_backlog(sandbox.pipe(CONTACT)) == 0
    customer_id = sandbox.one_linked("customerp-customer", f"~:zohocrm-account:{account_id}")
    contact = sandbox.customerp.get("contacts", sandbox.one_linked("customerp-contact", origin))
    assert (contact["last_name"], contact["customer_id"]) == ("Berg", customer_id)


def test_a_changed_reference_is_translated_in_both_directions_and_along_the_chain(
    sandbox: Sandbox,
) -> None:
    first, first_customer = account(sandbox, Account_Name="First AS")
    second, second_customer = account(sandbox, Account_Name="Second AS")
    contact_id = sandbox.zoho.create("Contacts", Last_Name="Berg", Account_Name={"id": first})
    sandbox.engine.run_all()
    customerp_contact = sandbox.one_linked("customerp-contact", f"~:zohocrm-contact:{contact_id}")
    person_id = sandbox.one_linked("webcrm-persons", f"~:customerp-contact:{customerp_contact}")
    first_org = sandbox.one_linked("webcrm-organisations", f"~:customerp-customer:{first_customer}")
    assert sandbox.webcrm.get("Persons", person_id)["PersonOrganisationId"] == first_org
    sandbox.clock.advance(1)
    sandbox.customerp.update("contacts", customerp_contact, customer_id=second_customer)
    sandbox.engine.run_all()
    assert sandbox.zoho.get("Contacts", contact_id)["Account_Name"]["id"] == second
    second_org = sandbox.one_linked(
        "webcrm-organisations", f"~:customerp-customer:{second_customer}"
    )
    assert sandbox.webcrm.get("Persons", person_id)["PersonOrganisationId"] == second_org


def test_a_record_missing_a_required_target_value_is_refused_with_an_error(
    sandbox: Sandbox,
) -> None:
    contact_id = sandbox.customerp.create("contacts", last_name="Loner")
    run = sandbox.run(PERSON)
    assert run.written == 0
    assert any("PersonOrganisationId" in e for e in run.errors), run.errors
    assert sandbox.linked("webcrm-persons", f"~:customerp-contact:{contact_id}") == []


def test_decimals_and_floats_travel_in_each_systems_style(sandbox: Sandbox) -> None:
    product_id = sandbox.customerp.create(
        "products", sku="P-1", name="Widget", unit_price="12.50", stock_quantity=3.5
    )
    sandbox.engine.run_all()
    found = sandbox.one_linked("webcrm-products", f"~:customerp-product:{product_id}")
    product = sandbox.webcrm.get("Products", found)
    assert (product["ProductPrice"], product["ProductQuantity"]) == (12.5, 3.5)
    assert product["ProductComment"] == "Widget"
    sandbox.clock.advance(1)
    sandbox.webcrm.update("Products", found, ProductPrice=14)
    sandbox.engine.run_all()
    assert sandbox.customerp.get("products", product_id)["unit_price"] == "14.00"


# -- mapping rows -----------------------------------------------------------------------------


def test_existing_records_link_when_a_merge_criterion_matches_and_duplicate_otherwise(
    make_sandbox: MakeSandbox,
) -> None:
    spec = section(
        "zoho-contact-merge",
        ("ZohoCRM", "Contact"),
        ("Customerp", "Contact"),
        [("Last_Name", "last_name"), ("Email", "email"), ("Phone", "phone")],
        merge=[("Email", "email")],
    )
    sandbox = make_sandbox([spec])
    existing = sandbox.customerp.create("contacts", last_name="Berg", email="kari@example.com")
    matching = sandbox.zoho.create("Contacts", Last_Name="Berg", Email="Kari@Example.com")
    other = sandbox.zoho.create("Contacts", Last_Name="Dahl", Email="ola@example.com")
    sandbox.engine.run_all()
    contacts = sandbox.engine.systems["customerp"].collections["Contact"]
    assert len(contacts) == 2  # one merged, one new
    assert sandbox.linked("customerp-contact", f"~:zohocrm-contact:{matching}") == []
    merged = {e["_id"]: e["$ids"] for e in sandbox.engine.entities("customerp-contact-collect")}
    assert merged[f"~:customerp-contact:{existing}"] == [
        f"~:customerp-contact:{existing}",
        f"~:zohocrm-contact:{matching}",
    ]  # the merged pair names each other, as Sesam's merged entities do
    assert len(sandbox.linked("customerp-contact", f"~:zohocrm-contact:{other}")) == 1
    sandbox.clock.advance(1)
    sandbox.zoho.update("Contacts", matching, Phone="555")
    sandbox.engine.run_all()
    assert sandbox.customerp.get("contacts", existing)["phone"] == "555"


def test_several_sources_on_one_target_and_one_source_on_several(
    make_sandbox: MakeSandbox,
) -> None:
    rows = [("Account_Name", "name"), ("Phone", "phone"), ("Fax", "phone")]
    rows.append(("Account_Name", "description"))
    sandbox = make_sandbox(
        [section("multi", ("ZohoCRM", "Account"), ("Customerp", "Customer"), rows)]
    )
    both = sandbox.zoho.create("Accounts", Account_Name="Both AS", Phone="1", Fax="2")
    fax_only = sandbox.zoho.create("Accounts", Account_Name="Fax AS", Fax="2")
    sandbox.engine.run_all()
    first = sandbox.customerp.get(
        "customers", sandbox.one_linked("customerp-customer", f"~:zohocrm-account:{both}")
    )
    second = sandbox.customerp.get(
        "customers", sandbox.one_linked("customerp-customer", f"~:zohocrm-account:{fax_only}")
    )
    assert (first["phone"], second["phone"]) == ("1", "2")  # the first row with a value wins
    assert (first["name"], first["description"]) == ("Both AS", "Both AS")


def test_of_several_sources_on_one_target_the_one_changed_last_wins(
    make_sandbox: MakeSandbox,
) -> None:
    rows = [("Account_Name", "OrganisationName"), ("Billing_City", "OrganisationCity")]
    rows.append(("Shipping_City", "OrganisationCity"))
    spec = section("cities", ("ZohoCRM", "Account"), ("WebCRM", "Organisations"), rows)
    sandbox = make_sandbox([spec])
    account_id = sandbox.zoho.create(
        "Accounts", Account_Name="Acme AS", Billing_City="Oslo", Shipping_City="Bergen"
    )
    sandbox.engine.run_all()
    org_id = sandbox.one_linked("webcrm-organisations", f"~:zohocrm-account:{account_id}")
    for edited, city in (("Billing_City", "Trondheim"), ("Shipping_City", "Tromsø")):
        sandbox.clock.advance(1)
        sandbox.zoho.update("Accounts", account_id, **{edited: city})
        sandbox.engine.run_all()
        assert sandbox.webcrm.get("Organisations", org_id)["OrganisationCity"] == city, edited
    sandbox.clock.advance(1)
    sandbox.zoho.update("Accounts", account_id, Account_Name="Acme Holding AS")
    sandbox.engine.run_all()  # no city changed: the target keeps the latest one
    assert sandbox.webcrm.get("Organisations", org_id)["OrganisationCity"] == "Tromsø"
    sandbox.clock.advance(1)
    sandbox.webcrm.update("Organisations", org_id, OrganisationCity="Bodø")
    sandbox.engine.run_all()  # one target feeding several sources: each gets the edit
    zoho = sandbox.zoho.get("Accounts", account_id)
    assert (zoho["Billing_City"], zoho["Shipping_City"]) == ("Bodø", "Bodø")


def test_values_travel_as_the_source_api_answers_them(make_sandbox: MakeSandbox) -> None:
    rows = [("Account_Name", "OrganisationName")]
    rows.append(("Created_Time", "OrganisationCompanyDescription"))
    spec = section("as-answered", ("ZohoCRM", "Account"), ("WebCRM", "Organisations"), rows)
    sandbox = make_sandbox([spec])
    sandbox.clock.advance(0.25)  # the store keeps microseconds, Zoho answers seconds
    account_id = sandbox.zoho.create("Accounts", Account_Name="Acme AS")
    sandbox.engine.run_all()
    created = sandbox.zoho.get("Accounts", account_id)["Created_Time"]
    assert created == "2024-09-10T13:43:43+00:00"
    org_id = sandbox.one_linked("webcrm-organisations", f"~:zohocrm-account:{account_id}")
    org = sandbox.webcrm.get("Organisations", org_id)
    assert org["OrganisationCompanyDescription"] == created


def test_read_only_targets_are_never_written(make_sandbox: MakeSandbox) -> None:
    rows = [("Account_Name", "name"), ("Created_Time", "description"), ("id", "customer_number")]
    sandbox = make_sandbox([section("ro", ("ZohoCRM", "Account"), ("Customerp", "Customer"), rows)])
    account_id = sandbox.zoho.create("Accounts", Account_Name="Acme AS")
    sandbox.engine.run_all()
    created = sandbox.zoho.get("Accounts", account_id)["Created_Time"]
    customer_id = sandbox.one_linked("customerp-customer", f"~:zohocrm-account:{account_id}")
    customer = sandbox.customerp.get("customers", customer_id)
    assert customer["description"] == created
    assert customer["customer_number"] == f"C-{customer_id:05d}"
    sandbox.clock.advance(1)
    sandbox.customerp.update("customers", customer_id, description="edited in the ERP")
    runs = sandbox.engine.run_all()
    assert all(r.errors == [] for r in runs)
    assert sandbox.zoho.get("Accounts", account_id)["Created_Time"] == created


def test_a_row_naming_an_unknown_property_is_reported_and_the_others_sync(
    make_sandbox: MakeSandbox,
) -> None:
    rows = [("Account_Name", "name"), ("Phone", "telephone_nr")]
    sandbox = make_sandbox(
        [section("bad", ("ZohoCRM", "Account"), ("Customerp", "Customer"), rows)]
    )
    sandbox.zoho.create("Accounts", Account_Name="Acme AS", Phone="1")
    run = sandbox.run("bad")
    assert run.written == 1
    assert any("telephone_nr" in e for e in run.errors), run.errors


@pytest.mark.parametrize(
    ("value", "kind", "decimals", "expected"),
    [
        (12, "string", "number", "12"),
        (1234.5, "string", "number", "1234.5"),
        (True, "string", "number", "true"),
        ("12", "integer", "number", 12),
        (12.0, "integer", "number", 12),
        (1234.5, "decimal", "string", "1234.50"),
        ("0.125", "decimal", "string", "0.125"),
        ("1234.50", "decimal", "number", 1234.5),
        ("3.5", "float", "number", 3.5),
        ("yes", "boolean", "number", True),
        (0, "boolean", "number", False),
        ("2024-09-10T15:43:43+02:00", "date", "number", "2024-09-10"),
        ("2024-09-10", "datetime", "number", "2024-09-10T00:00:00+00:00"),
        ("2024-09-10T13:43:43Z", "datetime", "number", "2024-09-10T13:43:43+00:00"),
        ("vip", "list", "number", ["vip"]),
    ],
)
def test_values_are_converted_to_the_target_fields_type(
    value: Any, kind: str, decimals: str, expected: Any
) -> None:
    converted = convert(value, Field("f", kind), decimals)
    assert converted == expected and type(converted) is type(expected)


def test_an_unconvertible_value_is_a_conversion_error() -> None:
    with pytest.raises(ConversionError, match="f"):
        convert("many", Field("f", "integer"))
    assert same("Kari@Example.com ", "kari@example.com") and same(5, "5.0")
    assert not same(None, None)


# -- bookkeeping and the link view --------------------------------------------------------------


def test_backlogs_count_what_a_pipe_has_not_read_yet(sandbox: Sandbox) -> None:
    forward, reverse = sandbox.pipe(ACCOUNT), sandbox.pipe(ACCOUNT, "reverse")
    sandbox.zoho.create("Accounts", Account_Name="One AS")
    sandbox.zoho.create("Accounts", Account_Name="Two AS")
    assert sandbox.engine.backlog(forward) == 2
    assert sandbox.engine.last_seen(forward) is None
    run = sandbox.engine.run(forward)
    assert (run.processed, run.written, run.errors) == (2, 2, [])
    assert run.started <= run.finished
    assert sandbox.engine.backlog(forward) == 0
    assert sandbox.engine.last_seen(forward) is not None
    assert sandbox.engine.backlog(reverse) == 2  # Talk's own writes, read back as no-ops
    assert sandbox.engine.run(reverse).written == 0
    assert sandbox.engine.backlog(reverse) == 0


def test_concurrent_runs_of_one_pipe_create_each_record_once(sandbox: Sandbox) -> None:
    for n in range(5):
        sandbox.zoho.create("Accounts", Account_Name=f"Account {n}")
    start = threading.Barrier(4)
    runs: list[PipeRun] = []

    def run() -> None:
        start.wait(TIMEOUT)
        runs.append(sandbox.run(ACCOUNT))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert sum(r.written for r in runs) == 5
    assert len(sandbox.engine.systems["customerp"].collections["Customer"]) == 5


def test_entities_page_by_offset_and_show_changes_and_deletions(sandbox: Sandbox) -> None:
    engine = sandbox.engine
    assert "customerp-customer-collect" in engine.datasets()
    first = sandbox.zoho.create("Accounts", Account_Name="One AS")
    second = sandbox.zoho.create("Accounts", Account_Name="Two AS")
    entities = engine.entities("zohocrm-account-collect")
    assert [e["_id"] for e in entities] == [
        f"~:zohocrm-account:{first}",
        f"~:zohocrm-account:{second}",
    ]
    assert [e["_updated"] for e in entities] == [1, 2]
    assert engine.entities("zohocrm-account-collect", limit=1) == entities[:1]
    sandbox.clock.advance(1)
    sandbox.zoho.update("Accounts", first, Phone="1")
    changed = engine.entities("zohocrm-account-collect", since="2")
    assert [(e["_id"], e["_updated"], e["Phone"]) for e in changed] == [
        (f"~:zohocrm-account:{first}", 3, "1")
    ]
    sandbox.zoho.delete("Accounts", second)
    deleted = engine.entities("zohocrm-account-collect", since="3")
    assert [(e["_id"], e["_deleted"]) for e in deleted] == [(f"~:zohocrm-account:{second}", True)]
    with pytest.raises(KeyError, match="nope-collect"):
        engine.entities("nope-collect")
