"""The records a scenario's words name: "ZohoCRM Account", "Webcrm Organisations".

A step names a record by its system and entity as the checklist writes them. The name is
looked up in the catalogue, so a scenario may name any entity the catalogue knows, not
only its own section's two; a self-to-self section's "source X" and "target X" are its
two sides. Which section's property rows apply between two named entities is `pair`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from talkqa.checklist.model import SystemEntity
from talkqa.spec.catalogue import load_catalogue
from talkqa.spec.dataflow import SectionSpec

Side = tuple[str, str]  # (system key, catalogue entity name)


class UnknownName(ValueError):
    """Words that name no entity the catalogue knows, or two entities no section joins."""


@dataclass(frozen=True)
class Named:
    text: str  # as the step says it
    name: SystemEntity  # as the feature names it: what the comparison takes
    side: Side  # as the catalogue names it: what connectors take

    @property
    def system(self) -> str:
        return self.side[0]

    @property
    def entity(self) -> str:
        return self.side[1]


def side_of(name: SystemEntity) -> Side | None:
    catalogue = load_catalogue()
    system = catalogue.system_named(name.system)
    entity = catalogue.entity(name.system, name.entity)
    if system is None or entity is None:
        return None
    return system.key, entity.name


def resolve(text: str, section: SectionSpec | None = None) -> Named:
    """The entity `text` names: the section's own sides first (by their full names, or
    "source X"/"target X"), then any "<system> <entity>" the catalogue knows."""
    words = text.strip()
    candidates: list[SystemEntity] = []
    if section is not None:
        for prefix, side in (("source ", section.source), ("target ", section.target)):
            if words.casefold() in (str(side).casefold(), f"{prefix}{side}".casefold()):
                candidates.append(side)
    parts = words.split()
    candidates += [
        SystemEntity(" ".join(parts[:cut]), " ".join(parts[cut:])) for cut in range(1, len(parts))
    ]
    for name in candidates:
        found = side_of(name)
        if found is not None:
            return Named(words, name, found)
    systems = ", ".join(s.title for s in load_catalogue().systems.values())
    raise UnknownName(
        f"{words!r} names no system entity the catalogue knows; write "
        f"'<system> <entity>' as the checklist does (systems: {systems})"
    )


def pair(
    a: Named, b: Named, specs: Iterable[SectionSpec], prefer: SectionSpec | None = None
) -> tuple[SectionSpec, str]:
    """The section whose rows join `a` and `b`, and the direction from `a` to `b`
    ("forward" when `a` is its source); the current section wins over others."""
    ordered = [prefer, *specs] if prefer is not None else list(specs)
    for spec in ordered:
        sides = side_of(spec.source), side_of(spec.target)
        if sides == (a.side, b.side):
            return spec, "forward"
        if sides == (b.side, a.side):
            return spec, "reverse"
    raise UnknownName(
        f"no feature joins {a.text} and {b.text}: no section has them as its source and "
        "target (import the checklist that promises it, or write its feature)"
    )
