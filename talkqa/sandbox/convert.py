"""Values as a target field takes them, by the catalogue's type and the system's style.

Talk reads a value in one system's shape and writes it in another's: Zoho's 1234.5
becomes Customerp's "1234.50", a datetime becomes a date, a number becomes text. The
`wrong_type` and `truncated` helpers produce the faulty shapes the fault catalogue injects.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from talkqa.spec.catalogue import Field

_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})
TRUNCATE_TO = 5


class ConversionError(ValueError):
    """A value the target field cannot hold (text in an integer field, ...)."""


def is_empty(value: Any) -> bool:
    """None, blank text and empty lists or objects: what never overwrites a filled value."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == [] or value == {}


def convert(value: Any, field: Field | None, decimals: str = "number") -> Any:
    """`value` as `field` stores it (unknown fields and lookups take it as it is)."""
    if value is None:
        return None
    kind = field.type if field is not None else None
    if kind is None or kind == "lookup":
        return copy.deepcopy(value)
    try:
        return _CONVERTERS[kind](value, decimals)
    except (ValueError, TypeError, InvalidOperation, ArithmeticError) as exc:
        name = field.name if field is not None else "?"
        raise ConversionError(f"{value!r} cannot be written to {name} ({kind})") from exc


def same(left: Any, right: Any) -> bool:
    """Equal as values: text case-insensitively, numbers by value (merge criteria)."""
    if is_empty(left) or is_empty(right):
        return False
    if isinstance(left, str) and isinstance(right, str):
        return left.strip().casefold() == right.strip().casefold()
    try:
        return _decimal(left) == _decimal(right)
    except (ValueError, TypeError, InvalidOperation):
        return bool(left == right)


def wrong_type(value: Any, field: Field | None) -> Any:
    """`value` in a shape a careless transform produces instead of the field's type."""
    kind = field.type if field is not None else "string"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind in ("integer", "decimal", "float", "lookup") and not isinstance(value, list):
        try:
            return f"{_decimal(value):.2f}".replace(".", ",")
        except (ValueError, TypeError, InvalidOperation):
            return [value]
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value[:10]).strftime("%d.%m.%Y")
    if kind == "datetime" and isinstance(value, str):
        return _moment(value).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return [value]


def truncated(value: Any, field: Field | None) -> Any:
    if field is not None and field.type == "string" and isinstance(value, str):
        return value[:TRUNCATE_TO]
    return value


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        return Decimal(value.strip().replace(" ", ""))
    raise TypeError(f"{type(value).__name__} is not a number")


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _string(value: Any, decimals: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _plain(_decimal(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _integer(value: Any, decimals: str) -> int:
    if isinstance(value, bool):
        return int(value)
    return int(_decimal(value).to_integral_value())


def _decimal_value(value: Any, decimals: str) -> Any:
    number = _decimal(value)
    if decimals == "string":
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent > -2:
            number = number.quantize(Decimal("0.01"))
        return format(number, "f")
    return float(number)


def _float(value: Any, decimals: str) -> float:
    return float(_decimal(value))


def _boolean(value: Any, decimals: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a boolean")


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date(value: Any, decimals: str) -> str:
    text = str(value).strip()
    if len(text) == 10:
        return date.fromisoformat(text).isoformat()
    return _moment(text).date().isoformat()


def _datetime(value: Any, decimals: str) -> str:
    return _moment(str(value)).isoformat()


def _list(value: Any, decimals: str) -> list[Any]:
    if isinstance(value, list):
        return copy.deepcopy(value)
    return [value]


_CONVERTERS = {
    "string": _string,
    "integer": _integer,
    "decimal": _decimal_value,
    "float": _float,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "list": _list,
}
