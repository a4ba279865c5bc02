"""`talkqa check`: differences between checklists/ and features/ fail, QA additions don't."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from checklist_docs import write, zoho_webcrm

from talkqa.cli import main

DATAFLOW = "zohocrm-webcrm"
ACCOUNT = "zohocrm-account-to-webcrm-organisations.feature"
CONTACT = "zohocrm-contact-to-webcrm-persons.feature"
DEAL = "zohocrm-deal-to-webcrm-opportunities.feature"


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the first line of `path` containing `text`."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.fixture
def root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """checklists/ with the ZohoCRM -> WebCRM checklist and features/ freshly imported."""
    source = write(tmp_path / "checklists" / f"{DATAFLOW}.rst", zoho_webcrm())
    status, _, _ = run(
        capsys,
        "import",
        source,
        "--features",
        tmp_path / "features",
        "--checklists",
        tmp_path / "checklists",
    )
    assert status == 0
    return tmp_path


def check(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run(
        capsys, "check", "--checklists", root / "checklists", "--features", root / "features"
    )


def differences(out: str) -> list[str]:
    return [
        line.removeprefix("differs: ") for line in out.splitlines() if line.startswith("differs: ")
    ]


def additions(out: str) -> list[str]:
    return [line.removeprefix("added: ") for line in out.splitlines() if line.startswith("added: ")]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_freshly_imported_features_are_in_step(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = check(root, capsys)

    assert status == 0
    assert differences(out) == []


@pytest.mark.parametrize(
    "documents",
    [
        ["seeds/customerp-webcrm.rst", "seeds/zohocrm-customerp.rst"],
        [
            "corpus/zohocrm-webcrm.rst",
            "corpus/hubspot-superoffice.rst",
            "corpus/businesscentral-squarespace.rst",
            "corpus/tripletex-businesscentral.rst",
        ],
    ],
    ids=["seeds", "corpus-sample"],
)
def test_freshly_imported_real_checklists_are_in_step(
    corpus: Path,
    seeds: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    documents: list[str],
) -> None:
    places = {"seeds": seeds, "corpus": corpus}
    paths = [places[d.split("/")[0]] / d.split("/")[1] for d in documents]
    args = ["--features", tmp_path / "f", "--checklists", tmp_path / "c"]
    run(capsys, "import", *paths, *args)

    status, out, _ = run(capsys, "check", *args)

    assert (status, differences(out)) == (0, [])


def test_a_checklist_listing_one_pair_with_two_types_is_in_step_after_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [("id", "OrganisationId", '"string"'), ("id", "OrganisationId", '"integer"')]
    write(tmp_path / "checklists" / f"{DATAFLOW}.rst", zoho_webcrm(account_rows=rows))
    args = ["--features", tmp_path / "features", "--checklists", tmp_path / "checklists"]
    run(capsys, "import", tmp_path / "checklists" / f"{DATAFLOW}.rst", *args)

    status, out, _ = run(capsys, "check", *args)

    assert (status, differences(out)) == (0, [])


# -- each kind of difference: exit 1, listed with file and line ----------------------


def change_statement(root: Path) -> tuple[str, int, str]:
    feature = root / "features" / DATAFLOW / ACCOUNT
    edit(feature, "will be synchronized", "will sometimes be synchronized")
    return str(feature), line_of(feature, "Statement:"), "statement"


def remove_feature(root: Path) -> tuple[str, int, str]:
    (root / "features" / DATAFLOW / DEAL).unlink()
    checklist = root / "checklists" / f"{DATAFLOW}.rst"
    return str(checklist), line_of(checklist, "ZohoCRM Deal to WebCRM Opportunities"), DEAL


def remove_property_row(root: Path) -> tuple[str, int, str]:
    feature = root / "features" / DATAFLOW / ACCOUNT
    edit(feature, "      | Billing_City | OrganisationDeliveryCity | string    |\n", "")
    return str(feature), line_of(feature, "Examples: Properties"), "OrganisationDeliveryCity"


def remove_merge_criterion(root: Path) -> tuple[str, int, str]:
    feature = root / "features" / DATAFLOW / CONTACT
    edit(feature, "      | Email  | PersonEmail |\n", "")
    return str(feature), line_of(feature, "Examples: Merge criteria"), "PersonEmail"


def change_data_type(root: Path) -> tuple[str, int, str]:
    feature = root / "features" / DATAFLOW / ACCOUNT
    edit(
        feature,
        "| OrganisationId           | string    |",
        "| OrganisationId           | integer   |",
    )
    return str(feature), line_of(feature, "| OrganisationId "), "integer"


def remove_scenario_tag(root: Path) -> tuple[str, int, str]:
    feature = root / "features" / DATAFLOW / ACCOUNT
    edit(feature, "  @item:target-edit\n", "")
    return str(feature), line_of(feature, "Feature:"), "target-edit"


def remove_conditional_scenario(root: Path) -> tuple[str, int, str]:
    feature = root / "features" / DATAFLOW / DEAL
    text = feature.read_text()
    start = text.index("  @item:condition-not-met\n")
    end = text.index("  @item:", start + 1)
    feature.write_text(text[:start] + text[end:])
    return str(feature), line_of(feature, "Feature:"), "condition-not-met"


DIFFERENCES: dict[str, Callable[[Path], tuple[str, int, str]]] = {
    "statement-differs": change_statement,
    "section-without-feature": remove_feature,
    "property-row-missing": remove_property_row,
    "merge-criterion-missing": remove_merge_criterion,
    "data-type-differs": change_data_type,
    "item-scenario-missing": remove_scenario_tag,
    "conditional-item-missing": remove_conditional_scenario,
}


@pytest.mark.parametrize("case", DIFFERENCES)
def test_a_difference_fails_the_check_and_is_listed_with_file_and_line(
    root: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    path, line, mentioned = DIFFERENCES[case](root)

    status, out, _ = check(root, capsys)

    assert status == 1
    (listed,) = differences(out)
    assert listed.startswith(f"{path}:{line}: ")
    assert mentioned in listed


def test_every_difference_is_listed_not_just_the_first(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for make in DIFFERENCES.values():
        if make is not remove_conditional_scenario:  # its feature is removed too
            make(root)

    status, out, _ = check(root, capsys)

    assert status == 1
    assert len(differences(out)) == len(DIFFERENCES) - 1


def test_a_changed_checklist_is_a_difference_until_reimported(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [("Account_Name", "OrganisationName", '"integer"'), ("Phone", "Phone", '"string"')]
    write(root / "checklists" / f"{DATAFLOW}.rst", zoho_webcrm(account_rows=rows))

    status, out, _ = check(root, capsys)
    assert status == 1
    listed = "\n".join(differences(out))
    assert "Phone" in listed
    assert "integer" in listed

    run(
        capsys,
        "import",
        root / "checklists" / f"{DATAFLOW}.rst",
        "--features",
        root / "features",
        "--checklists",
        root / "checklists",
    )
    status, out, _ = check(root, capsys)
    assert (status, differences(out)) == (0, [])


# -- additions by QA: allowed and listed --------------------------------------------------


def test_rows_qa_added_where_the_checklist_lists_none_pass_and_are_listed(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feature = root / "features" / DATAFLOW / DEAL
    edit(
        feature,
        "      | source | target | data type |\n",
        "      | source | target | data type |\n      | Amount | Value | float |\n",
    )

    status, out, _ = check(root, capsys)

    assert status == 0
    assert differences(out) == []
    (added,) = additions(out)
    assert added.startswith(f"{feature}:{line_of(feature, '| Amount')}: ")
    assert "Amount" in added


def test_a_feature_qa_added_passes_and_is_listed(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = root / "features" / DATAFLOW / "zohocrm-account-deletion.feature"
    extra.write_text(
        "Feature: Deleting a ZohoCRM Account\n"
        "  Scenario: A deleted account leaves the organisation alone\n"
        "    Given a ZohoCRM Account linked with a WebCRM Organisations\n"
        "    When the ZohoCRM Account is deleted\n"
        "    Then the WebCRM Organisations still exists\n"
    )

    status, out, _ = check(root, capsys)

    assert status == 0
    assert [re.sub(r":\d+: .*", "", a) for a in additions(out)] == [str(extra)]
