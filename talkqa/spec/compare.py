"""Comparing a synchronized property: one generic mechanism driven by the property rows.

A feature's `Examples: Properties` rows (`Mapping`) say which property travels to which
and with which data type; nothing here knows a particular property. The catalogue
(`talkqa/spec/systems/*.toml`) says which paths are ids, references or read-only.

Public API
----------
``values_at(record, path) -> list[Any]``
    The values at a property path of a record as an API answers it: `billing_address.city`
    walks nested objects, `Account_Name.id` a Zoho lookup (`{"id", "name"}` or null), a
    list on the way fans out. `[]` when the path leads nowhere.

``same_value(expected, actual, data_type, data_type_raw="") -> bool``
    Equal as values of the data type (Talk's model type, not the JSON type): see `RULES`.

``compare(mapping, source_record, target_record, *, direction, source_name, target_name,
link=None) -> Mismatch | Skipped | None``
    The one call of a property step. `source_record` is the record of the section's source
    entity, `target_record` the linked record of its target entity, whichever way the value
    travelled; `direction` says which: "forward" (source -> target, the source's value is
    expected on the target) or "reverse" (target -> source). `source_name`/`target_name` are
    the section's `SystemEntity`s (`spec.source`, `spec.target`). `link(entity, id)` answers
    the id of the record linked with record `id` of catalogue entity `entity` *of the side
    the value came from* (forward: the source system, reverse: the target system), or None.
    It serves `id` rows (both paths are their entities' id fields: the destination record
    must be the one linked with the origin record) and references (`Account_Name.id ->
    customer_id`: the referenced id is translated through the link before comparing).
    A row whose destination property is read-only gives `Skipped(reason)`. Several rows
    feeding one property are fine: the caller passes the row it changed.

``check(...)``, same arguments -> ``Comparison``
    The same, keeping both values for a report; `compare` is `check(...).outcome`.

``compare_all(mappings, source_record, target_record, *, direction, source_name,
target_name, link=None) -> list[Comparison]``
    Every row at once (a new record's values). Where several rows feed one property, that
    property holding any one of their values passes; the others are skipped.

``skip_reason(mapping, *, direction, source_name, target_name) -> Skipped | None``
    Why a direction cannot be checked by editing (origin or destination read-only), before
    a step edits anything. ``row_kind(mapping, source_name, target_name)`` says whether a row
    is an "id" row, a "reference" or a plain "value".

``comparison_table(rows) -> str``
    A fixed-width text table of `Comparison`s (property, data type, source value, target
    value, result) to attach to a report.

``mapping_for(mappings, source, target) -> Mapping``
    The row for a step's "<source>"/"<target>" words, or a `CompareError` listing the rows.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from talkqa.checklist.model import SystemEntity
from talkqa.spec.catalogue import Entity, Field, load_catalogue
from talkqa.spec.dataflow import Mapping

Link = Callable[[str, str], str | None]
Direction = Literal["forward", "reverse"]
DIRECTIONS: tuple[str, ...] = ("forward", "reverse")
RowKind = Literal["id", "reference", "value"]

_VALUE_WIDTH = 40
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_FORMAT = re.compile(r'"datetime-format"\s*,\s*"([^"]*)"')
_FIRST_TOKEN = re.compile(r'"([^"]*)"')
_SAME_INSTANT = timedelta(seconds=1)


class CompareError(ValueError):
    """A comparison that cannot be made as asked: says what is wrong and what to do."""


# --- reading paths ---------------------------------------------------------------------


def values_at(record: dict[str, Any], path: str) -> list[Any]:
    """The values at `path`: `[]` when absent, `[None]` when present as null.

    A key equal to the whole path wins (`{"billing_address.city": ...}`); otherwise each
    dotted part steps into an object, and a list met on the way is fanned out over its
    items. A list at the end of the path is one value (a `list` property)."""
    if path in record:
        return [record[path]]
    found: list[Any] = [record]
    for part in path.split("."):
        step: list[Any] = []
        for value in found:
            items = value if isinstance(value, list) else [value]
            step.extend(item[part] for item in items if isinstance(item, dict) and part in item)
        found = step
    return found


def _one(values: list[Any]) -> Any:
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _blank(value: Any) -> bool:
    if isinstance(value, str):
        return value == ""
    return value is None or value == [] or value == {}


# --- values by data type ---------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _same_text(expected: Any, actual: Any) -> bool:
    """Text equal as text; text that arrives as a list (or a list as bare text of one
    item) is a wrong type, even when it reads the same."""
    lists = isinstance(expected, list), isinstance(actual, list)
    if lists[0] != lists[1] and isinstance(expected if lists[1] else actual, str):
        one = expected if lists[0] else actual
        if len(one) == 1:
            return False
    return _text(expected) == _text(actual)


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return None
    return None


def _as_integer(value: Any) -> int | None:
    number = _as_decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _as_float(value: Any) -> float | None:
    number = _as_decimal(value)
    return None if number is None else float(number)


def _as_boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().casefold() in ("true", "false"):
        return value.strip().casefold() == "true"
    return None


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    moment = _moment(text) if "T" in text or " " in text else None
    return moment.date() if moment else None  # the date as written, in its own offset


def _as_instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        if _DATE.fullmatch(text) or "T" in text or " " in text:
            return _moment(text)
    return None


def _parsed(parse: Callable[[Any], Any], equal: Callable[[Any, Any], bool]) -> _Rule:
    """A rule: both blank is equal; both readable compares as values; a value the type
    cannot read (a wrong format) equals only the very same text."""

    def rule(expected: Any, actual: Any) -> bool:
        if _blank(expected) or _blank(actual):
            return _blank(expected) and _blank(actual)
        left, right = parse(expected), parse(actual)
        if left is None or right is None:
            return left is None and right is None and _text(expected) == _text(actual)
        return equal(left, right)

    return rule


def _same_list(expected: Any, actual: Any) -> bool:
    if _blank(expected) or _blank(actual):
        return _blank(expected) and _blank(actual)
    if not isinstance(expected, list) or not isinstance(actual, list):
        return False
    return Counter(_text(v) for v in expected) == Counter(_text(v) for v in actual)


_Rule = Callable[[Any, Any], bool]
RULES: dict[str, _Rule] = {
    # Text: numbers by str(), booleans as true/false; None and "" alike; exact otherwise.
    "string": lambda e, a: _same_text(e, a),
    # Whole numbers however written: 5 == "5" == 5.0; "5,00" is a wrong format.
    "integer": _parsed(_as_integer, lambda e, a: bool(e == a)),
    # Decimal from the text: "1234.50" == 1234.5; "1.234,50" is a wrong format.
    "decimal": _parsed(_as_decimal, lambda e, a: bool(e == a)),
    # Close within 1e-9 relative.
    "float": _parsed(_as_float, lambda e, a: math.isclose(e, a, rel_tol=1e-9)),
    # true/True/1 alike; "yes" is a wrong format.
    "boolean": _parsed(_as_boolean, lambda e, a: bool(e == a)),
    # Same items, in any order.
    "list": _same_list,
    # Not compared: a value on both sides, or on neither.
    "n/a": lambda e, a: _blank(e) == _blank(a),
    # YYYY-MM-DD, or a datetime on that date (as written); "10.09.2024" is a wrong format.
    "date": _parsed(_as_date, lambda e, a: bool(e == a)),
    # The same instant (to the second) whatever the offset.
    "datetime": _parsed(_as_instant, lambda e, a: abs(e - a) < _SAME_INSTANT),
}


def _formatted(value: Any, fmt: str) -> str | None:
    """A date or datetime written in `fmt`: read in that format, or as ISO 8601 (a
    datetime in the offset it was written in)."""
    if isinstance(value, datetime | date):
        return value.strftime(fmt)
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return datetime.strptime(text, fmt).strftime(fmt)
    except ValueError:
        pass
    if _DATE.fullmatch(text):
        day = _as_date(text)
        return day.strftime(fmt) if day is not None else None
    moment = _as_instant(text)
    return moment.strftime(fmt) if moment is not None else None


def _same_expression(expected: Any, actual: Any, raw: str) -> bool:
    found = _FORMAT.search(raw)
    if found:
        fmt = found.group(1)
        rule = _parsed(lambda v: _formatted(v, fmt), lambda e, a: bool(e == a))
        return rule(expected, actual)
    first = _FIRST_TOKEN.search(raw)
    token = first.group(1).strip().casefold() if first else ""
    if token in RULES and token != "n/a":
        return RULES[token](expected, actual)
    return RULES["string"](expected, actual)


def same_value(expected: Any, actual: Any, data_type: str, data_type_raw: str = "") -> bool:
    """Whether `actual` holds `expected` as a value of `data_type`.

    `data_type` is a normalised type (`Mapping.data_type`): string, integer, decimal,
    float, boolean, list, n/a, date, datetime or expression. An expression
    (`data_type_raw`, e.g. `"datetime-format","%Y-%m-%d","_."]`) with a datetime format
    compares dates in that format; one whose first token names a type (`["decimal", "_."]`)
    compares as that type; any other compares as text."""
    if data_type == "expression":
        return _same_expression(expected, actual, data_type_raw)
    rule = RULES.get(data_type)
    if rule is None:
        known = ", ".join([*RULES, "expression"])
        raise CompareError(f"unknown data type {data_type!r}; known types: {known}")
    return rule(expected, actual)


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordRef:
    """Which record: as the feature names its system and entity, and its id."""

    system: str
    entity: str
    id: str | None

    def __str__(self) -> str:
        return f"{self.system} {self.entity} {self.id if self.id is not None else '(no id)'}"


@dataclass(frozen=True)
class Mismatch:
    """A row whose value did not arrive as its data type says it should.

    Properties, values (as reprs) and records are named as in the row (source, target);
    `direction` says which way the value travelled, and `str()` tells it that way."""

    source_property: str
    target_property: str
    data_type: str
    direction: str
    source_value: str
    target_value: str
    source_record: RecordRef
    target_record: RecordRef
    detail: str = ""

    def __str__(self) -> str:
        origin = (self.source_property, self.source_record, self.source_value)
        destination = (self.target_property, self.target_record, self.target_value)
        if self.direction == "reverse":
            origin, destination = destination, origin
        text = (
            f"{origin[0]} -> {destination[0]} ({self.data_type}): "
            f"{origin[1]} has {origin[2]}, {destination[1]} has {destination[2]}"
        )
        return f"{text} ({self.detail})" if self.detail else text


@dataclass(frozen=True)
class Skipped:
    """A row that is not checked in this direction, and why."""

    reason: str

    def __str__(self) -> str:
        return self.reason


Outcome = Mismatch | Skipped | None


@dataclass(frozen=True)
class Comparison:
    """One row compared: both values as read, and the outcome (None: they agree)."""

    mapping: Mapping
    direction: str
    source_value: Any
    target_value: Any
    outcome: Outcome

    @property
    def result(self) -> str:
        if isinstance(self.outcome, Mismatch):
            return "MISMATCH"
        return "skipped" if isinstance(self.outcome, Skipped) else "ok"

    @property
    def passed(self) -> bool:
        return self.outcome is None


# --- the catalogue's view of a row ------------------------------------------------------


def _entity(name: SystemEntity) -> Entity | None:
    return load_catalogue().entity(name.system, name.entity)


def _system_title(name: SystemEntity) -> str:
    system = load_catalogue().system_named(name.system)
    return system.title if system is not None else name.system


def id_field(entity: Entity | None) -> str:
    """The field that holds a record's id: `id`, or webCRM's `OrganisationId` and kin."""
    if entity is None or "id" in entity.fields:
        return "id"
    for name, spec in entity.fields.items():
        if spec.read_only and name.endswith("Id") and spec.entity is None:
            return name
    return "id"


def _field(entity: Entity | None, path: str) -> Field | None:
    return entity.field(path) if entity is not None else None


def referenced_entity(entity: Entity | None, path: str) -> str | None:
    """The catalogue entity a reference path points at (`Account_Name.id` -> Account)."""
    if entity is None:
        return None
    spec = entity.fields.get(path)
    if spec is None:
        head, _, rest = path.partition(".")
        spec = entity.fields.get(head) if rest == "id" else None
    return spec.entity if spec is not None else None


def row_kind(mapping: Mapping, source_name: SystemEntity, target_name: SystemEntity) -> RowKind:
    """The kind of row: "id" (both sides are their record's id: checked as the link),
    "reference" (a side refers to another record: translated through its link), "value"."""
    source, target = _entity(source_name), _entity(target_name)
    if mapping.source == id_field(source) and mapping.target == id_field(target):
        return "id"
    if referenced_entity(source, mapping.source) or referenced_entity(target, mapping.target):
        return "reference"
    return "value"


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise CompareError(f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}")


def _read_only(name: SystemEntity, path: str) -> bool:
    spec = _field(_entity(name), path)
    return spec is not None and spec.read_only


def _sides(
    mapping: Mapping, direction: str, source_name: SystemEntity, target_name: SystemEntity
) -> tuple[tuple[str, SystemEntity], tuple[str, SystemEntity]]:
    """(path, name) of the origin and the destination of a direction."""
    source, target = (mapping.source, source_name), (mapping.target, target_name)
    return (source, target) if direction == "forward" else (target, source)


def _destination_read_only(
    mapping: Mapping, direction: str, source_name: SystemEntity, target_name: SystemEntity
) -> Skipped | None:
    _, (path, name) = _sides(mapping, direction, source_name, target_name)
    if _read_only(name, path):
        return Skipped(
            f"{path} is read-only in {_system_title(name)}, "
            f"so the {direction} direction is not checked"
        )
    return None


def skip_reason(
    mapping: Mapping, *, direction: str, source_name: SystemEntity, target_name: SystemEntity
) -> Skipped | None:
    """Why this row cannot be checked by an edit in `direction`, or None when it can: the
    property to edit or the one to receive it is read-only. `id` rows are never skipped
    (nothing is edited: the link itself is checked)."""
    _check_direction(direction)
    if row_kind(mapping, source_name, target_name) == "id":
        return None
    (path, name), _ = _sides(mapping, direction, source_name, target_name)
    if _read_only(name, path):
        return Skipped(
            f"{path} is read-only in {_system_title(name)}, "
            f"so it cannot be edited to check the {direction} direction"
        )
    return _destination_read_only(mapping, direction, source_name, target_name)


# --- comparing -------------------------------------------------------------------------


def _record_id(record: dict[str, Any], name: SystemEntity) -> str | None:
    value = _one(values_at(record, id_field(_entity(name))))
    return None if _blank(value) else str(value)


def _no_reference(value: Any) -> bool:
    """No record referred to: null, blank, or webCRM's 0."""
    return _blank(value) or str(value).strip() in ("", "0")


def _reference_id(value: Any) -> Any:
    if isinstance(value, dict):
        value = value.get("id")
    return None if _no_reference(value) else value


def check(
    mapping: Mapping,
    source_record: dict[str, Any],
    target_record: dict[str, Any],
    *,
    direction: str,
    source_name: SystemEntity,
    target_name: SystemEntity,
    link: Link | None = None,
) -> Comparison:
    """One row compared in one direction, with both values kept (see the module doc)."""
    _check_direction(direction)
    refs = (
        RecordRef(source_name.system, source_name.entity, _record_id(source_record, source_name)),
        RecordRef(target_name.system, target_name.entity, _record_id(target_record, target_name)),
    )
    kind = row_kind(mapping, source_name, target_name)
    if kind == "id":
        return _check_id(mapping, direction, refs, source_name, target_name, link)
    values = (
        _one(values_at(source_record, mapping.source)),
        _one(values_at(target_record, mapping.target)),
    )
    skipped = _destination_read_only(mapping, direction, source_name, target_name)
    if skipped is not None:
        return Comparison(mapping, direction, *values, skipped)
    expected, actual = values if direction == "forward" else values[::-1]
    detail = ""
    if kind == "reference":
        expected, actual = _reference_id(expected), _reference_id(actual)
        (origin_path, origin_name), (_, other) = _sides(
            mapping, direction, source_name, target_name
        )
        referred = referenced_entity(_entity(origin_name), origin_path)
        if expected is not None and referred is not None:
            if link is None:
                raise CompareError(
                    f"{mapping.source} -> {mapping.target} refers to another record: pass "
                    "`link` to translate its id into the other system"
                )
            raw, expected = expected, link(referred, str(expected))
            detail = f"{_system_title(origin_name)} {referred} {raw} is linked to " + (
                f"{expected!r} in {_system_title(other)}"
                if expected is not None
                else f"no record in {_system_title(other)}"
            )
            if expected is None:
                outcome = _mismatch(mapping, direction, values, refs, detail)
                return Comparison(mapping, direction, *values, outcome)
    if same_value(expected, actual, mapping.data_type, mapping.data_type_raw):
        return Comparison(mapping, direction, *values, None)
    outcome = _mismatch(mapping, direction, values, refs, detail)
    return Comparison(mapping, direction, *values, outcome)


def _type_label(mapping: Mapping) -> str:
    return mapping.data_type_raw.strip() if mapping.data_type == "expression" else mapping.data_type


def _mismatch(
    mapping: Mapping,
    direction: str,
    values: tuple[Any, Any],
    refs: tuple[RecordRef, RecordRef],
    detail: str,
) -> Mismatch:
    return Mismatch(
        mapping.source,
        mapping.target,
        _type_label(mapping),
        direction,
        repr(values[0]),
        repr(values[1]),
        refs[0],
        refs[1],
        detail,
    )


def _check_id(
    mapping: Mapping,
    direction: str,
    refs: tuple[RecordRef, RecordRef],
    source_name: SystemEntity,
    target_name: SystemEntity,
    link: Link | None,
) -> Comparison:
    """An id row: the destination record must be the one linked with the origin record."""
    ids = (refs[0].id, refs[1].id)
    origin, destination = ids if direction == "forward" else ids[::-1]
    origin_name, other = (
        (source_name, target_name) if direction == "forward" else (target_name, source_name)
    )
    if origin is None or destination is None:
        outcome: Outcome = _mismatch(mapping, direction, ids, refs, "a record has no id")
        return Comparison(mapping, direction, *ids, outcome)
    if link is None:
        return Comparison(mapping, direction, *ids, None)
    entity = _entity(origin_name)
    linked = link(entity.name if entity is not None else origin_name.entity, origin)
    if linked is not None and str(linked) == destination:
        return Comparison(mapping, direction, *ids, None)
    detail = f"{origin_name} {origin} is linked to " + (
        f"{other} {linked}" if linked is not None else f"no {other}"
    )
    return Comparison(mapping, direction, *ids, _mismatch(mapping, direction, ids, refs, detail))


def compare(
    mapping: Mapping,
    source_record: dict[str, Any],
    target_record: dict[str, Any],
    *,
    direction: str,
    source_name: SystemEntity,
    target_name: SystemEntity,
    link: Link | None = None,
) -> Outcome:
    """None when the row's value arrived; a `Mismatch` when not; `Skipped` when the
    destination is read-only (see the module doc for the arguments)."""
    return check(
        mapping,
        source_record,
        target_record,
        direction=direction,
        source_name=source_name,
        target_name=target_name,
        link=link,
    ).outcome


def compare_all(
    mappings: Iterable[Mapping],
    source_record: dict[str, Any],
    target_record: dict[str, Any],
    *,
    direction: str,
    source_name: SystemEntity,
    target_name: SystemEntity,
    link: Link | None = None,
) -> list[Comparison]:
    """Every row compared; rows feeding one destination pass when it holds one of their
    values (latest wins), the others being skipped."""
    rows = [
        check(
            m,
            source_record,
            target_record,
            direction=direction,
            source_name=source_name,
            target_name=target_name,
            link=link,
        )
        for m in mappings
    ]
    groups: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        destination = row.mapping.target if direction == "forward" else row.mapping.source
        groups.setdefault(destination, []).append(index)
    for destination, members in groups.items():
        held = [i for i in members if rows[i].passed]
        if len(members) < 2 or not held:
            continue
        winner = rows[held[0]].mapping
        origin = winner.source if direction == "forward" else winner.target
        for i in members:
            if isinstance(rows[i].outcome, Mismatch):
                reason = f"{destination} takes several properties; it holds {origin}'s value"
                row = rows[i]
                rows[i] = Comparison(
                    row.mapping, row.direction, row.source_value, row.target_value, Skipped(reason)
                )
    return rows


def mapping_for(mappings: Iterable[Mapping], source: str, target: str) -> Mapping:
    """The row `source -> target`; a CompareError listing the rows there are."""
    rows = list(mappings)
    for row in rows:
        if row.source == source and row.target == target:
            return row
    known = "; ".join(f"{r.source} -> {r.target}" for r in rows) or "none"
    raise CompareError(
        f"no property row {source} -> {target} in the feature's Examples: Properties "
        f"(rows: {known}); add the row or fix the step's words"
    )


# --- the report table ------------------------------------------------------------------


def _cell(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 3] + "..."


def comparison_table(rows: Iterable[Comparison]) -> str:
    """A fixed-width table of compared rows: property (`->` forward, `<-` reverse), data
    type, source value, target value, result (with the reason of a skip or mismatch)."""
    header = ("property", "data type", "source value", "target value", "result")
    lines: list[tuple[str, ...]] = []
    for row in rows:
        arrow = "->" if row.direction == "forward" else "<-"
        result = row.result
        if isinstance(row.outcome, Skipped):
            result = f"skipped: {row.outcome.reason}"
        elif isinstance(row.outcome, Mismatch) and row.outcome.detail:
            result = f"MISMATCH: {row.outcome.detail}"
        lines.append(
            (
                f"{row.mapping.source} {arrow} {row.mapping.target}",
                _type_label(row.mapping),
                _cell(row.source_value),
                _cell(row.target_value),
                result,
            )
        )
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(4)]

    def render(cells: tuple[str, ...]) -> str:
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
        return "  ".join([*padded, cells[4]]).rstrip()

    rule = (*("-" * w for w in widths), "-" * len(header[4]))
    return "\n".join(render(line) for line in [header, rule, *lines])
