"""`talkqa check`: are the features still in step with the checklists?

Differences fail the check: a section with no feature, a statement that differs, a
checklist item with no scenario, a checklist row missing from its examples or shown
with another data type. Additions are fine and listed: rows, scenarios and features a
QA engineer wrote where the checklist has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from talkqa.checklist.feature import Examples, FeatureError, pair_rows, read_feature
from talkqa.checklist.gherkin import (
    MERGE_COLUMNS,
    MERGE_EXAMPLES,
    PROPERTIES_EXAMPLES,
    PROPERTY_COLUMNS,
    merge_rows,
    property_rows,
    scenarios,
)
from talkqa.checklist.importer import feature_paths
from talkqa.checklist.model import Checklist, ChecklistError, Section
from talkqa.checklist.parser import parse_file


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    message: str
    is_difference: bool = True
    # A file that cannot be read (not a checklist, not valid Gherkin): `talkqa import`
    # cannot mend it; it must be fixed by hand.
    is_error: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


def check(checklists_dir: Path, features_dir: Path) -> list[Finding]:
    findings: list[Finding] = []
    expected: set[Path] = set()
    documents = sorted(checklists_dir.glob("*.rst"))
    if not documents:
        return [
            Finding(
                str(checklists_dir),
                0,
                "no checklist (*.rst) to check against; give the folder that holds the "
                "checklists (--checklists), or `talkqa import` one first",
                is_error=True,
            )
        ]
    for document in documents:
        try:
            checklist = parse_file(document)
        except ChecklistError as err:
            findings.append(
                _unreadable(
                    err, "replace it with the checklist as Sesam generated it, or remove it"
                )
            )
            continue
        for section, path in feature_paths(checklist, features_dir):
            expected.add(path.resolve())
            findings += _check_section(checklist, section, path)
    for path in sorted(features_dir.rglob("*.feature")):
        if path.resolve() not in expected:
            findings.append(
                Finding(str(path), 1, "feature with no checklist section (added by QA)", False)
            )
    return findings


def _unreadable(err: ChecklistError | FeatureError, fix: str) -> Finding:
    return Finding(err.path, err.line, f"{err.message}; {fix}", is_error=True)


def _check_section(checklist: Checklist, section: Section, path: Path) -> list[Finding]:
    where = f"{checklist.path}:{section.line}"
    if not path.exists():
        return [
            Finding(
                checklist.path,
                section.line,
                f"section {section.heading!r} has no feature (expected {path}); "
                f"run `talkqa import {checklist.path}`",
            )
        ]
    try:
        feature = read_feature(path)
    except FeatureError as err:
        return [_unreadable(err, "fix it by hand (`talkqa import` cannot read it either)")]
    findings = []
    statement = feature.value("Statement")
    if statement != section.statement:
        line = feature.header.get("Statement", ("", feature.line))[1]
        findings.append(
            Finding(
                str(path),
                line,
                f"statement differs from {where}: the checklist says {section.statement!r}, "
                f"the feature says {statement!r}",
            )
        )
    items = feature.items()
    for item in scenarios(section):
        if item not in items:
            findings.append(
                Finding(str(path), feature.line, f"checklist item '{item}' has no scenario")
            )
    findings += _check_rows(
        str(path),
        feature.examples(PROPERTIES_EXAMPLES),
        property_rows(section),
        "property row",
        where,
        feature.line,
    )
    findings += _check_rows(
        str(path),
        feature.examples(MERGE_EXAMPLES),
        merge_rows(section),
        "merge criterion",
        where,
        feature.line,
    )
    return findings


def _check_rows(
    path: str,
    tables: list[Examples],
    wanted: Sequence[tuple[str, ...]],
    what: str,
    where: str,
    feature_line: int,
) -> list[Finding]:
    names = PROPERTY_COLUMNS if what == "property row" else MERGE_COLUMNS
    rows = [table.project(row, names) for table in tables for row in table.rows]
    pairs, extra = pair_rows(list(wanted), rows)
    line = tables[0].line if tables else feature_line
    findings = []
    for cells, row in pairs:
        label = " -> ".join(cells[:2]) + (f" ({cells[2]})" if len(cells) > 2 else "")
        if row is None:
            findings.append(Finding(path, line, f"{what} {label} from {where} is missing"))
        elif len(cells) > 2 and row.cells[2:3] != tuple(cells[2:3]):
            shown = row.cells[2] if len(row.cells) > 2 else ""
            findings.append(
                Finding(
                    path,
                    row.line,
                    f"{what} {' -> '.join(cells[:2])}: the checklist says {cells[2]!r}, "
                    f"the feature says {shown!r}",
                )
            )
    for row in extra:
        findings.append(
            Finding(path, row.line, f"{what} {' -> '.join(row.cells)} added by QA", False)
        )
    return findings
