"""What a QA engineer reads after a run: Allure results labelled as the checklist is,
failures sorted by kind, exchanges masked, and the checklist itself filled in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.report.conftest import BROKEN_SECTION, SECTIONS_SHOWN, WRONG_PHONE, Run, talkqa

PHONE_ROW = "Phone -> phone as string"


def _results(run: Run) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in run.results.glob("*-result.json")]


def _labels(result: dict[str, Any]) -> dict[str, str]:
    return {label["name"]: label["value"] for label in result["labels"]}


def _phone_result(run: Run) -> dict[str, Any]:
    (found,) = [
        r
        for r in _results(run)
        if _labels(r).get("talkqa.section") == BROKEN_SECTION
        and {"name": "source", "value": "Phone"} in r.get("parameters", [])
    ]
    return found


def test_the_broken_cassette_fails_exactly_the_phone_row_and_the_report_is_built(
    reported_run: Run,
) -> None:
    assert reported_run.pytest.returncode == 1, reported_run.pytest.stdout[-2000:]
    assert "1 failed, 86 passed" in reported_run.pytest.stdout
    assert reported_run.report.returncode == 0, reported_run.report.stderr
    assert (reported_run.out / "allure-report" / "index.html").is_file()
    assert (reported_run.out / "allure-report.html").is_file()


def test_every_scenario_is_labelled_dataflow_section_item(reported_run: Run) -> None:
    results = _results(reported_run)
    assert len(results) == 87
    shown = {(_labels(r)["epic"], _labels(r)["feature"]) for r in results}
    assert shown == {(flow, s) for flow, sections in SECTIONS_SHOWN.items() for s in sections}
    for result in results:
        labels = _labels(result)
        assert labels["story"] and labels["talkqa.scenario"]
        assert "tag" not in labels  # the vcr / block_network marks are not tags
        for step in result["steps"]:
            assert all("object at 0x" not in p["value"] for p in step.get("parameters", []))
    phone = _phone_result(reported_run)
    assert {(p["name"], p["value"]) for p in phone["parameters"]} >= {
        ("source", "Phone"),
        ("target", "phone"),
        ("data type", "string"),
        ("direction", "ZohoCRM -> Customerp, then back"),
    }
    links = {link["url"] for link in phone["links"]}
    assert "../../checklists/zohocrm-customerp.rst" in links
    assert any(url.startswith("../checklist-status.html#zohocrm-customerp-") for url in links)


def test_the_failure_is_a_sync_defect_naming_the_property_and_both_values(
    reported_run: Run,
) -> None:
    phone = _phone_result(reported_run)
    assert phone["status"] == "failed"
    trace = phone["statusDetails"]["trace"]
    assert trace.startswith("sync defect at 'Then the Customerp Customer's \"phone\"")
    assert WRONG_PHONE in trace
    categories = json.loads(
        (reported_run.out / "allure-report" / "data" / "categories.json").read_text()
    )
    by_name = {c["name"]: c for c in categories["children"]}
    assert set(by_name) == {"Sync defects (the dataflow is wrong)"}
    failed = [leaf["name"] for group in by_name.values() for leaf in _leaves(group)]
    assert failed == ["Phone is synchronized with phone as string"]


def _leaves(node: dict[str, Any]) -> list[dict[str, Any]]:
    if "children" not in node:
        return [node]
    return [leaf for child in node["children"] for leaf in _leaves(child)]


def test_each_http_exchange_is_attached_with_its_credentials_masked(reported_run: Run) -> None:
    phone = _phone_result(reported_run)
    attached = [a for s in phone["steps"] for a in s.get("attachments", [])]
    exchanges = [a for a in attached if a["type"] == "application/vnd.allure.http+json"]
    assert len(exchanges) > 10
    for attachment in exchanges:
        exchange = json.loads((reported_run.results / attachment["source"]).read_text())
        assert exchange["schemaVersion"] == 1
        assert exchange["request"]["url"].startswith("http://")
        assert ".talkqa.invalid/" in exchange["request"]["url"]
        headers = {k.lower(): v for k, v in exchange["request"]["headers"].items()}
        assert headers.get("authorization", "REDACTED") == "REDACTED"
        assert "eyJ" not in json.dumps(exchange)
    tables = [a for a in phone["attachments"] if a["name"] == "Property comparison"]
    (table,) = tables
    text = (reported_run.results / table["source"]).read_text()
    assert text.splitlines()[0].startswith("direction,source property,target property")
    assert "MISMATCH" in text and WRONG_PHONE in text


def test_the_run_facts_are_beside_the_results(reported_run: Run) -> None:
    facts = (reported_run.results / "environment.properties").read_text()
    assert "mode=replay" in facts and "environment=cassettes" in facts
    assert "checklist_zohocrm-customerp.rst=generated 2024-09-10 15:43:43" in facts
    assert "pytest-bdd=9.0.1" in facts
    categories = json.loads((reported_run.results / "categories.json").read_text())
    assert [c["name"] for c in categories] == [
        "Sync defects (the dataflow is wrong)",
        "Cassettes out of date",
        "Environment problems",
        "Harness errors",
    ]


def test_the_filled_in_checklist_shows_every_item_and_the_failed_row_with_its_reason(
    reported_run: Run,
) -> None:
    markdown = (reported_run.out / "checklist-status.md").read_text()
    page = (reported_run.out / "checklist-status.html").read_text()
    for sections in SECTIONS_SHOWN.values():
        for section in sections:
            assert f"### {section}" in markdown and f"<h3>{section}" in page
    assert (
        "ZohoCRM to Customerp Dataflow: 3 sections (2 passed, 1 failed); "
        "44 checks: 43 passed, 1 failed, 0 not run" in markdown
    )
    assert (
        "Customerp to Webcrm Dataflow: 3 sections (3 passed); "
        "43 checks: 43 passed, 0 failed, 0 not run" in markdown
    )
    merge = "**Merge criteria (records matching on one are linked, not duplicated)**"
    assert markdown.count(f"{merge} (added by QA): passed") == 2  # QA added two criteria
    account = markdown.split("### ZohoCRM Account to Customerp Customer")[1].split("\n### ")[0]
    (row,) = [line for line in account.splitlines() if line.startswith(f"| {PHONE_ROW} |")]
    assert "| failed | sync defect at" in row and WRONG_PHONE in row
    assert "### ZohoCRM Account to Customerp Customer: failed" in markdown
    assert (
        "**A ZohoCRM Account reaches Webcrm as an Organisation through Customerp** "
        "(added by QA): passed" in markdown
    )


def test_the_report_keeps_the_trend_of_earlier_runs(reported_run: Run, tmp_path: Path) -> None:
    again = talkqa(reported_run.root, "report")
    assert again.returncode == 0, again.stderr
    trend = json.loads(
        (reported_run.out / "allure-report" / "history" / "history-trend.json").read_text()
    )
    assert len(trend) >= 2
