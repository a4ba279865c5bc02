"""Read a Sesam Talk QA checklist (reStructuredText as Sesam generates it) into the model.

The documents use a small, fixed subset of reStructuredText: a title, a `Generated:`
line, one `-`-underlined section per entity pair, paragraphs and `list-table`
directives. A general RST parser (docutils) would turn them into a tree we would then
have to pattern-match anyway, and it reports the damaged tables seen in older versions
as errors of its own; reading the subset directly keeps line numbers for every row and
lets each quirk be handled where it shows (see reference/checklist-format.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from talkqa.checklist.model import (
    Checklist,
    ChecklistError,
    Kind,
    MergeCriterion,
    PropertyRow,
    Section,
    SystemEntity,
)

_ADORNMENT = re.compile(r"^([=\-~^\"'`#*+:.])\1{2,}\s*$")
_TITLE = re.compile(r"^\s*(?P<source>.*?)\s+to\s+(?P<target>.*?)\s+Dataflow\.?\s*$")
_GENERATED = re.compile(r"^Generated:\s*(?P<value>.*?)\s*$")
_INTRODUCTION = re.compile(r"^introduction\.?$", re.IGNORECASE)
_MERGE_LEAD = re.compile(r"\bwill merge with\b.*\bproperty combinations match\b", re.IGNORECASE)
_PROPERTIES_LEAD = re.compile(r"^The following properties are synchronized\b", re.IGNORECASE)
_BOILERPLATE = (
    re.compile(r"^Once a link between\b.*\bis established\b", re.IGNORECASE),
    _PROPERTIES_LEAD,
    _MERGE_LEAD,
)
_TYPE_NAMES = {
    "string": "string",
    "str": "string",
    "text": "string",
    "integer": "integer",
    "int": "integer",
    "float": "float",
    "double": "float",
    "number": "float",
    "decimal": "decimal",
    "boolean": "boolean",
    "bool": "boolean",
    "list": "list",
    "array": "list",
    "n/a": "n/a",
    "na": "n/a",
    "": "n/a",
}
_GENERATED_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def parse_file(path: str | Path) -> Checklist:
    """Parse one checklist file; raises ChecklistError naming the file and line."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ChecklistError(name, 0, f"cannot read the file: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ChecklistError(name, line, "not UTF-8 text; expected a checklist (.rst)") from exc
    return parse_checklist(text, name)


