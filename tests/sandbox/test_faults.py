"""The fault catalogue: each fault breaks what its checklist item promises, and the same
scenario passes without it. Records are written and read over the systems' HTTP APIs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from talkqa.checklist.model import SystemEntity
from talkqa.sandbox.clock import ManualClock
from talkqa.sandbox.credentials import CustomerpCredentials, ZohoCredentials
from talkqa.sandbox.customerp import CustomerpApi
from talkqa.sandbox.engine import SystemHandle, TalkEngine
from talkqa.sandbox.faults import FAULTS, Fault, FaultSet
from talkqa.sandbox.web import Served
from talkqa.sandbox.zohocrm import ZohoCrmApi
from talkqa.spec.catalogue import load_catalogue
from talkqa.spec.dataflow import Mapping, SectionSpec, load_specs

ROOT = Path(__file__).resolve().parents[2]
SPECS = [s for s in load_specs(ROOT / "features") if s.dataflow == "zohocrm-customerp"]
ACCOUNT = "zohocrm-customerp/zohocrm-account-to-customerp-customer"
TIMEOUT = 10


class Api:
    """A client of one emulation: JSON in and out, the expected status asserted."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers.update(headers)

    def call(self, method: str, path: str, expect: int, body: Any = None) -> Any:
        answer = self.session.request(method, self.base + path, json=body, timeout=TIMEOUT)
        assert answer.status_code == expect, answer.text
        return answer.json() if answer.content else None


@dataclass
class Sandbox:
    clock: ManualClock
    engine: TalkEngine
    zoho: Api
    customerp: Api

    def create_zoho(self, module: str, **fields: Any) -> str:
        answer = self.zoho.call("POST", f"/{module}", 201, {"data": [fields]})
        return str(answer["data"][0]["details"]["id"])

    def edit_zoho(self, module: str, record_id: str, **fields: Any) -> None:
        self.clock.advance(1)
        self.zoho.call("PUT", f"/{module}/{record_id}", 200, {"data": [fields]})

    def zoho_record(self, module: str, record_id: str) -> dict[str, Any]:
        record: dict[str, Any] = self.zoho.call("GET", f"/{module}/{record_id}", 200)["data"][0]
        return record

    def edit_customerp(self, collection: str, record_id: int, **fields: Any) -> None:
        self.clock.advance(1)
        self.customerp.call("PATCH", f"/{collection}/{record_id}", 200, fields)

    def customerp_record(self, collection: str, record_id: int) -> dict[str, Any]:
        record: dict[str, Any] = self.customerp.call("GET", f"/{collection}/{record_id}", 200)
        return record

    def inserted(self, dataset: str, origin: str) -> list[int]:
        """Ids of the records Talk inserted into a Customerp dataset because of `origin`."""
        entities = self.engine.entities(f"customerp-{dataset}-collect")
        return [int(e["_id"].rsplit(":", 1)[1]) for e in entities if e.get("$origin") == origin]

    def account(self, **fields: Any) -> tuple[str, list[int]]:
        """A new Zoho account after a sync: its id and the customers Talk made from it."""
        account_id = self.create_zoho("Accounts", **({"Account_Name": "Acme AS"} | fields))
        self.engine.run_all()
        return account_id, self.inserted("customer", f"~:zohocrm-account:{account_id}")


MakeSandbox = Callable[..., Sandbox]


@pytest.fixture
def make_sandbox() -> Iterator[MakeSandbox]:
    """ZohoCRM and Customerp served, the Talk engine over the zohocrm-customerp dataflow."""
    served: list[Served] = []

    def make(faults: Sequence[str] = (), sections: Sequence[SectionSpec] = SPECS) -> Sandbox:
        clock = ManualClock()
        zoho, customerp = ZohoCrmApi(clock), CustomerpApi(clock)
        catalogue = load_catalogue()
        handles = {
            key: SystemHandle(key, catalogue.systems[key], api.collections, api.render)
            for key, api in (("zohocrm", zoho), ("customerp", customerp))
        }
        engine = TalkEngine(handles, sections, clock, FaultSet.parse(faults))
        served.extend((Served(zoho), Served(customerp)))
        creds = ZohoCredentials()
        grant = {
            "grant_type": "refresh_token",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "refresh_token": creds.refresh_token,
        }
        token = requests.post(f"{served[-2].url}/oauth/v2/token", data=grant, timeout=TIMEOUT)
        auth = {"Authorization": f"Zoho-oauthtoken {token.json()['access_token']}"}
        key = {"X-API-Key": CustomerpCredentials().api_key}
        return Sandbox(
            clock,
            engine,
            Api(f"{served[-2].url}/crm/v8", auth),
            Api(f"{served[-1].url}/api/v1", key),
        )

    yield make
    for server in served:
        server.close()


# -- the catalogue and how faults are selected ------------------------------------------------


