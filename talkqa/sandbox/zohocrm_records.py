"""ZohoCRM records on the wire: checking what a client writes, rendering what it reads.

A `Module` serves one catalogue entity (Accounts, Contacts, Deals). Its collection stores
the API's JSON shape minus what Zoho maintains itself: no id, timestamps, Owner,
Created_By/Modified_By or Full_Name, and a lookup as the referenced record's id. Those are
derived from the `Record` when answering, so a record the Talk engine puts straight into
the collection reads back exactly like one written over HTTP.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from talkqa.sandbox.store import Collection, Record
from talkqa.sandbox.values import is_date
from talkqa.spec.catalogue import Entity, Field

# The one user of the sandbox org: every record's owner, creator and modifier.
SANDBOX_USER = {
    "name": "Sandbox Admin",
    "id": "5843104000000000001",
    "email": "admin@sandbox.invalid",
}
USER_FIELDS = ("Owner", "Created_By", "Modified_By")
# Keys a client may send that Zoho maintains itself (besides the catalogue's read_only
# fields): a write ignores them, as Zoho does, rather than failing the record.
_IGNORED_ON_WRITE = frozenset({"id", "Created_By", "Modified_By"})

# Zoho's name for each catalogue type, as it reports it in `expected_data_type`.
_EXPECTED_TYPE = {
    "string": "text",
    "integer": "integer",
    "decimal": "double",
    "float": "double",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
    "list": "multiselectpicklist",
    "lookup": "lookup",
}


def zoho_ids(prefix: str = "5843104", start: int = 400001) -> Callable[[], str]:
    """Zoho-like record ids: 19 digits, increasing, unique across the org's modules."""
    counter = itertools.count(start)
    return lambda: f"{prefix}{next(counter):012d}"


