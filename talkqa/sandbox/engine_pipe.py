"""One Talk pipe: reads the records of one entity changed since it last looked, and
creates, links or updates their counterparts on the other side.

Talk sees a record only as the system's API answers it, so the pipe reads each record
through the API's own rendering, and writes values converted to the target field's type.

Latest version wins per property: a link remembers each property's value on both sides
after the last synchronization, so a run sees on which side a property changed. Changed
on one side only, that side's value travels; changed on both, the record modified later
wins. An empty value never overwrites a filled one, and nothing is ever deleted.
Several source rows on one target property: see `_Sync.value`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from talkqa.sandbox.clock import Clock
from talkqa.sandbox.convert import ConversionError, convert, is_empty, same, truncated, wrong_type
from talkqa.sandbox.engine_paths import read, write, written_field
from talkqa.sandbox.engine_rows import Oriented, Row
from talkqa.sandbox.engine_types import PipeInfo, PipeRun, SystemHandle
from talkqa.sandbox.faults import FaultSet
from talkqa.sandbox.links import Link, Links, Side, namespaced
from talkqa.sandbox.store import Collection, Record, RecordId
from talkqa.spec.catalogue import Entity
from talkqa.spec.dataflow import SectionSpec

MISSING = object()  # a property never synchronized over a link (a merged pair)
Origins = dict[tuple[Side, str], str]  # (side, record id) -> the namespaced id that caused it
Synced = dict[tuple[Side, str], Any]  # what `Link.synced` keeps


class Waiting(Exception):
    """The record refers to a record that is not linked yet: it waits its turn."""


@dataclass(frozen=True)
class Endpoint:
    side: Side
    entity: Entity
    handle: SystemHandle

    @property
    def collection(self) -> Collection:
        return self.handle.collections[self.side[1]]

    def show(self, record: Record) -> Shown:
        """`record` as the system's API answers it."""
        return Shown(record, self.handle.render(self.side[1], record))

    def read(self, shown: Shown, path: str) -> Any:
        return read(self.entity, shown.json, path)


@dataclass(frozen=True)
class Shown:
    """A stored record and its API answer: the record's times, the answer's values."""

    record: Record
    json: dict[str, Any]


@dataclass
class _Update:
    """One linked pair's update in the making."""

    source: Shown
    target: Shown
    link: Link
    newer: bool  # the source record was modified after the target one
    changes: dict[str, Any] = field(default_factory=dict)  # to store on the target
    src_synced: Synced = field(default_factory=dict)
    tgt_synced: Synced = field(default_factory=dict)
    edited: list[list[Row]] = field(default_factory=list)  # the groups written


class Pipe:
    def __init__(
        self,
        info: PipeInfo,
        section: SectionSpec,
        ends: tuple[Endpoint, Endpoint],
        rows: Oriented,
        links: Links,
        origins: Origins,
    ) -> None:
        self.info = info
        self.section = section
        self.source, self.target = ends
        self.rows = rows
        self.groups = rows.groups()
        self.links = links
        self.origins = origins
        self.last_seen: datetime | None = None
        self.waiting: dict[str, RecordId] = {}  # the dependency backlog

    @property
    def forward(self) -> bool:
        return self.info.direction == "forward"

    def backlog(self) -> int:
        return len(self.source.collection.changed_since(self.last_seen))

    def run(self, faults: FaultSet, clock: Clock) -> PipeRun:
        started = clock.now()
        changed = self.source.collection.changed_since(self.last_seen)
        if changed:
            self.last_seen = changed[-1].modified
        seen = {str(r.id) for r in changed}
        retry = [self.source.collection.get(i) for k, i in self.waiting.items() if k not in seen]
        records = changed + [r for r in retry if r is not None]
        self.waiting = {}
        sync = _Sync(self, faults)
        written = sum(sync.record(r) for r in records)
        errors = [*self.rows.problems, *sync.errors]
        return PipeRun(self.info.id, started, clock.now(), len(records), written, errors)


