"""One scenario's work: create and edit records, synchronize, find what Talk linked.

A `Harness` is made per scenario (the pytest plugin's `harness` fixture) from an
environment's connectors, a sync driver, a data factory and the dataflow specs. Steps
call it with the words of the feature ("ZohoCRM Account"); it keeps the records the
scenario made or found, by entity, so later steps name them the same way. What it
creates it hands to `Cleanup`. The checks on what arrived are in `talkqa.checks`.

References are made the way a user makes them: a new record that refers to another
entity (a Contact's account) refers to the scenario's record of that entity, or to a new
one when a property row carries the reference or the API requires it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from talkqa.cleanup import Cleanup, interrupt_held_back
from talkqa.data import DataFactory
from talkqa.spec.catalogue import Entity, load_catalogue
from talkqa.spec.compare import Comparison, Link, referenced_entity, values_at
from talkqa.spec.dataflow import Mapping as Row
from talkqa.spec.dataflow import SectionSpec
from talkqa.spec.names import Named, Side, pair, resolve, side_of
from talkqa.sync import SyncDriver, SyncReport
from talkqa.systems.records import RecordApi


class ScenarioError(ValueError):
    """A scenario that asks for something it has not set up: the message says which step
    to add."""


@dataclass
class Record:
    named: Named
    id: str
    fields: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.named.name} {self.id}"

    def value(self, path: str) -> Any:
        found = values_at(self.fields, path)
        return found[0] if len(found) == 1 else (found or None)


def _entity(side: Side) -> Entity:
    found = load_catalogue().entity(*side)
    assert found is not None  # a Named's side comes from the catalogue
    return found


def _named(side: Side) -> Named:
    system = load_catalogue().systems[side[0]]
    text = f"{system.title} {side[1]}"
    return resolve(text)


class Harness:
    def __init__(
        self,
        systems: Mapping[str, RecordApi],
        driver: SyncDriver,
        data: DataFactory,
        specs: Sequence[SectionSpec],
        cleanup: Cleanup,
        section: SectionSpec | None = None,
    ) -> None:
        self.systems, self.driver, self.data = systems, driver, data
        self.specs, self.cleanup, self.section = list(specs), cleanup, section
        self.records: dict[Side, list[Record]] = {}
        self.syncs: list[SyncReport] = []  # what each sync took, for timing reports
        self.comparisons: list[Comparison] = []  # every row checked, for the report

    # -- names and records ----------------------------------------------------------------

    def named(self, text: str) -> Named:
        return resolve(text, self.section)

    def record(self, text: str) -> Record:
        """The scenario's latest record of the entity `text` names."""
        named = self.named(text)
        found = self.records.get(named.side)
        if not found:
            raise ScenarioError(
                f"the scenario has no {text} yet: begin with 'Given a new {text}' or "
                f"'Given a {text} linked with a ...'"
            )
        return found[-1]

    def _keep(self, record: Record) -> Record:
        self.records.setdefault(record.named.side, []).append(record)
        return record

    def pair(self, a: Named, b: Named) -> tuple[SectionSpec, str]:
        return pair(a, b, self.specs, self.section)

    def rows_on(self, side: Side) -> list[tuple[SectionSpec, Row, str]]:
        """Every property row with a path on `side`: (section, row, "source"|"target")."""
        found = []
        own = self.section.key if self.section is not None else None
        others = [spec for spec in self.specs if spec.key != own]
        for spec in [self.section, *others] if self.section is not None else others:
            for end, name in (("source", spec.source), ("target", spec.target)):
                if side_of(name) == side:
                    found += [(spec, row, end) for row in spec.properties]
        return found

    # -- creating, reading, editing -------------------------------------------------------

    def create(
        self,
        text: str,
        *,
        won: bool = True,
        fields: Mapping[str, Any] | None = None,
        reuse: bool = True,
    ) -> Record:
        """A new record of the entity `text` names, with its references (see the module
        doc); `won` meets the entity's selective-sync condition or not."""
        return self._create(self.named(text), won=won, fields=fields, reuse=reuse)

    def _create(
        self,
        named: Named,
        *,
        won: bool = True,
        fields: Mapping[str, Any] | None = None,
        reuse: bool = True,
        depth: int = 0,
    ) -> Record:
        references = self._references(named, depth, reuse)
        body = self.data.payload(
            named.system, named.entity, references=references, won=won, fields=fields
        )
        records = self.systems[named.system]
        with interrupt_held_back():  # a record made but never registered would stay behind
            record_id = records.create(named.entity, body)
            self.cleanup.add(named.side, record_id)
        return self._keep(self.read(Record(named, record_id)))

    def _references(self, named: Named, depth: int, reuse: bool) -> dict[str, str]:
        entity = _entity(named.side)
        on_rows = {
            row.source if end == "source" else row.target
            for _, row, end in self.rows_on(named.side)
        }
        references: dict[str, str] = {}
        for name, spec in entity.fields.items():
            if spec.entity is None or spec.read_only or spec.entity == entity.name:
                continue
            side = (named.system, spec.entity)
            wanted = spec.required or (
                depth == 0 and any(p == name or p.startswith(f"{name}.") for p in on_rows)
            )
            existing = self.records.get(side) if reuse else None
            if existing:
                references[name] = existing[-1].id
            elif wanted:
                other = self._create(_named(side), depth=depth + 1)
                references[name] = other.id
        return references

    def read(self, record: Record) -> Record:
        """The record as its API answers now."""
        named = record.named
        fields = self.systems[named.system].get(named.entity, record.id)
        if fields is None:
            raise ScenarioError(f"{record} is gone: was it deleted outside the scenario?")
        record.fields = fields
        return record

    def update(self, record: Record, changes: Mapping[str, Any]) -> Record:
        self.systems[record.named.system].update(record.named.entity, record.id, dict(changes))
        return self.read(record)

    def new_value(self, record: Record, path: str, data_type: str) -> Any:
        named = record.named
        return self.data.new_value(named.system, named.entity, path, data_type, record.value(path))

    def refer_anew(self, record: Record, path: str, toward: str) -> Record:
        """Point the reference at `path` to a new record that Talk links into the system
        `toward`: created directly where Talk carries that entity onward, else created
        on the side Talk carries it from, synchronized, and its linked copy taken."""
        named = record.named
        referred = referenced_entity(_entity(named.side), path)
        if referred is None:
            raise ScenarioError(f"{named.name}.{path} is no reference")
        side = (named.system, referred)
        other = (
            self._create(_named(side), reuse=False, depth=1) if self._onward(side, toward) else None
        )
        if other is None:
            origin_side = self.counterpart(side, toward)
            if origin_side is None:
                raise ScenarioError(f"no section carries {_named(side).text} to {toward}")
            origin = self._create(_named(origin_side), reuse=False, depth=1)
            self.synchronize()
            other = self.linked(origin, _named(side))
            if other is None:
                raise ScenarioError(f"{origin} got no linked {_named(side).text} to refer to")
        field_name = path.removesuffix(".id")
        changes = self.data.references(named.system, named.entity, {field_name: other.id})
        return self.update(record, changes)

    def _onward(self, side: Side, system: str) -> bool:
        """Whether a section carries new records of `side` into `system`."""
        for spec in self.specs:
            target = side_of(spec.target)
            if side_of(spec.source) == side and target is not None and target[0] == system:
                return True
        return False

    # -- the sync and its links -----------------------------------------------------------

    def synchronize(self) -> SyncReport:
        report = self.driver.synchronize()
        self.syncs.append(report)
        return report

    def linked(self, origin: Record, other: Named) -> Record | None:
        """The record of `other` Talk linked with `origin`, as its API answers it."""
        found = self.driver.linked_id(
            origin.named.system, origin.named.entity, origin.id, other.system, other.entity
        )
        if found is None:
            return None
        return self._keep(self.read(Record(other, found)))

    def counterpart(self, side: Side, system: str) -> Side | None:
        """The entity of `system` a section joins with `side`."""
        for spec in self.specs:
            ends = side_of(spec.source), side_of(spec.target)
            for one, two in (ends, ends[::-1]):
                if one == side and two is not None and two[0] == system:
                    return two
        return None

    def link(self, origin_system: str, destination_system: str) -> Link:
        """For the comparison: the id linked in `destination_system` with a record of the
        origin system."""

        def linked(entity: str, record_id: str) -> str | None:
            other = self.counterpart((origin_system, entity), destination_system)
            if other is None:
                return None
            return self.driver.linked_id(origin_system, entity, record_id, *other)

        return linked
