"""Which sections talkqa can run (`talkqa.spec.served`), and when a name is a typo."""

from __future__ import annotations

import pytest

from talkqa.checklist.model import SystemEntity
from talkqa.spec.names import typo_of
from talkqa.spec.served import sides_of, unserved, unserved_feature

KNOWN = "(known: Customerp, WebCRM, ZohoCRM)"


def sides(source: str, target: str) -> list[SystemEntity]:
    """`sides("Tripletex/Customer", "ZohoCRM/Account")`: each side's system and entity."""
    return [SystemEntity(*name.split("/")) for name in (source, target)]


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("ZohoCRM/Account", "Customerp/Customer"),
        ("Custom ERP/Customer", "WebCRM/Organisation"),  # the catalogue's other names
        ("zohocrm/Deals", "webcrm/Persons"),
    ],
)
def test_a_section_between_known_systems_and_entities_is_served(source: str, target: str) -> None:
    assert unserved(sides(source, target)) is None


def test_a_system_without_a_connector_is_not_served_and_says_what_would_serve_it() -> None:
    assert unserved(sides("Tripletex/Customer", "ZohoCRM/Account")) == (
        f"not served: talkqa has no connector for Tripletex {KNOWN}; the checklist is kept, "
        "and its scenarios run once there is a connector (talkqa/systems/) and a catalogue "
        "entry (talkqa/spec/systems/) for Tripletex"
    )


def test_both_systems_missing_are_named_once_each() -> None:
    reason = unserved(sides("Tripletex/Customer", "HubSpot/Company"))
    assert reason is not None
    assert reason.startswith(
        f"not served: talkqa has no connector for Tripletex and HubSpot {KNOWN}"
    )
    assert unserved(sides("HubSpot/Company", "HubSpot/Contact")) == unserved(
        sides("HubSpot/Deal", "HubSpot/Deal")
    )


def test_an_entity_the_catalogue_lacks_is_not_served_and_names_the_file() -> None:
    assert unserved(sides("WebCRM/Users", "Customerp/Contact")) == (
        "not served: the catalogue has no WebCRM entity 'Users' (known: Organisations, "
        "Persons, Products); the checklist is kept, and its scenarios run once there is an "
        "entry for WebCRM Users in talkqa/spec/systems/webcrm.toml"
    )


def test_a_catalogued_system_without_a_connector_is_not_served() -> None:
    reason = unserved(sides("WebCRM/Persons", "ZohoCRM/Contact"), connectors=("zohocrm",))
    assert reason == (
        "not served: talkqa has no connector for WebCRM (known: ZohoCRM); the checklist is "
        "kept, and its scenarios run once there is a connector (talkqa/systems/) for WebCRM"
    )


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("ZohoKRM/Account", "Customerp/Customer"),  # a letter changed
        ("ZohoCRM/Account", "Customrp/Customer"),  # a letter dropped
        ("ZohoCRM/Acount", "Customerp/Customer"),
        ("ZohoCRM/Account", "Customerp/Kontact"),
        ("ZohoCRM/Acocunt", "Customerp/Customer"),  # two letters swapped
    ],
)
def test_a_misspelt_name_is_served_so_that_its_scenarios_fail_with_the_did_you_mean(
    source: str, target: str
) -> None:
    assert unserved(sides(source, target)) is None


@pytest.mark.parametrize(
    ("wanted", "known", "found"),
    [
        ("ZohoKRM", ["Customerp", "WebCRM", "ZohoCRM"], "ZohoCRM"),
        ("zoho crm", ["ZohoCRM"], "ZohoCRM"),  # case and spaces aside
        ("Deals", ["Account", "Contact", "Deal"], "Deal"),
        ("Custom CRM", ["Customerp", "WebCRM", "ZohoCRM"], None),  # another system
        ("Custom HRM", ["Customerp"], None),
        ("Project", ["Customer", "Contact", "Order", "Product"], None),  # another entity
        ("Zoho", ["ZohoCRM"], None),
    ],
)
def test_a_typo_is_one_slip_from_a_known_name(
    wanted: str, known: list[str], found: str | None
) -> None:
    assert typo_of(wanted, known) == found


def test_other_systems_close_to_a_known_name_are_not_served() -> None:
    reason = unserved(sides("Custom CRM/Account", "Customerp/Customer"))
    assert reason is not None and "no connector for Custom CRM" in reason
    project = unserved(sides("Customerp/Project", "WebCRM/Persons"))
    assert project is not None and "no Customerp entity 'Project'" in project


DESCRIPTION = """  Dataflow: Business Central to Tripletex Dataflow
  Checklist: businesscentral-tripletex.rst, generated 2024-11-13 00:00:00
  Source system: Business Central
  Source entity: Contacts (classification data)
  Target system: Tripletex
  Target entity: Customer (classification data)
  Statement: Every Business Central Contacts (classification data) will be synchronized."""


def test_a_feature_s_sides_are_read_from_its_description_s_header_lines() -> None:
    assert sides_of(DESCRIPTION) == (
        SystemEntity("Business Central", "Contacts (classification data)"),
        SystemEntity("Tripletex", "Customer (classification data)"),
    )
    reason = unserved_feature(DESCRIPTION)
    assert reason is not None and "no connector for Business Central and Tripletex" in reason


def test_a_description_without_its_header_lines_is_left_to_the_spec_loader() -> None:
    lacking = DESCRIPTION.replace("  Target system: Tripletex\n", "")
    assert sides_of(lacking) is None
    assert unserved_feature(lacking) is None