class _Sync:
    """One run's work on one pipe, under one set of faults."""

    def __init__(self, pipe: Pipe, faults: FaultSet) -> None:
        self.pipe = pipe
        self.src, self.tgt = pipe.source, pipe.target
        self.faults = faults
        self.errors: list[str] = []

    def fault(self, name: str, rows: list[Row] | None = None) -> bool:
        key = self.pipe.section.key
        if rows is None:
            return self.faults.active(name, key)
        props = {p for row in rows for p in (row.mapping.source, row.mapping.target)}
        return any(self.faults.active(name, key, p) for p in props)

    def record(self, record: Record) -> bool:
        """Synchronize one source record; True when the target side was written."""
        link = self.pipe.links.find(self.src.side, record.id)
        shown = self.src.show(record)
        try:
            if link is not None:
                return self.update(shown, link)
            return self.pipe.forward and self.link_or_create(shown)
        except Waiting:
            self.pipe.waiting[str(record.id)] = record.id
            return False

    def link_or_create(self, shown: Shown) -> bool:
        if not self.qualifies(shown):
            return False
        if self.pipe.section.merge_criteria and not self.fault("merge-ignored"):
            match = self.merge_match(shown)
            if match is not None:
                ids = {self.src.side: shown.record.id, self.tgt.side: match.id}
                link = Link(ids, merged=True)
                self.keep(link)
                return self.update(shown, link)
        if self.fault("no-create"):
            return False
        values = self.desired(shown)
        if not self.complete(shown, values):
            return False
        new = self.tgt.show(self.insert(shown, values))
        link = Link({self.src.side: shown.record.id, self.tgt.side: new.record.id})
        for path, rows in self.pipe.groups.items():
            for row in rows:
                link.synced[(self.src.side, row.read)] = self.src.read(shown, row.read)
            link.synced[(self.tgt.side, path)] = self.tgt.read(new, path)
        self.keep(link)
        return True

    def complete(self, shown: Shown, values: dict[str, Any]) -> bool:
        """Whether `values` fill every required target field (else an error says which)."""
        required = [
            name
            for name, spec in self.tgt.entity.fields.items()
            if spec.required and not spec.read_only and is_empty(values.get(name))
        ]
        if required:
            self.errors.append(
                f"{self.name(shown)}: no {self.tgt.entity.name} created, "
                f"required {', '.join(required)} has no value"
            )
        return not required

    def qualifies(self, shown: Shown) -> bool:
        """Selective sync: only a record meeting its entity's condition gets a counterpart."""
        condition = self.src.entity.sync_when
        if condition is None or self.fault("deal-before-won"):
            return True
        return bool(self.src.read(shown, condition.field) == condition.equals)

    def keep(self, link: Link) -> None:
        if not self.fault("lost-link"):
            self.pipe.links.add(link)

    def insert(self, shown: Shown, values: dict[str, Any]) -> Record:
        fields: dict[str, Any] = {}
        for path, value in values.items():
            write(self.tgt.entity, None, path, value, fields)
        new = self.tgt.collection.insert(fields, by="talk")
        self.pipe.origins[(self.tgt.side, str(new.id))] = self.name(shown)
        return new

    def merge_match(self, shown: Shown) -> Record | None:
        """An unlinked target record equal to `shown` in one of the merge criteria."""
        links = self.pipe.links
        free = [
            self.tgt.show(t)
            for t in self.tgt.collection.all()
            if links.find(self.tgt.side, t.id) is None
        ]
        for src_prop, tgt_prop in self.pipe.section.merge_criteria:
            raw = self.src.read(shown, src_prop)
            if is_empty(raw):
                continue
            try:
                wanted = convert(raw, written_field(self.tgt.entity, tgt_prop), self.decimals)
            except ConversionError:
                wanted = raw
            for candidate in free:
                if same(wanted, self.tgt.read(candidate, tgt_prop)):
                    return candidate.record
        return None

    def update(self, shown: Shown, link: Link) -> bool:
        target = self.tgt.collection.get(link.ids[self.tgt.side])
        if target is None:
            return False  # gone on the other side: Talk neither deletes nor recreates
        record = shown.record
        newer = record.modified > target.modified or (
            record.modified == target.modified and self.pipe.forward
        )
        job = _Update(shown, self.tgt.show(target), link, newer)
        for path, rows in self.pipe.groups.items():
            if self.pipe.forward or not self.fault("no-reverse-sync", rows):
                self.carry(job, path, rows)
        link.synced |= job.src_synced
        if self.pipe.forward and any(
            self.fault("duplicate-instead-of-update", r) for r in job.edited
        ):
            self.insert(shown, self.desired(shown))
            return True
        if job.changes:
            self.tgt.collection.update(target.id, job.changes, by="talk")
        link.synced |= job.tgt_synced
        return bool(job.changes)

    def carry(self, job: _Update, path: str, rows: list[Row]) -> None:
        """Carry a change of the source rows feeding `path` into `job`, if one is due."""
        now = {row.read: self.src.read(job.source, row.read) for row in rows}
        synced = job.link.synced
        changed = [r for r in rows if synced.get((self.src.side, r.read), MISSING) != now[r.read]]
        if not changed:
            return  # no source row changed since the last sync: the target stays as it is
        current = self.tgt.read(job.target, path)
        both = synced.get((self.tgt.side, path), MISSING) != current
        if both and job.newer == self.fault("older-edit-wins", rows):
            return  # changed on both sides, and the other side's edit wins
        value = self.value(changed, job.source)
        job.src_synced |= {(self.src.side, p): v for p, v in now.items()}
        if self.fault("dropped-property", rows):
            return
        if is_empty(value) and is_empty(current):
            job.tgt_synced[(self.tgt.side, path)] = current  # nothing to write
            return
        if is_empty(value) and not self.fault("empty-overwrites", rows):
            return  # an empty value never overwrites a filled one
        value = self.faulty(rows, value)
        job.tgt_synced[(self.tgt.side, path)] = value
        if value != current:
            write(self.tgt.entity, job.target.record, path, value, job.changes)
            job.edited.append(rows)

    def desired(self, shown: Shown) -> dict[str, Any]:
        """The target values for a new record: every non-empty written path."""
        values: dict[str, Any] = {}
        for path, rows in self.pipe.groups.items():
            value = self.value(rows, shown)
            if not is_empty(value) and not self.fault("dropped-property", rows):
                values[path] = self.faulty(rows, value)
        return values

    def value(self, rows: list[Row], shown: Shown) -> Any:
        """The value a target path gets from the source rows feeding it: the first row in
        table order whose source has a value. On creation that is among all the rows; on
        an edit among the rows whose value changed since the last sync (latest change
        wins), so an edited row beats one that still holds its older value."""
        for row in rows:
            value = self.translate(row, self.src.read(shown, row.read), shown)
            if not is_empty(value):
                return self.converted(row, value, shown)
        return None

    def converted(self, row: Row, value: Any, shown: Shown) -> Any:
        try:
            return convert(value, row.field, self.decimals)
        except ConversionError as err:
            self.errors.append(f"{self.name(shown)}: {err}")
            return None

    def translate(self, row: Row, value: Any, shown: Shown) -> Any:
        """A reference as the id of the linked record on the target side."""
        if row.via is None or row.referenced is None or is_empty(value):
            return value
        linked = row.via.linked_id(row.referenced, value)
        if linked is not None:
            return linked
        referenced = self.src.handle.collections.get(row.referenced[1])
        if referenced is None or referenced.get(value) is None:
            return None
        if self.pipe.forward:
            raise Waiting(value)
        self.errors.append(
            f"{self.name(shown)}: {row.read} refers to {namespaced(row.referenced, value)}, "
            f"which is not linked; {row.write} not written"
        )
        return None

    def faulty(self, rows: list[Row], value: Any) -> Any:
        if is_empty(value):
            return value
        if self.fault("wrong-type", rows):
            value = wrong_type(value, rows[-1].field)
        if self.fault("truncated-value", rows):
            value = truncated(value, rows[-1].field)
        return value

    @property
    def decimals(self) -> str:
        return self.tgt.handle.system.decimals

    def name(self, shown: Shown) -> str:
        return namespaced(self.src.side, shown.record.id)
