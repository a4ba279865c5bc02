"""In-memory record collections shared by the emulated APIs and the Talk engine.

Every emulated system keeps its records here, one `Collection` per entity. The API
layers shape records into each system's JSON; the Talk engine reads and writes them
directly (it is part of the emulation, not a client of it) and finds changes through
`changed_since`, the way Talk's collect pipes use "since" queries.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from talkqa.sandbox.clock import Clock

RecordId = str | int


@dataclass
class Record:
    """One record: its id, its fields as the system stores them, and its timestamps."""

    id: RecordId
    fields: dict[str, Any]
    created: datetime
    modified: datetime
    # Who wrote it last: "api" for a client of the API, "talk" for the sync engine.
    modified_by: str = "api"
    deleted: bool = False

    def snapshot(self) -> Record:
        return copy.deepcopy(self)


def sequential_ids(start: int = 1) -> Callable[[], int]:
    counter = itertools.count(start)
    return lambda: next(counter)


@dataclass
class Collection:
    """A thread-safe, ordered set of records of one entity."""

    name: str
    clock: Clock
    new_id: Callable[[], RecordId] = field(default_factory=sequential_ids)
    _records: dict[RecordId, Record] = field(default_factory=dict, init=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False)

    def insert(self, fields: dict[str, Any], *, by: str = "api") -> Record:
        with self._lock:
            now = self.clock.now()
            record = Record(self.new_id(), dict(fields), now, now, by)
            self._records[record.id] = record
            return record.snapshot()

    def get(self, record_id: RecordId) -> Record | None:
        with self._lock:
            record = self._records.get(record_id)
            return None if record is None or record.deleted else record.snapshot()

    def update(self, record_id: RecordId, changes: dict[str, Any], *, by: str = "api") -> Record:
        """Merge `changes` into the record; the modified time moves only on a real change."""
        with self._lock:
            record = self._live(record_id)
            if any(record.fields.get(k) != v for k, v in changes.items()):
                record.fields.update(changes)
                record.modified = self.clock.now()
                record.modified_by = by
            return record.snapshot()

    def replace(self, record_id: RecordId, fields: dict[str, Any], *, by: str = "api") -> Record:
        """Replace every field (webCRM's PUT semantics)."""
        with self._lock:
            record = self._live(record_id)
            record.fields = dict(fields)
            record.modified = self.clock.now()
            record.modified_by = by
            return record.snapshot()

    def delete(self, record_id: RecordId) -> bool:
        with self._lock:
            record = self._records.get(record_id)
            if record is None or record.deleted:
                return False
            record.deleted = True
            record.modified = self.clock.now()
            return True

    def all(self) -> list[Record]:
        with self._lock:
            return [r.snapshot() for r in self._records.values() if not r.deleted]

    def changed_since(self, since: datetime | None) -> list[Record]:
        """Live records modified after `since` (all of them for None), oldest change first."""
        with self._lock:
            found = [r for r in self._records.values() if not r.deleted]
            if since is not None:
                found = [r for r in found if r.modified > since]
            return [r.snapshot() for r in sorted(found, key=lambda r: r.modified)]

    def __iter__(self) -> Iterator[Record]:
        return iter(self.all())

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for r in self._records.values() if not r.deleted)

    def _live(self, record_id: RecordId) -> Record:
        record = self._records.get(record_id)
        if record is None or record.deleted:
            raise KeyError(record_id)
        return record
