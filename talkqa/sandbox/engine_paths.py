"""Property paths on records: what a mapping row reads and where it writes.

Talk reads a record as the system's API answers it (the API's own rendering: Zoho's
datetimes at seconds with an offset, a lookup as `{"name", "id"}`, webCRM's defaults) and
writes into the stored shape: the API's JSON minus what the system maintains itself. A
path needs interpreting: `billing_address.city` is a member of a nested object, and
`Account_Name.id` (or `Account_Name`, a lookup) is the id of the referenced record.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
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


def read(entity: Entity, shown: Mapping[str, Any], path: str) -> Any:
    """The value of `path` in a record as its API shows it (None when absent); a
    reference as the referenced record's id."""
    value: Any = shown.get(path) if path in shown else _member(shown, path)
    if isinstance(value, dict) and reference_of(entity, path) is not None:
        value = value.get("id")
    return copy.deepcopy(value)


def _member(shown: Mapping[str, Any], path: str) -> Any:
    value: Any = shown
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


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
