"""The Customerp API: the REST API this project defines for Sesam Talk's "Custom ERP".

No public Customerp API exists, so talkqa defines one. Its contract is
`customerp_openapi.yaml` beside this module (served at `/api/v1/openapi.yaml`); this
emulation is held to it by the tests. Field names, types, required and read-only flags
come from the catalogue (`talkqa/spec/systems/customerp.toml`); what the catalogue does
not say (defaults, assigned numbers, filters, unique fields) is in `RESOURCES` below.

Stored fields are the API's JSON shape minus what the system maintains itself: no id,
no timestamps, no customer/order number (derived from the id when answering). Addresses
are stored as nested objects, references as the referenced record's integer id.
"""

from __future__ import annotations

import copy
import hmac
import math
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from talkqa.sandbox.clock import Clock
from talkqa.sandbox.credentials import CustomerpCredentials
from talkqa.sandbox.store import Collection, Record
from talkqa.sandbox.values import is_date
from talkqa.sandbox.web import ApiError, EmulatedApi, json_response, read_json
from talkqa.spec.catalogue import Entity, Field, load_catalogue

BASE = "/api/v1"
CONTRACT_FILE = "customerp_openapi.yaml"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
DECIMAL = re.compile(r"-?\d+(\.\d+)?")
SANDBOX_CREDENTIALS = CustomerpCredentials()


@dataclass(frozen=True)
class Resource:
    """What the API does with one catalogue entity beyond its field list."""

    entity: str
    # The read-only number assigned from the id: (field, prefix), e.g. C-00001.
    number: tuple[str, str] | None = None
    # Values a new record gets for fields it was created without.
    defaults: Mapping[str, Any] = field(default_factory=dict)
    # Query parameters that filter a list by equality with a field.
    filters: tuple[str, ...] = ()
    # Fields no two records may share (409 on a duplicate).
    unique: tuple[str, ...] = ()
    # Extra value rules: field -> the pattern its string must match.
    patterns: Mapping[str, str] = field(default_factory=dict)


RESOURCES = (
    Resource(
        "Customer",
        number=("customer_number", "C-"),
        defaults={"is_active": True, "tags": []},
        filters=("customer_number", "name", "email", "organization_number"),
    ),
    Resource(
        "Contact",
        defaults={"email_opt_out": False},
        filters=("customer_id", "email", "last_name"),
    ),
    Resource(
        "Order",
        number=("order_number", "SO-"),
        defaults={"currency": "NOK", "status": "draft"},
        filters=("order_number", "customer_id", "status"),
        patterns={"currency": "[A-Z]{3}"},
    ),
    Resource("Product", defaults={"is_active": True}, filters=("sku", "name"), unique=("sku",)),
)


def contract_text() -> str:
    """The OpenAPI document of the Customerp API, as shipped in the package."""
    return (resources.files("talkqa.sandbox") / CONTRACT_FILE).read_text("utf-8")


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with Z and microseconds, so no two changes share a timestamp."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def error(status: int, code: str, message: str, field: str | None = None) -> ApiError:
    detail = {"code": code, "message": message}
    if field is not None:
        detail["field"] = field
    return ApiError(status, {"error": detail})


def invalid(message: str, field: str | None = None) -> ApiError:
    return error(400, "validation_error", message, field)


