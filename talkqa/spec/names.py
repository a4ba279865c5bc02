"""The records a scenario's words name: "ZohoCRM Account", "Webcrm Organisations".

A step names a record by its system and entity as the checklist writes them. The name is
looked up in the catalogue, so a scenario may name any entity the catalogue knows, not
only its own section's two; a self-to-self section's "source X" and "target X" are its
two sides. Which section's property rows apply between two named entities is `pair`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path

from talkqa.checklist.model import SystemEntity
from talkqa.spec.catalogue import Entity, System, load_catalogue
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
        check_section(section)
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
    raise UnknownName(_unknown_words(words, parts, section))


def _unknown_words(words: str, parts: list[str], section: SectionSpec | None) -> str:
    own = f"; this feature joins {section.source} and {section.target}" if section else ""
    catalogue = load_catalogue()
    for cut in range(len(parts) - 1, 0, -1):
        system = catalogue.system_named(" ".join(parts[:cut]))
        if system is not None:
            entity = " ".join(parts[cut:])
            return (
                f"{words!r}: {system.title} has no entity {entity!r} in the catalogue "
                f"({_known_entities(system, entity)}); name a record '<system> <entity>' "
                f"as the features' header lines do{own}"
            )
    systems = ", ".join(s.title for s in catalogue.systems.values())
    return (
        f"{words!r} names no system entity the catalogue knows; write "
        f"'<system> <entity>' as the checklist does (systems: {systems}){own}"
    )


def _suggestion(wanted: str, known: Iterable[str], form: str = "; did you mean {!r}?") -> str:
    """`form` filled with the known name `wanted` misspells, else the nearest known name
    when one is near; else nothing."""
    names = list(known)
    found = typo_of(wanted, names) or next(iter(get_close_matches(wanted, names, 1, 0.6)), None)
    return form.format(found) if found else ""


def typo_of(wanted: str, known: Iterable[str]) -> str | None:
    """The known name `wanted` misspells: one letter added, dropped or changed, or two
    swapped (case and spaces aside). None when no known name is that near: `wanted` is
    another name ("Custom CRM" is no typo of "Customerp", nor "Project" of "Product")."""
    word = _plain(wanted)
    for name in known:
        if _within_one_edit(word, _plain(name)):
            return name
    return None


def _plain(name: str) -> str:
    return "".join(name.split()).casefold()


def _within_one_edit(a: str, b: str) -> bool:
    """At most one insertion, deletion, substitution or swap of neighbours apart."""
    if abs(len(a) - len(b)) > 1:
        return False
    head = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
    if head is None:
        return True  # equal, or one is the other plus a letter at the end
    if len(a) == len(b):
        rest_a, rest_b = a[head + 1 :], b[head + 1 :]
        swapped = a[head + 2 :] == b[head + 2 :] and a[head : head + 2] == b[head : head + 2][::-1]
        return rest_a == rest_b or swapped
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[head + 1 :] == shorter[head:]


def system_typo(name: str) -> str | None:
    """The catalogue's system title `name` misspells, as `typo_of` sees it."""
    return typo_of(name, [s.title for s in load_catalogue().systems.values()])


def entity_typo(system: System, name: str) -> str | None:
    """The entity of `system` that `name` misspells, as `typo_of` sees it."""
    return typo_of(name, list(system.entities))


def _known_entities(system: System, wanted: str) -> str:
    names = list(system.entities)
    return f"entities: {', '.join(names)}{_suggestion(wanted, names)}"


def check_section(section: SectionSpec) -> None:
    """A section the catalogue can serve: its header names systems and entities the
    catalogue knows, and its property rows name their fields. Else `UnknownName` with
    the feature's file and line, and what to change."""
    entities = [_section_side(section, end) for end in ("Source", "Target")]
    for row in section.properties:
        for entity, path in zip(entities, (row.source, row.target), strict=True):
            if entity.field(path) is not None:
                continue
            system = load_catalogue().systems[entity.system]
            near = _suggestion(path, entity.fields, " (did you mean {!r}?)")
            raise UnknownName(
                f"{_where(section, row.line or section.line)}: the property row "
                f"{row.source} -> {row.target}: {system.title} {entity.name} has no "
                f"property {path!r}{near}; correct the row in the "
                f"feature's 'Examples: Properties' (the {system.title} fields talkqa knows "
                f"are in talkqa/spec/systems/{system.key}.toml)"
            )


def _where(section: SectionSpec, line: int) -> str:
    """`features/x.feature:6`: the path as given, or relative to the working folder."""
    path = Path(section.feature_path)
    if path.is_absolute() and path.is_relative_to(Path.cwd()):
        path = path.relative_to(Path.cwd())
    return f"{path}:{line}"


def _section_side(section: SectionSpec, end: str) -> Entity:
    name = section.source if end == "Source" else section.target
    catalogue = load_catalogue()
    system = catalogue.system_named(name.system)
    where = _where(section, section.line_of(f"{end} system"))
    if system is None:
        systems = [s.title for s in catalogue.systems.values()]
        raise UnknownName(
            f"{where}: '{end} system: {name.system}' names no system the catalogue knows "
            f"(systems: {', '.join(systems)}{_suggestion(name.system, systems)}); correct "
            "the feature's header line, or describe the system in talkqa/spec/systems/"
        )
    entity = system.entity_named(name.entity)
    if entity is None:
        where = _where(section, section.line_of(f"{end} entity"))
        raise UnknownName(
            f"{where}: '{end} entity: {name.entity}': {system.title} has no such entity in "
            f"the catalogue ({_known_entities(system, name.entity)}); correct the feature's "
            f"header line, or add the entity to talkqa/spec/systems/{system.key}.toml"
        )
    return entity


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