def test_a_fault_names_a_defect_a_section_and_a_property() -> None:
    fault = Fault.parse("dropped-property@zohocrm-account-to-customerp-customer#Phone")
    assert fault == Fault("dropped-property", "zohocrm-account-to-customerp-customer", "Phone")
    assert str(fault) == "dropped-property@zohocrm-account-to-customerp-customer#Phone"
    assert Fault.parse("lost-link") == Fault("lost-link")


def test_an_unknown_fault_name_is_refused_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="known faults: " + re.escape(", ".join(FAULTS))):
        Fault.parse("dropped-properties")
    with pytest.raises(ValueError, match="known faults"):
        FaultSet().active("typo", ACCOUNT)


@pytest.mark.parametrize(
    "section",
    [
        ACCOUNT,
        "zohocrm-account-to-customerp-customer",
        "ZohoCRM Account to Customerp Customer",
        "ZOHOCRM-ACCOUNT-TO-CUSTOMERP-CUSTOMER",
    ],
)
def test_a_section_is_named_by_key_stem_or_heading(section: str) -> None:
    faults = FaultSet([Fault("wrong-type", section)])
    assert faults.active("wrong-type", ACCOUNT)
    assert not faults.active("wrong-type", "zohocrm-customerp/zohocrm-deal-to-customerp-order")
    assert not faults.active("truncated-value", ACCOUNT)


def test_a_property_narrows_a_fault_to_one_row() -> None:
    faults = FaultSet.parse(["dropped-property#phone", ""])
    assert len(faults) == 1
    assert faults.active("dropped-property", ACCOUNT, "Phone")
    assert not faults.active("dropped-property", ACCOUNT, "Website")
    assert faults.active("dropped-property", ACCOUNT)  # a section-wide question: it applies


def test_every_fault_is_documented_and_has_a_test() -> None:
    documented = (ROOT / "docs" / "faults.md").read_text("utf-8")
    tests = {name for name in globals() if name.startswith("test_fault_")}
    for name in FAULTS:
        assert f"`{name}`" in documented, f"docs/faults.md does not describe {name}"
        assert f"test_fault_{name.replace('-', '_')}" in tests, f"no test shows what {name} breaks"


# -- each fault: the scenario without it, then with it ------------------------------------------


def test_fault_dropped_property(make_sandbox: MakeSandbox) -> None:
    def scenario(sandbox: Sandbox) -> tuple[Any, ...]:
        account_id, (customer_id,) = sandbox.account(Phone="+47 1", Website="acme.example")
        created = sandbox.customerp_record("customers", customer_id)
        sandbox.edit_customerp("customers", customer_id, phone="+47 2")
        sandbox.engine.run_all()
        back = sandbox.zoho_record("Accounts", account_id)["Phone"]
        return created["phone"], created["website"], back

    assert scenario(make_sandbox()) == ("+47 1", "acme.example", "+47 2")
    assert scenario(make_sandbox(["dropped-property#Phone"])) == (None, "acme.example", "+47 1")


def test_fault_wrong_type(make_sandbox: MakeSandbox) -> None:
    def scenario(sandbox: Sandbox) -> tuple[Any, ...]:
        _, (customer_id,) = sandbox.account(Employees=12, Annual_Revenue=1234.5)
        customer = sandbox.customerp_record("customers", customer_id)
        contact_id = sandbox.create_zoho("Contacts", Last_Name="Berg", Email_Opt_Out=True)
        sandbox.engine.run_all()
        (found,) = sandbox.inserted("contact", f"~:zohocrm-contact:{contact_id}")
        opt_out = sandbox.customerp_record("contacts", found)["email_opt_out"]
        return customer["employees"], customer["annual_revenue"], customer["name"], opt_out

    assert scenario(make_sandbox()) == (12, "1234.50", "Acme AS", True)
    assert scenario(make_sandbox(["wrong-type"])) == ("12,00", "1234,50", ["Acme AS"], "yes")
    only_contacts = make_sandbox(["wrong-type@ZohoCRM Contact to Customerp Contact"])
    assert scenario(only_contacts) == (12, "1234.50", "Acme AS", "yes")


def test_fault_truncated_value(make_sandbox: MakeSandbox) -> None:
    def scenario(sandbox: Sandbox) -> tuple[Any, ...]:
        _, (customer_id,) = sandbox.account(Account_Name="Acme Holding AS", Employees=123456)
        customer = sandbox.customerp_record("customers", customer_id)
        return customer["name"], customer["employees"]

    assert scenario(make_sandbox()) == ("Acme Holding AS", 123456)
    assert scenario(make_sandbox(["truncated-value"])) == ("Acme ", 123456)


def test_fault_no_reverse_sync(make_sandbox: MakeSandbox) -> None:
    def scenario(sandbox: Sandbox) -> tuple[Any, ...]:
        account_id, (customer_id,) = sandbox.account(Phone="1")
        sandbox.edit_customerp("customers", customer_id, phone="erp")
        sandbox.edit_zoho("Accounts", account_id, Website="zoho.example")
        sandbox.engine.run_all()
        customer = sandbox.customerp_record("customers", customer_id)
        return sandbox.zoho_record("Accounts", account_id)["Phone"], customer["website"]

    assert scenario(make_sandbox()) == ("erp", "zoho.example")
    assert scenario(make_sandbox(["no-reverse-sync"])) == ("1", "zoho.example")


