"""Render a checklist section as a Gherkin feature in business language.

Each checklist item becomes one scenario, tagged `@item:<name>` so that re-imports and
the drift check can find it again after a QA engineer has edited the feature:

- `created`: a new source record gets a linked target record (sync, custom and
  sync-with-merge sections);
- `source-edit` / `target-edit`: once linked, an edit on either side reaches the other;
- `properties`: every property row, as a row of the `Properties` examples;
- `merge`: records matching on a merge criterion link instead of duplicating, one row of
  the `Merge criteria` examples per criterion (merge sections);
- `condition-met` / `condition-not-met`: a deal is synchronized only once won
  (conditional sections).

The header lines of the description (`Dataflow:`, `Checklist:`, `Source system:` ...,
`Statement:`) carry what the spec loader and the drift check read back.
"""

from __future__ import annotations

from collections.abc import Iterable

from talkqa.checklist.model import Checklist, Section

PROPERTIES_EXAMPLES = "Properties"
MERGE_EXAMPLES = "Merge criteria"
PROPERTY_COLUMNS = ("source", "target", "data type")
MERGE_COLUMNS = ("source", "target")
HEADER_KEYS = (
    "Dataflow",
    "Checklist",
    "Source system",
    "Source entity",
    "Target system",
    "Target entity",
    "Statement",
)


def escape_cell(value: str) -> str:
    """A value as a Gherkin table cell: backslashes, pipes and newlines escaped."""
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "\\n")


def table(columns: Iterable[str], rows: Iterable[Iterable[str]], indent: str) -> list[str]:
    """Gherkin table lines, columns padded to line up."""
    cells = [[escape_cell(c) for c in columns]] + [[escape_cell(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return [
        indent + "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]


def type_cell(data_type: str, data_type_raw: str) -> str:
    """The data type as the feature shows it: the plain name, or the fragment as written."""
    return data_type_raw if data_type == "expression" else data_type


def property_rows(section: Section) -> list[tuple[str, str, str]]:
    seen: dict[tuple[str, str, str], None] = {}
    for row in section.properties:
        seen.setdefault((row.source, row.target, type_cell(row.data_type, row.data_type_raw)))
    return list(seen)


def merge_rows(section: Section) -> list[tuple[str, str]]:
    return list(dict.fromkeys((m.source, m.target) for m in section.merge_criteria))


def header_lines(checklist: Checklist, section: Section) -> list[str]:
    generated = checklist.generated.isoformat(sep=" ") if checklist.generated else "unknown"
    name = checklist.path.replace("\\", "/").rsplit("/", 1)[-1]
    lines = [
        f"Dataflow: {checklist.title}",
        f"Checklist: {name}, generated {generated}",
        f"Source system: {section.source.system}",
        f"Source entity: {section.source.entity}",
        f"Target system: {section.target.system}",
        f"Target entity: {section.target.entity}",
        f"Statement: {section.statement}",
    ]
    return [line.rstrip() for line in lines]


def scenarios(section: Section) -> dict[str, list[str]]:
    """The generated scenarios of a section, by item name, as lines without indent."""
    src, tgt = str(section.source) or "source record", str(section.target) or "target record"
    if src == tgt:  # a system synchronized with itself (two tenants): name the sides
        src, tgt = f"source {src}", f"target {tgt}"
    linked = f"Given a {src} linked with a {tgt}"
    synced = "And the dataflow has synchronized"
    items: dict[str, list[str]] = {}
    if section.kind == "conditional":
        items["condition-met"] = [
            f"Scenario: A {src} that is won gets a linked {tgt}",
            f"Given a new {src} that is won",
            "When the dataflow has synchronized",
            f"Then a linked {tgt} holds the {src}'s values",
        ]
        items["condition-not-met"] = [
            f"Scenario: A {src} that is not yet won is not synchronized",
            f"Given a new {src} that is not yet won",
            "When the dataflow has synchronized",
            f"Then no {tgt} is linked with the {src}",
        ]
    elif not (section.kind == "merge" and section.statement.startswith("Before ")):
        items["created"] = [
            f"Scenario: A new {src} gets a linked {tgt}",
            f"Given a new {src}",
            "When the dataflow has synchronized",
            f"Then a linked {tgt} holds the {src}'s values",
        ]
    if section.kind == "merge":
        items["merge"] = [
            f"Scenario Outline: A {src} and a {tgt} that match on <source> are linked, "
            "not duplicated",
            f'Given a {src} and a {tgt} that already match on "<source>" and "<target>"',
            "When the dataflow has synchronized",
            f"Then the {src} and the {tgt} are linked",
            f"And no other {tgt} was created for the {src}",
        ]
    items["source-edit"] = [
        f"Scenario: An edit to the {src} reaches the linked {tgt}",
        linked,
        f"When the {src} is edited",
        synced,
        f"Then the {tgt} shows the edit",
    ]
    items["target-edit"] = [
        f"Scenario: An edit to the {tgt} reaches the linked {src}",
        linked,
        f"When the {tgt} is edited",
        synced,
        f"Then the {src} shows the edit",
    ]
    items["properties"] = [
        "Scenario Outline: <source> is synchronized with <target> as <data type>",
        linked,
        f'When the {src}\'s "<source>" is changed and the dataflow has synchronized',
        f'Then the {tgt}\'s "<target>" holds the new value as <data type>',
        f'When the {tgt}\'s "<target>" is changed and the dataflow has synchronized',
        f'Then the {src}\'s "<source>" holds the new value as <data type>',
    ]
    return items


def render_scenario(item: str, lines: list[str], section: Section) -> list[str]:
    """One scenario block (tag, title, steps, examples), indented, ending in a blank line."""
    out = [f"  @item:{item}", f"  {lines[0]}"] + [f"    {step}" for step in lines[1:]]
    if item == "properties":
        out += ["", f"    Examples: {PROPERTIES_EXAMPLES}"]
        out += table(PROPERTY_COLUMNS, property_rows(section), "      ")
    elif item == "merge":
        out += ["", f"    Examples: {MERGE_EXAMPLES}"]
        out += table(MERGE_COLUMNS, merge_rows(section), "      ")
    return [*out, ""]


def render_feature(checklist: Checklist, section: Section) -> str:
    """The feature file for one section of a checklist, as generated (deterministic)."""
    lines = [
        f"# Generated by `talkqa import` from {checklist.dataflow}; edit freely: re-imports",
        "# add what a changed checklist adds and never remove what you wrote.",
        f"Feature: {checklist.title}: {section.heading}",
    ]
    lines += [f"  {line}" for line in header_lines(checklist, section)]
    lines += [f"  {note}" for note in section.notes]
    lines.append("")
    for item, body in scenarios(section).items():
        lines += render_scenario(item, body, section)
    return "\n".join(lines).rstrip("\n") + "\n"
