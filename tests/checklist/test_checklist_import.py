"""`talkqa import`: checklists become features, and re-imports never lose QA's work.

Features are read back with gherkin-official (the parser pytest-bdd uses), not with
talkqa's own reader, so these tests see what pytest-bdd will see.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path
from typing import Any

import pytest
from checklist_docs import (
    ACCOUNT_ROWS,
    BEFORE,
    CONDITIONAL,
    document,
    section,
    write,
    zoho_webcrm,
)
from gherkin.parser import Parser

from talkqa.cli import main

DATAFLOW = "zohocrm-webcrm"
ACCOUNT = "zohocrm-account-to-webcrm-organisations.feature"
CONTACT = "zohocrm-contact-to-webcrm-persons.feature"
DEAL = "zohocrm-deal-to-webcrm-opportunities.feature"
NEW_STATEMENT = "Every ZohoCRM Account will always be synchronized with a WebCRM Organisations."
V2_ROWS = [
    ("Account_Name", "OrganisationName", '"string"'),
    ("Billing_City", "OrganisationCity", '"string"'),
    ("Billing_City", "OrganisationDeliveryCity", '"string"'),
    ("Phone", "OrganisationTelephone", '"string"'),  # added
    ("id", "OrganisationId", '"integer"'),  # type changed
]


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def gherkin(path: Path) -> dict[str, Any]:
    """The feature as pytest-bdd's parser reads it; fails on invalid Gherkin."""
    return Parser().parse(path.read_text("utf-8"))["feature"]


def items(path: Path) -> dict[str, dict[str, Any]]:
    """Scenarios by their `@item:` tag; an item tagged twice fails."""
    found: dict[str, dict[str, Any]] = {}
    for child in gherkin(path)["children"]:
        scenario = child.get("scenario")
        for tag in (t["name"] for t in (scenario or {}).get("tags", [])):
            if tag.startswith("@item:"):
                assert tag not in found, f"{tag} twice in {path}"
                found[tag.removeprefix("@item:")] = scenario
    return found


def examples(path: Path, name: str) -> list[tuple[str, ...]]:
    """The body rows of the `Examples: <name>` tables, in file order."""
    rows = []
    for scenario in items(path).values():
        for ex in scenario.get("examples", []):
            if ex["name"] == name:
                assert [c["value"] for c in ex["tableHeader"]["cells"]][:2] == ["source", "target"]
                rows += [tuple(c["value"] for c in r["cells"]) for r in ex["tableBody"]]
    return rows


def statement(path: Path) -> str:
    lines = [line.strip() for line in gherkin(path)["description"].splitlines()]
    (found,) = [line.removeprefix("Statement: ") for line in lines if line.startswith("Statement:")]
    return found


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def changes(before: dict[str, bytes], after: dict[str, bytes]) -> dict[str, list[str]]:
    """A readable diff of two trees: file -> its unified diff (empty when identical)."""
    found = {}
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name, b""), after.get(name, b"")
        if old != new:
            found[name] = list(
                difflib.unified_diff(
                    old.decode("utf-8", "replace").splitlines(),
                    new.decode("utf-8", "replace").splitlines(),
                    lineterm="",
                    n=0,
                )
            )[2:]
    return found


