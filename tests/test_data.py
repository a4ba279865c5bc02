"""Test data: payloads the catalogue knows, valid per field, deterministic per seed,
marked with the run marker, accepted by the emulated APIs; fresh values for edits."""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from talkqa import data
from talkqa.data import (
    MARKER_PATTERN,
    DataError,
    DataFactory,
    marker_field,
    new_marker,
)
from talkqa.spec.catalogue import Entity, Field, System, load_catalogue
from talkqa.spec.compare import RULES, row_kind, same_value, values_at
from talkqa.spec.dataflow import load_specs

REPO = Path(__file__).resolve().parents[1]
MARKER = "tqa-1a2b3c4d"
SEED = "features/zohocrm-customerp/zohocrm-account-to-customerp-customer.feature::created"
# A made-up id for each reference a new record needs (their records exist in the sandbox test).
REFERENCES: dict[tuple[str, str], dict[str, str | int]] = {
    ("customerp", "Contact"): {"customer_id": 1},
    ("customerp", "Order"): {"customer_id": 1},
    ("webcrm", "Persons"): {"PersonOrganisationId": 1},
}
ENTITIES = [
    (system.key, name) for system in load_catalogue().systems.values() for name in system.entities
]
DECIMAL_TEXT = re.compile(r"-?\d+\.\d{2}")


def entity(system: str, name: str) -> tuple[System, Entity]:
    found = load_catalogue().systems[system]
    return found, found.entities[name]


def flat(payload: dict[str, Any], entity: Entity) -> dict[str, Any]:
    """Nested objects back to the catalogue's dotted paths; a lookup object by its id."""
    out: dict[str, Any] = {}
    for name, value in payload.items():
        if isinstance(value, dict) and name not in entity.fields:
            out |= {f"{name}.{member}": v for member, v in value.items()}
        else:
            out[name] = value
    return out


def valid(system: System, spec: Field, value: Any) -> bool:
    """Whether the field takes the value, as its API checks it."""
    if value is None:
        return not spec.required
    if spec.max_length is not None and isinstance(value, str) and len(value) > spec.max_length:
        return False
    if spec.choices and value not in spec.choices:
        return False
    number = isinstance(value, int | float) and not isinstance(value, bool)
    checks = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "decimal": bool(DECIMAL_TEXT.fullmatch(value))
        if system.decimals == "string" and isinstance(value, str)
        else number and system.decimals == "number",
        "float": number,
        "boolean": isinstance(value, bool),
        "date": isinstance(value, str) and bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)),
        "datetime": isinstance(value, str),
        "list": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "lookup": True,
    }
    return checks[spec.type]


@pytest.fixture
def factory() -> DataFactory:
    return DataFactory(SEED, MARKER)


# --- payloads ---------------------------------------------------------------------------


@pytest.mark.parametrize(("system", "name"), ENTITIES)
def test_a_payload_holds_valid_values_of_fields_the_catalogue_knows(
    factory: DataFactory, system: str, name: str
) -> None:
    found_system, found = entity(system, name)
    payload = factory.payload(system, name, references=REFERENCES.get((system, name)))
    values = flat(payload, found)
    for path, value in values.items():
        spec = found.fields.get(path)
        assert spec is not None, f"{system}.{name} has no field {path}"
        assert not spec.read_only, path
        if spec.entity is None:
            assert valid(found_system, spec, value), f"{path} = {value!r}"
    required = {n for n, s in found.fields.items() if s.required and not s.read_only}
    assert required <= set(values)
    assert len(values) >= 4


@pytest.mark.parametrize(("system", "name"), ENTITIES)
def test_the_marker_is_in_the_marker_field_and_every_email(
    factory: DataFactory, system: str, name: str
) -> None:
    _, found = entity(system, name)
    values = flat(factory.payload(system, name, references=REFERENCES.get((system, name))), found)
    marked = values[marker_field(found)]
    assert marked.endswith(f" {MARKER}")
    assert MARKER_PATTERN.search(marked)
    for path, value in values.items():
        if "email" in path.casefold() and isinstance(value, str):
            assert re.fullmatch(rf"[a-z0-9.-]+\.{MARKER}@example\.(com|net)", value), value
            assert MARKER_PATTERN.search(value)


