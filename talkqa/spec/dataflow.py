"""The dataflow spec: what each section promises, read back from the features.

The features are the one source of truth (the checklist rows plus what QA engineers
added), so the harness's steps and the sandbox's Talk engine both read them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from talkqa.checklist.feature import Feature, FeatureError, read_feature
from talkqa.checklist.gherkin import MERGE_EXAMPLES, PROPERTIES_EXAMPLES
from talkqa.checklist.model import SystemEntity, slugify
from talkqa.checklist.parser import normalise_type


class SpecError(ValueError):
    """A feature that cannot serve as a spec: says which file, which line, and why."""


@dataclass(frozen=True)
class Mapping:
    """One property row: a source property travels to a target property."""

    source: str
    target: str
    data_type: str
    data_type_raw: str
    line: int = 0


@dataclass(frozen=True)
class SectionSpec:
    dataflow: str  # the features folder: `zohocrm-customerp`
    title: str  # `ZohoCRM to Customerp Dataflow`
    feature_path: str
    source: SystemEntity
    target: SystemEntity
    kind: str
    statement: str
    properties: tuple[Mapping, ...]
    merge_criteria: tuple[tuple[str, str], ...]
    # Header key (`Source system`) -> its line in the feature, for messages.
    header_lines: tuple[tuple[str, int], ...] = ()
    line: int = 0  # the line of `Feature:`

    def line_of(self, key: str) -> int:
        """The feature line a header key is on (else the `Feature:` line)."""
        return dict(self.header_lines).get(key, self.line)

    @property
    def heading(self) -> str:
        return f"{self.source} to {self.target}"

    @property
    def key(self) -> str:
        """A stable id: `<dataflow>/<feature file stem>`."""
        return f"{self.dataflow}/{Path(self.feature_path).stem}"


def section_from_feature(feature: Feature) -> SectionSpec:
    required = ("Source system", "Source entity", "Target system", "Target entity")
    missing = [key for key in required if key not in feature.header]
    if missing:
        raise SpecError(
            f"{feature.path}:{feature.line}: the feature's description lacks "
            + ", ".join(f"'{key}:'" for key in missing)
            + " (header lines written by `talkqa import`; restore them)"
        )
    items = feature.items()
    merge = tuple(
        (row.cells[0], row.cells[1])
        for table in feature.examples(MERGE_EXAMPLES)
        for row in table.rows
        if len(row.cells) >= 2
    )
    statement = feature.value("Statement") or ""
    if "condition-met" in items:
        kind = "conditional"
    elif merge or "merge" in items:
        kind = "merge"
    else:
        kind = "sync" if statement.startswith("Every ") else "custom"
    path = Path(feature.path)
    return SectionSpec(
        dataflow=path.parent.name,
        title=feature.value("Dataflow") or "",
        feature_path=feature.path,
        source=SystemEntity(
            feature.value("Source system") or "", feature.value("Source entity") or ""
        ),
        target=SystemEntity(
            feature.value("Target system") or "", feature.value("Target entity") or ""
        ),
        kind=kind,
        statement=statement,
        properties=_mappings(feature),
        merge_criteria=merge,
        header_lines=tuple((key, line) for key, (_, line) in feature.header.items()),
        line=feature.line,
    )


def _mappings(feature: Feature) -> tuple[Mapping, ...]:
    mappings = []
    for table in feature.examples(PROPERTIES_EXAMPLES):
        columns = [slugify(c) for c in table.columns]
        try:
            source, target, dtype = (columns.index(n) for n in ("source", "target", "data-type"))
        except ValueError:
            raise SpecError(
                f"{feature.path}:{table.header_line}: the Properties table needs the columns "
                "'source', 'target' and 'data type'"
            ) from None
        for row in table.rows:
            raw = row.cells[dtype]
            mappings.append(
                Mapping(row.cells[source], row.cells[target], normalise_type(raw), raw, row.line)
            )
    return tuple(mappings)


def load_section(path: str | Path) -> SectionSpec:
    try:
        return section_from_feature(read_feature(path))
    except FeatureError as err:
        raise SpecError(str(err)) from err


def load_specs(features_dir: str | Path) -> list[SectionSpec]:
    """Every section spec under a features folder, in path order."""
    return [load_section(p) for p in sorted(Path(features_dir).rglob("*.feature"))]
