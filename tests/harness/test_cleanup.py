"""Cleanup: a scenario's records and their copies go; what was there before stays."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from talkqa.cleanup import Cleanup, dataset_sides, interrupt_held_back
from talkqa.data import DataFactory
from talkqa.environment import Environment
from talkqa.harness import Harness
from talkqa.sandbox.app import Sandbox
from talkqa.spec.dataflow import load_specs
from talkqa.sync import SyncDriver

FEATURES = Path(__file__).resolve().parents[2] / "features"
COLLECTIONS = {
    "zohocrm": ("Account", "Contact", "Deal"),
    "customerp": ("Customer", "Contact", "Order", "Product"),
    "webcrm": ("Organisations", "Persons", "Products"),
}


@pytest.fixture
def environment() -> Iterator[Environment]:
    with Sandbox(features_dir=FEATURES, zoho_token_grants=None) as sandbox:
        yield Environment("live", "sandbox", sandbox.description())


def harness_for(environment: Environment) -> Harness:
    systems, sesam = environment.connect()
    specs = load_specs(FEATURES)
    driver = SyncDriver(sesam)
    cleanup = Cleanup(systems, dataset_sides(specs), driver.inserted_from)
    return Harness(systems, driver, DataFactory("cleanup", "tqa-0000abcd"), specs, cleanup)


def everything(harness: Harness) -> dict[tuple[str, str], list[dict[str, Any]]]:
    return {
        (system, entity): list(harness.systems[system].list(entity))
        for system, entities in COLLECTIONS.items()
        for entity in entities
    }


def test_a_scenarios_records_and_their_copies_go_and_earlier_records_stay(
    environment: Environment,
) -> None:
    before = harness_for(environment)
    zoho, customerp = before.systems["zohocrm"], before.systems["customerp"]
    zoho.create("Account", {"Account_Name": "Existing Customer AS"})
    customerp.create("Product", {"sku": "EX-1", "name": "Existing product", "unit_price": "10.00"})
    before.synchronize()  # Talk copies the earlier records too: those copies are not ours
    existing = everything(before)
    assert sum(map(len, existing.values())) == 5  # account, customer, organisation, 2 products

    harness = harness_for(environment)
    contact = harness.create("ZohoCRM Contact")  # and an account for its Account_Name row
    harness.synchronize()
    assert harness.linked(contact, harness.named("Customerp Contact")) is not None
    assert sum(map(len, everything(harness).values())) == 5 + 6  # 2 made, 4 copies
    deal = harness.create("ZohoCRM Deal")
    harness.synchronize()
    assert harness.linked(deal, harness.named("Customerp Order")) is not None

    assert harness.cleanup.run() == []
    after = everything(harness)
    assert after == existing


def test_what_cannot_be_deleted_is_answered_as_left_over(environment: Environment) -> None:
    harness = harness_for(environment)
    record = harness.create("Customerp Customer")

    class Refusing:
        def delete(self, entity: str, record_id: str) -> bool:
            return False

    harness.cleanup.systems = {**harness.systems, "customerp": Refusing()}  # type: ignore[dict-item]
    leftovers = harness.cleanup.run()
    assert [str(x) for x in leftovers] == [
        f"customerp Customer {record.id}: the API cannot delete it; remove it by hand"
    ]


def test_a_ctrl_c_during_a_create_interrupts_once_the_record_is_registered_for_cleanup(
    environment: Environment,
) -> None:
    harness = harness_for(environment)
    customerp = harness.systems["customerp"]
    create = customerp.create

    def interrupted_create(entity: str, body: dict[str, Any]) -> str:
        record_id = create(entity, body)
        signal.raise_signal(signal.SIGINT)  # Ctrl-C while the answer is on its way
        return record_id

    customerp.create = interrupted_create  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        harness.create("Customerp Product")
    assert len(harness.cleanup.created) == 1  # registered before the interrupt landed
    assert not harness.cleanup.run()
    assert list(customerp.list("Product")) == []


def test_a_second_ctrl_c_is_not_held_back() -> None:
    with pytest.raises(KeyboardInterrupt), interrupt_held_back():
        signal.raise_signal(signal.SIGINT)  # held back
        signal.raise_signal(signal.SIGINT)  # delivered at once
        pytest.fail("the second Ctrl-C was held back too")