def test_the_marker_field_is_the_label_or_the_last_name_it_is_made_of() -> None:
    fields = {(s, n): marker_field(entity(s, n)[1]) for s, n in ENTITIES}
    assert fields == {
        ("customerp", "Customer"): "name",
        ("customerp", "Contact"): "last_name",
        ("customerp", "Order"): "title",
        ("customerp", "Product"): "name",
        ("webcrm", "Organisations"): "OrganisationName",
        ("webcrm", "Persons"): "PersonLastName",  # PersonName is made of the name parts
        ("webcrm", "Products"): "ProductComment",
        ("zohocrm", "Account"): "Account_Name",
        ("zohocrm", "Contact"): "Last_Name",  # Full_Name is read-only
        ("zohocrm", "Deal"): "Deal_Name",
    }


def test_values_are_realistic_per_field_name(factory: DataFactory) -> None:
    account = factory.payload("zohocrm", "Account")
    assert re.fullmatch(r"\d{4}", account["Billing_Code"])
    assert account["Website"].startswith(("http://", "https://"))
    assert isinstance(account["Employees"], int)
    assert isinstance(account["Annual_Revenue"], float)  # ZohoCRM writes decimals as numbers
    customer = factory.payload("customerp", "Customer")
    assert DECIMAL_TEXT.fullmatch(customer["annual_revenue"])  # Customerp writes "1234.50"
    assert set(customer["billing_address"]) == {"street", "city", "postal_code", "state", "country"}
    person = factory.payload("zohocrm", "Contact")
    first = person["First_Name"].casefold().replace("ø", "o").replace("å", "a").replace("æ", "ae")
    assert person["Email"].startswith(first)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", person["Date_of_Birth"])
    order = factory.payload("customerp", "Order", references={"customer_id": 1})
    assert order["currency"] == "NOK"


def test_deals_are_won_unless_asked_otherwise(factory: DataFactory) -> None:
    won = factory.payload("zohocrm", "Deal")
    assert won["Stage"] == "Closed Won"
    open_deal = factory.payload("zohocrm", "Deal", won=False)
    choices = entity("zohocrm", "Deal")[1].fields["Stage"].choices
    assert open_deal["Stage"] != "Closed Won"
    assert open_deal["Stage"] in choices


def test_references_are_written_in_each_apis_shape(factory: DataFactory) -> None:
    deal = factory.payload(
        "zohocrm", "Deal", references={"Account_Name": "5725", "Contact_Name": 5726}
    )
    assert deal["Account_Name"] == {"id": "5725"}
    assert deal["Contact_Name"] == {"id": "5726"}
    assert (
        factory.payload("customerp", "Contact", references={"customer_id": "12"})["customer_id"]
        == 12
    )
    person = factory.payload("webcrm", "Persons", references={"PersonOrganisationId": "7"})
    assert person["PersonOrganisationId"] == 7
    assert "Account_Name" not in factory.payload("zohocrm", "Contact")


def test_a_required_reference_left_out_says_what_to_pass(factory: DataFactory) -> None:
    with pytest.raises(DataError, match=r"needs references=\{'customer_id': <Customer id>\}"):
        factory.payload("customerp", "Order")
    with pytest.raises(DataError, match="Phone is not a reference field; its references are"):
        factory.payload("zohocrm", "Contact", references={"Phone": "1"})


def test_fields_override_generated_values(factory: DataFactory) -> None:
    payload = factory.payload(
        "customerp", "Customer", fields={"name": "Acme AS", "billing_address.city": "Oslo"}
    )
    assert payload["name"] == "Acme AS"
    assert payload["billing_address"]["city"] == "Oslo"
    with pytest.raises(DataError, match="no field 'Colour'"):
        factory.payload("customerp", "Customer", fields={"Colour": "red"})


def test_unknown_systems_entities_and_markers_are_named() -> None:
    with pytest.raises(DataError, match="no system 'tripletex'; known systems: customerp"):
        DataFactory(1, MARKER).payload("tripletex", "Customer")
    with pytest.raises(DataError, match=r"no entity 'Invoice'.*known entities: Account"):
        DataFactory(1, MARKER).payload("ZohoCRM", "Invoice")
    with pytest.raises(DataError, match="new_marker"):
        DataFactory(1, "run-1")


def test_systems_and_entities_go_by_any_catalogue_name(factory: DataFactory) -> None:
    assert "OrganisationName" in factory.payload("Webcrm", "Organisation")


# --- determinism ------------------------------------------------------------------------


