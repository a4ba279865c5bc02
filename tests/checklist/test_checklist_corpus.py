"""The parser on the real inputs: all 1152 corpus checklists (CRLF) and the two seeds.

Corpus-wide expectations are computed from the raw text independently of the parser
(rows counted from `* - ` lines, kinds from the sentences), then a few real files are
spot-checked row by row.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from talkqa.checklist import Checklist, parse_file
from talkqa.checklist.model import DATA_TYPES

CORPUS_SIZE = 1152
MERGE_SENTENCE = re.compile(r"^A .* will merge with a .* if one of the following property")
# The type cells the corpus writes, and what each means.
PLAIN_TYPES = {
    '"string"': "string",
    '"integer"': "integer",
    '"float"': "float",
    '"decimal"': "decimal",
    '"boolean"': "boolean",
    '"list"': "list",
    "N/A": "n/a",
}


@pytest.fixture(scope="module")
def parsed(corpus: Path) -> dict[str, tuple[Checklist, str]]:
    """Every corpus document, parsed, with its raw text (CRLF kept)."""
    return {
        path.name: (parse_file(path), path.read_bytes().decode("utf-8"))
        for path in sorted(corpus.glob("*.rst"))
    }


def raw_sections(text: str) -> list[list[str]]:
    """The lines of each entity-pair section, found by its `---` underline."""
    lines = text.split("\r\n")
    starts = [
        i for i in range(1, len(lines)) if re.fullmatch(r"-{3,}", lines[i]) and lines[i - 1].strip()
    ]
    sections = [
        lines[s - 1 : e - 1] for s, e in zip(starts, [*starts[1:], len(lines) + 1], strict=True)
    ]
    return [s for s in sections if not s[0].startswith("Introduction")]


def test_every_corpus_checklist_parses_and_is_crlf(corpus: Path) -> None:
    paths = sorted(corpus.glob("*.rst"))
    assert len(paths) == CORPUS_SIZE

    for path in paths:
        raw = path.read_bytes()
        assert b"\r\n" in raw, path.name  # the quirk is really exercised
        checklist = parse_file(path)
        assert checklist.generated is not None, path.name


def test_property_and_merge_rows_add_up_to_the_list_table_rows_of_the_raw_text(
    parsed: dict[str, tuple[Checklist, str]],
) -> None:
    mismatches = {}
    total_parsed = total_raw = 0
    for name, (checklist, text) in parsed.items():
        rows = sum(len(s.properties) + len(s.merge_criteria) for s in checklist.sections)
        # Every table has exactly one header row; the rest are data rows.
        raw = len(re.findall(r"^\s*\* - ", text, re.MULTILINE)) - text.count(".. list-table::")
        total_parsed += rows
        total_raw += raw
        if rows != raw:
            mismatches[name] = (rows, raw)

    assert mismatches == {}
    assert total_parsed == total_raw
    assert total_raw > 8000  # the corpus really has rows, not just header-only tables


def test_sections_match_the_raw_headings_with_kind_and_statement_as_written(
    parsed: dict[str, tuple[Checklist, str]],
) -> None:
    wrong = []
    kinds = set()
    for name, (checklist, text) in parsed.items():
        raw = raw_sections(text)
        assert [s.heading for s in checklist.sections] == [r[0].strip() for r in raw], name
        for sec, lines in zip(checklist.sections, raw, strict=True):
            statement = lines[2]  # the line right under the underline
            if any(MERGE_SENTENCE.match(line) for line in lines):
                kind = "merge"
            elif statement.startswith("Every "):
                kind = "sync"
            elif statement.startswith("When "):
                kind = "conditional"
            else:
                kind = "custom"
            kinds.add(kind)
            if (sec.kind, sec.statement) != (kind, statement):
                wrong.append((name, sec.heading, sec.kind, kind, sec.statement, statement))

    assert wrong == []
    assert kinds == {"sync", "merge", "conditional", "custom"}


def test_section_sides_spell_the_heading_and_name_the_title_systems(
    parsed: dict[str, tuple[Checklist, str]],
) -> None:
    def norm(text: str) -> str:
        return "".join(text.split()).casefold()

    wrong = []
    for name, (checklist, _) in parsed.items():
        for sec in checklist.sections:
            sides = f"{sec.source.system} {sec.source.entity} to {sec.target.system} "
            sides += sec.target.entity
            ok = (
                sides.split() == sec.heading.split()
                and sec.source.entity
                and sec.target.entity
                # `Exact Items` under an `Exact Online` title: a leading part of the name
                and norm(checklist.source_system).startswith(norm(sec.source.system))
                and norm(checklist.target_system).startswith(norm(sec.target.system))
                and bool(sec.source.system) == bool(checklist.source_system)
                and bool(sec.target.system) == bool(checklist.target_system)
            )
            if not ok:
                wrong.append((name, sec.heading, sec.source, sec.target))

    assert wrong == []


def test_property_names_are_stripped_and_types_normalised_from_the_cell_as_written(
    parsed: dict[str, tuple[Checklist, str]],
) -> None:
    wrong = []
    for name, (checklist, _) in parsed.items():
        for sec in checklist.sections:
            for p in sec.properties:
                names = (p.source, p.target)
                if any(n != n.strip() or not n for n in names) or (
                    PLAIN_TYPES.get(p.data_type_raw) != p.data_type
                ):
                    wrong.append((name, sec.heading, p))
                assert p.data_type in DATA_TYPES
            for m in sec.merge_criteria:
                if any(n != n.strip() or not n for n in (m.source, m.target)):
                    wrong.append((name, sec.heading, m))

    assert wrong == []


# -- spot checks on real files ---------------------------------------------------------


def section(checklist: Checklist, heading: str, occurrence: int = 0):
    return [s for s in checklist.sections if s.heading == heading][occurrence]


def test_zohocrm_webcrm_account_rows_exactly(corpus: Path) -> None:
    checklist = parse_file(corpus / "zohocrm-webcrm.rst")

    assert (checklist.title, checklist.generated) == (
        "ZohoCRM to WebCRM Dataflow",
        datetime(2024, 11, 13, 0, 0, 0),
    )
    account = section(checklist, "ZohoCRM Account to WebCRM Organisations")
    assert (account.kind, account.source.entity, account.target.entity) == (
        "sync",
        "Account",
        "Organisations",
    )
    assert [(p.source, p.target, p.data_type) for p in account.properties] == [
        ("Account_Name", "OrganisationName", "string"),
        ("Billing_City", "OrganisationCity", "string"),
        ("Billing_City", "OrganisationDeliveryCity", "string"),
        ("Billing_Code", "OrganisationDeliveryPostCode", "string"),
        ("Billing_Code", "OrganisationPostCode", "string"),
        ("Billing_State", "OrganisationDeliveryState", "string"),
        ("Created_Time", "OrganisationCompanyDescription", "string"),
        ("Phone", "OrganisationTelephone", "string"),
        ("Shipping_City", "OrganisationCity", "string"),
        ("Shipping_City", "OrganisationDeliveryCity", "string"),
        ("Shipping_Code", "OrganisationDeliveryPostCode", "string"),
        ("Shipping_Code", "OrganisationPostCode", "string"),
        ("Shipping_State", "OrganisationDeliveryState", "string"),
        ("id", "OrganisationId", "string"),
    ]
    assert {p.data_type_raw for p in account.properties} == {'"string"'}


def test_hubspot_superoffice_sync_with_merge_section(corpus: Path) -> None:
    checklist = parse_file(corpus / "hubspot-superoffice.rst")

    contact = section(checklist, "HubSpot Contact to SuperOffice Person")
    assert contact.kind == "merge"
    assert (
        contact.statement == "Every HubSpot Contact will be synchronized with a SuperOffice Person."
    )
    assert [(m.source, m.target) for m in contact.merge_criteria] == [
        ("properties.email", "Emails.Value")
    ]
    assert ("properties.email", "Emails.Value", "string") in [
        (p.source, p.target, p.data_type) for p in contact.properties
    ]
    assert ("properties.date_of_birth", "BirthDate", "n/a", "N/A") in [
        (p.source, p.target, p.data_type, p.data_type_raw) for p in contact.properties
    ]


@pytest.mark.parametrize("name", ["hubspot-squarespace.rst", "businesscentral-squarespace.rst"])
def test_a_blank_target_system_reads_as_empty_with_the_entity_kept(corpus: Path, name: str) -> None:
    checklist = parse_file(corpus / name)

    assert checklist.target_system == ""
    inventory = [s for s in checklist.sections if s.target.entity == "Inventory"]
    assert len(inventory) == 2  # the heading occurs twice in these documents
    assert {(s.target.system, s.target.entity) for s in inventory} == {("", "Inventory")}
    assert all(s.heading.endswith(" to  Inventory") for s in inventory)


def test_a_heading_occurring_twice_keeps_both_sections_rows(corpus: Path) -> None:
    checklist = parse_file(corpus / "businesscentral-squarespace.rst")

    first = section(checklist, "Business Central Items to  Inventory", 0)
    second = section(checklist, "Business Central Items to  Inventory", 1)
    assert first.properties == ()
    assert [(p.source, p.target, p.data_type) for p in second.properties] == [
        ("inventory", "quantity", "string")
    ]
    assert (second.source.system, second.source.entity) == ("Business Central", "Items")


def test_conditional_and_custom_statements_keep_their_odd_spacing(corpus: Path) -> None:
    tripletex = parse_file(corpus / "hubspot-tripletex.rst")
    deal = section(tripletex, "HubSpot Deal to Tripletex Order")
    assert deal.kind == "conditional"
    assert deal.statement == (
        "When a HubSpot Deal has a 100% probability of beeing sold, it  will be synchronized "
        "with a Tripletex Order."
    )

    bc = parse_file(corpus / "tripletex-businesscentral.rst")
    custom = section(bc, "Tripletex Customer to Business Central Customers (organisation data)")
    assert custom.kind == "custom"
    assert custom.statement == (
        "removed person customers for now until that pattern is resolved, it  will be "
        "synchronized with a Business Central Customers (organisation data)."
    )
    assert (custom.target.system, custom.target.entity) == (
        "Business Central",
        "Customers (organisation data)",
    )


def test_customerp_is_custom_erp_in_the_newest_version_and_customerp_in_the_seed(
    corpus: Path, seeds: Path
) -> None:
    newest = parse_file(corpus / "customerp-webcrm.rst")
    seed = parse_file(seeds / "customerp-webcrm.rst")

    assert (newest.source_system, newest.target_system) == ("Custom ERP", "WebCRM")
    assert (seed.source_system, seed.target_system) == ("Customerp", "Webcrm")
    assert [(str(s.source), str(s.target)) for s in newest.sections] == [
        ("Custom ERP Customer", "WebCRM Organisations"),
        ("Custom ERP Contact", "WebCRM Persons"),
        ("Custom ERP Product", "WebCRM Products"),
    ]
    assert [(s.source.system, s.target.system) for s in seed.sections] == [
        ("Customerp", "Webcrm")
    ] * 3


@pytest.mark.parametrize("name", ["customerp-webcrm.rst", "zohocrm-customerp.rst"])
def test_the_lf_seeds_parse_with_header_only_sync_sections(seeds: Path, name: str) -> None:
    assert b"\r" not in (seeds / name).read_bytes()

    checklist = parse_file(seeds / name)

    assert len(checklist.sections) == 3
    assert {s.kind for s in checklist.sections} == {"sync"}
    assert all(s.properties == () and s.merge_criteria == () for s in checklist.sections)
