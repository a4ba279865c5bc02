"""The webCRM REST API (v1) emulated: Organisations, Persons and Products.

What a client sees follows reference/webcrm-v1.md and the v1 swagger: an application
token (`authCode`) traded at `/Auth/ApiLogin` for a bearer token that expires, 250
requests a minute per application token in a sliding window, `Page`/`Size` paging that
ends with an empty array, POST answering the new integer id, PUT replacing the whole
object, and errors as `{"Message", "Type"}`. Field lists come from the catalogue entry
`spec/systems/webcrm.toml`.

Sandbox assumptions a live tenant may not share (the harness must tolerate each):
- DELETE /Organisations/{id} and DELETE /Persons/{id} exist here so a harness can clean
  up after itself. The public swagger copies lack them: on a live tenant expect 405 and
  fall back. Deleting an organisation deletes its persons and products with it.
- A field the catalogue does not know is refused (400, ValidationException) instead of
  being ignored, so a misspelt property fails loudly. Read-only fields (ids, timestamps)
  may be sent and are ignored, so a client can PUT back what it read.
- A wrong authCode or refresh token answers 401 with the token answer's shape
  (`IsError: true`); the swagger documents only the 200.
- `/Queries` understands only `SELECT * FROM <Organisation|Person|Product>` with an
  optional WHERE of `<Field> = '<value>'` equalities joined by AND (text compared
  case-insensitively, as SQL Server's default collation does); anything else is a 400.
- PATCH (bulk upsert) answers one string per submitted item, in order: the record's id
  for an insert or an update, or an error message for an item that failed.
"""

from __future__ import annotations

import math
import re
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from talkqa.sandbox.clock import Clock
from talkqa.sandbox.credentials import WebcrmCredentials
from talkqa.sandbox.store import Collection, Record, sequential_ids
from talkqa.sandbox.web import ApiError, EmulatedApi, read_json
from talkqa.spec.catalogue import Entity, Field, load_catalogue

SYSTEM_ID = 1
WINDOW = timedelta(seconds=60)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
ENDPOINTS_WITHOUT_TOKEN = frozenset({"api_login", "api_refresh"})
_KINDS = "any(Organisations, Persons, Products)"


@dataclass(frozen=True)
class Kind:
    """One entity as the API names it: `Organisations` has fields `Organisation...`."""

    entity: Entity
    prefix: str

    @property
    def id_field(self) -> str:
        return f"{self.prefix}Id"

    @property
    def created_field(self) -> str:
        return f"{self.prefix}CreatedAt"

    @property
    def updated_field(self) -> str:
        return f"{self.prefix}UpdatedAt"


def error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> ApiError:
    return ApiError(status, {"Message": message, "Type": kind}, headers or {})