def _every_payload(factory: DataFactory) -> list[dict[str, Any]]:
    return [factory.payload(s, n, references=REFERENCES.get((s, n))) for s, n in ENTITIES]


def test_the_same_seed_gives_the_same_data() -> None:
    assert _every_payload(DataFactory(SEED, MARKER)) == _every_payload(DataFactory(SEED, MARKER))
    assert DataFactory(7, MARKER).payload("zohocrm", "Account") == DataFactory("7", MARKER).payload(
        "zohocrm", "Account"
    )


def test_different_seeds_differ() -> None:
    one, other = _every_payload(DataFactory(SEED, MARKER)), _every_payload(DataFactory("x", MARKER))
    assert all(a != b for a, b in zip(one, other, strict=True))


def test_successive_records_differ_and_do_not_depend_on_other_entities() -> None:
    first = DataFactory(SEED, MARKER)
    account = first.payload("zohocrm", "Account")
    assert first.payload("zohocrm", "Account") != account
    other = DataFactory(SEED, MARKER)
    other.payload("customerp", "Product")
    other.payload("zohocrm", "Contact")
    assert other.payload("zohocrm", "Account") == account


def test_the_marker_changes_only_the_marked_values() -> None:
    one = DataFactory(SEED, MARKER).payload("zohocrm", "Contact")
    two = DataFactory(SEED, "tqa-ffffffff").payload("zohocrm", "Contact")
    masked = [{k: MARKER_PATTERN.sub("tqa-*", str(v)) for k, v in p.items()} for p in (one, two)]
    assert masked[0] == masked[1]
    assert one != two


def test_new_marker() -> None:
    assert new_marker(random.Random(1)) == new_marker(random.Random(1))
    assert new_marker(random.Random(1)) != new_marker(random.Random(2))
    for marker in (new_marker(random.Random(3)), new_marker()):
        assert MARKER_PATTERN.fullmatch(marker)
        assert marker.startswith("tqa-")
    assert MARKER_PATTERN.sub("tqa-*", f"Acme AS {MARKER}") == "Acme AS tqa-*"
    assert MARKER_PATTERN.findall(f'{{"Email": "kari.{MARKER}@example.com"}}') == [MARKER]


# --- new values -------------------------------------------------------------------------


def _property_sides() -> Iterator[tuple[str, str, str, str]]:
    """(system, entity, path, data type) of both sides of every seed property row that is
    edited in a property scenario (not id rows, references or read-only fields)."""
    catalogue = load_catalogue()
    for spec in load_specs(REPO / "features"):
        for mapping in spec.properties:
            if row_kind(mapping, spec.source, spec.target) != "value":
                continue
            for side, path in ((spec.source, mapping.source), (spec.target, mapping.target)):
                system = catalogue.system_named(side.system)
                found = catalogue.entity(side.system, side.entity)
                assert system is not None and found is not None
                yield system.key, found.name, path, mapping.data_type


PROPERTY_SIDES = sorted(set(_property_sides()))


@pytest.mark.parametrize(("system", "name", "path", "data_type"), PROPERTY_SIDES)
def test_a_new_value_is_valid_and_differs_from_the_previous(
    factory: DataFactory, system: str, name: str, path: str, data_type: str
) -> None:
    found_system, found = entity(system, name)
    previous = values_at(
        factory.payload(system, name, references=REFERENCES.get((system, name))), path
    )
    assert previous, f"the payload of {system} {name} has no {path}"
    value = factory.new_value(system, name, path, data_type, previous[0])
    assert not same_value(value, previous[0], data_type)
    assert valid(found_system, found.fields[path], value)
    again = factory.new_value(system, name, path, data_type, value)
    assert not same_value(again, value, data_type)
    if path == marker_field(found) or (found.fields[path].type == "string" and "mail" in path):
        assert MARKER_PATTERN.search(value)


def test_new_values_are_deterministic() -> None:
    def edits(factory: DataFactory) -> list[Any]:
        return [factory.new_value("zohocrm", "Account", "Phone", "string", "1") for _ in range(3)]

    assert edits(DataFactory(SEED, MARKER)) == edits(DataFactory(SEED, MARKER))
    assert len(set(edits(DataFactory(SEED, MARKER)))) == 3