def parse_checklist(text: str, path: str = "<text>") -> Checklist:
    """Parse a checklist document's text."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return _Reader(lines, path).read()


def normalise_type(raw: str) -> str:
    """The data type a type cell means: one of model.DATA_TYPES."""
    name = raw.strip().strip('"').strip("'").strip().casefold()
    if name in _TYPE_NAMES and not re.search(r"[\[\],]", raw):
        return _TYPE_NAMES[name]
    return "expression"


@dataclass
class _Table:
    line: int
    header_rows: int
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        return self.rows[0][1] if self.header_rows and self.rows else []

    @property
    def body(self) -> list[tuple[int, list[str]]]:
        return self.rows[self.header_rows :]


@dataclass
class _Paragraph:
    line: int
    text: str


@dataclass
class _RawSection:
    heading: str
    line: int
    blocks: list[_Paragraph | _Table] = field(default_factory=list)


class _Reader:
    def __init__(self, lines: list[str], path: str) -> None:
        self.lines = lines
        self.path = path

    def fail(self, index: int, message: str) -> ChecklistError:
        return ChecklistError(self.path, index + 1, message)

    def read(self) -> Checklist:
        title_index, title = self._title()
        match = _TITLE.match(title)
        if not match:
            raise self.fail(
                title_index,
                f"title {title.strip()!r} is not of the form '<Source> to <Target> Dataflow'",
            )
        source_system, target_system = match["source"].strip(), match["target"].strip()
        generated = self._generated(title_index)
        sections = []
        for raw in self._sections(title_index + 2):
            if _INTRODUCTION.match(raw.heading.strip()):
                continue
            sections.append(self._section(raw, source_system, target_system))
        return Checklist(
            self.path, title.strip(), source_system, target_system, generated, tuple(sections)
        )

    # -- document structure ------------------------------------------------------

    def _title(self) -> tuple[int, str]:
        """The title: the first text line under (and usually over) a `=` adornment."""
        for i, line in enumerate(self.lines):
            if not line.strip():
                continue
            if _ADORNMENT.match(line) and i + 2 < len(self.lines):
                candidate = self.lines[i + 1]
                if candidate.strip() and _ADORNMENT.match(self.lines[i + 2]):
                    return i + 1, candidate
            elif i + 1 < len(self.lines) and _is_underline(self.lines[i + 1], "="):
                return i, line
            raise self.fail(
                i,
                "expected the checklist title ('<Source> to <Target> Dataflow' "
                "between lines of '='), found " + repr(line.strip()[:60]),
            )
        raise self.fail(0, "empty document; expected a Sesam Talk QA checklist")

    def _generated(self, title_index: int) -> datetime | None:
        for i in range(title_index + 1, len(self.lines)):
            match = _GENERATED.match(self.lines[i].strip())
            if match:
                value = match["value"]
                for fmt in _GENERATED_FORMATS:
                    try:
                        return datetime.strptime(value, fmt)
                    except ValueError:
                        continue
                try:
                    return datetime.fromisoformat(value)
                except ValueError:
                    raise self.fail(
                        i, f"'Generated:' has {value!r}; expected a date like 2024-09-10 15:43:43"
                    ) from None
            if self._is_heading(i):
                break
        return None

    def _is_heading(self, i: int) -> bool:
        return (
            i + 1 < len(self.lines)
            and bool(self.lines[i].strip())
            and not self.lines[i][:1].isspace()
            and not _ADORNMENT.match(self.lines[i])
            and _is_underline(self.lines[i + 1], None)
        )

    def _sections(self, start: int) -> list[_RawSection]:
        sections: list[_RawSection] = []
        i = start
        while i < len(self.lines):
            if self._is_heading(i):
                sections.append(_RawSection(self.lines[i], i))
                i += 2
                continue
            line = self.lines[i]
            if not line.strip() or not sections:
                i += 1
                continue
            if line.strip().startswith(".. list-table::"):
                table, i = self._table(i)
                sections[-1].blocks.append(table)
                continue
            if line.strip().startswith(".. "):
                i = self._skip_indented(i + 1)
                continue
            first = i
            text = []
            while i < len(self.lines) and self.lines[i].strip() and not self._is_heading(i):
                if self.lines[i].strip().startswith(".. "):
                    break
                text.append(self.lines[i].strip())
                i += 1
            sections[-1].blocks.append(_Paragraph(first, " ".join(text)))
        return sections

    def _skip_indented(self, i: int) -> int:
        while i < len(self.lines) and (not self.lines[i].strip() or self.lines[i][:1].isspace()):
            i += 1
        return i

    def _table(self, start: int) -> tuple[_Table, int]:
        """A `list-table` directive: options, then `* -` rows of `-` cells."""
        table = _Table(start, header_rows=0)
        end = self._skip_indented(start + 1)
        cell_indent: int | None = None
        for i in range(start + 1, end):
            line = self.lines[i]
            stripped = line.strip()
            if not stripped:
                continue
            indent = len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip())
            if stripped.startswith(":") and not table.rows:
                option = re.match(r"^:header-rows:\s*(\d+)\s*$", stripped)
                if option:
                    table.header_rows = int(option[1])
                continue
            if stripped == "*" or stripped.startswith(("* -", "*\t-")) or stripped == "* -":
                cell = re.sub(r"^\*\s*-", "", stripped, count=1)
                table.rows.append((i, [cell.strip()]))
                cell_indent = indent + 2
                continue
            if not table.rows:
                raise self.fail(i, f"expected a list-table row ('* - ...'), found {stripped!r}")
            if (
                re.match(r"^-(\s|$)", stripped)
                and cell_indent is not None
                and indent <= cell_indent
            ):
                table.rows[-1][1].append(stripped[1:].strip())
                continue
            # A deeper line continues the current cell (a wrapped fragment).
            cells = table.rows[-1][1]
            cells[-1] = f"{cells[-1]} {stripped}".strip()
        return table, end

    # -- one section -------------------------------------------------------------

    def _section(self, raw: _RawSection, source_system: str, target_system: str) -> Section:
        paragraphs = [b for b in raw.blocks if isinstance(b, _Paragraph)]
        if not paragraphs:
            raise self.fail(raw.line, f"section {raw.heading.strip()!r} has no statement")
        statement = paragraphs[0].text
        properties_table, merge_table = self._classify_tables(raw)
        properties = self._property_rows(properties_table) if properties_table else ()
        criteria = self._merge_rows(merge_table) if merge_table else ()
        source, target = _section_systems(
            raw.heading.strip(), properties_table or merge_table, source_system, target_system
        )
        notes = tuple(
            p.text
            for p in paragraphs[1:]
            if not any(pattern.search(p.text) for pattern in _BOILERPLATE)
        )
        return Section(
            heading=raw.heading.strip(),
            source=source,
            target=target,
            kind=_kind(statement, bool(merge_table)),
            statement=statement,
            properties=properties,
            merge_criteria=criteria,
            notes=notes,
            line=raw.line + 1,
        )

    def _classify_tables(self, raw: _RawSection) -> tuple[_Table | None, _Table | None]:
        """Which table lists the properties and which the merge criteria.

        The sentence before a table says what it is; a table with no such sentence is
        told by its width (3 columns: properties, 2: merge criteria).
        """
        properties: _Table | None = None
        merge: _Table | None = None
        lead = ""
        for block in raw.blocks:
            if isinstance(block, _Paragraph):
                lead = block.text
                continue
            width = len(block.header or (block.rows[0][1] if block.rows else []))
            is_merge = (
                bool(_MERGE_LEAD.search(lead))
                if lead and (_MERGE_LEAD.search(lead) or _PROPERTIES_LEAD.search(lead))
                else width == 2
            )
            if is_merge and merge is None:
                merge = block
            elif not is_merge and properties is None:
                properties = block
            else:
                raise self.fail(block.line, "a second property table in one section")
            lead = ""
        return properties, merge

    def _property_rows(self, table: _Table) -> tuple[PropertyRow, ...]:
        width = len(table.header) or 3
        if width not in (2, 3):
            raise self.fail(
                table.line,
                f"the property table has {width} columns; expected 3 "
                "(source property, target property, data type)",
            )
        rows = []
        for line, cells in table.body:
            if len(cells) != width:
                raise self.fail(
                    line,
                    f"property row has {len(cells)} cell(s); expected {width} "
                    "(source property, target property" + (", data type)" if width == 3 else ")"),
                )
            raw_type = cells[2] if width == 3 else ""
            rows.append(
                PropertyRow(cells[0], cells[1], normalise_type(raw_type), raw_type, line + 1)
            )
        return tuple(rows)

    def _merge_rows(self, table: _Table) -> tuple[MergeCriterion, ...]:
        rows = []
        for line, cells in table.body:
            if len(cells) < 2:
                raise self.fail(
                    line, f"merge criterion has {len(cells)} cell(s); expected 2 (source, target)"
                )
            rows.append(MergeCriterion(cells[0], cells[1], line + 1))
        return tuple(rows)


def _is_underline(line: str, char: str | None) -> bool:
    match = _ADORNMENT.match(line)
    return bool(match) and (char is None or match[1] == char)  # type: ignore[index]


def _kind(statement: str, has_merge_criteria: bool) -> Kind:
    if has_merge_criteria:
        return "merge"
    if statement.startswith("Every "):
        return "sync"
    if statement.startswith("When "):
        return "conditional"
    return "custom"


def _section_systems(
    heading: str, table: _Table | None, source_system: str, target_system: str
) -> tuple[SystemEntity, SystemEntity]:
    """Split `<System> <Entity>` on both sides of a section.

    The table headers are the reliable source (`<Sys> <Entity> Property`, `<Sys> Data
    Type`); the heading is the fallback. System names have spaces (`Custom ERP`),
    may be blank, and can be written differently from the title (`Businesscentral`
    under `Business Central`), so a side is split at the longest run of leading words
    that spells the title's system name, ignoring case and spaces.
    """
    source_text, target_text = _heading_sides(heading, target_system)
    target_type_system: str | None = None
    if table is not None and table.header:
        header = [cell.strip() for cell in table.header]
        source_text = _without_suffix(header[0], "Property") if header else source_text
        if len(header) > 1:
            target_text = _without_suffix(header[1], "Property")
        if len(header) > 2:
            target_type_system = _without_suffix(header[2], "Data Type")
    source = _split(source_text, source_system, target_system)
    if target_type_system is not None and _norm(target_text).startswith(_norm(target_type_system)):
        words = target_text.split()
        count = _prefix_words(words, target_type_system)
        if count is not None:
            target = SystemEntity(" ".join(words[:count]), " ".join(words[count:]))
        else:
            target = _split(target_text, target_system, source_system)
    else:
        target = _split(target_text, target_system, source_system)
    return source, target


def _heading_sides(heading: str, target_system: str) -> tuple[str, str]:
    marker = f" to {target_system} " if target_system else " to "
    if marker in heading:
        left, _, right = heading.partition(marker)
        return left, f"{target_system} {right}".strip()
    left, sep, right = heading.partition(" to ")
    return (left, right) if sep else (heading, "")


def _split(text: str, preferred: str, other: str) -> SystemEntity:
    words = text.split()
    for name in (preferred, other):
        count = _prefix_words(words, name)
        if count is not None and count < len(words):
            return SystemEntity(" ".join(words[:count]), " ".join(words[count:]))
    if len(words) <= 1:
        return SystemEntity("", " ".join(words))
    return SystemEntity(words[0], " ".join(words[1:]))


def _prefix_words(words: list[str], system: str) -> int | None:
    """How many leading words spell `system` (or a leading part of it), at least one."""
    wanted = _norm(system)
    if not wanted:
        return None
    best = None
    joined = ""
    for count, word in enumerate(words[:-1], start=1):
        joined += _norm(word)
        if wanted.startswith(joined):
            best = count
            if joined == wanted:
                break
        else:
            break
    return best


def _without_suffix(text: str, suffix: str) -> str:
    stripped = text.strip()
    if stripped.casefold().endswith(suffix.casefold()):
        stripped = stripped[: -len(suffix)]
    return stripped.strip()


def _norm(text: str) -> str:
    return "".join(text.split()).casefold()
