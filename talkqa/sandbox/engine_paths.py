"""Property paths on stored records: what a mapping row reads and where it writes.

Collections store each system's API shape minus what the system maintains itself, so a
path needs interpreting: the entity's id field is the record id, `billing_address.city`
is a member of a nested object, `Account_Name.id` is the id a lookup stores, and
read-only timestamps come from the record's own times.
"""

from __future__ import annotations

import copy
from typing import Any

from talkqa.sandbox.store import Record
from talkqa.spec.catalogue import Entity, Field


def id_field(entity: Entity) -> str:
    """The field that holds a record's id: `id`, or webCRM's `OrganisationId` and kin."""
    if "id" in entity.fields:
        return "id"
    for name, spec in entity.fields.items():
        if spec.read_only and name.endswith("Id") and spec.entity is None:
            return name
    return "id"


def reference_of(entity: Entity, path: str) -> Field | None:
    """The reference field a path names (`Account_Name.id`, `customer_id`), if it is one."""
    spec = entity.fields.get(path)
    if spec is None:
        head, _, rest = path.partition(".")
        spec = entity.fields.get(head) if rest == "id" else None
    return spec if spec is not None and spec.entity is not None else None


def written_field(entity: Entity, path: str) -> Field | None:
    """The catalogue field a path writes, or None when the entity has no such property."""
    return entity.fields.get(path) or reference_of(entity, path)


def read(entity: Entity, record: Record, path: str) -> Any:
    """The value of `path` on a stored record (None when absent)."""
    if path == id_field(entity):
        return record.id
    fields = record.fields
    if path in fields:
        return copy.deepcopy(fields[path])
    spec = entity.fields.get(path)
    if spec is not None and spec.read_only and spec.type == "datetime":
        return _timestamp(record, path)
    reference = reference_of(entity, path)
    if reference is not None and reference.name != path:
        stored = fields.get(reference.name)
        return stored.get("id") if isinstance(stored, dict) else stored
    value: Any = fields
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return copy.deepcopy(value)


def write(
    entity: Entity, record: Record | None, path: str, value: Any, into: dict[str, Any]
) -> None:
    """Put `value` at `path` into `into`, the top-level changes to store on `record`
    (None: a new record); a nested object is copied whole with the member changed."""
    reference = reference_of(entity, path)
    if reference is not None:
        into[reference.name] = value
        return
    head, dot, member = path.partition(".")
    if not dot:
        into[path] = value
        return
    if head not in into:
        current = record.fields.get(head) if record is not None else None
        into[head] = copy.deepcopy(current) if isinstance(current, dict) else {}
    group = into[head]
    for part in member.split(".")[:-1]:
        group = group.setdefault(part, {})
    group[member.split(".")[-1]] = value


def _timestamp(record: Record, path: str) -> str | None:
    name = path.casefold()
    if "creat" in name:
        return record.created.isoformat()
    if "modif" in name or "updat" in name:
        return record.modified.isoformat()
    return None
