"""Which sections talkqa can run, decided before anything runs.

Most of Sesam's public checklists are between systems talkqa has no connector for
(Tripletex, HubSpot, ...), or name entities its catalogue lacks. Their features are kept
(QA owns them, and `talkqa check` keeps them in step with the checklists), but their
scenarios cannot run: `unserved` says why, and what would make them run, so that the
plugin skips them at collection with that reason. A name one slip away from a known one
(`ZohoKRM`, `Kontact`) is a typo, not another system: it is served, so that its scenarios
fail with the did-you-mean and QA corrects it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TypeVar

from talkqa.checklist.gherkin import HEADER_KEYS
from talkqa.checklist.model import SystemEntity
from talkqa.spec.catalogue import System, load_catalogue
from talkqa.spec.names import entity_typo, system_typo

T = TypeVar("T")

NOT_SERVED = "not served"


def unserved(
    sides: Iterable[SystemEntity], connectors: Collection[str] | None = None
) -> str | None:
    """Why a section joining `sides` cannot run ("not served: ..."), or None when it can
    (or when a name is only misspelt). `connectors`: the keys of the catalogue's systems
    that have a connector (default: every system in the catalogue)."""
    catalogue = load_catalogue()
    served = [s for s in catalogue.systems.values() if connectors is None or s.key in connectors]
    unknown: list[str] = []  # systems neither catalogued nor connected
    unconnected: list[str] = []  # catalogued, without a connector
    entities: list[tuple[System, str]] = []
    for side in sides:
        system = catalogue.system_named(side.system)
        if system is None:
            if system_typo(side.system) is None:
                _add(unknown, side.system)
        elif system not in served:
            _add(unconnected, system.title)
        elif system.entity_named(side.entity) is None and entity_typo(system, side.entity) is None:
            _add(entities, (system, side.entity))
    missing, needs = [], []
    if unknown or unconnected:
        names, known = _and(unknown + unconnected), ", ".join(s.title for s in served)
        missing.append(f"talkqa has no connector for {names} (known: {known})")
    if unknown:
        needs.append(
            f"a connector (talkqa/systems/) and a catalogue entry (talkqa/spec/systems/) for "
            f"{_and(unknown)}"
        )
    if unconnected:
        needs.append(f"a connector (talkqa/systems/) for {_and(unconnected)}")
    for system, entity in entities:
        names = ", ".join(system.entities)
        missing.append(f"the catalogue has no {system.title} entity {entity!r} (known: {names})")
        needs.append(
            f"an entry for {system.title} {entity} in talkqa/spec/systems/{system.key}.toml"
        )
    if not missing:
        return None
    return (
        f"{NOT_SERVED}: {'; and '.join(missing)}; the checklist is kept, and its scenarios "
        f"run once there is {' and '.join(needs)}"
    )


def _add(found: list[T], item: T) -> None:
    if item not in found:
        found.append(item)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def sides_of(description: str) -> tuple[SystemEntity, SystemEntity] | None:
    """The source and target a feature's description names in its header lines
    (`Source system: ZohoCRM` ...); None when one is missing (the spec loader says so)."""
    header: dict[str, str] = {}
    for line in description.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep and key in HEADER_KEYS:
            header.setdefault(key, value.strip())
    try:
        return (
            SystemEntity(header["Source system"], header["Source entity"]),
            SystemEntity(header["Target system"], header["Target entity"]),
        )
    except KeyError:
        return None


def unserved_feature(description: str, connectors: Collection[str] | None = None) -> str | None:
    """`unserved` for the feature whose description this is (None: it can run, or its
    header is incomplete, which the spec loader reports)."""
    sides = sides_of(description)
    return None if sides is None else unserved(sides, connectors)
