"""The Customerp connector against the emulation of the project's own API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from talkqa.sandbox.clock import ManualClock
from talkqa.sandbox.credentials import CustomerpCredentials
from talkqa.sandbox.customerp import BASE, CustomerpApi
from talkqa.systems.customerp import Customerp, nested
from talkqa.systems.errors import AuthenticationFailed, SystemApiError

API_KEY = CustomerpCredentials().api_key
Serve = Callable[[Any], str]


@pytest.fixture
def api(clock: ManualClock) -> CustomerpApi:
    return CustomerpApi(clock)


@pytest.fixture
def url(api: CustomerpApi, serve: Serve) -> str:
    return serve(api) + BASE


@pytest.fixture
def erp(url: str) -> Customerp:
    return Customerp(url, API_KEY, page_size=2)


def test_a_wrong_api_key_says_which_variable_to_check(url: str) -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        Customerp(url, "cerp_wrong").get("Customer", "1")
    message = str(caught.value)
    assert "unauthorized: the X-API-Key header is wrong" in message
    assert "TALKQA_CUSTOMERP_API_KEY" in message


def test_create_get_update_delete(erp: Customerp) -> None:
    record_id = erp.create("Customer", {"name": "Acme", "billing_address.city": "Oslo"})
    assert record_id == "1"
    erp.update("Customer", record_id, {"billing_address.postal_code": "0150", "phone": "22"})
    record = erp.get("Customer", record_id)
    assert record is not None
    assert record["name"] == "Acme" and record["phone"] == "22"
    assert record["billing_address"]["city"] == "Oslo"
    assert record["billing_address"]["postal_code"] == "0150"
    assert erp.delete("Customer", record_id) is True
    assert erp.get("Customer", record_id) is None


def test_the_apis_errors_name_the_field(erp: Customerp) -> None:
    with pytest.raises(SystemApiError, match=r"validation_error: name is required \(field name\)"):
        erp.create("Customer", {"email": "x@example.com"})


def test_deleting_a_customer_still_referred_to_is_a_conflict(erp: Customerp) -> None:
    customer = erp.create("Customer", {"name": "Acme"})
    erp.create("Contact", {"last_name": "Lovelace", "customer_id": int(customer)})
    with pytest.raises(SystemApiError, match="conflict") as caught:
        erp.delete("Customer", customer)
    assert caught.value.status == 409


def test_list_follows_next_page(erp: Customerp) -> None:
    made = [erp.create("Product", {"name": f"P{n}", "sku": f"SKU-{n}"}) for n in range(5)]
    assert [str(r["id"]) for r in erp.list("Product")] == made


def test_find_uses_the_equality_filter_over_several_pages(erp: Customerp) -> None:
    for n in range(3):
        erp.create("Customer", {"name": f"Acme {n}", "email": "sales@acme.example"})
    erp.create("Customer", {"name": "Other", "email": "x@other.example"})
    assert len(erp.find("Customer", "email", "sales@acme.example")) == 3


def test_find_lists_and_filters_for_fields_without_a_filter(erp: Customerp) -> None:
    oslo = erp.create("Customer", {"name": "Acme", "billing_address": {"city": "Oslo"}})
    erp.create("Customer", {"name": "Beta", "phone": "22", "billing_address": {"city": "Bergen"}})
    assert [str(r["id"]) for r in erp.find("Customer", "billing_address.city", "oslo")] == [oslo]
    assert [r["name"] for r in erp.find("Customer", "phone", "22")] == ["Beta"]


def test_dotted_fields_become_nested_objects() -> None:
    fields = {"name": "A", "billing_address.city": "Oslo", "billing_address.state": None}
    assert nested(fields) == {"name": "A", "billing_address": {"city": "Oslo", "state": None}}
