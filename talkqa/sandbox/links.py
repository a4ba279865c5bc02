"""Links between records of two entities, and what was last synchronized over each.

A link pairs one record on each side; it belongs to the pair of entities, not to one
section or direction, so a forward and a reverse pipe share it and a lookup
(`Account_Name.id -> customer_id`) is translated through the link of the referenced
entities. Per property and side, a link keeps the value last synchronized: a property
whose value differs from it was changed on that side since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from talkqa.checklist.model import slugify
from talkqa.sandbox.store import RecordId

Side = tuple[str, str]  # (system key, entity name)


def namespaced(side: Side, record_id: RecordId) -> str:
    """Sesam's namespaced id of a record: `~:zohocrm-account:5843104000000400001`."""
    return f"~:{dataset_stem(side)}:{record_id}"


def dataset_stem(side: Side) -> str:
    return f"{side[0]}-{slugify(side[1])}"


@dataclass
class Link:
    ids: dict[Side, RecordId]
    # (side, property path) -> the value that side held after the last synchronization.
    synced: dict[tuple[Side, str], Any] = field(default_factory=dict)
    merged: bool = False  # made by a merge criterion: neither record was inserted by Talk

    def other(self, side: Side) -> Side:
        return next(s for s in self.ids if s != side)


class Links:
    """The links between records of two entities (not thread-safe: the engine locks)."""

    def __init__(self, one: Side, two: Side) -> None:
        self.sides = (one, two)
        self._by: dict[Side, dict[str, Link]] = {one: {}, two: {}}

    def find(self, side: Side, record_id: RecordId) -> Link | None:
        return self._by[side].get(str(record_id))

    def linked_id(self, side: Side, record_id: RecordId) -> RecordId | None:
        """The id of the record linked to `record_id` of `side`, on the other side."""
        link = self.find(side, record_id)
        return None if link is None else link.ids[link.other(side)]

    def add(self, link: Link) -> None:
        for side, record_id in link.ids.items():
            self._by[side][str(record_id)] = link

    def __len__(self) -> int:
        return len(self._by[self.sides[0]])


class LinkRegistry:
    """Every pair of linked entities' links, found from either side."""

    def __init__(self) -> None:
        self._tables: dict[frozenset[Side], Links] = {}

    def between(self, one: Side, two: Side) -> Links:
        key = frozenset((one, two))
        if key not in self._tables:
            self._tables[key] = Links(one, two)
        return self._tables[key]

    def merged_with(self, side: Side, record_id: RecordId) -> list[str]:
        """The namespaced ids of the records `record_id` of `side` was merged with."""
        links = [t.find(side, record_id) for t in self._tables.values() if side in t.sides]
        return [
            namespaced(other, link.ids[other])
            for link in links
            if link is not None and link.merged
            for other in [link.other(side)]
        ]

    def known(self, one: Side, two: Side) -> bool:
        return frozenset((one, two)) in self._tables