@pytest.fixture
def imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The ZohoCRM -> WebCRM checklist imported into tmp_path/features; returns tmp_path."""
    source = write(tmp_path / "in" / f"{DATAFLOW}.rst", zoho_webcrm())
    status, _, err = run(
        capsys,
        "import",
        source,
        "--features",
        tmp_path / "features",
        "--checklists",
        tmp_path / "checklists",
    )
    assert (status, err) == (0, "")
    return tmp_path


def reimport(
    root: Path, capsys: pytest.CaptureFixture[str], text: str, *extra: str
) -> tuple[int, str, str]:
    source = write(root / "in2" / f"{DATAFLOW}.rst", text)
    return run(
        capsys,
        "import",
        source,
        "--features",
        root / "features",
        "--checklists",
        root / "checklists",
        *extra,
    )


def v2() -> str:
    return zoho_webcrm(account_statement=NEW_STATEMENT, account_rows=V2_ROWS)


# -- what a fresh import writes ---------------------------------------------------------


def test_import_writes_one_feature_per_section_in_the_dataflow_folder(imported: Path) -> None:
    features = imported / "features"

    assert sorted(p.relative_to(features).as_posix() for p in features.rglob("*.feature")) == [
        f"{DATAFLOW}/{name}" for name in sorted([ACCOUNT, CONTACT, DEAL])
    ]


def test_each_feature_names_the_dataflow_and_states_its_statement_as_written(
    imported: Path,
) -> None:
    folder = imported / "features" / DATAFLOW

    account, deal = gherkin(folder / ACCOUNT), gherkin(folder / DEAL)
    assert "ZohoCRM to WebCRM Dataflow" in account["name"]
    assert "ZohoCRM Account to WebCRM Organisations" in account["name"]
    assert statement(folder / ACCOUNT) == (
        "Every ZohoCRM Account will be synchronized with a WebCRM Organisations."
    )
    assert "ZohoCRM Deal to WebCRM Opportunities" in deal["name"]
    assert statement(folder / DEAL) == CONDITIONAL  # double space and all
    assert statement(folder / CONTACT) == BEFORE


@pytest.mark.parametrize(
    ("feature", "wanted", "unwanted"),
    [
        (ACCOUNT, {"created", "source-edit", "target-edit", "properties"}, {"merge"}),
        (
            DEAL,
            {"condition-met", "condition-not-met", "source-edit", "target-edit", "properties"},
            {"created", "merge"},
        ),
        (CONTACT, {"merge", "source-edit", "target-edit", "properties"}, {"condition-met"}),
    ],
    ids=["sync", "conditional", "merge"],
)
def test_each_checklist_item_is_one_tagged_scenario(
    imported: Path, feature: str, wanted: set[str], unwanted: set[str]
) -> None:
    found = set(items(imported / "features" / DATAFLOW / feature))

    assert wanted <= found
    assert not unwanted & found


def test_a_sync_section_with_merge_criteria_has_both_created_and_merge_scenarios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contact = section(("HubSpot", "Contact"), ("SuperOffice", "Person"), merge=[("a", "b")])
    source = write(
        tmp_path / "hubspot-superoffice.rst", document("HubSpot", "SuperOffice", [contact])
    )

    run(capsys, "import", source, "--features", tmp_path / "f", "--checklists", tmp_path / "c")

    feature = (
        tmp_path / "f" / "hubspot-superoffice" / "hubspot-contact-to-superoffice-person.feature"
    )
    assert {"created", "merge", "source-edit", "target-edit", "properties"} <= set(items(feature))


def test_the_properties_outline_lists_the_checklist_rows_with_their_data_types(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        *ACCOUNT_ROWS,
        ("Owner.id", "OrganisationOwner", "N/A"),
        ("Created_Time", "OrganisationCreated", '"datetime-format","%Y-%m-%d","_."]'),
        ("Employees", "OrganisationEmployees", '["decimal", "_."]'),
        ("Tag", "OrganisationTags", '["split", "\\n", "_."]'),
    ]
    source = write(tmp_path / f"{DATAFLOW}.rst", zoho_webcrm(account_rows=rows))

    run(capsys, "import", source, "--features", tmp_path / "f", "--checklists", tmp_path / "c")

    assert examples(tmp_path / "f" / DATAFLOW / ACCOUNT, "Properties") == [
        ("Account_Name", "OrganisationName", "string"),
        ("Billing_City", "OrganisationCity", "string"),
        ("Billing_City", "OrganisationDeliveryCity", "string"),
        ("id", "OrganisationId", "string"),
        ("Owner.id", "OrganisationOwner", "n/a"),
        ("Created_Time", "OrganisationCreated", '"datetime-format","%Y-%m-%d","_."]'),
        ("Employees", "OrganisationEmployees", '["decimal", "_."]'),
        ("Tag", "OrganisationTags", '["split", "\\n", "_."]'),
    ]


def test_a_merge_section_lists_its_criteria_as_merge_criteria_examples(imported: Path) -> None:
    feature = imported / "features" / DATAFLOW / CONTACT

    assert examples(feature, "Merge criteria") == [("Email", "PersonEmail")]
    assert examples(feature, "Properties") == [
        ("Email", "PersonEmail", "string"),
        ("Phone", "PersonPhone", "n/a"),
    ]


def test_a_header_only_table_gives_a_properties_outline_with_no_rows(imported: Path) -> None:
    feature = imported / "features" / DATAFLOW / DEAL

    assert "properties" in items(feature)
    assert examples(feature, "Properties") == []


def test_a_heading_occurring_twice_gets_two_features(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, _ = run(
        capsys,
        "import",
        corpus / "businesscentral-squarespace.rst",
        "--features",
        tmp_path / "f",
        "--checklists",
        tmp_path / "c",
    )

    folder = tmp_path / "f" / "businesscentral-squarespace"
    first = folder / "business-central-items-to-inventory.feature"
    second = folder / "business-central-items-to-inventory-2.feature"
    assert status == 0
    assert examples(first, "Properties") == []
    assert examples(second, "Properties") == [("inventory", "quantity", "string")]


def test_two_imports_into_different_folders_are_byte_identical(
    corpus: Path, seeds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = [
        write(tmp_path / "in" / f"{DATAFLOW}.rst", zoho_webcrm()),
        seeds / "customerp-webcrm.rst",
        corpus / "hubspot-superoffice.rst",
        corpus / "tripletex-businesscentral.rst",
    ]

    for name in ("one", "two"):
        status, _, _ = run(
            capsys,
            "import",
            *inputs,
            "--features",
            tmp_path / name / "f",
            "--checklists",
            tmp_path / name / "c",
        )
        assert status == 0

    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert len(one) > 20
    assert changes(one, two) == {}


# -- re-importing ------------------------------------------------------------------------


def same_pair_two_types() -> str:
    rows = [("Account_Name", "OrganisationName", '"string"'), ("id", "OrganisationId", '"string"')]
    rows.append(("id", "OrganisationId", '"integer"'))
    return zoho_webcrm(account_rows=rows)


def quirks() -> str:
    rows = [
        ("Name\t", "OrganisationName", '"string"'),
        ("a|b", 'say "hi"', '"string"'),
        ("back\\slash", "<angle>", '["decimal", "_."]'),
        ("Created", "Date", '"datetime-format","%Y-%m-%d","_."]'),
    ]
    return zoho_webcrm(account_rows=rows).replace(
        "Introduction\n------------", "Introduction.\n-------------"
    )


REIMPORTED = {
    "hand-made": lambda _c, _s: zoho_webcrm(),
    "quirks": lambda _c, _s: quirks(),
    "seed": lambda _c, s: (s / "zohocrm-customerp.rst").read_text(),
    "zohocrm-webcrm": lambda c, _s: (c / "zohocrm-webcrm.rst").read_text(),
    "hubspot-superoffice": lambda c, _s: (c / "hubspot-superoffice.rst").read_text(),
    "tripletex-businesscentral": lambda c, _s: (c / "tripletex-businesscentral.rst").read_text(),
    "blank-system": lambda c, _s: (c / "businesscentral-squarespace.rst").read_text(),
    "same-pair-two-types": lambda _c, _s: same_pair_two_types(),
}


@pytest.mark.parametrize("case", REIMPORTED)
def test_reimporting_an_unchanged_checklist_changes_no_byte(
    corpus: Path, seeds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    source = write(tmp_path / "x-y.rst", REIMPORTED[case](corpus, seeds))
    args = ["import", source, "--features", tmp_path / "f", "--checklists", tmp_path / "c"]
    run(capsys, *args)
    before = tree(tmp_path / "f")

    status, out, _ = run(capsys, *args)

    assert status == 0
    assert changes(before, tree(tmp_path / "f")) == {}
    assert "0 created, 0 updated" in out


def test_reimporting_a_changed_checklist_updates_statement_rows_and_types(
    imported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = reimport(imported, capsys, v2(), "--replace")

    feature = imported / "features" / DATAFLOW / ACCOUNT
    assert (status, err) == (0, "")
    assert statement(feature) == NEW_STATEMENT
    rows = examples(feature, "Properties")
    assert ("Phone", "OrganisationTelephone", "string") in rows
    assert ("id", "OrganisationId", "integer") in rows
    assert ("id", "OrganisationId", "string") not in rows


def add_examples_row(text: str) -> str:
    row = "      | id           | OrganisationId           | string    |\n"
    assert row in text
    return text.replace(row, row + "      | Website | OrganisationWww | string |\n")


def add_step(text: str) -> str:
    step = "    Then the WebCRM Organisations shows the edit\n"
    return text.replace(step, step + "    And the change is in the WebCRM audit log\n", 1)


def add_comment(text: str) -> str:
    step = "    Given a new ZohoCRM Account\n"
    return text.replace(step, "    # QA: needs a sandbox tenant with an owner\n" + step)


def add_scenario(text: str) -> str:
    return text + (
        "\n  @qa\n"
        "  Scenario: A deleted ZohoCRM Account leaves the WebCRM Organisations alone\n"
        "    Given a ZohoCRM Account linked with a WebCRM Organisations\n"
        "    When the ZohoCRM Account is deleted\n"
        "    Then the WebCRM Organisations still exists\n"
    )


def edit_steps(text: str) -> str:
    step = "    Given a new ZohoCRM Account\n"
    assert step in text
    return text.replace(step, "    Given a new ZohoCRM Account with a name and a phone number\n")


QA_EDITS = {
    "examples-row": (add_examples_row, "| Website | OrganisationWww | string |"),
    "step": (add_step, "    And the change is in the WebCRM audit log"),
    "comment": (add_comment, "    # QA: needs a sandbox tenant with an owner"),
    "scenario": (add_scenario, "  Scenario: A deleted ZohoCRM Account leaves the WebCRM"),
    "edited-step": (edit_steps, "    Given a new ZohoCRM Account with a name and a phone number"),
}


@pytest.mark.parametrize("edit", QA_EDITS)
def test_reimporting_a_changed_checklist_keeps_what_qa_wrote(
    imported: Path, capsys: pytest.CaptureFixture[str], edit: str
) -> None:
    change, kept = QA_EDITS[edit]
    feature = imported / "features" / DATAFLOW / ACCOUNT
    feature.write_text(change(feature.read_text()))
    qa_lines = [
        line for line in feature.read_text().splitlines() if not line.startswith("  Statement:")
    ]

    status, _, _ = reimport(imported, capsys, v2(), "--replace")

    text = feature.read_text()
    assert status == 0
    assert kept in text
    missing = [line for line in qa_lines if line not in text.splitlines()]
    # Only the checklist's own lines may change: the type of the `id` row.
    assert missing == ["      | id           | OrganisationId           | string    |"]
    assert statement(feature) == NEW_STATEMENT
    assert ("Phone", "OrganisationTelephone", "string") in examples(feature, "Properties")


def test_qa_rows_in_a_header_only_table_stay_when_the_checklist_adds_rows(
    imported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feature = imported / "features" / DATAFLOW / DEAL
    header = "      | source | target | data type |\n"
    text = feature.read_text()
    assert header in text
    feature.write_text(text.replace(header, header + "      | Amount | Value | float |\n"))

    status, _, _ = reimport(
        imported, capsys, zoho_webcrm(deal_rows=[("Deal_Name", "Title", '"string"')]), "--replace"
    )

    assert status == 0
    assert examples(feature, "Properties") == [
        ("Amount", "Value", "float"),
        ("Deal_Name", "Title", "string"),
    ]


def test_an_examples_column_added_by_qa_survives_a_row_and_type_change(
    imported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feature = imported / "features" / DATAFLOW / ACCOUNT
    text = feature.read_text()
    text = text.replace("| data type |\n", "| data type | example |\n")
    text = text.replace("| string    |\n", "| string    | x       |\n")
    feature.write_text(text)

    status, _, _ = reimport(imported, capsys, v2(), "--replace")

    assert status == 0
    rows = examples(feature, "Properties")  # still valid Gherkin
    assert ("id", "OrganisationId", "integer", "x") in rows
    assert all(len(row) == 4 for row in rows)


def test_qa_rows_survive_the_customerp_to_custom_erp_rename(
    corpus: Path, seeds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The seeds say `Customerp`, their newest version `Custom ERP`: the same sections."""
    args = ["--features", tmp_path / "f", "--checklists", tmp_path / "c"]
    run(capsys, "import", seeds / "zohocrm-customerp.rst", *args)
    folder = tmp_path / "f" / "zohocrm-customerp"
    (old,) = [p for p in folder.glob("*.feature") if "account" in p.name]
    header = "      | source | target | data type |\n"
    old.write_text(
        old.read_text().replace(header, header + "      | Account_Name | name | string |\n")
    )

    status, _, _ = run(capsys, "import", corpus / "zohocrm-customerp.rst", "--replace", *args)

    assert status == 0
    new_statement = "Every ZohoCRM Account will be synchronized with a Custom ERP Customer."
    current = [p for p in folder.glob("*.feature") if statement(p) == new_statement]
    assert current, "no feature states the renamed section"
    assert all(("Account_Name", "name", "string") in examples(p, "Properties") for p in current)


