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

from talkqa.checklist.feature import (
    Examples,
    Feature,
    FeatureError,
    pair_rows,
    parse_feature,
    read_text,
)
from talkqa.checklist.gherkin import (
    MERGE_COLUMNS,
    MERGE_EXAMPLES,
    PROPERTIES_EXAMPLES,
    PROPERTY_COLUMNS,
    escape_cell,
    header_lines,
    merge_rows,
    property_rows,
    render_feature,
    render_scenario,
    scenarios,
)
from talkqa.checklist.model import Checklist, Section
from talkqa.spec.catalogue import load_catalogue


@dataclass
class ImportResult:
    path: Path
    action: str  # "created", "updated", "unchanged" or "failed"
    changes: list[str] = field(default_factory=list)


def feature_paths(checklist: Checklist, features_dir: Path) -> list[tuple[Section, Path]]:
    """Where each section's feature lives: `<features>/<dataflow>/<section>.feature`.

    A heading that occurs more than once in a document (it happens) gets `-2`, `-3`...
    in document order. A section whose file is absent but whose systems were renamed
    (`Customerp` became `Custom ERP`) keeps the feature it already has, found by its
    entities and the catalogue's names for its systems, so QA's work stays with it.
    """
    seen: Counter[str] = Counter()
    folder = features_dir / checklist.dataflow
    paths = []
    for section in checklist.sections:
        seen[section.slug] += 1
        suffix = f"-{seen[section.slug]}" if seen[section.slug] > 1 else ""
        paths.append((section, folder / f"{section.slug}{suffix}.feature"))
    absent = [i for i, (_, path) in enumerate(paths) if not path.exists()]
    if absent and folder.is_dir():
        claimed = {path for _, path in paths}
        unclaimed = [f for f in sorted(folder.glob("*.feature")) if f not in claimed]
        for index in absent:
            section = paths[index][0]
            found = next((f for f in unclaimed if _is_renamed(f, section)), None)
            if found is not None:
                unclaimed.remove(found)
                paths[index] = (section, found)
    return paths


def _is_renamed(path: Path, section: Section) -> bool:
    try:
        feature = parse_feature(read_text(path), str(path))
    except FeatureError:
        return False
    sides = (("Source", section.source), ("Target", section.target))
    return all(
        _same(feature.value(f"{side} entity"), named.entity)
        and _same_system(feature.value(f"{side} system") or "", named.system)
        for side, named in sides
    )


def _same(a: str | None, b: str) -> bool:
    return a is not None and "".join(a.split()).casefold() == "".join(b.split()).casefold()


def _same_system(a: str, b: str) -> bool:
    if _same(a, b):
        return True
    catalogue = load_catalogue()
    known = catalogue.system_named(a)
    return known is not None and known is catalogue.system_named(b)


def import_checklist(checklist: Checklist, features_dir: Path) -> list[ImportResult]:
    results = []
    for section, path in feature_paths(checklist, features_dir):
        generated = render_feature(checklist, section)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(generated, "utf-8")
            results.append(ImportResult(path, "created"))
            continue
        try:
            current = read_text(path)
            updated, changes = merge_feature(current, str(path), checklist, section)
        except FeatureError as err:
            # One unreadable feature must not keep the rest of the checklist back.
            results.append(ImportResult(path, "failed", [f"{err} (fix it, then import again)"]))
            continue
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
        key, _, value = line.partition(":")
        value = value.strip()
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
    names = PROPERTY_COLUMNS if table.name.strip() == PROPERTIES_EXAMPLES else MERGE_COLUMNS
    projected = {
        line.line: (own.project(line, names), own, line) for own in tables for line in own.rows
    }
    pairs, _ = pair_rows(wanted, [p for p, _, _ in projected.values()])
    header = lines[table.header_line - 1]
    widths = _column_widths(header)
    indent = header[: len(header) - len(header.lstrip())]
    added = []
    for cells, row in pairs:
        if row is None:
            added.append(_row_line(_place(cells, names, table.columns, ()), widths, indent))
            changes.append(f"added row {' -> '.join(cells[:2])}")
        elif len(cells) > 2 and row.cells[2:3] != cells[2:3]:
            _, own, original = projected[row.line]
            placed = _place(cells, names, own.columns, original.cells)
            own_header = lines[own.header_line - 1]
            edits.append(
                (row.line - 1, row.line, [_row_line(placed, _column_widths(own_header), indent)])
            )
            changes.append(
                f"data type of {' -> '.join(cells[:2])}: {row.cells[2:3]} -> {cells[2]!r}"
            )
    if added:
        after = table.rows[-1].line if table.rows else table.header_line
        edits.append((after, after, added))


def _place(
    cells: tuple[str, ...], names: tuple[str, ...], columns: tuple[str, ...], keep: tuple[str, ...]
) -> tuple[str, ...]:
    """Cells laid out in a table's own columns; columns QA added keep their values."""
    keys = ["".join(ch for ch in n.casefold() if ch.isalnum()) for n in names]
    out = []
    for index, column in enumerate(columns):
        key = "".join(ch for ch in column.casefold() if ch.isalnum())
        if key in keys:
            out.append(cells[keys.index(key)])
        else:
            out.append(keep[index] if index < len(keep) else "")
    return tuple(out)


def _column_widths(header: str) -> list[int]:
    cells = header.strip().strip("|").split("|")
    return [len(c) - 2 for c in cells]


def _row_line(cells: tuple[str, ...], widths: list[int], indent: str) -> str:
    padded = [
        escape_cell(c).ljust(widths[i] if i < len(widths) else 0) for i, c in enumerate(cells)
    ]
    return indent + "| " + " | ".join(padded) + " |"