@pytest.mark.parametrize(
    ("data_type", "previous", "expected"),
    [("boolean", True, False), ("boolean", False, True), ("boolean", None, True)],
)
def test_a_new_boolean_is_the_other_one(
    factory: DataFactory, data_type: str, previous: Any, expected: bool
) -> None:
    assert factory.new_value("zohocrm", "Contact", "Email_Opt_Out", data_type, previous) is expected


def test_a_new_decimal_is_written_as_the_system_writes_decimals(factory: DataFactory) -> None:
    erp = factory.new_value("customerp", "Order", "total_amount", "decimal", "10.00")
    assert DECIMAL_TEXT.fullmatch(erp)
    zoho = factory.new_value("zohocrm", "Deal", "Amount", "decimal", 10.0)
    assert isinstance(zoho, float)


def test_a_new_date_differs_as_a_date(factory: DataFactory) -> None:
    value = factory.new_value("zohocrm", "Deal", "Closing_Date", "string", "2024-09-10")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) and value != "2024-09-10"


def test_properties_the_catalogue_does_not_know_get_values_of_their_data_type(
    factory: DataFactory,
) -> None:
    assert isinstance(factory.new_value("zohocrm", "Account", "Colour_Count", "integer", 1), int)
    assert isinstance(factory.new_value("zohocrm", "Account", "Motto", "string", "x"), str)


def test_read_only_fields_and_references_get_no_new_value(factory: DataFactory) -> None:
    with pytest.raises(DataError, match=r"ZohoCRM Account\.Created_Time is read-only"):
        factory.new_value("zohocrm", "Account", "Created_Time", "datetime", None)
    with pytest.raises(DataError, match="refers to a Account: create another Account"):
        factory.new_value("zohocrm", "Contact", "Account_Name.id", "string", "1")
    with pytest.raises(DataError, match="refers to a Customer"):
        factory.new_value("customerp", "Contact", "customer_id", "string", 1)


# --- the APIs take them ------------------------------------------------------------------


@pytest.mark.slow
def test_every_payload_is_accepted_and_read_back_by_the_emulated_apis() -> None:
    from talkqa.sandbox.app import Sandbox
    from talkqa.systems import connect, settings_from_description

    factory = DataFactory(SEED, MARKER)
    with Sandbox(features_dir=REPO / "features") as sandbox:
        settings = settings_from_description(sandbox.description())
        apis = {s: connect(s, settings[s]) for s in ("zohocrm", "customerp", "webcrm")}
        ids = {
            "customer": apis["customerp"].create(
                "Customer", factory.payload("customerp", "Customer")
            ),
            "organisation": apis["webcrm"].create(
                "Organisations", factory.payload("webcrm", "Organisations")
            ),
            "account": apis["zohocrm"].create("Account", factory.payload("zohocrm", "Account")),
        }
        ids["contact"] = apis["zohocrm"].create(
            "Contact",
            factory.payload("zohocrm", "Contact", references={"Account_Name": ids["account"]}),
        )
        references: dict[tuple[str, str], dict[str, str | int]] = {
            ("customerp", "Contact"): {"customer_id": ids["customer"]},
            ("customerp", "Order"): {"customer_id": ids["customer"]},
            ("webcrm", "Persons"): {"PersonOrganisationId": ids["organisation"]},
            ("zohocrm", "Deal"): {"Account_Name": ids["account"], "Contact_Name": ids["contact"]},
        }
        for system, name in ENTITIES:
            _, found = entity(system, name)
            payload = factory.payload(system, name, references=references.get((system, name)))
            record_id = apis[system].create(name, payload)
            record = apis[system].get(name, record_id)
            assert record is not None
            label = values_at(record, found.label)
            assert label and MARKER_PATTERN.search(str(label[0])), f"{system} {name}: {label}"
            for path, sent in flat(payload, found).items():
                kind = found.fields[path].type
                read = [v["id"] if isinstance(v, dict) else v for v in values_at(record, path)]
                expected = sent["id"] if isinstance(sent, dict) else sent
                compare_as = kind if kind in RULES else "string"
                assert read and same_value(expected, read[0], compare_as), (system, name, path)


def test_the_module_keeps_to_its_layer() -> None:
    forbidden = ("pytest", "pytest_bdd", "talkqa.sandbox", "talkqa.systems")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(Path(data.__file__).read_text("utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert "faker" in imported
    assert not [n for n in imported if any(n == f or n.startswith(f + ".") for f in forbidden)]