# -- the checklist copy --------------------------------------------------------------------


def test_the_checklist_is_copied_into_the_checklists_folder_as_received(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = corpus / "zohocrm-webcrm.rst"

    run(capsys, "import", source, "--features", tmp_path / "f", "--checklists", tmp_path / "c")

    assert (tmp_path / "c" / "zohocrm-webcrm.rst").read_bytes() == source.read_bytes()  # CRLF


def test_an_identical_existing_copy_is_fine(
    imported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = reimport(imported, capsys, zoho_webcrm())

    assert (status, err) == (0, "")


def test_a_different_existing_copy_is_kept_without_replace(
    imported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = (imported / "checklists" / f"{DATAFLOW}.rst").read_bytes()
    features = tree(imported / "features")

    status, _, err = reimport(imported, capsys, v2())

    assert status != 0
    assert "--replace" in err
    assert f"{DATAFLOW}.rst" in err
    assert (imported / "checklists" / f"{DATAFLOW}.rst").read_bytes() == kept
    assert changes(features, tree(imported / "features")) == {}


def test_replace_replaces_the_copy_and_updates_the_features(
    imported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, _ = reimport(imported, capsys, v2(), "--replace")

    assert status == 0
    assert (imported / "checklists" / f"{DATAFLOW}.rst").read_text() == v2()
    assert statement(imported / "features" / DATAFLOW / ACCOUNT) == NEW_STATEMENT


# -- bad input ------------------------------------------------------------------------------


def test_a_file_that_is_not_a_checklist_is_reported_and_the_others_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "in" / "notes.md"
    bad.parent.mkdir()
    bad.write_text("# Notes\n")
    good = write(tmp_path / "in" / f"{DATAFLOW}.rst", zoho_webcrm())

    status, _, err = run(
        capsys, "import", bad, good, "--features", tmp_path / "f", "--checklists", tmp_path / "c"
    )

    assert status == 2
    assert err.count("\n") == 1
    assert f"{bad}:1:" in err
    assert (tmp_path / "f" / DATAFLOW / ACCOUNT).exists()
    assert not (tmp_path / "c" / "notes.md").exists()


def test_a_feature_saved_in_another_encoding_is_reported_not_a_traceback(
    imported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feature = imported / "features" / DATAFLOW / ACCOUNT
    feature.write_bytes(feature.read_bytes() + "  # Merknad: blå konto\n".encode("latin-1"))

    status, _, err = reimport(imported, capsys, zoho_webcrm())

    assert status == 2
    assert str(feature) in err
    assert (imported / "features" / DATAFLOW / CONTACT).exists()


def test_import_without_any_checklist_folder_creates_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seeds: Path
) -> None:
    shutil.copy(seeds / "customerp-webcrm.rst", tmp_path / "customerp-webcrm.rst")

    status, out, _ = run(
        capsys,
        "import",
        tmp_path / "customerp-webcrm.rst",
        "--features",
        tmp_path / "deep" / "features",
        "--checklists",
        tmp_path / "deep" / "checklists",
    )

    assert status == 0
    assert "3 created" in out
    assert (tmp_path / "deep" / "checklists" / "customerp-webcrm.rst").exists()
