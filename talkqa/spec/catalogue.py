"""The system catalogue: each system's entities, fields and field types, as data.

One TOML file per system under `systems/` holds the facts of its API that the harness
and the sandbox both rely on: which entity a checklist name means, the API's field
names, their types, which are mandatory, read-only, or references to another entity.
Checklists write system and entity names loosely (`Customerp`/`Custom ERP`,
`Webcrm Organisations`/`WebCRM Organisation`), so lookups are by any known name,
case-insensitively.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

FIELD_TYPES = frozenset(
    {"string", "integer", "decimal", "float", "boolean", "date", "datetime", "list", "lookup"}
)
# How a system writes `decimal` values in JSON: as numbers (1234.5) or strings ("1234.50").
DECIMAL_STYLES = frozenset({"number", "string"})


class CatalogueError(ValueError):
    """A catalogue file that does not follow the format, or a name nobody knows."""


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool = False
    read_only: bool = False
    # For `lookup` fields: the entity (of the same system) the value refers to.
    entity: str | None = None
    max_length: int | None = None
    # Allowed values of a picklist, if the API restricts them.
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Condition:
    """A record qualifies when its `field` equals `equals` (selective sync)."""

    field: str
    equals: Any


@dataclass(frozen=True)
class Entity:
    system: str
    name: str
    collection: str
    aliases: tuple[str, ...]
    fields: dict[str, Field]
    # The field that names a record (shown as `name` in lookups, used as a marker).
    label: str
    id_type: str = "string"
    # Selective sync: only records meeting it are synchronized (a deal once it is won).
    sync_when: Condition | None = None

    def field(self, path: str) -> Field | None:
        """The field a property path starts at (`Account_Name.id` -> `Account_Name`)."""
        return self.fields.get(path) or self.fields.get(path.split(".", 1)[0])


@dataclass(frozen=True)
class System:
    key: str
    title: str
    names: tuple[str, ...]
    entities: dict[str, Entity] = field(default_factory=dict)
    decimals: str = "number"

    def entity_named(self, name: str) -> Entity | None:
        wanted = _norm(name)
        for entity in self.entities.values():
            if wanted in {_norm(n) for n in (entity.name, entity.collection, *entity.aliases)}:
                return entity
        return None


@dataclass(frozen=True)
class Catalogue:
    systems: dict[str, System]

    def system_named(self, name: str) -> System | None:
        wanted = _norm(name)
        for system in self.systems.values():
            if wanted in {_norm(n) for n in (system.key, system.title, *system.names)}:
                return system
        return None

    def entity(self, system: str, entity: str) -> Entity | None:
        found = self.system_named(system)
        return found.entity_named(entity) if found else None

    def require(self, system: str, entity: str) -> tuple[System, Entity]:
        """The system and entity named, or a CatalogueError listing the known names."""
        found = self.system_named(system)
        if found is None:
            known = ", ".join(sorted(self.systems))
            raise CatalogueError(f"the catalogue has no system {system!r}; known systems: {known}")
        named = found.entities.get(entity) or found.entity_named(entity)
        if named is None:
            known = ", ".join(sorted(found.entities))
            raise CatalogueError(
                f"{found.title} has no entity {entity!r} in the catalogue "
                f"(talkqa/spec/systems/{found.key}.toml); known entities: {known}"
            )
        return found, named


def _norm(name: str) -> str:
    return "".join(name.split()).casefold()


def parse_system(key: str, data: dict[str, Any], source: str = "") -> System:
    where = source or key
    try:
        entities = {name: _parse_entity(key, name, body) for name, body in data["entities"].items()}
        decimals = data.get("decimals", "number")
        if decimals not in DECIMAL_STYLES:
            raise CatalogueError(
                f"{where}: decimals {decimals!r} is not one of {sorted(DECIMAL_STYLES)}"
            )
        return System(key, data["title"], tuple(data.get("names", ())), entities, decimals)
    except KeyError as exc:
        raise CatalogueError(f"{where}: missing key {exc}") from exc


def _parse_entity(system: str, name: str, body: dict[str, Any]) -> Entity:
    fields: dict[str, Field] = {}
    for fname, spec in body["fields"].items():
        ftype = spec["type"]
        if ftype not in FIELD_TYPES:
            raise CatalogueError(
                f"{system}.{name}.{fname}: type {ftype!r} is not one of {sorted(FIELD_TYPES)}"
            )
        fields[fname] = Field(
            fname,
            ftype,
            required=spec.get("required", False),
            read_only=spec.get("read_only", False),
            entity=spec.get("entity"),
            max_length=spec.get("max_length"),
            choices=tuple(spec.get("choices", ())),
        )
    return Entity(
        system,
        name,
        body["collection"],
        tuple(body.get("aliases", ())),
        fields,
        body["label"],
        body.get("id_type", "string"),
        _parse_condition(system, name, body.get("sync_when"), fields),
    )


def _parse_condition(
    system: str, entity: str, spec: dict[str, Any] | None, fields: dict[str, Field]
) -> Condition | None:
    if spec is None:
        return None
    where = f"{system}.{entity}.sync_when"
    if set(spec) != {"field", "equals"}:
        raise CatalogueError(f"{where}: expected exactly the keys 'field' and 'equals'")
    if spec["field"] not in fields:
        raise CatalogueError(f"{where}: {spec['field']!r} is not a field of {entity}")
    return Condition(spec["field"], spec["equals"])


@cache
def load_catalogue() -> Catalogue:
    """Every system the project knows, from the TOML files shipped in the package."""
    systems: dict[str, System] = {}
    folder = resources.files("talkqa.spec") / "systems"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            key = item.name.removesuffix(".toml")
            systems[key] = parse_system(key, tomllib.loads(item.read_text("utf-8")), item.name)
    return Catalogue(systems)