class CustomerpApi(EmulatedApi):
    """The emulated Customerp API; records live in `collections`, keyed by entity name."""

    def __init__(
        self, clock: Clock, credentials: CustomerpCredentials = SANDBOX_CREDENTIALS
    ) -> None:
        self.clock = clock
        self.credentials = credentials
        system = load_catalogue().systems["customerp"]
        self.entities: dict[str, Entity] = {r.entity: system.entities[r.entity] for r in RESOURCES}
        self.resources = {self.entities[r.entity].collection: r for r in RESOURCES}
        self._by_entity = {r.entity: r for r in RESOURCES}
        self.collections: dict[str, Collection] = {
            name: Collection(name, clock) for name in self.entities
        }
        self._contract = contract_text()
        # Validation and the write it guards (unique SKU, references) happen as one step.
        self._write_lock = threading.Lock()
        super().__init__()

    # -- routing, auth and errors -------------------------------------------------

    def rules(self) -> Iterable[Rule]:
        paths = ", ".join(self.resources)
        many = f"{BASE}/<any({paths}):collection>"
        one = f"{many}/<int:record_id>"
        yield Rule(f"{BASE}/openapi.yaml", endpoint="contract", methods=["GET"])
        yield Rule(many, endpoint="list_records", methods=["GET"])
        yield Rule(many, endpoint="create_record", methods=["POST"])
        yield Rule(one, endpoint="get_record", methods=["GET"])
        yield Rule(one, endpoint="update_record", methods=["PATCH"])
        yield Rule(one, endpoint="delete_record", methods=["DELETE"])

    def before_request(self, request: Request, endpoint: str) -> None:
        if endpoint == "contract":
            return
        key = request.headers.get("X-API-Key", "")
        if not hmac.compare_digest(key.encode(), self.credentials.api_key.encode()):
            what = "wrong" if key else "missing"
            raise error(401, "unauthorized", f"the X-API-Key header is {what}")

    def error_body(self, status: int, message: str) -> Any:
        code = {404: "not_found", 405: "method_not_allowed"}.get(status, "validation_error")
        return {"error": {"code": code, "message": message}}

    # -- endpoints ------------------------------------------------------------------

    def contract(self, request: Request) -> Response:
        return Response(self._contract, content_type="application/yaml; charset=utf-8")

    def list_records(self, request: Request, collection: str) -> Any:
        resource = self.resources[collection]
        entity = self.entities[resource.entity]
        args = request.args
        known = {"page", "page_size", "updated_since", *resource.filters}
        for name in args:
            if name not in known:
                raise invalid(f"unknown query parameter {name!r}", name)
        page = _int_arg(args, "page", 1, 1, None)
        page_size = _int_arg(args, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        store = self.collections[resource.entity]
        if "updated_since" in args:
            found = store.changed_since(_since(args["updated_since"]))
        else:
            found = sorted(store.all(), key=lambda r: int(r.id))
        rows = [self.as_json(resource.entity, r) for r in found]
        for name in resource.filters:
            if name in args:
                wanted = _filter_value(entity.fields[name], name, args[name])
                rows = [row for row in rows if row[name] == wanted]
        start = (page - 1) * page_size
        more = start + page_size < len(rows)
        meta = {
            "page": page,
            "page_size": page_size,
            "total": len(rows),
            "next_page": page + 1 if more else None,
        }
        return {"data": rows[start : start + page_size], "meta": meta}

    def create_record(self, request: Request, collection: str) -> Response:
        resource = self.resources[collection]
        body = _body(request)
        with self._write_lock:
            fields = self._changes(resource, body, current=None)
            record = self.collections[resource.entity].insert(fields)
        location = f"{BASE}/{collection}/{record.id}"
        return json_response(self.as_json(resource.entity, record), 201, {"Location": location})

    def get_record(self, request: Request, collection: str, record_id: int) -> Any:
        resource = self.resources[collection]
        return self.as_json(resource.entity, self._find(resource, record_id))

    def update_record(self, request: Request, collection: str, record_id: int) -> Any:
        resource = self.resources[collection]
        body = _body(request)
        with self._write_lock:
            current = self._find(resource, record_id)
            changes = self._changes(resource, body, current=current)
            record = self.collections[resource.entity].update(record_id, changes)
        return self.as_json(resource.entity, record)

    def delete_record(self, request: Request, collection: str, record_id: int) -> Response:
        resource = self.resources[collection]
        with self._write_lock:
            self._find(resource, record_id)
            for other, fname in self._references_to(resource.entity):
                users = [r for r in self.collections[other] if r.fields.get(fname) == record_id]
                if users:
                    raise error(
                        409,
                        "conflict",
                        f"{resource.entity} {record_id} is still referred to by "
                        f"{len(users)} {self.entities[other].collection}",
                    )
            self.collections[resource.entity].delete(record_id)
        return json_response(None, 204)

    # -- the read path ----------------------------------------------------------------

    def render(self, entity_name: str, record: Record) -> dict[str, Any]:
        """A stored record as a GET answers it (what Talk reads): `as_json`."""
        return self.as_json(entity_name, record)

    def as_json(self, entity_name: str, record: Record) -> dict[str, Any]:
        """A stored record as the API answers it: every field, computed ones included."""
        resource = self._by_entity[entity_name]
        stored = {**copy.deepcopy(dict(resource.defaults)), **record.fields}
        out: dict[str, Any] = {}
        for name in self.entities[entity_name].fields:
            if name == "id":
                out[name] = record.id
            elif resource.number and name == resource.number[0]:
                out[name] = f"{resource.number[1]}{int(record.id):05d}"
            elif name == "created_at":
                out[name] = timestamp(record.created)
            elif name == "updated_at":
                out[name] = timestamp(record.modified)
            elif "." in name:
                group, member = name.split(".", 1)
                out.setdefault(group, {})[member] = (stored.get(group) or {}).get(member)
            else:
                out[name] = stored.get(name)
        return out

    # -- the write path -----------------------------------------------------------------

    def _find(self, resource: Resource, record_id: int) -> Record:
        record = self.collections[resource.entity].get(record_id)
        if record is None:
            raise error(404, "not_found", f"no {resource.entity} has id {record_id}")
        return record

    def _changes(
        self, resource: Resource, body: dict[str, Any], current: Record | None
    ) -> dict[str, Any]:
        """The validated fields to store: all of a new record's, or a PATCH's changes."""
        entity = self.entities[resource.entity]
        groups = _groups(entity)
        changes: dict[str, Any] = {}
        for name, value in body.items():
            if name in groups:
                before = current.fields.get(name) if current else None
                changes[name] = self._address(name, groups[name], value, before)
                continue
            spec = entity.fields.get(name)
            if spec is None or "." in name:
                raise invalid(f"unknown field {name!r}", name)
            if spec.read_only:
                raise invalid(f"{name} is read-only", name)
            changes[name] = self._value(resource, spec, name, value)
        if current is None:
            for name, spec in entity.fields.items():
                if spec.required and name not in changes:
                    raise invalid(f"{name} is required", name)
            changes = {**copy.deepcopy(dict(resource.defaults)), **changes}
        for name in resource.unique:
            self._check_unique(resource, name, changes, current)
        return changes

    def _address(
        self, group: str, members: dict[str, Field], value: Any, before: Any
    ) -> dict[str, Any] | None:
        """An address after a write: members sent are set, the others kept."""
        if value is None:
            return None
        if not isinstance(value, dict):
            raise invalid(f"{group} must be an object", group)
        merged = dict(before or {})
        for member, member_value in value.items():
            spec = members.get(member)
            where = f"{group}.{member}"
            if spec is None:
                raise invalid(f"unknown field {where!r}", where)
            merged[member] = self._value(None, spec, where, member_value)
        return merged

    def _value(self, resource: Resource | None, spec: Field, where: str, value: Any) -> Any:
        """The value to store for one field, or a validation error naming it."""
        if value is None:
            if spec.required:
                raise invalid(f"{where} is required and cannot be null", where)
            return None
        kind = spec.type
        if kind == "string":
            if not isinstance(value, str):
                raise invalid(f"{where} must be a string", where)
            if spec.required and not value.strip():
                raise invalid(f"{where} must not be empty", where)
            if spec.max_length is not None and len(value) > spec.max_length:
                raise invalid(f"{where} is longer than {spec.max_length} characters", where)
            if spec.choices and value not in spec.choices:
                raise invalid(f"{where} must be one of {', '.join(spec.choices)}", where)
            pattern = resource.patterns.get(where) if resource else None
            if pattern and not re.fullmatch(pattern, value):
                raise invalid(f"{where} must match {pattern}", where)
            return value
        if kind in ("integer", "lookup"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise invalid(f"{where} must be an integer", where)
            if kind == "lookup" and (
                value < 1 or self.collections[str(spec.entity)].get(value) is None
            ):
                raise invalid(f"{where}: no {spec.entity} has id {value}", where)
            return value
        if kind == "decimal":
            if not isinstance(value, str) or not DECIMAL.fullmatch(value):
                raise invalid(f'{where} must be a decimal string such as "1234.50"', where)
            return value
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise invalid(f"{where} must be a number", where)
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number):
                raise invalid(f"{where} must be a finite number", where)
            return number
        if kind == "boolean":
            if not isinstance(value, bool):
                raise invalid(f"{where} must be true or false", where)
            return value
        if kind == "date":
            if not isinstance(value, str) or not is_date(value):
                raise invalid(f"{where} must be a date YYYY-MM-DD", where)
            return value
        if kind == "list":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise invalid(f"{where} must be a list of strings", where)
            return value
        raise invalid(f"{where} cannot be written", where)  # pragma: no cover - catalogue

    def _check_unique(
        self, resource: Resource, name: str, changes: dict[str, Any], current: Record | None
    ) -> None:
        value = changes.get(name)
        if value is None:
            return
        for other in self.collections[resource.entity]:
            if other.fields.get(name) == value and (current is None or other.id != current.id):
                raise error(409, "conflict", f"another {resource.entity} has {name} {value}", name)

    def _references_to(self, entity_name: str) -> list[tuple[str, str]]:
        """(entity, field) of every lookup that points at `entity_name`."""
        return [
            (other.name, spec.name)
            for other in self.entities.values()
            for spec in other.fields.values()
            if spec.type == "lookup" and spec.entity == entity_name
        ]


def _groups(entity: Entity) -> dict[str, dict[str, Field]]:
    """Nested objects by name, from the catalogue's dotted fields (billing_address.city)."""
    groups: dict[str, dict[str, Field]] = {}
    for name, spec in entity.fields.items():
        if "." in name:
            group, member = name.split(".", 1)
            groups.setdefault(group, {})[member] = spec
    return groups


def _body(request: Request) -> dict[str, Any]:
    try:
        body = read_json(request)
    except ApiError as exc:
        raise invalid("the body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise invalid("the body must be a JSON object")
    return body


def _digits(raw: str) -> bool:
    return raw.isascii() and raw.isdigit()


def _int_arg(args: MultiDict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    if not _digits(raw) or int(raw) < low or (high is not None and int(raw) > high):
        limit = f"from {low} to {high}" if high is not None else f"from {low}"
        raise invalid(f"{name} must be an integer {limit}", name)
    return int(raw)


def _since(raw: str) -> datetime:
    # A "+" left unencoded in a query string arrives as a space.
    text = raw.strip().replace(" ", "+")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in text:
        raise invalid(
            "updated_since must be an ISO 8601 date-time with Z or an offset", "updated_since"
        )
    return moment


def _filter_value(spec: Field, name: str, raw: str) -> Any:
    if spec.type in ("integer", "lookup"):
        if not _digits(raw):
            raise invalid(f"{name} must be an integer", name)
        return int(raw)
    if spec.choices and raw not in spec.choices:
        raise invalid(f"{name} must be one of {', '.join(spec.choices)}", name)
    return raw
