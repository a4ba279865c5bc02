"""What every record system offers the harness: the `RecordApi` protocol, and the
catalogue lookups and field matching its connectors share.

Entities are named as in the catalogue (`talkqa/spec/systems/*.toml`); a connector reads
an entity's collection and fields from there, never from a table of its own. Records are
returned as the API answers them; ids cross this boundary as strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from talkqa.spec.catalogue import CatalogueError, Entity, load_catalogue
from talkqa.systems.errors import UsageError


class RecordApi(Protocol):
    system: str

    def create(self, entity: str, fields: dict[str, Any]) -> str:
        """Create a record; answer its new id."""
        ...

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """The record as the API answers it, or None when there is none."""
        ...

    def update(self, entity: str, record_id: str, fields: dict[str, Any]) -> None:
        """Change the given fields only, whatever the API's update semantics."""
        ...

    def delete(self, entity: str, record_id: str) -> bool:
        """Delete a record; False when the API cannot delete records of this entity."""
        ...

    def find(self, entity: str, field: str, value: Any) -> list[dict[str, Any]]:
        """The records whose `field` equals `value`."""
        ...

    def list(self, entity: str) -> Iterator[dict[str, Any]]:
        """Every record of the entity, page by page."""
        ...


def entity_of(system: str, name: str) -> Entity:
    """The catalogue entity `name` (or one of its aliases) of `system`."""
    try:
        return load_catalogue().require(system, name)[1]
    except CatalogueError as err:
        raise UsageError(str(err)) from None


def value_at(record: dict[str, Any], path: str) -> Any:
    """A field by dotted path (`billing_address.city`); None when absent."""
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def same_value(actual: Any, wanted: Any) -> bool:
    """Equality as the systems' searches see it: text case-insensitively, ids as text,
    a lookup object by its id."""
    if isinstance(actual, dict) and "id" in actual:
        actual = actual["id"]
    if actual is None or wanted is None:
        return actual is wanted
    if isinstance(actual, str) or isinstance(wanted, str):
        return str(actual).strip().casefold() == str(wanted).strip().casefold()
    return bool(actual == wanted)


def matching(records: Iterable[dict[str, Any]], field: str, value: Any) -> list[dict[str, Any]]:
    """The records whose `field` equals `value`: the fallback when a search cannot serve."""
    return [r for r in records if same_value(value_at(r, field), value)]
