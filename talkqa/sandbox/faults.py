"""Faults the sandbox's Talk engine can inject, so the harness can prove it catches each.

Every fault is a defect a QA checklist item exists to catch (docs/faults.md says which).
A fault is selected by name, optionally narrowed to one section and one property:
`dropped-property@zohocrm-account-to-customerp-customer#Phone`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from talkqa.checklist.model import slugify

FAULTS: dict[str, str] = {
    "dropped-property": "the property is never written to the other system",
    "wrong-type": "the value is written with the wrong type or format "
    '(a number as text with a decimal comma, a boolean as "yes", a date as DD.MM.YYYY)',
    "truncated-value": "text values are cut to their first 5 characters",
    "no-reverse-sync": "edits on the target side never reach the source (reverse pipes write "
    "nothing)",
    "duplicate-instead-of-update": "an edit of a linked source record creates a new target "
    "record instead of updating the linked one",
    "older-edit-wins": "when both sides changed a property, the earlier edit wins",
    "empty-overwrites": "an empty value overwrites a filled one",
    "deal-before-won": "the selective-sync condition is ignored (deals reach the ERP before "
    "they are won)",
    "lost-link": "a link is forgotten after its first sync, so later edits do not propagate "
    "and source edits create duplicates",
    "no-create": "a new source record never gets a target record",
    "merge-ignored": "merge criteria are ignored: an existing matching record is duplicated "
    "instead of linked",
}


@dataclass(frozen=True)
class Fault:
    """One injected defect; `section`/`property` narrow where it applies (None: everywhere).

    `section` matches a section's key (`zohocrm-customerp/zohocrm-deal-to-customerp-order`),
    its feature stem or its heading (`ZohoCRM Deal to Customerp Order`), case-insensitively.
    `property` matches a property row's source or target property.
    """

    name: str
    section: str | None = None
    property: str | None = None

    def __post_init__(self) -> None:
        if self.name not in FAULTS:
            raise ValueError(f"unknown fault {self.name!r}; known faults: {', '.join(FAULTS)}")

    @classmethod
    def parse(cls, text: str) -> Fault:
        """`NAME[@SECTION][#PROPERTY]`, e.g. `wrong-type@zohocrm-contact-to-customerp-contact`."""
        rest, _, prop = text.strip().partition("#")
        name, _, section = rest.partition("@")
        return cls(name.strip(), section.strip() or None, prop.strip() or None)

    def __str__(self) -> str:
        text = self.name
        if self.section:
            text += f"@{self.section}"
        if self.property:
            text += f"#{self.property}"
        return text

    def covers_section(self, section_key: str) -> bool:
        if self.section is None:
            return True
        wanted = self.section.strip().casefold()
        stem = section_key.rsplit("/", 1)[-1]
        return wanted in {section_key.casefold(), stem.casefold()} or slugify(wanted) == stem

    def covers_property(self, prop: str | None) -> bool:
        if self.property is None or prop is None:
            return True
        return self.property.strip().casefold() == prop.strip().casefold()


class FaultSet:
    """The faults in force; empty means a correct engine."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._faults = tuple(faults)

    @classmethod
    def parse(cls, texts: Iterable[str]) -> FaultSet:
        return cls(Fault.parse(text) for text in texts if text.strip())

    def __iter__(self) -> Iterator[Fault]:
        return iter(self._faults)

    def __len__(self) -> int:
        return len(self._faults)

    def __repr__(self) -> str:
        return f"FaultSet({[str(f) for f in self._faults]})"

    def active(self, name: str, section_key: str, property: str | None = None) -> bool:
        """Whether fault `name` applies in this section (and to this property, if given;
        a question without a property matches a fault narrowed to any property)."""
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(FAULTS)}")
        return any(
            f.name == name and f.covers_section(section_key) and f.covers_property(property)
            for f in self._faults
        )
