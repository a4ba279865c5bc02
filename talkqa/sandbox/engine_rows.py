"""A section's property rows, oriented for one pipe and checked against the catalogue.

A forward pipe reads a row's source property and writes its target; a reverse pipe the
other way round. A row whose written property is read-only (the `id -> id` row is the
link itself) is not written in that direction. A row between two references is
translated through the link of the referenced entities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from talkqa.sandbox.engine_paths import reference_of, written_field
from talkqa.sandbox.links import LinkRegistry, Links, Side
from talkqa.spec.catalogue import Entity, Field
from talkqa.spec.dataflow import Mapping


@dataclass(frozen=True)
class Row:
    mapping: Mapping
    read: str  # the property path read on the pipe's source side
    write: str  # the property path written on the pipe's target side
    field: Field  # the catalogue field written
    # For a reference row: the referenced entity on the read side, and the links to use.
    referenced: Side | None = None
    via: Links | None = None


@dataclass(frozen=True)
class Oriented:
    rows: tuple[Row, ...]
    problems: tuple[str, ...]  # rows that cannot be synchronized, and why

    def groups(self) -> dict[str, list[Row]]:
        """Rows by written path, in row order: several sources on one target."""
        found: dict[str, list[Row]] = {}
        for row in self.rows:
            found.setdefault(row.write, []).append(row)
        return found


def orient(
    mappings: Sequence[Mapping],
    forward: bool,
    source: tuple[Side, Entity],
    target: tuple[Side, Entity],
    registry: LinkRegistry,
) -> Oriented:
    """The rows a pipe from `source` to `target` writes, and the problems of the others."""
    (read_side, read_entity), (write_side, write_entity) = source, target
    rows: list[Row] = []
    problems: list[str] = []
    for mapping in mappings:
        read, write = (
            (mapping.source, mapping.target) if forward else (mapping.target, mapping.source)
        )
        where = f"row {read} -> {write}" + (f" (line {mapping.line})" if mapping.line else "")
        spec = written_field(write_entity, write)
        if spec is None:
            problems.append(f"{where}: {write_entity.name} has no property {write!r}")
            continue
        if spec.read_only:
            continue
        read_ref, write_ref = reference_of(read_entity, read), reference_of(write_entity, write)
        if read_ref is None or write_ref is None:
            rows.append(Row(mapping, read, write, spec))
            continue
        one = (read_side[0], str(read_ref.entity))
        two = (write_side[0], str(write_ref.entity))
        if not registry.known(one, two):
            problems.append(
                f"{where}: no section links {one[1]} and {two[1]}, so the reference cannot "
                "be translated"
            )
            continue
        rows.append(Row(mapping, read, write, spec, one, registry.between(one, two)))
    return Oriented(tuple(rows), tuple(problems))
