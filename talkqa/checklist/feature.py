"""Read a feature file back: its header lines, checklist items and examples, with lines.

The Gherkin is parsed by gherkin-official (the parser pytest-bdd itself uses), so a file
that pytest-bdd accepts reads the same here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gherkin.errors import CompositeParserException, ParserException
from gherkin.parser import Parser

from talkqa.checklist.gherkin import HEADER_KEYS
from talkqa.checklist.model import DocumentError


class FeatureError(DocumentError):
    """A feature file that cannot be read, with the place and the reason."""


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Examples:
    name: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    line: int
    header_line: int

    def project(self, row: Row, names: tuple[str, ...]) -> Row:
        """The row's cells in the order of `names` (columns matched by name, `data type`
        and `data_type` alike), so QA can add or move columns."""
        keys = [_column_key(c) for c in self.columns]
        cells = tuple(
            row.cells[keys.index(_column_key(n))]
            if _column_key(n) in keys and keys.index(_column_key(n)) < len(row.cells)
            else ""
            for n in names
        )
        return Row(cells, row.line)


def _column_key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


@dataclass(frozen=True)
class Scenario:
    name: str
    line: int
    # The line of the first tag, or of the title when untagged.
    first_line: int
    tags: tuple[str, ...]
    examples: tuple[Examples, ...]
    last_line: int

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(t.removeprefix("@item:") for t in self.tags if t.startswith("@item:"))


@dataclass(frozen=True)
class Feature:
    path: str
    name: str
    line: int
    # Header key -> (value, line) for `Dataflow:`, `Statement:` ... description lines.
    header: dict[str, tuple[str, int]]
    scenarios: tuple[Scenario, ...] = field(default_factory=tuple)

    def items(self) -> dict[str, Scenario]:
        return {item: s for s in self.scenarios for item in s.items}

    def examples(self, name: str) -> list[Examples]:
        return [e for s in self.scenarios for e in s.examples if e.name.strip() == name]

    def value(self, key: str) -> str | None:
        found = self.header.get(key)
        return found[0] if found else None


def read_feature(path: str | Path) -> Feature:
    name = str(path)
    return parse_feature(read_text(path), name)


def read_text(path: str | Path) -> str:
    """A feature file's text; FeatureError (file, line) when it is not UTF-8."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise FeatureError(str(path), 0, f"cannot read the feature file: {exc}") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FeatureError(
            str(path), line, "not UTF-8 text; save the feature file as UTF-8"
        ) from exc


def parse_feature(text: str, path: str = "<text>") -> Feature:
    try:
        document = Parser().parse(text)
    except (CompositeParserException, ParserException) as exc:
        first = exc.errors[0] if isinstance(exc, CompositeParserException) else exc
        line = getattr(getattr(first, "location", None), "get", lambda *_: 0)("line", 0)
        raise FeatureError(path, line or 0, f"not valid Gherkin: {first}") from exc
    feature: dict[str, Any] | None = document.get("feature")  # type: ignore[assignment]
    if not feature:
        raise FeatureError(path, 1, "no 'Feature:' in the file")
    header = _header(feature, text)
    children = list(_scenario_nodes(feature["children"]))
    total = len(text.splitlines())
    scenarios = []
    for index, node in enumerate(children):
        following = children[index + 1] if index + 1 < len(children) else None
        last = (_first_line(following) - 1) if following else total
        scenarios.append(_scenario(node, last))
    return Feature(path, feature["name"], feature["location"]["line"], header, tuple(scenarios))


def _header(feature: dict[str, Any], text: str) -> dict[str, tuple[str, int]]:
    """Header lines sit in the feature's description, which starts on the next line."""
    header: dict[str, tuple[str, int]] = {}
    lines = text.splitlines()
    start = feature["location"]["line"]  # 1-based line of `Feature:`
    for offset, line in enumerate(feature.get("description", "").splitlines()):
        key, sep, value = line.strip().partition(":")
        value = value.strip()
        if sep and key in HEADER_KEYS and key not in header:
            number = _find_line(lines, line, start + offset)
            header[key] = (value, number)
    return header


def _find_line(lines: list[str], wanted: str, near: int) -> int:
    for number in range(near, len(lines) + 1):
        if lines[number - 1] == wanted:
            return number
    return near


def _scenario_nodes(children: list[dict[str, Any]]) -> Any:
    for child in children:
        if "scenario" in child:
            yield child["scenario"]
        elif "rule" in child:
            yield from _scenario_nodes(child["rule"]["children"])


def _first_line(node: dict[str, Any]) -> int:
    tags = node.get("tags") or []
    return int(min([t["location"]["line"] for t in tags] + [node["location"]["line"]]))


def _scenario(node: dict[str, Any], last_line: int) -> Scenario:
    examples = []
    for ex in node.get("examples", []):
        header = ex.get("tableHeader")
        columns = tuple(c["value"] for c in header["cells"]) if header else ()
        rows = tuple(
            Row(tuple(c["value"] for c in row["cells"]), row["location"]["line"])
            for row in ex.get("tableBody", [])
        )
        header_line = header["location"]["line"] if header else ex["location"]["line"]
        examples.append(Examples(ex["name"], columns, rows, ex["location"]["line"], header_line))
    return Scenario(
        node["name"],
        node["location"]["line"],
        _first_line(node),
        tuple(t["name"] for t in node.get("tags", [])),
        tuple(examples),
        last_line,
    )


def pair_rows(
    wanted: list[tuple[str, ...]], existing: list[Row]
) -> tuple[list[tuple[tuple[str, ...], Row | None]], list[Row]]:
    """Pair checklist rows with a feature's rows; also return the feature rows left over.

    A row matches on all its cells first, then on its property pair alone (a row whose
    data type changed), so a checklist that lists one pair with two types pairs both.
    """
    remaining = list(existing)
    pairs: list[tuple[tuple[str, ...], Row | None]] = []
    loose: list[tuple[str, ...]] = []
    for cells in wanted:
        exact = next((r for r in remaining if r.cells[: len(cells)] == cells), None)
        if exact is None:
            loose.append(cells)
        else:
            remaining.remove(exact)
            pairs.append((cells, exact))
    for cells in loose:
        row = next((r for r in remaining if r.cells[:2] == cells[:2]), None)
        if row is not None:
            remaining.remove(row)
        pairs.append((cells, row))
    return pairs, remaining