def invalid(message: str) -> ApiError:
    return error(400, message, "ValidationException")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date or datetime; one without an offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise invalid(f"The value '{text}' is not a valid date.") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class WebcrmApi(EmulatedApi):
    """webCRM v1 over HTTP; `collections` holds the records the Talk engine shares."""

    def __init__(
        self,
        clock: Clock,
        credentials: WebcrmCredentials = WebcrmCredentials(),  # noqa: B008 - frozen
        *,
        token_ttl: float = 3600.0,
        requests_per_minute: int | None = 250,
    ) -> None:
        self.clock = clock
        self.credentials = credentials
        self.token_ttl = token_ttl
        self.requests_per_minute = requests_per_minute
        system = load_catalogue().systems["webcrm"]
        self.kinds = {
            name: Kind(system.entities[name], prefix)
            for name, prefix in (
                ("Organisations", "Organisation"),
                ("Persons", "Person"),
                ("Products", "Product"),
            )
        }
        self.collections: dict[str, Collection] = {
            name: Collection(name, clock, sequential_ids()) for name in self.kinds
        }
        self._lock = threading.Lock()
        self._access: dict[str, tuple[str, datetime]] = {}  # token -> auth code, expiry
        self._refresh: dict[str, str] = {}  # refresh token -> auth code
        self._issued = 0
        self._tokens: list[str] = []  # every access and refresh token issued, in order
        self._recent: dict[str, deque[datetime]] = {}  # auth code -> accepted requests
        super().__init__()

    def rules(self) -> Iterable[Rule]:
        one = f"/<{_KINDS}:kind>/<int:record_id>"
        return [
            Rule("/Auth/ApiLogin", methods=["POST"], endpoint="api_login"),
            Rule("/Auth/ApiRefresh", methods=["POST"], endpoint="api_refresh"),
            Rule(f"/<{_KINDS}:kind>", methods=["GET"], endpoint="list_records"),
            Rule(f"/<{_KINDS}:kind>", methods=["POST"], endpoint="create_record"),
            Rule(f"/<{_KINDS}:kind>", methods=["PATCH"], endpoint="upsert_records"),
            Rule(one, methods=["GET"], endpoint="get_record"),
            Rule(one, methods=["PUT"], endpoint="replace_record"),
            Rule(one, methods=["DELETE"], endpoint="delete_record"),
            Rule(
                "/Organisations/FindByUpdateDates/<start>/<end>",
                methods=["GET"],
                endpoint="find_by_update_dates",
            ),
            Rule("/Organisations/<int:record_id>/Persons", methods=["GET"], endpoint="persons_of"),
            Rule("/Persons/ByOrganisation/<int:record_id>", methods=["GET"], endpoint="persons_of"),
            Rule("/Persons/Search", methods=["GET"], endpoint="search_persons"),
            Rule("/Queries", methods=["GET"], endpoint="query"),
        ]

    def error_body(self, status: int, message: str) -> Any:
        kind = "NotFoundException" if status == 404 else "MethodNotAllowedException"
        return {"Message": message, "Type": kind}

    # Tokens and the rate limit.

    def issued_tokens(self) -> list[str]:
        """Every access and refresh token issued so far, used or not (read-only: what a
        leak check looks for in cassettes and reports)."""
        with self._lock:
            return list(self._tokens)

    def expire_tokens(self) -> None:
        """Make every access token issued so far expired; refresh tokens stay valid."""
        now = self.clock.now()
        with self._lock:
            self._access = {t: (code, now) for t, (code, _) in self._access.items()}

    def before_request(self, request: Request, endpoint: str) -> None:
        if endpoint in ENDPOINTS_WITHOUT_TOKEN:
            return
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        now = self.clock.now()
        with self._lock:
            grant = self._access.get(token.strip()) if scheme.lower() == "bearer" else None
            if grant is None or now >= grant[1]:
                raise error(
                    401,
                    "Authorization has been denied for this request.",
                    "UnauthorizedException",
                    {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
            self._count(grant[0], now)

    def _count(self, auth_code: str, now: datetime) -> None:
        """Admit one request into the sliding window of `auth_code`, or refuse it (429);
        a limit of None admits every request."""
        if self.requests_per_minute is None:
            return
        recent = self._recent.setdefault(auth_code, deque())
        while recent and recent[0] <= now - WINDOW:
            recent.popleft()
        if len(recent) >= self.requests_per_minute:
            wait = (recent[0] + WINDOW - now).total_seconds()
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                429,
                {
                    "RetryAfterSeconds": seconds,
                    "Message": f"The request was throttled. Try again in {seconds} seconds.",
                    "Type": "TooManyRequestsException",
                },
                {"Retry-After": str(seconds)},
            )
        recent.append(now)

    def api_login(self, request: Request) -> Any:
        if request.form.get("authCode", "") != self.credentials.auth_code:
            raise self._token_error("The authentication code is not valid.")
        return self._issue(self.credentials.auth_code)

    def api_refresh(self, request: Request) -> Any:
        # The swagger takes it as a header; clients in the wild send a form field.
        presented = request.headers.get("refreshToken") or request.form.get("refreshToken", "")
        with self._lock:
            auth_code = self._refresh.pop(presented, None)
        if auth_code is None:
            raise self._token_error("The refresh token is not valid.")
        return self._issue(auth_code)

    def _issue(self, auth_code: str) -> dict[str, Any]:
        expires = self.clock.now() + timedelta(seconds=self.token_ttl)
        with self._lock:
            self._issued += 1
            access = f"sandbox-webcrm-access-{self._issued:06d}"
            refresh = f"sandbox-webcrm-refresh-{self._issued:06d}"
            self._access[access] = (auth_code, expires)
            self._refresh[refresh] = auth_code
            self._tokens += [access, refresh]
        return {
            "AccessToken": access,
            "RefreshToken": refresh,
            "ExpiresIn": int(self.token_ttl),
            "TokenType": "Bearer",
            "IsError": False,
            "Error": None,
            "ErrorDescription": None,
            "SystemId": SYSTEM_ID,
        }

    @staticmethod
    def _token_error(description: str) -> ApiError:
        return ApiError(
            401,
            {
                "AccessToken": None,
                "RefreshToken": None,
                "ExpiresIn": 0,
                "TokenType": None,
                "IsError": True,
                "Error": "invalid_grant",
                "ErrorDescription": description,
                "SystemId": None,
            },
        )

    # Records.

    def list_records(self, request: Request, kind: str) -> Any:
        return self._page(request, kind, self.collections[kind].all())

    def get_record(self, request: Request, kind: str, record_id: int) -> Any:
        return self.render(kind, self._existing(kind, record_id))

    def create_record(self, request: Request, kind: str) -> Any:
        fields = self._validate(kind, self._body(request))
        return self.collections[kind].insert(fields).id

    def replace_record(self, request: Request, kind: str, record_id: int) -> Response:
        self._existing(kind, record_id)
        fields = self._validate(kind, self._body(request))
        self.collections[kind].replace(record_id, fields)
        return Response(status=200)

    def delete_record(self, request: Request, kind: str, record_id: int) -> Response:
        self._existing(kind, record_id)
        self.collections[kind].delete(record_id)
        if kind == "Organisations":
            for dependant, field in (
                ("Persons", "PersonOrganisationId"),
                ("Products", "ProductOrganisationId"),
            ):
                for record in self.collections[dependant].all():
                    if record.fields.get(field) == record_id:
                        self.collections[dependant].delete(record.id)
        return Response(status=200)

    def upsert_records(self, request: Request, kind: str) -> Any:
        items = self._body(request, expect=list)
        id_field = self.kinds[kind].id_field
        answers: list[str] = []
        for item in items:
            try:
                if not isinstance(item, dict):
                    raise invalid("Each item must be a JSON object.")
                fields = self._validate(kind, item)
                record_id = item.get(id_field) or 0
                if record_id:
                    self._existing(kind, record_id)
                    self.collections[kind].replace(record_id, fields)
                else:
                    record_id = self.collections[kind].insert(fields).id
                answers.append(str(record_id))
            except ApiError as err:
                answers.append(str(err.body["Message"]))
        return answers

    def find_by_update_dates(self, request: Request, start: str, end: str) -> Any:
        """Organisations with start <= UpdatedAt < end, as the swagger states it."""
        since, until = parse_moment(start), parse_moment(end)
        found = [r for r in self.collections["Organisations"].all() if since <= r.modified < until]
        return self._page(request, "Organisations", found)

    def persons_of(self, request: Request, record_id: int) -> Any:
        self._existing("Organisations", record_id)
        persons = self.collections["Persons"].all()
        found = [p for p in persons if p.fields.get("PersonOrganisationId") == record_id]
        return self._page(request, "Persons", found)

    def search_persons(self, request: Request) -> Any:
        wanted = _arg(request, "input").strip().casefold()
        if not wanted:
            raise invalid("The input parameter is required.")
        found = []
        for record in self.collections["Persons"].all():
            person = self.render("Persons", record)
            if any(wanted in str(person[f]).casefold() for f in ("PersonName", "PersonEmail")):
                found.append(record)
        return self._page(request, "Persons", found)

    def query(self, request: Request) -> Any:
        kind, conditions = parse_query(_arg(request, "script"), self.kinds)
        fields = self.kinds[kind].entity.fields
        found = []
        for record in self.collections[kind].all():
            row = self.render(kind, record)
            if all(_equal(fields[name], value, row[name]) for name, value in conditions):
                found.append(record)
        return self._page(request, kind, found)

    def render(self, kind: str, record: Record) -> dict[str, Any]:
        """A record as the API answers it: every field, defaults for those never set."""
        spec = self.kinds[kind]
        out = {
            name: record.fields.get(name, _default(field))
            for name, field in spec.entity.fields.items()
        }
        out[spec.id_field] = record.id
        out[spec.created_field] = iso(record.created)
        out[spec.updated_field] = iso(record.modified)
        if kind == "Persons":
            parts = (out["PersonFirstName"], out["PersonMiddleName"], out["PersonLastName"])
            # str(): a name written with a wrong type (a fault) must not break the answer
            out["PersonName"] = " ".join(str(p) for p in parts if p) or out["PersonName"]
        return out

    def _existing(self, kind: str, record_id: int) -> Record:
        record = self.collections[kind].get(record_id)
        if record is None:
            prefix = self.kinds[kind].prefix
            raise error(404, f"{prefix} with id {record_id} was not found.", "NotFoundException")
        return record

    def _page(self, request: Request, kind: str, records: list[Record]) -> list[dict[str, Any]]:
        page = _bounded(request, "Page", 1, 1_000_000)
        size = _bounded(request, "Size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        ordered = sorted(records, key=lambda r: int(r.id))
        return [self.render(kind, r) for r in ordered[(page - 1) * size : page * size]]

    @staticmethod
    def _body(request: Request, expect: type = dict) -> Any:
        try:
            body = read_json(request)
        except ApiError as err:
            raise invalid("The request body is not valid JSON.") from err
        if not isinstance(body, expect):
            what = "an array" if expect is list else "an object"
            raise invalid(f"The request body must be {what}.")
        return body

    def _validate(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        """The fields to store from a whole-object body; a 400 naming every problem."""
        fields = self.kinds[kind].entity.fields
        problems = [f"Unknown field '{name}'." for name in body if name not in fields]
        stored: dict[str, Any] = {}
        for name, value in body.items():
            field = fields.get(name)
            if field is None or field.read_only or value is None:
                continue
            problem = _check(field, value)
            if problem:
                problems.append(problem)
            else:
                stored[name] = _coerce(field, value)
        for name, field in fields.items():
            value = stored.get(name)
            if field.required and not value:
                problems.append(f"The field '{name}' is required.")
            elif field.entity and value and self.collections[field.entity].get(value) is None:
                target = self.kinds[field.entity].prefix
                problems.append(f"{name}: {target} with id {value} does not exist.")
        if problems:
            raise invalid(" ".join(problems))
        return stored


def _default(field: Field) -> Any:
    if field.choices:
        return field.choices[0]
    return {"string": "", "integer": 0, "float": 0.0}.get(field.type)


def _coerce(field: Field, value: Any) -> Any:
    """JSON numbers as the field's type: 5.0 in an integer field is 5, 5 in a double 5.0."""
    if field.type == "integer":
        return int(value)
    if field.type == "float":
        return float(value)
    return value


def _check(field: Field, value: Any) -> str | None:
    """Why `value` cannot be stored in `field`, or None when it can."""
    if field.type == "string":
        if not isinstance(value, str):
            return f"The field '{field.name}' must be a string."
        if field.max_length is not None and len(value) > field.max_length:
            return f"The field '{field.name}' must be at most {field.max_length} characters."
        if field.choices and value not in field.choices:
            return f"The field '{field.name}' must be one of {', '.join(field.choices)}."
        return None
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if field.type == "integer" and not (numeric and float(value).is_integer()):
        return f"The field '{field.name}' must be an integer."
    if field.type == "float" and not numeric:
        return f"The field '{field.name}' must be a number."
    return None


def _arg(request: Request, name: str) -> str:
    """A query parameter by name, case-insensitively (as ASP.NET binds them)."""
    for key, value in request.args.items():
        if key.lower() == name.lower():
            return value
    return ""


def _bounded(request: Request, name: str, default: int, highest: int) -> int:
    text = _arg(request, name)
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= highest:
        raise invalid(f"The field {name} must be between 1 and {highest}.")
    return int(text)


_SELECT = re.compile(
    r"\s*SELECT\s+\*\s+FROM\s+(?P<table>\w+)(?:\s+WHERE\s+(?P<where>.+?))?\s*;?\s*", re.I | re.S
)
_CONDITION = re.compile(
    r"\s*(?P<field>\w+)\s*=\s*(?:'(?P<text>(?:[^']|'')*)'|(?P<number>-?\d+(?:\.\d+)?))\s*"
)
_AND = re.compile(r"AND\b", re.I)


def parse_query(script: str, kinds: dict[str, Kind]) -> tuple[str, list[tuple[str, str]]]:
    """`SELECT * FROM Person WHERE PersonEmail='x@y' AND ...` -> ("Persons", [(field, value)])."""
    unsupported = invalid(f"The query is not supported by the sandbox: {script!r}")
    select = _SELECT.fullmatch(script)
    if select is None:
        raise unsupported
    table = select["table"].lower()
    kind = next((name for name, k in kinds.items() if k.prefix.lower() == table), None)
    if kind is None:
        raise invalid(f"Invalid object name '{select['table']}'.")
    by_lower = {name.lower(): name for name in kinds[kind].entity.fields}
    conditions: list[tuple[str, str]] = []
    where = select["where"]
    position = 0
    while where is not None:
        condition = _CONDITION.match(where, position)
        if condition is None:
            raise unsupported
        name = by_lower.get(condition["field"].lower())
        if name is None:
            raise invalid(f"Invalid column name '{condition['field']}'.")
        text = condition["text"]
        conditions.append((name, condition["number"] if text is None else text.replace("''", "'")))
        position = condition.end()
        if position == len(where):
            break
        joint = _AND.match(where, position)
        if joint is None:
            raise unsupported
        position = joint.end()
    return kind, conditions


def _equal(field: Field, wanted: str, actual: Any) -> bool:
    """SQL Server's equality: numbers by value, dates by moment, text case-insensitively."""
    if field.type in ("integer", "float"):
        try:
            return float(wanted) == float(actual)
        except ValueError as exc:
            raise invalid(f"Conversion failed for the value '{wanted}' of {field.name}.") from exc
    if field.type == "datetime":
        return parse_moment(wanted) == parse_moment(str(actual))
    return wanted.rstrip().casefold() == str(actual).rstrip().casefold()