def test_fault_duplicate_instead_of_update(make_sandbox: MakeSandbox) -> None:
    def scenario(sandbox: Sandbox) -> list[Any]:
        account_id, _ = sandbox.account(Phone="1")
        sandbox.edit_zoho("Accounts", account_id, Phone="2")
        sandbox.engine.run_all()
        found = sandbox.inserted("customer", f"~:zohocrm-account:{account_id}")
        return [sandbox.customerp_record("customers", i)["phone"] for i in found]

    assert scenario(make_sandbox()) == ["2"]
    assert scenario(make_sandbox(["duplicate-instead-of-update"])) == ["1", "2"]


def test_fault_older_edit_wins(make_sandbox: MakeSandbox) -> None:
    def scenario(sandbox: Sandbox) -> tuple[Any, ...]:
        account_id, (customer_id,) = sandbox.account(Phone="0")
        sandbox.edit_zoho("Accounts", account_id, Phone="zoho, earlier")
        sandbox.edit_customerp("customers", customer_id, phone="erp, later")
        sandbox.engine.run_all()
        customer = sandbox.customerp_record("customers", customer_id)
        return sandbox.zoho_record("Accounts", account_id)["Phone"], customer["phone"]

    assert scenario(make_sandbox()) == ("erp, later", "erp, later")
    assert scenario(make_sandbox(["older-edit-wins"])) == ("zoho, earlier", "zoho, earlier")


def test_fault_empty_overwrites(make_sandbox: MakeSandbox) -> None:
    def scenario(sandbox: Sandbox) -> Any:
        account_id, (customer_id,) = sandbox.account(Phone="+47 1")
        sandbox.edit_zoho("Accounts", account_id, Phone=None)
        sandbox.engine.run_all()
        return sandbox.customerp_record("customers", customer_id)["phone"]

    assert scenario(make_sandbox()) == "+47 1"
    assert scenario(make_sandbox(["empty-overwrites"])) is None


def test_fault_deal_before_won(make_sandbox: MakeSandbox) -> None:
    def scenario(sandbox: Sandbox) -> int:
        account_id, _ = sandbox.account()
        deal = {"Deal_Name": "Big", "Stage": "Qualification", "Closing_Date": "2024-12-31"}
        deal_id = sandbox.create_zoho("Deals", **deal, Account_Name={"id": account_id})
        sandbox.engine.run_all()
        return len(sandbox.inserted("order", f"~:zohocrm-deal:{deal_id}"))

    assert scenario(make_sandbox()) == 0
    assert scenario(make_sandbox(["deal-before-won@zohocrm-deal-to-customerp-order"])) == 1


def test_fault_lost_link(make_sandbox: MakeSandbox) -> None:
    def scenario(sandbox: Sandbox) -> tuple[Any, ...]:
        account_id, (customer_id,) = sandbox.account(Phone="1")
        sandbox.edit_customerp("customers", customer_id, website="erp.example")
        sandbox.edit_zoho("Accounts", account_id, Phone="2")
        sandbox.engine.run_all()
        customers = sandbox.inserted("customer", f"~:zohocrm-account:{account_id}")
        website = sandbox.zoho_record("Accounts", account_id)["Website"]
        return len(customers), sandbox.customerp_record("customers", customer_id)["phone"], website

    assert scenario(make_sandbox()) == (1, "2", "erp.example")
    assert scenario(make_sandbox(["lost-link@" + ACCOUNT])) == (2, "1", None)


def test_fault_no_create(make_sandbox: MakeSandbox) -> None:
    def scenario(sandbox: Sandbox) -> int:
        return len(sandbox.account()[1])

    assert scenario(make_sandbox()) == 1
    assert scenario(make_sandbox(["no-create"])) == 0


def test_fault_merge_ignored(make_sandbox: MakeSandbox) -> None:
    rows = (("Last_Name", "last_name"), ("Email", "email"))
    merging = SectionSpec(
        dataflow="tests",
        title="Tests",
        feature_path="features/tests/zoho-contact-merge.feature",
        source=SystemEntity("ZohoCRM", "Contact"),
        target=SystemEntity("Customerp", "Contact"),
        kind="merge",
        statement="",
        properties=tuple(Mapping(s, t, "string", '"string"') for s, t in rows),
        merge_criteria=(("Email", "email"),),
    )

    def scenario(sandbox: Sandbox) -> int:
        existing = {"last_name": "Berg", "email": "kari@example.com"}
        sandbox.customerp.call("POST", "/contacts", 201, existing)
        sandbox.create_zoho("Contacts", Last_Name="Berg", Email="KARI@example.com")
        sandbox.engine.run_all()
        return len(sandbox.engine.systems["customerp"].collections["Contact"])

    assert scenario(make_sandbox(sections=[merging])) == 1
    assert scenario(make_sandbox(["merge-ignored"], sections=[merging])) == 2
