"""The checklist's promises as checks: what each step of a feature asks of the sync.

Every function takes the scenario's `Harness` and the words of a step. A broken promise
raises `SyncDefect` (an AssertionError, so pytest shows it as a failed check), naming the
property, both values and both records; a row that cannot be checked in a direction
(read-only on one side) is kept as `Skipped`, with its reason, beside the compared rows.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass, field

from talkqa.checklist.parser import normalise_type
from talkqa.harness import Harness, Record, ScenarioError
from talkqa.spec.compare import (
    Comparison,
    Mismatch,
    Skipped,
    check,
    compare_all,
    comparison_table,
    row_kind,
    skip_reason,
)
from talkqa.spec.dataflow import Mapping as Row
from talkqa.spec.dataflow import SectionSpec
from talkqa.spec.names import side_of
from talkqa.sync import dataset_stem, namespaced


class SyncDefect(AssertionError):
    """The sync did not do what the checklist promises: a product defect."""

    def __init__(self, message: str, comparisons: Collection[Comparison] = ()) -> None:
        table = f"\n{comparison_table(comparisons)}" if comparisons else ""
        super().__init__(message + table)
        self.comparisons = tuple(comparisons)


@dataclass
class Edit:
    """What a When step changed on one record, and the rows it can be checked by."""

    record: Record
    paths: list[str] = field(default_factory=list)
    skipped: Skipped | None = None


def _direction_rows(spec: SectionSpec, direction: str, paths: Collection[str] | None) -> list[Row]:
    return [
        row
        for row in spec.properties
        if paths is None or (row.source if direction == "forward" else row.target) in paths
    ]


def values_arrived(
    harness: Harness, origin: Record, destination: Record, paths: Collection[str] | None = None
) -> list[Comparison]:
    """The rows from `origin` to `destination` (all, or those of the origin's `paths`)
    hold the origin's values; a `SyncDefect` lists those that do not."""
    spec, direction = harness.pair(origin.named, destination.named)
    source, target = (origin, destination) if direction == "forward" else (destination, origin)
    compared = compare_all(
        _direction_rows(spec, direction, paths),
        source.fields,
        target.fields,
        direction=direction,
        source_name=spec.source,
        target_name=spec.target,
        link=harness.link(origin.named.system, destination.named.system),
    )
    harness.comparisons += compared
    wrong = [c for c in compared if isinstance(c.outcome, Mismatch)]
    if wrong:
        lines = "\n".join(f"  {c.outcome}" for c in wrong)
        raise SyncDefect(
            f"{len(wrong)} of {len(compared)} properties of {origin} did not arrive in "
            f"{destination} as the rows say:\n{lines}",
            compared,
        )
    return compared


def linked_record(harness: Harness, origin_text: str, other_text: str) -> Record:
    """The record Talk linked with the scenario's `origin_text` record."""
    origin = harness.record(origin_text)
    found = harness.linked(origin, harness.named(other_text))
    if found is None:
        raise SyncDefect(f"no {other_text} is linked with {origin} after the sync")
    return found


def linked_pair(harness: Harness, text: str, other_text: str) -> Record:
    """A new record, synchronized, and the record Talk linked with it."""
    harness.create(text)
    harness.synchronize()
    return linked_record(harness, text, other_text)


def _rows_of(harness: Harness, record: Record) -> list[tuple[SectionSpec, Row, str]]:
    """The rows on the record's side: the scenario's own section's first."""
    rows = harness.rows_on(record.named.side)
    own = [r for r in rows if r[0] is harness.section]
    return own or rows


def edit(harness: Harness, text: str) -> Edit:
    """Give every property the record's rows can carry a new value (values, not ids or
    references; not read-only on either side)."""
    record = harness.record(text)
    changes: dict[str, object] = {}
    for spec, row, end in _rows_of(harness, record):
        direction = "forward" if end == "source" else "reverse"
        path = _path(row, end)
        if path in changes or row_kind(row, spec.source, spec.target) != "value":
            continue
        if skip_reason(row, direction=direction, source_name=spec.source, target_name=spec.target):
            continue
        changes[path] = harness.new_value(record, path, row.data_type)
    if not changes:
        raise ScenarioError(f"{text} has no property row that can be edited and carried")
    harness.update(record, changes)
    return Edit(record, list(changes))


def edit_arrived(harness: Harness, change: Edit, other_text: str) -> list[Comparison]:
    origin = harness.read(change.record)
    destination = harness.read(harness.record(other_text))
    return values_arrived(harness, origin, destination, change.paths)


def change_property(harness: Harness, text: str, path: str) -> Edit:
    """Change one property (an id row changes nothing: its check is the link; a reference
    is pointed at a new record), then synchronize. A property that cannot be edited or
    carried this way is not touched: the returned `Edit` says why."""
    record = harness.record(text)
    found = [(s, r, e) for s, r, e in _rows_of(harness, record) if _path(r, e) == path]
    if found:
        spec, row, end = found[0]
        direction = "forward" if end == "source" else "reverse"
        kind = row_kind(row, spec.source, spec.target)
        skipped = skip_reason(
            row, direction=direction, source_name=spec.source, target_name=spec.target
        )
        if skipped is not None:
            return Edit(record, [path], skipped)
        data_type = row.data_type
    else:
        kind, data_type = "value", "n/a"
    if kind == "reference":
        other = spec.target if end == "source" else spec.source
        toward = side_of(other)
        harness.refer_anew(record, path, toward[0] if toward else "")
    elif kind == "value":
        harness.update(record, {path: harness.new_value(record, path, data_type)})
    harness.synchronize()
    return Edit(record, [path])


def _path(row: Row, end: str) -> str:
    return row.source if end == "source" else row.target


def change_arrived(
    harness: Harness, change: Edit, other_text: str, other_path: str, data_type: str
) -> Comparison | Skipped:
    """The changed property's row holds the new value on the linked record."""
    if change.skipped is not None:
        return change.skipped
    origin = harness.read(change.record)
    return _row_holds(harness, origin, other_text, change.paths[0], other_path, data_type)


def _row_holds(
    harness: Harness, origin: Record, other_text: str, path: str, other_path: str, data_type: str
) -> Comparison | Skipped:
    """The row `path` / `other_path` agrees between `origin` (as given) and the linked
    record as it is now."""
    destination = harness.read(harness.record(other_text))
    spec, direction = harness.pair(origin.named, destination.named)
    source, target = (origin, destination) if direction == "forward" else (destination, origin)
    paths = (path, other_path) if direction == "forward" else (other_path, path)
    row = _row(spec, paths) or Row(*paths, normalise_type(data_type), data_type)
    compared = check(
        row,
        source.fields,
        target.fields,
        direction=direction,
        source_name=spec.source,
        target_name=spec.target,
        link=harness.link(origin.named.system, destination.named.system),
    )
    harness.comparisons.append(compared)
    if isinstance(compared.outcome, Mismatch):
        raise SyncDefect(f"{compared.outcome}", [compared])
    return compared.outcome if isinstance(compared.outcome, Skipped) else compared


def _row(spec: SectionSpec, paths: tuple[str, str]) -> Row | None:
    """The section's property row joining (source path, target path), if it has one."""
    return next((r for r in spec.properties if (r.source, r.target) == paths), None)


@dataclass(frozen=True)
class Conflict:
    """Both sides changed one property between two syncs: `later` was changed last."""

    later: Edit
    value: object


def change_both(
    harness: Harness, text: str, path: str, other_text: str, other_path: str
) -> Conflict:
    """Change `path` on one record, then `other_path` on the linked one, then sync once:
    "latest version wins" says the second change is what both sides keep."""
    first, second = harness.record(text), harness.record(other_text)
    spec, direction = harness.pair(first.named, second.named)
    paths = (path, other_path) if direction == "forward" else (other_path, path)
    row = _row(spec, paths)
    if row is None:
        raise ScenarioError(f"no property row {paths[0]} -> {paths[1]} in {spec.heading}")
    harness.update(first, {path: harness.new_value(first, path, row.data_type)})
    value = harness.new_value(second, other_path, row.data_type)
    harness.update(second, {other_path: value})
    harness.synchronize()
    return Conflict(Edit(second, [other_path]), value)


def later_change_kept(
    harness: Harness, conflict: Conflict, later_text: str, text: str, path: str, data_type: str
) -> None:
    """The record changed last still holds its change, and the other record took it."""
    if harness.named(later_text).side != conflict.later.record.named.side:
        raise ScenarioError(
            f"the {later_text} was not the record changed last; the step before changed "
            f"the {conflict.later.record.named.text} last"
        )
    later = harness.read(conflict.later.record)
    kept = later.value(conflict.later.paths[0])
    if kept != conflict.value:
        raise SyncDefect(
            f"latest version wins: {later}'s {conflict.later.paths[0]} was changed last, to "
            f"{conflict.value!r}, but holds {kept!r} after the sync (the earlier edit won)"
        )
    _row_holds(harness, later, text, conflict.later.paths[0], path, data_type)


def clear_property(harness: Harness, text: str, path: str) -> Edit:
    """Empty one property, then sync; the `Edit` keeps the record as it was before."""
    record = harness.read(harness.record(text))
    if record.value(path) in (None, "", []):
        raise ScenarioError(f"{record}'s {path} is already empty: nothing to clear")
    before = Record(record.named, record.id, copy.deepcopy(record.fields))  # read() updates
    after = harness.update(record, {path: None})
    if after.value(path) not in (None, "", []):
        raise ScenarioError(
            f"{after}'s {path} still reads {after.value(path)!r} after emptying it: "
            f"{after.named.system} does not let it be emptied; choose another property"
        )
    harness.synchronize()
    return Edit(before, [path])


def value_kept(
    harness: Harness, cleared: Edit, other_text: str, other_path: str, data_type: str
) -> None:
    """ "An empty value never overwrites a non-empty one": the linked record still holds
    the value the cleared property had."""
    _row_holds(harness, cleared.record, other_text, cleared.paths[0], other_path, data_type)


def not_linked(harness: Harness, origin_text: str, other_text: str) -> None:
    origin = harness.record(origin_text)
    found = harness.linked(origin, harness.named(other_text))
    if found is not None:
        raise SyncDefect(
            f"{found} was linked with {origin}, which does not meet the section's condition"
        )


def matching_pair(
    harness: Harness, text: str, other_text: str, path: str, other_path: str
) -> Record:
    """A record of each entity, made apart and before any sync, equal on the merge
    criterion `path` / `other_path`."""
    first = harness.create(text)
    value = first.value(path)
    if value is None:
        raise ScenarioError(f"a new {text} has no value at {path!r} to match on")
    return harness.create(other_text, fields={other_path: value})


def are_linked(harness: Harness, text: str, other_text: str) -> None:
    first, second = harness.record(text), harness.record(other_text)
    linked = harness.driver.linked_id(
        first.named.system, first.named.entity, first.id, second.named.system, second.named.entity
    )
    if linked != second.id:
        now = f"{second.named.name} {linked}" if linked else "nothing"
        raise SyncDefect(f"{first} should be linked with {second}; it is linked with {now}")


def none_inserted(harness: Harness, other_text: str, text: str) -> None:
    """Talk inserted no record of `other_text` because of the scenario's `text` record."""
    origin, other = harness.record(text), harness.named(other_text)
    inserted = harness.driver.inserted_from(
        [namespaced(origin.named.system, origin.named.entity, origin.id)],
        [dataset_stem(other.system, other.entity)],
    )
    if inserted:
        raise SyncDefect(
            f"Talk created {len(inserted)} {other_text} for {origin} ({', '.join(inserted)}) "
            "instead of linking the one that matched"
        )
