"""`talkqa import`: write or bring up to date the features of a checklist.

A feature that does not exist yet is written as generated. An existing one belongs to QA
engineers, so a re-import only adds and corrects what the checklist owns, in place:
the header lines (`Statement:` and the rest), a missing checklist item's scenario, a
missing property or merge-criteria row, a row whose data type the checklist changed.
Everything else in the file (added rows, steps, scenarios, comments) stays byte for
byte, and an unchanged checklist changes nothing at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from talkqa.checklist.feature import Examples, Feature, parse_feature
from talkqa.checklist.gherkin import (
    MERGE_EXAMPLES,
    PROPERTIES_EXAMPLES,
    escape_cell,
    header_lines,
    merge_rows,
    property_rows,
    render_feature,
    render_scenario,
    scenarios,
)
from talkqa.checklist.model import Checklist, Section


@dataclass
class ImportResult:
    path: Path
    action: str  # "created", "updated" or "unchanged"
    changes: list[str] = field(default_factory=list)


def feature_paths(checklist: Checklist, features_dir: Path) -> list[tuple[Section, Path]]:
    """Where each section's feature lives: `<features>/<dataflow>/<section>.feature`.

    A heading that occurs more than once in a document (it happens) gets `-2`, `-3`...
    in document order.
    """
    seen: Counter[str] = Counter()
    paths = []
    for section in checklist.sections:
        seen[section.slug] += 1
        suffix = f"-{seen[section.slug]}" if seen[section.slug] > 1 else ""
        paths.append(
            (section, features_dir / checklist.dataflow / f"{section.slug}{suffix}.feature")
        )
    return paths


def import_checklist(checklist: Checklist, features_dir: Path) -> list[ImportResult]:
    results = []
    for section, path in feature_paths(checklist, features_dir):
        generated = render_feature(checklist, section)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(generated, "utf-8")
            results.append(ImportResult(path, "created"))
            continue
        current = path.read_text("utf-8")
        updated, changes = merge_feature(current, str(path), checklist, section)
        if updated != current:
            path.write_text(updated, "utf-8")
            results.append(ImportResult(path, "updated", changes))
        else:
            results.append(ImportResult(path, "unchanged"))
    return results


def merge_feature(
    text: str, path: str, checklist: Checklist, section: Section
) -> tuple[str, list[str]]:
    """Bring an existing feature in step with its section, adding and correcting only."""
    feature = parse_feature(text, path)
    lines = text.split("\n")
    edits: list[tuple[int, int, list[str]]] = []  # (start index, end index, replacement)
    changes: list[str] = []

    _merge_header(feature, lines, checklist, section, edits, changes)
    items = feature.items()
    wanted = scenarios(section)
    for name, columns_rows in (
        (PROPERTIES_EXAMPLES, property_rows(section)),
        (MERGE_EXAMPLES, merge_rows(section)),
    ):
        tables = feature.examples(name)
        if tables:
            _merge_rows(tables[0], tables, list(columns_rows), lines, edits, changes)
        elif columns_rows:
            item = "properties" if name == PROPERTIES_EXAMPLES else "merge"
            if item in items:
                rendered = render_scenario(item, wanted[item], section)
                start = rendered.index(f"    Examples: {name}") - 1
                at = items[item].last_line
                while at > items[item].line and not lines[at - 1].strip():
                    at -= 1
                edits.append((at, at, rendered[start:-1]))
                changes.append(f"added the {name} examples")

    missing = [item for item in wanted if item not in items]
    if missing:
        tail = [""] if lines and lines[-1] == "" else []
        block: list[str] = []
        for item in missing:
            block += ["", *render_scenario(item, wanted[item], section)[:-1]]
            changes.append(f"added the scenario for checklist item '{item}'")
        end = len(lines) - len(tail)
        while end > 0 and not lines[end - 1].strip():
            end -= 1
        edits.append((end, len(lines), [*block, *tail]))

    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[start:end] = replacement
    return "\n".join(lines), changes


def _merge_header(
    feature: Feature,
    lines: list[str],
    checklist: Checklist,
    section: Section,
    edits: list[tuple[int, int, list[str]]],
    changes: list[str],
) -> None:
    last = feature.line  # insert missing header lines after the last one present
    missing: list[str] = []
    for line in header_lines(checklist, section):
        key, _, value = line.partition(": ")
        found = feature.header.get(key)
        if found is None:
            missing.append(line)
            continue
        current, number = found
        last = max(last, number)
        if current != value:
            indent = lines[number - 1][: len(lines[number - 1]) - len(lines[number - 1].lstrip())]
            edits.append((number - 1, number, [f"{indent}{line}"]))
            changes.append(f"{key}: {current!r} -> {value!r}")
    if missing:
        edits.append((last, last, [f"  {line}" for line in missing]))
        changes += [f"added header line {line!r}" for line in missing]


def _merge_rows(
    table: Examples,
    tables: list[Examples],
    wanted: list[tuple[str, ...]],
    lines: list[str],
    edits: list[tuple[int, int, list[str]]],
    changes: list[str],
) -> None:
    """Add checklist rows missing from the tables; correct a checklist row's data type."""
    existing = {row.cells[:2]: row for t in tables for row in t.rows}
    widths = _column_widths(lines[table.header_line - 1])
    indent = lines[table.header_line - 1][
        : len(lines[table.header_line - 1]) - len(lines[table.header_line - 1].lstrip())
    ]
    added = []
    for cells in wanted:
        row = existing.get(cells[:2])
        if row is None:
            added.append(_row_line(cells, widths, indent))
            changes.append(f"added row {' -> '.join(cells[:2])}")
        elif len(cells) > 2 and row.cells[2:3] != cells[2:3]:
            edits.append((row.line - 1, row.line, [_row_line(cells, widths, indent)]))
            changes.append(
                f"data type of {' -> '.join(cells[:2])}: {row.cells[2:3]} -> {cells[2]!r}"
            )
    if added:
        after = table.rows[-1].line if table.rows else table.header_line
        edits.append((after, after, added))


def _column_widths(header: str) -> list[int]:
    cells = header.strip().strip("|").split("|")
    return [len(c) - 2 for c in cells]


def _row_line(cells: tuple[str, ...], widths: list[int], indent: str) -> str:
    padded = [
        escape_cell(c).ljust(widths[i] if i < len(widths) else 0) for i, c in enumerate(cells)
    ]
    return indent + "| " + " | ".join(padded) + " |"
