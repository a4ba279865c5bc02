"""Zoho's search criteria: `((Last_Name:equals:Burns)and(First_Name:starts_with:B))`.

A condition is `(field:operator:value)`; conditions combine with `and`/`or` inside
parentheses (`and` binds tighter when both appear in one group). In a value, `\\(`, `\\)`,
`\\,` and `\\\\` stand for the character itself, and unescaped commas separate the
alternatives of `equals`, `not_equal` and `in`. Strings compare case-insensitively, as
Zoho's search does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

OPERATORS = frozenset(
    {
        "equals",
        "not_equal",
        "starts_with",
        "in",
        "greater_than",
        "greater_equal",
        "less_than",
        "less_equal",
    }
)
_MULTI_VALUED = frozenset({"equals", "not_equal", "in"})
_NUMERIC = frozenset({"integer", "decimal", "float"})


class CriteriaError(ValueError):
    """A criteria string Zoho would refuse (it answers 400 INVALID_QUERY)."""


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Junction:
    operator: str  # "and" or "or"
    parts: tuple[Condition | Junction, ...]


Node = Condition | Junction


def parse_criteria(text: str) -> Node:
    return _Parser(text).parse()


def fields_of(node: Node) -> set[str]:
    """The top-level field names a criteria refers to (`Account_Name.id` -> `Account_Name`)."""
    if isinstance(node, Condition):
        return {node.field.split(".", 1)[0]}
    return set().union(*(fields_of(part) for part in node.parts))


def matches(node: Node, record: Mapping[str, Any], types: Mapping[str, str]) -> bool:
    """Whether a rendered record meets the criteria; `types` maps field names to types."""
    if isinstance(node, Junction):
        combine = all if node.operator == "and" else any
        return combine(matches(part, record, types) for part in node.parts)
    name, _, sub = node.field.partition(".")
    ftype = "string" if sub else types.get(name, "string")
    actual = record.get(name)
    if isinstance(actual, dict):
        actual = actual.get(sub or "name")
    convert = _converter(ftype)
    try:
        wanted = [convert(v) for v in node.values]
    except ValueError as exc:
        raise CriteriaError(f"{node.field}: {exc}") from exc
    if actual is None:
        return node.operator == "not_equal"
    try:
        have = convert(actual if ftype in _NUMERIC or ftype == "boolean" else str(actual))
        return _compare(node.operator, have, wanted)
    except (TypeError, ValueError):
        return False


def _compare(operator: str, have: Any, wanted: list[Any]) -> bool:
    if operator in ("equals", "in"):
        return have in wanted
    if operator == "not_equal":
        return have not in wanted
    if operator == "starts_with":
        return any(str(have).startswith(str(w)) for w in wanted)
    first = wanted[0]
    return bool(
        {
            "greater_than": have > first,
            "greater_equal": have >= first,
            "less_than": have < first,
            "less_equal": have <= first,
        }[operator]
    )


def _converter(ftype: str) -> Callable[[Any], Any]:
    if ftype in _NUMERIC:
        return float
    if ftype == "boolean":
        return _boolean
    if ftype == "datetime":
        return _datetime
    return lambda value: str(value).casefold()


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text not in ("true", "false"):
        raise ValueError(f"{value!r} is not true or false")
    return text == "true"


def _datetime(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _Parser:
    """A recursive-descent reader over the criteria text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def parse(self) -> Node:
        node = self._sequence()
        self._skip_spaces()
        if self.pos != len(self.text):
            raise CriteriaError(f"unexpected text at position {self.pos}")
        return node

    def _sequence(self) -> Node:
        """Groups joined by and/or, `and` binding tighter than `or`."""
        chains: list[list[Node]] = [[self._group()]]
        while True:
            self._skip_spaces()
            word = self._word()
            if not word:
                break
            if word not in ("and", "or"):
                raise CriteriaError(f"expected 'and' or 'or', found {word!r}")
            if word == "or":
                chains.append([])
            chains[-1].append(self._group())
        terms = [chain[0] if len(chain) == 1 else Junction("and", tuple(chain)) for chain in chains]
        return terms[0] if len(terms) == 1 else Junction("or", tuple(terms))

    def _group(self) -> Node:
        self._skip_spaces()
        self._expect("(")
        self._skip_spaces()
        node = self._sequence() if self._peek() == "(" else self._condition()
        self._skip_spaces()
        self._expect(")")
        return node

    def _condition(self) -> Condition:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] != ")":
            self.pos += 2 if self.text[self.pos] == "\\" else 1
        raw = self.text[start : self.pos]
        parts = raw.split(":", 2)
        if len(parts) != 3 or not parts[0].strip():
            raise CriteriaError(f"a condition is (field:operator:value), not ({raw})")
        field, operator, value = parts[0].strip(), parts[1].strip(), parts[2]
        if operator not in OPERATORS:
            raise CriteriaError(f"unsupported operator {operator!r}")
        values = _split(value) if operator in _MULTI_VALUED else [value]
        return Condition(field, operator, tuple(_unescape(v) for v in values))

    def _word(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isalpha():
            self.pos += 1
        return self.text[start : self.pos].lower()

    def _peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def _expect(self, char: str) -> None:
        if self._peek() != char:
            raise CriteriaError(f"expected {char!r} at position {self.pos}")
        self.pos += 1

    def _skip_spaces(self) -> None:
        while self._peek().isspace():
            self.pos += 1


def _split(value: str) -> list[str]:
    """Split on commas that are not escaped."""
    parts, current, i = [], [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            current.append(value[i : i + 2])
            i += 2
            continue
        if value[i] == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(value[i])
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            i += 1
        out.append(value[i])
        i += 1
    return "".join(out)
