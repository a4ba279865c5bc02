"""The generic comparison: data type rules (with the wrong formats faults produce), path
reading, id rows, references, read-only skips, the mismatch sentence and the table."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from talkqa.checklist.model import SystemEntity
from talkqa.spec import compare as compare_module
from talkqa.spec.compare import (
    CompareError,
    Comparison,
    Mismatch,
    RecordRef,
    Skipped,
    check,
    compare,
    compare_all,
    comparison_table,
    mapping_for,
    row_kind,
    same_value,
    skip_reason,
    values_at,
)
from talkqa.spec.dataflow import Mapping, load_specs

REPO = Path(__file__).resolve().parents[2]
ZOHO_ACCOUNT = SystemEntity("ZohoCRM", "Account")
ZOHO_CONTACT = SystemEntity("ZohoCRM", "Contact")
ERP_CUSTOMER = SystemEntity("Customerp", "Customer")
ERP_CONTACT = SystemEntity("Customerp", "Contact")
WEBCRM_PERSONS = SystemEntity("Webcrm", "Persons")
ZOHO_ID = "5725767000000412001"
ZOHO_ACCOUNT_ID = "5725767000000400001"
DATE_FORMAT = '"datetime-format","%Y-%m-%d","_."]'


def row(source: str, target: str, data_type: str = "string", raw: str = "") -> Mapping:
    return Mapping(source, target, data_type, raw or data_type)


# --- data types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "actual", "same"),
    [
        ("+47 1234", "+47 1234", True),
        ("Acme AS", "Acme", False),  # a truncated string
        ("+47 1234", "+47 12", False),
        (12, "12", True),  # numbers compared as their text
        (1234.5, "1234.5", True),
        (None, "", True),
        ("", None, True),
        ("Oslo", None, False),
        (True, "true", True),
        ("Oslo", "oslo", False),
    ],
)
def test_string(expected: Any, actual: Any, same: bool) -> None:
    assert same_value(expected, actual, "string") is same


@pytest.mark.parametrize(
    ("expected", "actual", "same"),
    [
        (5, "5", True),
        (5, 5.0, True),
        ("5", 5.0, True),
        (" 5 ", 5, True),
        (5, 6, False),
        (5, "5,00", False),  # a wrong format
        (5, 5.5, False),
        (1, True, False),
        (None, "", True),
        (None, 0, False),
    ],
)
def test_integer(expected: Any, actual: Any, same: bool) -> None:
    assert same_value(expected, actual, "integer") is same


@pytest.mark.parametrize(
    ("expected", "actual", "same"),
    [
        ("1234.50", 1234.5, True),
        (1234.5, "1234.50", True),
        ("1234.50", "1234.5", True),
        (1234, "1234.00", True),
        (1234.5, "1.234,50", False),  # a wrong format
        (1234.5, "1234,50", False),
        ("1234.50", 1234.51, False),
        ("1.234,50", "1.234,50", True),  # the same text, though no decimal
        (None, "", True),
        (None, 0, False),
        (True, 1, False),
    ],
)
def test_decimal(expected: Any, actual: Any, same: bool) -> None:
    assert same_value(expected, actual, "decimal") is same


@pytest.mark.parametrize(
    ("expected", "actual", "same"),
    [
        (0.1 + 0.2, 0.3, True),
        (12.5, "12.5", True),
        (415, 415.0, True),
        (1.0, 1.0001, False),
        (12.5, "12,5", False),
        (0.0, 0, True),
    ],
)
def test_float(expected: Any, actual: Any, same: bool) -> None:
    assert same_value(expected, actual, "float") is same


@pytest.mark.parametrize(
    ("expected", "actual", "same"),
    [
        (True, "true", True),
        (True, 1, True),
        ("TRUE", True, True),
        (False, "false", True),
        (False, 0, True),
        (True, "yes", False),  # a wrong format
        (False, "no", False),
        (True, False, False),
        (None, False, False),
        (None, None, True),
    ],
)
def test_boolean(expected: Any, actual: Any, same: bool) -> None:
    assert same_value(expected, actual, "boolean") is same


@pytest.mark.parametrize(
    ("expected", "actual", "same"),
    [
        (["a", "b"], ["b", "a"], True),
        (["a", "b"], ["a"], False),
        (["a", "a"], ["a"], False),
        (["a", "b"], "a, b", False),  # a list flattened to text
        ([], None, True),
        ([1, 2], ["2", "1"], True),
    ],
)
def test_list(expected: Any, actual: Any, same: bool) -> None:
    assert same_value(expected, actual, "list") is same


@pytest.mark.parametrize(
    ("expected", "actual", "same"),
    [("x", "y", True), (None, None, True), ("x", None, False), (None, "", True), (0, 1, True)],
)
def test_na_compares_presence_only(expected: Any, actual: Any, same: bool) -> None:
    assert same_value(expected, actual, "n/a") is same


@pytest.mark.parametrize(
    ("expected", "actual", "same"),
    [
        ("2024-09-10", "2024-09-10", True),
        ("2024-09-10", "2024-09-10T13:43:43+02:00", True),
        ("2024-09-10", "2024-09-10T23:30:00-05:00", True),  # the date as written
        ("2024-09-10", "2024-09-11", False),
        ("2024-09-10", "10.09.2024", False),  # a wrong format
        ("2024-09-10", None, False),
        (None, "", True),
    ],
)
def test_date(expected: Any, actual: Any, same: bool) -> None:
    assert same_value(expected, actual, "date") is same


@pytest.mark.parametrize(
    ("expected", "actual", "same"),
    [
        ("2024-09-10T13:43:43Z", "2024-09-10T15:43:43+02:00", True),
        ("2024-09-10T13:43:43+00:00", "2024-09-10T13:43:43.000000Z", True),
        ("2024-09-10T13:43:43", "2024-09-10T13:43:43Z", True),  # no offset: UTC
        ("2024-09-10T13:43:43Z", "2024-09-10T14:43:43Z", False),
        ("2024-09-10T13:43:43Z", "10.09.2024 13:43", False),  # a wrong format
    ],
)
def test_datetime(expected: Any, actual: Any, same: bool) -> None:
    assert same_value(expected, actual, "datetime") is same


@pytest.mark.parametrize(
    ("raw", "expected", "actual", "same"),
    [
        (DATE_FORMAT, "2024-09-10T13:43:43Z", "2024-09-10", True),
        (DATE_FORMAT, "2024-09-10T13:43:43Z", "2024-09-11", False),
        (DATE_FORMAT, "2024-09-10T13:43:43Z", "10.09.2024", False),
        ('"datetime-format","%d.%m.%Y","_."]', "2024-09-10", "10.09.2024", True),
        ('"datetime-format","%d.%m.%Y","_."]', "2024-09-10T08:00:00Z", "2024-09-10", True),
        ('"datetime-format","%d.%m.%Y","_."]', "2024-09-10", "09/10/2024", False),
        ('["decimal", "_."]', "1234.50", 1234.5, True),
        ('["decimal", "_."]', "1234.50", "1.234,50", False),
        ('["concat", "_.", "x"]', "abc", "abc", True),
        ('["concat", "_.", "x"]', 5, "5", True),
        ('["concat", "_.", "x"]', "abc", "abcx", False),
    ],
)
def test_expression(raw: str, expected: Any, actual: Any, same: bool) -> None:
    assert same_value(expected, actual, "expression", raw) is same


def test_an_unknown_data_type_names_the_known_ones() -> None:
    with pytest.raises(CompareError, match=r"unknown data type 'money'.*decimal"):
        same_value(1, 1, "money")


# --- reading paths ----------------------------------------------------------------------


def test_values_at_reads_dotted_paths_lookups_and_lists() -> None:
    customer = {"id": 12, "billing_address": {"city": "Oslo", "state": None}, "tags": ["a", "b"]}
    assert values_at(customer, "billing_address.city") == ["Oslo"]
    assert values_at(customer, "billing_address.state") == [None]
    assert values_at(customer, "billing_address.country") == []
    assert values_at(customer, "delivery_address.city") == []
    assert values_at(customer, "tags") == [["a", "b"]]
    contact = {"Account_Name": {"id": ZOHO_ACCOUNT_ID, "name": "Acme AS"}}
    assert values_at(contact, "Account_Name.id") == [ZOHO_ACCOUNT_ID]
    assert values_at(contact, "Account_Name.name") == ["Acme AS"]
    assert values_at({"Account_Name": None}, "Account_Name.id") == []
    assert values_at({"billing_address.city": "Bergen"}, "billing_address.city") == ["Bergen"]
    assert values_at({"Tag": [{"name": "x"}, {"name": "y"}]}, "Tag.name") == ["x", "y"]


# --- comparing rows ---------------------------------------------------------------------


def test_a_value_row_passes_and_fails_in_both_directions() -> None:
    phone = row("Phone", "phone")
    account = {"id": ZOHO_ID, "Phone": "+47 1234"}
    kept = {"id": 12, "phone": "+47 1234"}
    cut = {"id": 12, "phone": "+47 12"}
    args: dict[str, Any] = {"source_name": ZOHO_ACCOUNT, "target_name": ERP_CUSTOMER}
    assert compare(phone, account, kept, direction="forward", **args) is None
    forward = compare(phone, account, cut, direction="forward", **args)
    assert isinstance(forward, Mismatch)
    assert str(forward) == (
        f"Phone -> phone (string): ZohoCRM Account {ZOHO_ID} has '+47 1234', "
        "Customerp Customer 12 has '+47 12'"
    )
    reverse = compare(phone, account, cut, direction="reverse", **args)
    assert str(reverse) == (
        f"phone -> Phone (string): Customerp Customer 12 has '+47 12', "
        f"ZohoCRM Account {ZOHO_ID} has '+47 1234'"
    )


def test_the_mismatch_carries_both_sides() -> None:
    revenue = row("Annual_Revenue", "annual_revenue", "decimal")
    found = compare(
        revenue,
        {"id": ZOHO_ID, "Annual_Revenue": 1234.5},
        {"id": 12, "annual_revenue": "1.234,50"},
        direction="forward",
        source_name=ZOHO_ACCOUNT,
        target_name=ERP_CUSTOMER,
    )
    assert found == Mismatch(
        "Annual_Revenue",
        "annual_revenue",
        "decimal",
        "forward",
        "1234.5",
        "'1.234,50'",
        RecordRef("ZohoCRM", "Account", ZOHO_ID),
        RecordRef("Customerp", "Customer", "12"),
    )


def test_a_webcrm_record_is_named_by_its_own_id_field() -> None:
    found = compare(
        row("email", "PersonEmail"),
        {"id": 3, "email": "kari@example.com"},
        {"PersonId": 41, "PersonEmail": "kari@example"},
        direction="forward",
        source_name=ERP_CONTACT,
        target_name=WEBCRM_PERSONS,
    )
    assert "Webcrm Persons 41 has 'kari@example'" in str(found)


def test_id_rows_are_checked_as_the_link() -> None:
    ids = row("id", "id")
    links = {("Account", ZOHO_ID): "12", ("Customer", "12"): ZOHO_ID}

    def link(entity: str, record_id: str) -> str | None:
        return links.get((entity, record_id))

    args: dict[str, Any] = {"source_name": ZOHO_ACCOUNT, "target_name": ERP_CUSTOMER}
    account, customer = {"id": ZOHO_ID}, {"id": 12}
    assert row_kind(ids, ZOHO_ACCOUNT, ERP_CUSTOMER) == "id"
    assert compare(ids, account, customer, direction="forward", link=link, **args) is None
    assert compare(ids, account, customer, direction="reverse", link=link, **args) is None
    wrong = compare(ids, account, {"id": 13}, direction="forward", link=link, **args)
    assert isinstance(wrong, Mismatch)
    assert wrong.detail == "ZohoCRM Account 5725767000000412001 is linked to Customerp Customer 12"
    unlinked = compare(ids, {"id": "1"}, customer, direction="forward", link=link, **args)
    assert isinstance(unlinked, Mismatch)
    assert unlinked.detail.endswith("is linked to no Customerp Customer")
    # Without a link the caller vouches that the records are linked: both need an id.
    assert compare(ids, account, customer, direction="forward", **args) is None
    assert isinstance(compare(ids, account, {}, direction="forward", **args), Mismatch)


def test_the_webcrm_id_row_is_an_id_row() -> None:
    assert row_kind(row("id", "PersonId"), ERP_CONTACT, WEBCRM_PERSONS) == "id"
    assert row_kind(row("id", "PersonName"), ERP_CONTACT, WEBCRM_PERSONS) == "value"


def _links(pairs: dict[tuple[str, str], str]) -> Any:
    return lambda entity, record_id: pairs.get((entity, record_id))


def test_references_travel_through_the_link_of_the_referenced_record() -> None:
    company = row("Account_Name.id", "customer_id")
    link = _links({("Account", ZOHO_ACCOUNT_ID): "7", ("Customer", "7"): ZOHO_ACCOUNT_ID})
    contact = {"id": ZOHO_ID, "Account_Name": {"id": ZOHO_ACCOUNT_ID, "name": "Acme AS"}}
    args: dict[str, Any] = {"source_name": ZOHO_CONTACT, "target_name": ERP_CONTACT, "link": link}
    assert row_kind(company, ZOHO_CONTACT, ERP_CONTACT) == "reference"
    assert (
        compare(company, contact, {"id": 3, "customer_id": 7}, direction="forward", **args) is None
    )
    assert (
        compare(company, contact, {"id": 3, "customer_id": 7}, direction="reverse", **args) is None
    )
    wrong = compare(company, contact, {"id": 3, "customer_id": 8}, direction="forward", **args)
    assert str(wrong) == (
        f"Account_Name.id -> customer_id (string): ZohoCRM Contact {ZOHO_ID} has "
        f"'{ZOHO_ACCOUNT_ID}', Customerp Contact 3 has 8 (ZohoCRM Account {ZOHO_ACCOUNT_ID} "
        "is linked to '7' in Customerp)"
    )
    backwards = compare(company, contact, {"id": 3, "customer_id": 8}, direction="reverse", **args)
    assert isinstance(backwards, Mismatch)
    assert backwards.detail == "Customerp Customer 8 is linked to no record in ZohoCRM"


def test_an_empty_reference_matches_none_and_webcrms_zero() -> None:
    company = row("customer_id", "PersonOrganisationId")
    found = compare(
        company,
        {"id": 3, "customer_id": None},
        {"PersonId": 41, "PersonOrganisationId": 0},
        direction="forward",
        source_name=ERP_CONTACT,
        target_name=WEBCRM_PERSONS,
        link=_links({}),
    )
    assert found is None
    none_on_zoho = compare(
        row("Account_Name.id", "customer_id"),
        {"id": ZOHO_ID, "Account_Name": None},
        {"id": 3, "customer_id": None},
        direction="forward",
        source_name=ZOHO_CONTACT,
        target_name=ERP_CONTACT,
    )
    assert none_on_zoho is None


def test_a_reference_without_a_link_says_what_to_pass() -> None:
    with pytest.raises(CompareError, match="pass `link`"):
        compare(
            row("Account_Name.id", "customer_id"),
            {"id": ZOHO_ID, "Account_Name": {"id": ZOHO_ACCOUNT_ID}},
            {"id": 3, "customer_id": 7},
            direction="forward",
            source_name=ZOHO_CONTACT,
            target_name=ERP_CONTACT,
        )


def test_a_read_only_destination_is_skipped_with_its_reason() -> None:
    created = row("Created_Time", "created_at", "datetime")
    args: dict[str, Any] = {"source_name": ZOHO_ACCOUNT, "target_name": ERP_CUSTOMER}
    records = ({"id": ZOHO_ID, "Created_Time": "2024-09-10T13:43:43+02:00"}, {"id": 12})
    assert compare(created, *records, direction="reverse", **args) == Skipped(
        "Created_Time is read-only in ZohoCRM, so the reverse direction is not checked"
    )
    forward = compare(created, *records, direction="forward", **args)
    assert str(forward) == (
        "created_at is read-only in Customerp, so the forward direction is not checked"
    )


def test_a_read_only_origin_is_compared_but_not_edited() -> None:
    name = row("Full_Name", "last_name")
    args: dict[str, Any] = {"source_name": ZOHO_CONTACT, "target_name": ERP_CONTACT}
    records = ({"id": ZOHO_ID, "Full_Name": "Nordmann"}, {"id": 3, "last_name": "Nordmann"})
    assert compare(name, *records, direction="forward", **args) is None
    assert skip_reason(name, direction="forward", **args) == Skipped(
        "Full_Name is read-only in ZohoCRM, so it cannot be edited to check the forward direction"
    )
    assert isinstance(skip_reason(name, direction="reverse", **args), Skipped)
    assert skip_reason(row("Phone", "phone"), direction="reverse", **args) is None
    assert skip_reason(row("id", "id"), direction="reverse", **args) is None


def test_several_sources_on_one_target() -> None:
    phone, mobile = row("Phone", "phone"), row("Mobile", "phone")
    contact = {"id": ZOHO_ID, "Phone": "+47 1111", "Mobile": "+47 2222"}
    target = {"id": 3, "phone": "+47 2222"}
    args: dict[str, Any] = {"source_name": ZOHO_CONTACT, "target_name": ERP_CONTACT}
    # The caller passes the row it changed.
    assert compare(mobile, contact, target, direction="forward", **args) is None
    assert isinstance(compare(phone, contact, target, direction="forward", **args), Mismatch)
    # All rows at once: the target holding one of its sources' values passes.
    rows = compare_all([phone, mobile], contact, target, direction="forward", **args)
    assert [r.result for r in rows] == ["skipped", "ok"]
    assert rows[0].outcome == Skipped("phone takes several properties; it holds Mobile's value")
    neither = compare_all([phone, mobile], contact, {"id": 3}, direction="forward", **args)
    assert [r.result for r in neither] == ["MISMATCH", "MISMATCH"]


def test_a_direction_must_be_forward_or_reverse() -> None:
    with pytest.raises(CompareError, match="'sideways' is not one of forward, reverse"):
        compare(
            row("a", "b"),
            {},
            {},
            direction="sideways",
            source_name=ZOHO_ACCOUNT,
            target_name=ERP_CUSTOMER,
        )


def test_mapping_for_finds_the_row_or_lists_the_rows() -> None:
    rows = [row("Phone", "phone"), row("Website", "website")]
    assert mapping_for(rows, "Website", "website") is rows[1]
    with pytest.raises(CompareError, match=r"no property row Fax -> fax.*Phone -> phone"):
        mapping_for(rows, "Fax", "fax")


# --- the table --------------------------------------------------------------------------


def test_the_comparison_table_is_fixed_width_and_tells_each_result() -> None:
    args: dict[str, Any] = {"source_name": ZOHO_ACCOUNT, "target_name": ERP_CUSTOMER}
    account = {"id": ZOHO_ID, "Phone": "+47 1234", "Website": "https://" + "x" * 60}
    customer = {"id": 12, "phone": "+47 12", "website": "https://" + "x" * 60}
    rows = compare_all(
        [row("Phone", "phone"), row("Website", "website"), row("Created_Time", "created_at")],
        account,
        customer,
        direction="forward",
        **args,
    )
    rows.append(
        check(
            row("Phone", "phone"),
            account,
            account | {"phone": "+47 1234"},
            direction="reverse",
            **args,
        )
    )
    table = comparison_table(rows)
    lines = table.splitlines()
    header = ["property", "data type", "source value", "target value", "result"]
    assert re.split(r"\s{2,}", lines[0]) == header
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert len(lines) == 2 + len(rows)
    start = lines[0].index("data type")
    assert all(line[start - 2 : start] == "  " for line in lines[2:])
    assert lines[2].startswith("Phone -> phone") and lines[2].endswith("MISMATCH")
    assert "'+47 1234'" in lines[2] and "'+47 12'" in lines[2]
    assert "..." in lines[3] and lines[3].endswith("ok")
    assert lines[4].endswith(
        "skipped: created_at is read-only in Customerp, so the forward direction is not checked"
    )
    assert lines[5].startswith("Phone <- phone")
    assert all(isinstance(r, Comparison) for r in rows)


# --- the seed features ------------------------------------------------------------------


def test_every_seed_property_row_can_be_compared() -> None:
    specs = load_specs(REPO / "features")
    assert len(specs) == 6
    kinds: dict[str, set[str]] = {"id": set(), "reference": set()}
    for spec in specs:
        for mapping in spec.properties:
            kind = row_kind(mapping, spec.source, spec.target)
            if kind != "value":
                kinds[kind].add(f"{mapping.source} -> {mapping.target}")
            assert same_value(None, None, mapping.data_type, mapping.data_type_raw)
            for direction in ("forward", "reverse"):
                outcome = compare(
                    mapping,
                    {},
                    {},
                    direction=direction,
                    source_name=spec.source,
                    target_name=spec.target,
                    link=_links({}),
                )
                assert outcome is None or isinstance(outcome, Mismatch | Skipped)
    assert kinds["id"] == {"id -> id", "id -> OrganisationId", "id -> PersonId", "id -> ProductId"}
    assert kinds["reference"] == {
        "Account_Name.id -> customer_id",
        "Contact_Name.id -> contact_id",
        "customer_id -> PersonOrganisationId",
    }


def imports_of(path: str) -> set[str]:
    """Every module a source file imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(Path(path).read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_module_keeps_to_its_layer() -> None:
    forbidden = ("pytest", "pytest_bdd", "talkqa.sandbox", "talkqa.systems")
    imported = imports_of(compare_module.__file__)
    assert "talkqa.spec.catalogue" in imported
    assert not [n for n in imported if any(n == f or n.startswith(f + ".") for f in forbidden)]


def test_text_that_arrives_as_a_one_item_list_is_a_wrong_type() -> None:
    from talkqa.spec.compare import RULES

    assert not RULES["string"]("+47 22 33 44 55", ["+47 22 33 44 55"])
    assert not RULES["string"](["Oslo"], "Oslo")
    assert RULES["string"](["red", "blue"], "red, blue")  # a multi-select joined as text
    assert RULES["string"]("Oslo", "Oslo")