def zoho_time(moment: datetime) -> str:
    """ISO 8601 with offset at seconds precision, as Zoho writes datetimes."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def zoho_error(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "details": details or {}, "message": message, "status": "error"}


def zoho_success(message: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"code": "SUCCESS", "details": details, "message": message, "status": "success"}


class RecordError(Exception):
    """One record of a batch refused; `body` is its entry in the answer's `data`."""

    def __init__(self, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.body = zoho_error(code, message, details)


class Module:
    """One Zoho module: its catalogue entity, its records, and the other modules to resolve
    lookups against (`registry`, keyed by entity name)."""

    def __init__(self, entity: Entity, collection: Collection, registry: Mapping[str, Module]):
        self.entity = entity
        self.name = entity.collection
        self.collection = collection
        self._registry = registry

    def known(self, name: str) -> bool:
        return name in self.entity.fields or name in USER_FIELDS

    @property
    def types(self) -> dict[str, str]:
        found = {name: f.type for name, f in self.entity.fields.items()}
        return found | {"Created_By": "lookup", "Modified_By": "lookup"}

    # --- writing -------------------------------------------------------------------------

    def check_new(self, item: Any, index: int) -> dict[str, Any]:
        """The fields to store for a new record, or RecordError as Zoho reports it."""
        fields = self._check(item, index)
        for field in self.entity.fields.values():
            if field.required and not field.read_only and _blank(fields.get(field.name)):
                raise _mandatory(field.name, index)
        return fields

    def check_changes(self, item: Any, index: int) -> dict[str, Any]:
        """The fields an update changes; a mandatory field may not be emptied."""
        changes = self._check(item, index)
        for name, value in changes.items():
            if self.entity.fields[name].required and _blank(value):
                raise _mandatory(name, index)
        return changes

    def find_duplicate(self, item: Any, check_fields: Iterable[str]) -> tuple[Record, str] | None:
        """The existing record an upsert updates, and the field that matched it."""
        if not isinstance(item, dict):
            return None
        for name in check_fields:
            wanted = _match_key(item.get(name))
            if wanted in (None, ""):
                continue
            for record in self.collection.all():
                if _match_key(record.fields.get(name)) == wanted:
                    return record, name
        return None

    def _check(self, item: Any, index: int) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise RecordError(
                "INVALID_DATA",
                "invalid data",
                {"expected_data_type": "jsonobject", "json_path": f"$.data[{index}]"},
            )
        fields: dict[str, Any] = {}
        for name, value in item.items():
            if name in _IGNORED_ON_WRITE or name.startswith("$"):
                continue
            path = f"$.data[{index}].{name}"
            field = self.entity.fields.get(name)
            if field is None:
                raise RecordError(
                    "INVALID_DATA",
                    "the field api name given seems to be invalid",
                    {"api_name": name, "json_path": path},
                )
            if not field.read_only:
                fields[name] = self._value(field, value, path)
        return fields

    def _value(self, field: Field, value: Any, path: str) -> Any:
        if value is None:
            return None
        where = {"api_name": field.name, "json_path": path}
        if field.type == "lookup":
            return self._lookup_id(field, value, where)
        if not _TYPE_CHECKS[field.type](value):
            raise _invalid(where, expected_data_type=_EXPECTED_TYPE[field.type])
        limit = field.max_length
        if limit is not None and isinstance(value, str) and len(value) > limit:
            raise _invalid(where, maximum_length=limit)
        if field.choices and value not in field.choices:
            raise _invalid(where, supported_values=list(field.choices))
        return copy.deepcopy(value)

    def _lookup_id(self, field: Field, value: Any, where: dict[str, Any]) -> str:
        ref = value.get("id") if isinstance(value, dict) else value
        if isinstance(ref, bool) or not isinstance(ref, str | int):
            raise _invalid(where, expected_data_type="lookup")
        target = self._registry.get(field.entity or "")
        if target is None or target.collection.get(str(ref)) is None:
            raise RecordError("INVALID_DATA", "the id given seems to be invalid", where)
        return str(ref)

    # --- reading -------------------------------------------------------------------------

    def render(self, record: Record, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """The record as Zoho answers it: every field, or `id` plus the `fields` asked for
        (names the module does not know are left out)."""
        if fields is None:
            names = [*self.entity.fields, "Created_By", "Modified_By"]
        else:
            names = ["id", *(n for n in dict.fromkeys(fields) if n != "id" and self.known(n))]
        return {name: self._read(record, name) for name in names}

    def write_details(self, record: Record) -> dict[str, Any]:
        """The `details` of a successful write."""
        user = {"name": SANDBOX_USER["name"], "id": SANDBOX_USER["id"]}
        return {
            "Modified_Time": zoho_time(record.modified),
            "Modified_By": dict(user),
            "Created_Time": zoho_time(record.created),
            "id": str(record.id),
            "Created_By": dict(user),
        }

    def label(self, record: Record) -> Any:
        """The record's name as a lookup to it shows it."""
        return self._read(record, self.entity.label)

    def _read(self, record: Record, name: str) -> Any:
        if name == "id":
            return str(record.id)
        if name in USER_FIELDS:
            return dict(SANDBOX_USER)
        if name == "Created_Time":
            return zoho_time(record.created)
        if name == "Modified_Time":
            return zoho_time(record.modified)
        if name == "Full_Name":
            parts = (record.fields.get("First_Name"), record.fields.get("Last_Name"))
            return " ".join(p for p in parts if p) or None
        field = self.entity.fields[name]
        value = record.fields.get(name)
        if field.type == "lookup":
            return self._lookup(field, value)
        return copy.deepcopy(value)

    def _lookup(self, field: Field, stored: Any) -> dict[str, Any] | None:
        """`{"name", "id"}` of the referenced record; null once it is gone."""
        ref = stored.get("id") if isinstance(stored, dict) else stored
        target = self._registry.get(field.entity or "")
        if ref is None or target is None:
            return None
        record = target.collection.get(str(ref))
        if record is None:
            return None
        return {"name": target.label(record), "id": str(record.id)}


def _invalid(where: dict[str, Any], **details: Any) -> RecordError:
    return RecordError("INVALID_DATA", "invalid data", where | details)


def _mandatory(name: str, index: int) -> RecordError:
    return RecordError(
        "MANDATORY_NOT_FOUND",
        "required field not found",
        {"api_name": name, "json_path": f"$.data[{index}].{name}"},
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _match_key(value: Any) -> Any:
    """What upsert compares: lookups by id, text case-insensitively."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.casefold() if isinstance(value, str) else value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_datetime(value: Any) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "decimal": _is_number,
    "float": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "date": is_date,
    "datetime": _is_datetime,
    "list": lambda v: isinstance(v, list),
}
