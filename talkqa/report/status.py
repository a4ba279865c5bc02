"""The checklist filled in: every section, item and property row of the checklist
documents, with the status the last run gave it.

The checklist documents say what is promised, the features say how QA checks it (and
what QA added), the Allure results say how the last run went. A check is one scenario,
or one row of an outline: passed, failed (with the reason), not run, not automated (an
outline without rows, or a section without a feature), or skipped (with the reason).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from talkqa.checklist.feature import Feature, Scenario, read_feature
from talkqa.checklist.gherkin import (
    MERGE_EXAMPLES,
    PROPERTIES_EXAMPLES,
    merge_rows,
    property_rows,
    scenarios,
)
from talkqa.checklist.importer import feature_paths
from talkqa.checklist.model import Checklist, DocumentError, Section, SystemEntity
from talkqa.checklist.parser import parse_file
from talkqa.report.labels import ROW_PARAMETERS, anchor
from talkqa.report.results import ScenarioResult
from talkqa.spec.served import unserved

CHECKLIST, QA = "checklist", "added by QA"
PASSED, FAILED, NOT_RUN, NOT_AUTOMATED, SKIPPED = (
    "passed",
    "failed",
    "not run",
    "not automated",
    "skipped",
)
STATUSES = (PASSED, FAILED, NOT_RUN, NOT_AUTOMATED, SKIPPED)
# Outline names are templates (`<source> is synchronized with ...`): their rows say more.
OUTLINE_TITLES = {
    "properties": "Property rows (each checked both ways, as its data type)",
    "merge": "Merge criteria (records matching on one are linked, not duplicated)",
}
Results = Mapping[tuple[str, str, tuple[str, ...]], ScenarioResult]


@dataclass(frozen=True)
class Check:
    """One scenario, or one row of an outline, and how the run left it."""

    label: str
    origin: str
    status: str
    reason: str = ""
    row: tuple[str, ...] = ()


@dataclass
class ItemStatus:
    title: str
    item: str  # the `@item:` tag; "" for an untagged scenario
    origin: str
    checks: list[Check] = field(default_factory=list)
    rows: bool = False  # an outline: its checks are rows

    @property
    def status(self) -> str:
        return overall(c.status for c in self.checks)


@dataclass
class SectionStatus:
    heading: str
    key: str
    statement: str
    feature: str
    origin: str
    items: list[ItemStatus] = field(default_factory=list)
    note: str = ""

    @property
    def anchor(self) -> str:
        return anchor(self.key)

    @property
    def checks(self) -> list[Check]:
        return [c for item in self.items for c in item.checks]

    @property
    def status(self) -> str:
        return overall(c.status for c in self.checks) if self.checks else NOT_AUTOMATED


@dataclass
class DataflowStatus:
    title: str
    document: str
    generated: str
    sections: list[SectionStatus] = field(default_factory=list)

    def summary(self) -> str:
        sections = Counter(s.status for s in self.sections)
        checks = Counter(c.status for s in self.sections for c in s.checks)
        total = sum(checks.values())
        return (
            f"{self.title}: {len(self.sections)} sections ({_counts(sections)}); "
            f"{total} checks: {_counts(checks, always=(PASSED, FAILED, NOT_RUN))}"
        )


def _counts(counter: Counter[str], always: tuple[str, ...] = ()) -> str:
    shown = [s for s in STATUSES if counter[s] or s in always]
    return ", ".join(f"{counter[s]} {s}" for s in shown) or "none"


def overall(statuses: Iterable[str]) -> str:
    """A group's status: failed if any failed; not run if any did not run; passed if
    the rest passed; skipped if all that is automated was skipped; not automated if
    nothing is."""
    found = set(statuses)
    for status in (FAILED, NOT_RUN, PASSED, SKIPPED):
        if status in found:
            return status
    return NOT_AUTOMATED


# --- building ------------------------------------------------------------------------------


def fill_in(checklists: Path, features: Path, results: Results) -> list[DataflowStatus]:
    """Every checklist document in `checklists`, filled in from `results`."""
    if not any(checklists.glob("*.rst")):
        raise DocumentError(
            str(checklists),
            0,
            "no checklist (*.rst) here; give the checklists folder (--checklists)",
        )
    filled = []
    for document in sorted(checklists.glob("*.rst")):
        checklist = parse_file(document)
        filled.append(_dataflow(checklist, features, results))
    return filled


def _dataflow(checklist: Checklist, features: Path, results: Results) -> DataflowStatus:
    generated = checklist.generated.strftime("%Y-%m-%d %H:%M:%S") if checklist.generated else ""
    flow = DataflowStatus(checklist.title, Path(checklist.path).name, generated)
    known: set[Path] = set()
    for section, path in feature_paths(checklist, features):
        known.add(path.resolve())
        flow.sections.append(_section(section, path, results))
    folder = features / checklist.dataflow
    for path in sorted(folder.glob("*.feature")) if folder.is_dir() else []:
        if path.resolve() not in known:
            flow.sections.append(_qa_section(path, results))
    return flow


def _section(section: Section, path: Path, results: Results) -> SectionStatus:
    key = f"{path.parent.name}/{path.stem}"
    status = SectionStatus(section.heading, key, section.statement, str(path), CHECKLIST)
    if not path.exists():
        status.note = f"no feature ({path}): run `talkqa import` for this checklist"
        return status
    feature = read_feature(path)
    planned = set(scenarios(section))
    rows = {(s, t) for s, t, _ in property_rows(section)} | set(merge_rows(section))
    why = _unserved(feature)
    status.items = [_item(key, s, planned, rows, results, why) for s in feature.scenarios]
    return status


def _qa_section(path: Path, results: Results) -> SectionStatus:
    feature: Feature = read_feature(path)
    key = f"{path.parent.name}/{path.stem}"
    status = SectionStatus(feature.name, key, feature.value("Statement") or "", str(path), QA)
    why = _unserved(feature)
    status.items = [_item(key, s, set(), set(), results, why) for s in feature.scenarios]
    return status


def _unserved(feature: Feature) -> str:
    """Why the feature's scenarios were skipped at collection ("not served: ..."), or "".
    allure-pytest-bdd writes no result for a scenario skipped before it starts."""
    sides = [
        SystemEntity(feature.value(f"{side} system") or "", feature.value(f"{side} entity") or "")
        for side in ("Source", "Target")
    ]
    return unserved(sides) or ""


def _item(
    key: str,
    scenario: Scenario,
    planned: set[str],
    checklist_rows: set[tuple[str, str]],
    results: Results,
    unserved: str = "",
) -> ItemStatus:
    origin = CHECKLIST if set(scenario.items) & planned else QA
    tag = scenario.items[0] if scenario.items else ""
    item = ItemStatus(OUTLINE_TITLES.get(tag, scenario.name), tag, origin)
    tables = [
        e for e in scenario.examples if e.name.strip() in (PROPERTIES_EXAMPLES, MERGE_EXAMPLES)
    ]
    if not scenario.examples:
        found = results.get((key, scenario.name, ()))
        item.checks.append(_check(scenario.name, origin, found, unserved=unserved))
        return item
    item.rows = True
    for table in tables or scenario.examples:
        for row in table.rows:
            cells = table.project(row, ROW_PARAMETERS).cells
            row_origin = CHECKLIST if origin == CHECKLIST and cells[:2] in checklist_rows else QA
            found = results.get((key, scenario.name, cells))
            item.checks.append(_check(_row_label(cells), row_origin, found, cells, unserved))
    if not item.checks and unserved:  # as at collection: not served comes first
        item.checks.append(Check(scenario.name, origin, SKIPPED, unserved))
    elif not item.checks:
        reason = "the checklist lists no rows for this item; add them to the Examples table"
        item.checks.append(Check(scenario.name, origin, NOT_AUTOMATED, reason))
    return item


def _row_label(cells: tuple[str, ...]) -> str:
    source, target, data_type = cells
    return f"{source} -> {target}" + (f" as {data_type}" if data_type else "")


def _check(
    label: str,
    origin: str,
    result: ScenarioResult | None,
    row: tuple[str, ...] = (),
    unserved: str = "",
) -> Check:
    if result is None:
        return Check(label, origin, SKIPPED if unserved else NOT_RUN, unserved, row)
    if result.status == "passed":
        return Check(label, origin, PASSED, "", row)
    if result.status not in ("failed", "broken", "skipped"):  # "unknown": interrupted
        return Check(label, origin, NOT_RUN, result.reason.strip(), row)
    if result.status in ("failed", "broken"):
        return Check(label, origin, FAILED, result.reason.strip(), row)
    reason = result.reason.strip().removeprefix("Skipped: ")
    status = NOT_AUTOMATED if reason.startswith("not automated") else SKIPPED
    return Check(label, origin, status, reason, row)
