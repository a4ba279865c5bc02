"""One Talk pipe: reads the records of one entity changed since it last looked, and
creates, links or updates their counterparts on the other side.

Latest version wins per property: a link remembers each property's value on both sides
after the last synchronization, so a run sees on which side a property changed. Changed
on one side only, that side's value travels; changed on both, the record modified later
wins. An empty value never overwrites a filled one, and nothing is ever deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
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
        try:
            if link is not None:
                return self.update(record, link)
            return self.pipe.forward and self.link_or_create(record)
        except Waiting:
            self.pipe.waiting[str(record.id)] = record.id
            return False

    def link_or_create(self, record: Record) -> bool:
        if not self.qualifies(record):
            return False
        if self.pipe.section.merge_criteria and not self.fault("merge-ignored"):
            match = self.merge_match(record)
            if match is not None:
                link = Link({self.src.side: record.id, self.tgt.side: match.id})
                self.keep(link)
                return self.update(record, link)
        if self.fault("no-create"):
            return False
        values = self.desired(record)
        required = [
            name
            for name, spec in self.tgt.entity.fields.items()
            if spec.required and not spec.read_only and is_empty(values.get(name))
        ]
        if required:
            self.errors.append(
                f"{self.name(record)}: no {self.tgt.entity.name} created, "
                f"required {', '.join(required)} has no value"
            )
            return False
        new = self.insert(record, values)
        link = Link({self.src.side: record.id, self.tgt.side: new.id})
        for path, rows in self.pipe.groups.items():
            for row in rows:
                link.synced[(self.src.side, row.read)] = read(self.src.entity, record, row.read)
            link.synced[(self.tgt.side, path)] = read(self.tgt.entity, new, path)
        self.keep(link)
        return True

    def qualifies(self, record: Record) -> bool:
        """Selective sync: only a record meeting its entity's condition gets a counterpart."""
        condition = self.src.entity.sync_when
        if condition is None or self.fault("deal-before-won"):
            return True
        return bool(read(self.src.entity, record, condition.field) == condition.equals)

    def keep(self, link: Link) -> None:
        if not self.fault("lost-link"):
            self.pipe.links.add(link)

    def insert(self, record: Record, values: dict[str, Any]) -> Record:
        fields: dict[str, Any] = {}
        for path, value in values.items():
            write(self.tgt.entity, None, path, value, fields)
        new = self.tgt.collection.insert(fields, by="talk")
        self.pipe.origins[(self.tgt.side, str(new.id))] = self.name(record)
        return new

    def merge_match(self, record: Record) -> Record | None:
        """An unlinked target record equal to `record` in one of the merge criteria."""
        links = self.pipe.links
        free = [t for t in self.tgt.collection.all() if links.find(self.tgt.side, t.id) is None]
        for src_prop, tgt_prop in self.pipe.section.merge_criteria:
            raw = read(self.src.entity, record, src_prop)
            if is_empty(raw):
                continue
            try:
                wanted = convert(raw, written_field(self.tgt.entity, tgt_prop), self.decimals)
            except ConversionError:
                wanted = raw
            for candidate in free:
                if same(wanted, read(self.tgt.entity, candidate, tgt_prop)):
                    return candidate
        return None

    def update(self, record: Record, link: Link) -> bool:
        target = self.tgt.collection.get(link.ids[self.tgt.side])
        if target is None:
            return False  # gone on the other side: Talk neither deletes nor recreates
        newer = record.modified > target.modified or (
            record.modified == target.modified and self.pipe.forward
        )
        changes: dict[str, Any] = {}
        src_synced: dict[tuple[Side, str], Any] = {}
        tgt_synced: dict[tuple[Side, str], Any] = {}
        edited: list[list[Row]] = []
        for path, rows in self.pipe.groups.items():
            if not self.pipe.forward and self.fault("no-reverse-sync", rows):
                continue
            now = {row.read: read(self.src.entity, record, row.read) for row in rows}
            if all(link.synced.get((self.src.side, p), MISSING) == v for p, v in now.items()):
                continue
            current = read(self.tgt.entity, target, path)
            both = link.synced.get((self.tgt.side, path), MISSING) != current
            if both and newer == self.fault("older-edit-wins", rows):
                continue  # changed on both sides, and the other side's edit wins
            value = self.value(rows, record)
            src_synced |= {(self.src.side, p): v for p, v in now.items()}
            if self.fault("dropped-property", rows):
                continue
            if is_empty(value) and is_empty(current):
                tgt_synced[(self.tgt.side, path)] = current  # nothing to write
                continue
            if is_empty(value) and not self.fault("empty-overwrites", rows):
                continue  # an empty value never overwrites a filled one
            value = self.faulty(rows, value)
            tgt_synced[(self.tgt.side, path)] = value
            if value != current:
                write(self.tgt.entity, target, path, value, changes)
                edited.append(rows)
        if self.pipe.forward and any(self.fault("duplicate-instead-of-update", r) for r in edited):
            self.insert(record, self.desired(record))
            link.synced |= src_synced
            return True
        link.synced |= src_synced
        if changes:
            self.tgt.collection.update(target.id, changes, by="talk")
        link.synced |= tgt_synced
        return bool(changes)

    def desired(self, record: Record) -> dict[str, Any]:
        """The target values for `record`: every non-empty written path."""
        values: dict[str, Any] = {}
        for path, rows in self.pipe.groups.items():
            value = self.value(rows, record)
            if not is_empty(value) and not self.fault("dropped-property", rows):
                values[path] = self.faulty(rows, value)
        return values

    def value(self, rows: list[Row], record: Record) -> Any:
        """The value a target path gets: the last row in order whose source has one."""
        chosen: tuple[Row, Any] | None = None
        for row in rows:
            value = self.translate(row, read(self.src.entity, record, row.read), record)
            if not is_empty(value):
                chosen = (row, value)
        if chosen is None:
            return None
        row, value = chosen
        try:
            return convert(value, row.field, self.decimals)
        except ConversionError as err:
            self.errors.append(f"{self.name(record)}: {err}")
            return None

    def translate(self, row: Row, value: Any, record: Record) -> Any:
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
            f"{self.name(record)}: {row.read} refers to {namespaced(row.referenced, value)}, "
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

    def name(self, record: Record) -> str:
        return namespaced(self.src.side, record.id)
