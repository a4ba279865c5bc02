"""The checklist model: what one Sesam Talk QA checklist document says."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Kind = Literal["sync", "merge", "conditional", "custom"]
DATA_TYPES = ("string", "integer", "float", "decimal", "boolean", "list", "n/a", "expression")


class DocumentError(Exception):
    """A problem in a file a user keeps: where it is (file, line) and what to do."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


class ChecklistError(DocumentError):
    """A document that is not a checklist, with the place and what was expected there."""


@dataclass(frozen=True)
class SystemEntity:
    system: str
    entity: str

    def __str__(self) -> str:
        return f"{self.system} {self.entity}".strip()


@dataclass(frozen=True)
class PropertyRow:
    source: str
    target: str
    data_type: str
    data_type_raw: str
    line: int = 0

    @property
    def key(self) -> tuple[str, str]:
        """Rows are identified by their property pair; the type may change."""
        return (self.source, self.target)


@dataclass(frozen=True)
class MergeCriterion:
    source: str
    target: str
    line: int = 0


@dataclass(frozen=True)
class Section:
    heading: str
    source: SystemEntity
    target: SystemEntity
    kind: Kind
    statement: str
    properties: tuple[PropertyRow, ...] = ()
    merge_criteria: tuple[MergeCriterion, ...] = ()
    # Paragraphs after the statement that are not the fixed boilerplate (as written).
    notes: tuple[str, ...] = ()
    line: int = 0

    @property
    def slug(self) -> str:
        return slugify(self.heading)


@dataclass(frozen=True)
class Checklist:
    path: str
    title: str
    source_system: str
    target_system: str
    generated: datetime | None
    sections: tuple[Section, ...] = field(default_factory=tuple)

    @property
    def dataflow(self) -> str:
        """The dataflow's folder name: the document's file name, as Sesam names them."""
        stem = re.sub(r"\.rst$", "", self.path.replace("\\", "/").rsplit("/", 1)[-1])
        return slugify(stem) or slugify(self.title)

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "title": self.title,
            "source_system": self.source_system,
            "target_system": self.target_system,
            "generated": self.generated.isoformat() if self.generated else None,
            "sections": [
                {
                    "heading": s.heading,
                    "source": {"system": s.source.system, "entity": s.source.entity},
                    "target": {"system": s.target.system, "entity": s.target.entity},
                    "kind": s.kind,
                    "statement": s.statement,
                    "properties": [
                        {
                            "source": p.source,
                            "target": p.target,
                            "data_type": p.data_type,
                            "data_type_raw": p.data_type_raw,
                        }
                        for p in s.properties
                    ],
                    "merge_criteria": [
                        {"source": m.source, "target": m.target} for m in s.merge_criteria
                    ],
                }
                for s in self.sections
            ],
        }


def slugify(text: str) -> str:
    """A file-name-safe, lower-case name: `ZohoCRM Account to X` -> `zohocrm-account-to-x`."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
