"""`talkqa parse PATH... [--format jsonl]`: what users and scripts read from the command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from checklist_docs import CONDITIONAL, ORGS, ZOHO, document, section, write, zoho_webcrm

from talkqa.cli import main

DOCUMENT_KEYS = {"path", "title", "source_system", "target_system", "generated", "sections"}
SECTION_KEYS = {
    "heading",
    "source",
    "target",
    "kind",
    "statement",
    "properties",
    "merge_criteria",
}
PROPERTY_KEYS = {"source", "target", "data_type", "data_type_raw"}
DATA_TYPES = {"string", "integer", "float", "decimal", "boolean", "list", "n/a", "expression"}

# Files that are not checklists: (file name, bytes, line of the error, a word of it).
NOT_CHECKLISTS = {
    "empty": ("empty.rst", b"", 1),
    "markdown": ("notes.md", b"# Notes\n\nSome *markdown* text.\n", 1),
    "title": ("hello.rst", b"=====\nHello\n=====\n\nGenerated: 2024-01-01 00:00:00\n", 2),
    "missing-cell": (
        "missing-cell.rst",
        zoho_webcrm(account_rows=[("Account_Name", "OrganisationName", '"string"')])
        .replace('     - OrganisationName\n     - "string"\n', "     - OrganisationName\n")
        .encode(),
        zoho_webcrm().split("\n").index("   * - Account_Name") + 1,
    ),
    "not-utf8": (
        "latin1.rst",
        zoho_webcrm().replace("Dataflow", "Dataflow æ").encode("latin-1"),
        2,
    ),
    "generated": (
        "when.rst",
        zoho_webcrm().replace("Generated: 2024-09-10 15:43:43", "Generated: last tuesday").encode(),
        5,
    ),
}


def jsonl(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_jsonl_gives_one_line_per_document_with_exactly_the_promised_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write(tmp_path / "zohocrm-webcrm.rst", zoho_webcrm().replace("\n", "\r\n"))
    b = write(tmp_path / "other" / "x.rst", document("A", "B", [section(("A", "T"), ("B", "U"))]))

    status = main(["parse", str(a), str(b), "--format", "jsonl"])

    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    documents = jsonl(out)
    assert [d["path"] for d in documents] == [str(a), str(b)]
    for d in documents:
        assert set(d) == DOCUMENT_KEYS
        for s in d["sections"]:
            assert set(s) == SECTION_KEYS
            assert set(s["source"]) == set(s["target"]) == {"system", "entity"}
            assert all(set(p) == PROPERTY_KEYS for p in s["properties"])
            assert all(set(m) == {"source", "target"} for m in s["merge_criteria"])


def test_jsonl_values_say_what_the_checklist_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        ("Account_Name\t", "OrganisationName ", '"string"'),
        ("Created_Time", "OrganisationCreated", '"datetime-format","%Y-%m-%d","_."]'),
        ("Owner", "OrganisationOwner", "N/A"),
    ]
    text = document(
        "ZohoCRM",
        "WebCRM",
        [
            section(ZOHO, ORGS, rows=rows),
            section(
                ("ZohoCRM", "Contact"), ("WebCRM", "Persons"), merge=[("Email", "PersonEmail")]
            ),
            section(("ZohoCRM", "Deal"), ("WebCRM", "Opportunities"), statement=CONDITIONAL),
        ],
    )
    path = write(tmp_path / "zohocrm-webcrm.rst", text)

    main(["parse", "--format", "jsonl", str(path)])

    (d,) = jsonl(capsys.readouterr().out)
    assert (d["title"], d["source_system"], d["target_system"], d["generated"]) == (
        "ZohoCRM to WebCRM Dataflow",
        "ZohoCRM",
        "WebCRM",
        "2024-09-10T15:43:43",
    )
    account, contact, deal = d["sections"]
    assert account["heading"] == "ZohoCRM Account to WebCRM Organisations"
    assert account["source"] == {"system": "ZohoCRM", "entity": "Account"}
    assert account["target"] == {"system": "WebCRM", "entity": "Organisations"}
    assert account["kind"] == "sync"
    assert (
        account["statement"]
        == "Every ZohoCRM Account will be synchronized with a WebCRM Organisations."
    )
    assert account["properties"] == [
        {
            "source": "Account_Name",
            "target": "OrganisationName",
            "data_type": "string",
            "data_type_raw": '"string"',
        },
        {
            "source": "Created_Time",
            "target": "OrganisationCreated",
            "data_type": "expression",
            "data_type_raw": '"datetime-format","%Y-%m-%d","_."]',
        },
        {
            "source": "Owner",
            "target": "OrganisationOwner",
            "data_type": "n/a",
            "data_type_raw": "N/A",
        },
    ]
    assert (contact["kind"], contact["merge_criteria"]) == (
        "merge",
        [{"source": "Email", "target": "PersonEmail"}],
    )
    assert (deal["kind"], deal["statement"]) == ("conditional", CONDITIONAL)


def test_jsonl_generated_is_iso_8601_and_null_without_a_generated_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dated = write(tmp_path / "a.rst", document("A", "B", [section(("A", "T"), ("B", "U"))]))
    undated = write(
        tmp_path / "b.rst", document("A", "B", [section(("A", "T"), ("B", "U"))], generated=None)
    )

    main(["parse", "--format", "jsonl", str(dated), str(undated)])

    first, second = jsonl(capsys.readouterr().out)
    assert first["generated"] == "2024-09-10T15:43:43"
    assert second["generated"] is None


def test_a_directory_stands_for_its_rst_files_in_name_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("b-c.rst", "a-b.rst"):
        write(tmp_path / name, document("A", "B", [section(("A", "T"), ("B", "U"))]))
    write(tmp_path / "README.md", "# not a checklist\n")

    status = main(["parse", "--format", "jsonl", str(tmp_path)])

    assert status == 0
    paths = [d["path"] for d in jsonl(capsys.readouterr().out)]
    assert paths == [str(tmp_path / "a-b.rst"), str(tmp_path / "b-c.rst")]


def test_jsonl_of_real_checklists_uses_only_the_promised_data_types(
    corpus: Path, seeds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ["zohocrm-webcrm.rst", "hubspot-superoffice.rst", "tripletex-businesscentral.rst"]

    status = main(["parse", "--format", "jsonl", str(seeds), *(str(corpus / n) for n in names)])

    documents = jsonl(capsys.readouterr().out)
    assert status == 0
    assert len(documents) == 2 + len(names)
    types = {p["data_type"] for d in documents for s in d["sections"] for p in s["properties"]}
    assert types <= DATA_TYPES
    assert {"string", "integer", "n/a"} <= types


def test_the_default_format_is_a_readable_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "zohocrm-webcrm.rst", zoho_webcrm())

    status = main(["parse", str(path)])

    out = capsys.readouterr().out
    assert status == 0
    assert not out.lstrip().startswith("{")
    assert "ZohoCRM to WebCRM Dataflow" in out
    assert "2024-09-10" in out
    for line in ("ZohoCRM Account -> WebCRM Organisations", "merge", "conditional"):
        assert line in out


@pytest.mark.parametrize("case", NOT_CHECKLISTS)
def test_a_file_that_is_not_a_checklist_gets_one_error_line_and_the_others_are_still_parsed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    name, content, line = NOT_CHECKLISTS[case]
    bad = tmp_path / name
    bad.write_bytes(content)
    good = write(tmp_path / "zohocrm-webcrm.rst", zoho_webcrm())

    status = main(["parse", "--format", "jsonl", str(bad), str(good)])

    out, err = capsys.readouterr()
    assert status == 2
    assert [d["path"] for d in jsonl(out)] == [str(good)]
    assert len(err.splitlines()) == 1
    assert f"{bad}:{line}:" in err
    assert "Traceback" not in err


def test_a_missing_path_is_an_error_line_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path / "zohocrm-webcrm.rst", zoho_webcrm())

    status = main(["parse", str(tmp_path / "nope.rst"), str(good), "--format", "jsonl"])

    out, err = capsys.readouterr()
    assert status == 2
    assert len(jsonl(out)) == 1
    assert len(err.splitlines()) == 1
    assert "nope.rst" in err


def test_the_installed_console_script_parses_and_reports_bad_files_without_a_traceback(
    tmp_path: Path, seeds: Path
) -> None:
    talkqa = Path(sys.executable).parent / "talkqa"
    bad = tmp_path / "notes.md"
    bad.write_text("# Notes\n")

    run = subprocess.run(
        [str(talkqa), "parse", "--format", "jsonl", str(seeds), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 2
    titles = [d["title"] for d in jsonl(run.stdout)]
    assert titles == ["Customerp to Webcrm Dataflow", "ZohoCRM to Customerp Dataflow"]
    assert run.stderr.count("\n") == 1
    assert f"{bad}:1:" in run.stderr
    assert "Traceback" not in run.stderr
