"""The checklist parser on hand-made documents: the format, every quirk, every error.

Each document here is written the way Sesam writes checklists (see checklist_docs) or
the way older versions did, so these tests hold for versions not in the corpus.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from checklist_docs import (
    BEFORE,
    CONDITIONAL,
    ORGS,
    ZOHO,
    document,
    section,
    write,
    zoho_webcrm,
)

from talkqa.checklist import ChecklistError, parse_checklist, parse_file
from talkqa.checklist.model import DATA_TYPES


def rows_of(sec) -> list[tuple[str, str, str, str]]:
    return [(p.source, p.target, p.data_type, p.data_type_raw) for p in sec.properties]


def only_section(text: str):
    checklist = parse_checklist(text, "x.rst")
    assert len(checklist.sections) == 1
    return checklist.sections[0]


# -- the document ---------------------------------------------------------------


def test_title_names_the_source_and_target_systems_and_generated_is_a_datetime() -> None:
    checklist = parse_checklist(zoho_webcrm(), "zohocrm-webcrm.rst")

    assert checklist.title == "ZohoCRM to WebCRM Dataflow"
    assert (checklist.source_system, checklist.target_system) == ("ZohoCRM", "WebCRM")
    assert checklist.generated == datetime(2024, 9, 10, 15, 43, 43)
    assert [s.heading for s in checklist.sections] == [
        "ZohoCRM Account to WebCRM Organisations",
        "ZohoCRM Contact to WebCRM Persons",
        "ZohoCRM Deal to WebCRM Opportunities",
    ]


def test_the_introduction_is_not_a_section_also_when_titled_with_a_full_stop() -> None:
    text = document("ZohoCRM", "WebCRM", [section(ZOHO, ORGS)], intro="Introduction.")

    checklist = parse_checklist(text)

    assert [s.heading for s in checklist.sections] == ["ZohoCRM Account to WebCRM Organisations"]


def test_a_document_without_a_generated_line_still_reads_with_no_time() -> None:
    text = document(
        "ZohoCRM", "WebCRM", [section(ZOHO, ORGS, rows=[("id", "Id", '"string"')])], generated=None
    )

    checklist = parse_checklist(text)

    assert checklist.generated is None
    assert rows_of(checklist.sections[0]) == [("id", "Id", "string", '"string"')]


def test_crlf_and_lf_documents_read_the_same() -> None:
    lf = parse_checklist(zoho_webcrm(), "a.rst")
    crlf = parse_checklist(zoho_webcrm().replace("\n", "\r\n"), "a.rst")

    assert crlf == lf
    assert all("\r" not in s.statement for s in crlf.sections)


# -- section sides ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (("ZohoCRM", "Account"), ("WebCRM", "Organisations")),
        (("Custom ERP", "Customer"), ("PowerOffice GO", "Salesorders")),
        (("Business Central", "Items"), ("Exact Online", "Items")),
        (("Customerp", "Customer"), ("Webcrm", "Organisations")),
        (("Tripletex", "Customer"), ("Business Central", "Customers (organisation data)")),
    ],
)
def test_section_sides_split_into_system_and_entity_when_names_have_spaces(
    source: tuple[str, str], target: tuple[str, str]
) -> None:
    text = document(source[0], target[0], [section(source, target, rows=[("a", "b", '"string"')])])

    sec = only_section(text)

    assert (sec.source.system, sec.source.entity) == source
    assert (sec.target.system, sec.target.entity) == target


def test_a_blank_system_name_gives_an_empty_system_and_keeps_the_entity() -> None:
    text = document(
        "Business Central",
        "",
        [
            section(
                ("Business Central", "Items"),
                ("", "Inventory"),
                rows=[("inventory", "quantity", '"string"')],
            )
        ],
    )

    checklist = parse_checklist(text)

    sec = checklist.sections[0]
    assert checklist.target_system == ""
    assert sec.heading == "Business Central Items to  Inventory"
    assert (sec.target.system, sec.target.entity) == ("", "Inventory")
    assert (sec.source.system, sec.source.entity) == ("Business Central", "Items")
    assert rows_of(sec) == [("inventory", "quantity", "string", '"string"')]


# -- kinds and statements ----------------------------------------------------------

TRIPLETEX_ODD = (
    "When a Tripletex Deal gets the has a 100% probability., it  will be synchronized with a "
    "WebCRM Opportunities."
)
PRELIMINARY = (
    "preliminary mapping until we can sort out suppliers. This removes all supplier products "
    "for now, it  will be synchronized with a WebCRM Organisations."
)


@pytest.mark.parametrize(
    ("statement", "merge", "kind"),
    [
        (None, None, "sync"),
        (CONDITIONAL, None, "conditional"),
        (TRIPLETEX_ODD, None, "conditional"),
        (PRELIMINARY, None, "custom"),
        (BEFORE, None, "custom"),
        (BEFORE, [("Email", "PersonEmail")], "merge"),
        (None, [("Email", "PersonEmail")], "merge"),
        (CONDITIONAL, [("Email", "PersonEmail")], "merge"),
    ],
    ids=[
        "every-is-sync",
        "when-is-conditional",
        "odd-tripletex-when-is-conditional",
        "free-text-is-custom",
        "before-without-criteria-is-custom",
        "before-with-criteria-is-merge",
        "every-with-criteria-is-merge",
        "when-with-criteria-is-merge",
    ],
)
def test_kind_is_merge_when_criteria_are_stated_else_the_opening_sentence_decides(
    statement: str | None, merge: list[tuple[str, str]] | None, kind: str
) -> None:
    text = document("ZohoCRM", "WebCRM", [section(ZOHO, ORGS, statement=statement, merge=merge)])

    sec = only_section(text)

    assert sec.kind == kind
    expected = (
        statement or "Every ZohoCRM Account will be synchronized with a WebCRM Organisations."
    )
    assert sec.statement == expected  # as written: odd grammar and double spaces kept


def test_merge_criteria_are_read_from_their_two_column_table_apart_from_the_properties() -> None:
    text = document(
        "HubSpot",
        "SuperOffice",
        [
            section(
                ("HubSpot", "Contact"),
                ("SuperOffice", "Person"),
                merge=[("properties.email", "Emails.Value"), ("properties.phone", "Phones.Value")],
                rows=[("properties.email", "Emails.Value", '"string"')],
            )
        ],
    )

    sec = only_section(text)

    assert [(m.source, m.target) for m in sec.merge_criteria] == [
        ("properties.email", "Emails.Value"),
        ("properties.phone", "Phones.Value"),
    ]
    assert rows_of(sec) == [("properties.email", "Emails.Value", "string", '"string"')]


# -- property rows -----------------------------------------------------------------


def test_property_rows_keep_document_order_with_the_type_normalised_and_as_written() -> None:
    rows = [
        ("Account_Name", "OrganisationName", '"string"'),
        ("Employees", "OrganisationEmployees", '"integer"'),
        ("Annual_Revenue", "OrganisationRevenue", '"float"'),
        ("Amount", "OrganisationAmount", '"decimal"'),
        ("Active", "OrganisationActive", '"boolean"'),
        ("Tag", "OrganisationTags", '"list"'),
        ("Owner", "OrganisationOwner", "N/A"),
    ]
    text = document("ZohoCRM", "WebCRM", [section(ZOHO, ORGS, rows=rows)])

    sec = only_section(text)

    assert rows_of(sec) == [
        ("Account_Name", "OrganisationName", "string", '"string"'),
        ("Employees", "OrganisationEmployees", "integer", '"integer"'),
        ("Annual_Revenue", "OrganisationRevenue", "float", '"float"'),
        ("Amount", "OrganisationAmount", "decimal", '"decimal"'),
        ("Active", "OrganisationActive", "boolean", '"boolean"'),
        ("Tag", "OrganisationTags", "list", '"list"'),
        ("Owner", "OrganisationOwner", "n/a", "N/A"),
    ]


@pytest.mark.parametrize(
    "fragment",
    [
        '"datetime-format","%Y-%m-%d","_."]',
        '["decimal", "_."]',
        '["concat", "_.Billing_Street", " ", "_.Billing_City"]',
    ],
)
def test_a_transformation_fragment_in_the_type_column_is_an_expression_kept_as_written(
    fragment: str,
) -> None:
    text = document(
        "ZohoCRM", "WebCRM", [section(ZOHO, ORGS, rows=[("Created", "Date", fragment)])]
    )

    sec = only_section(text)

    assert rows_of(sec) == [("Created", "Date", "expression", fragment)]
    assert all(p.data_type in DATA_TYPES for p in sec.properties)


def test_tabs_and_trailing_spaces_around_property_names_are_stripped() -> None:
    rows = [("Name\t", "OrganisationName \t", '"string"\t'), ("id  ", "\tOrganisationId", "N/A ")]
    text = document("ZohoCRM", "WebCRM", [section(ZOHO, ORGS, rows=rows)])

    sec = only_section(text)

    assert rows_of(sec) == [
        ("Name", "OrganisationName", "string", '"string"'),
        ("id", "OrganisationId", "n/a", "N/A"),
    ]


def test_dotted_paths_and_one_source_to_several_targets_are_separate_rows() -> None:
    rows = [
        ("Account_Name.id", "OrganisationName", '"string"'),
        ("Billing_City", "OrganisationCity", '"string"'),
        ("Billing_City", "OrganisationDeliveryCity", '"string"'),
        ("Shipping_City", "OrganisationCity", '"string"'),
        ("default_address.city", "properties.city", '"string"'),
    ]
    text = document("ZohoCRM", "WebCRM", [section(ZOHO, ORGS, rows=rows)])

    sec = only_section(text)

    assert [(p.source, p.target) for p in sec.properties] == [(s, t) for s, t, _ in rows]


def test_a_header_only_table_has_no_rows() -> None:
    text = document(
        "Customerp", "Webcrm", [section(("Customerp", "Customer"), ("Webcrm", "Organisations"))]
    )

    sec = only_section(text)

    assert sec.kind == "sync"
    assert sec.properties == ()
    assert sec.merge_criteria == ()


def test_a_two_column_property_table_reads_its_rows_with_no_data_type() -> None:
    rows = [("Account_Name", "OrganisationName"), ("id", "OrganisationId")]
    text = document("ZohoCRM", "WebCRM", [section(ZOHO, ORGS, rows=rows, two_columns=True)])

    sec = only_section(text)

    assert [(p.source, p.target, p.data_type) for p in sec.properties] == [
        ("Account_Name", "OrganisationName", "n/a"),
        ("id", "OrganisationId", "n/a"),
    ]
    assert sec.merge_criteria == ()


def test_a_wrapped_cell_continues_on_the_next_indented_line() -> None:
    text = document("ZohoCRM", "WebCRM", [section(ZOHO, ORGS)]).replace(
        "     - WebCRM Data Type\n",
        "     - WebCRM Data Type\n"
        "   * - Created_Time\n"
        "     - OrganisationCreated\n"
        '     - ["datetime-format",\n'
        '       "%Y-%m-%d", "_."]\n'
        "   * - Description_of_the\n"
        "       account\n"
        "     - OrganisationCompanyDescription\n"
        '     - "string"\n',
    )

    sec = only_section(text)

    assert rows_of(sec) == [
        (
            "Created_Time",
            "OrganisationCreated",
            "expression",
            '["datetime-format", "%Y-%m-%d", "_."]',
        ),
        ("Description_of_the account", "OrganisationCompanyDescription", "string", '"string"'),
    ]


def test_a_heading_occurring_twice_gives_two_sections_each_with_its_own_rows() -> None:
    side = ("Business Central", "Items"), ("", "Inventory")
    text = document(
        "Business Central",
        "",
        [section(*side), section(*side, rows=[("inventory", "quantity", '"string"')])],
    )

    checklist = parse_checklist(text)

    assert [s.heading for s in checklist.sections] == ["Business Central Items to  Inventory"] * 2
    assert [rows_of(s) for s in checklist.sections] == [
        [],
        [("inventory", "quantity", "string", '"string"')],
    ]


# -- documents that are not checklists ------------------------------------------------

TITLE = "==========================\nZohoCRM to WebCRM Dataflow\n==========================\n\n"
SECTION_START = (
    "A Thing to B Item\n-----------------\nEvery A Thing will be synchronized with a B Item.\n\n"
)


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("", 1, "expected a Sesam Talk QA checklist"),
        ("# ZohoCRM to WebCRM\n\nA *markdown* file.\n", 1, "'<Source> to <Target> Dataflow'"),
        (
            "=====\nHello\n=====\n\nGenerated: 2024-01-01 00:00:00\n",
            2,
            "'<Source> to <Target> Dataflow'",
        ),
        (TITLE + "Generated: yesterday\n", 5, "expected a date"),
        (
            TITLE + SECTION_START + ".. list-table::\n   :header-rows: 1\n\n"
            "   * - A Thing Property\n     - B Item Property\n     - B Data Type\n"
            "   * - name\n     - title\n",
            15,
            "expected 3",
        ),
        (
            TITLE
            + SECTION_START
            + "A A Thing will merge with a B Item if one of the following property combinations "
            "match:\n\n.. list-table::\n   :header-rows: 1\n\n"
            "   * - A Thing Property\n     - B Item Property\n   * - email\n",
            16,
            "expected 2",
        ),
    ],
    ids=[
        "empty",
        "markdown",
        "title-without-to-dataflow",
        "unreadable-generated",
        "property-row-missing-a-cell",
        "merge-row-missing-a-cell",
    ],
)
def test_a_document_that_is_not_a_checklist_is_an_error_naming_the_line_and_what_was_expected(
    text: str, line: int, expected: str
) -> None:
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(text, "bad.rst")

    err = caught.value
    assert (err.path, err.line) == ("bad.rst", line)
    assert expected in err.message
    assert str(err).startswith(f"bad.rst:{line}: ")


def test_a_file_that_is_not_utf8_is_an_error_naming_the_line_of_the_bad_byte(
    tmp_path: Path,
) -> None:
    path = tmp_path / "latin1.rst"
    path.write_bytes(zoho_webcrm().replace("Organisations.", "Organisasjonær.").encode("latin-1"))
    bad_line = (
        zoho_webcrm()
        .split("\n")
        .index("Every ZohoCRM Account will be synchronized with a WebCRM Organisations.")
        + 1
    )

    with pytest.raises(ChecklistError) as caught:
        parse_file(path)

    assert (caught.value.path, caught.value.line) == (str(path), bad_line)
    assert "UTF-8" in caught.value.message


def test_parse_file_reads_crlf_bytes_as_written(tmp_path: Path) -> None:
    path = write(tmp_path / "zohocrm-webcrm.rst", zoho_webcrm().replace("\n", "\r\n"))

    checklist = parse_file(path)

    assert checklist.path == str(path)
    assert checklist.sections[0].properties[0].source == "Account_Name"
    assert checklist.sections[2].statement == CONDITIONAL
