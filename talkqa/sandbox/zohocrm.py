"""The emulated ZohoCRM v8 API: the accounts server's token grant and /crm/v8 records.

One server plays both Zoho hosts: `POST /oauth/v2/token` answers with `api_domain` (the
base URL the caller sets after serving; by default the origin the token request came
to), and /crm/v8/{module} serves Accounts, Contacts and Deals the way Zoho's record API
does: a write envelope per record (201/200, 207 on partial success, 400 when all fail),
204 for an empty read, 304 for an If-Modified-Since with nothing newer, a credit budget
answered with 429. Field lists, types and mandatory fields come from the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from talkqa.sandbox.clock import Clock
from talkqa.sandbox.credentials import ZohoCredentials
from talkqa.sandbox.store import Collection, Record
from talkqa.sandbox.web import ApiError, EmulatedApi, json_response
from talkqa.sandbox.zohocrm_auth import TokenStore, Window
from talkqa.sandbox.zohocrm_criteria import CriteriaError, fields_of, matches, parse_criteria
from talkqa.sandbox.zohocrm_records import Module, RecordError, zoho_error, zoho_ids, zoho_success
from talkqa.sandbox.zohocrm_requests import (
    MAX_WRITE,
    body_of,
    data_of,
    field_names,
    if_modified_since,
    limit_exceeded,
    page,
    write_answer,
)
from talkqa.spec.catalogue import load_catalogue

# Zoho's system-defined duplicate check fields, used by upsert when none are given.
DUPLICATE_CHECK = {"Accounts": ["Account_Name"], "Contacts": ["Email"], "Deals": ["Deal_Name"]}
INVALID_ID = "the id given seems to be invalid"
MISSING_PARAM = "One of the expected parameter is missing"

Predicate = Callable[[dict[str, Any]], bool]


class ZohoCrmApi(EmulatedApi):
    def __init__(
        self,
        clock: Clock,
        credentials: ZohoCredentials = ZohoCredentials(),  # noqa: B008 - frozen, safe to share
        *,
        token_ttl: float = 3600.0,
        request_budget: int | None = None,
        budget_window: float = 86400.0,
        token_grant_limit: int | None = 10,
    ) -> None:
        self.clock = clock
        system = load_catalogue().systems["zohocrm"]
        new_id = zoho_ids()
        self.collections: dict[str, Collection] = {
            name: Collection(name, clock, new_id=new_id) for name in system.entities
        }
        registry: dict[str, Module] = {}
        for name, entity in system.entities.items():
            registry[name] = Module(entity, self.collections[name], registry)
        self.modules = {module.name: module for module in registry.values()}
        self._by_entity = registry
        # The base URL answered as `api_domain`; "" means the origin of the token request.
        self.api_domain = ""
        self.tokens = TokenStore(clock, credentials, token_ttl, grant_limit=token_grant_limit)
        self.budget = Window(clock, request_budget, budget_window)
        super().__init__()

    def expire_tokens(self) -> None:
        """Make every access token issued so far expired (tests and fault drills)."""
        self.tokens.expire_all()

    def rules(self) -> Iterable[Rule]:
        crm = "/crm/v8/<module>"
        return [
            Rule("/oauth/v2/token", methods=["POST"], endpoint="token"),
            Rule(crm, methods=["GET"], endpoint="list_records"),
            Rule(crm, methods=["POST"], endpoint="create_records"),
            Rule(crm, methods=["PUT"], endpoint="update_records"),
            Rule(crm, methods=["DELETE"], endpoint="delete_records"),
            Rule(f"{crm}/upsert", methods=["POST"], endpoint="upsert_records"),
            Rule(f"{crm}/search", methods=["GET"], endpoint="search_records"),
            Rule(f"{crm}/<record_id>", methods=["GET"], endpoint="get_record"),
            Rule(f"{crm}/<record_id>", methods=["PUT"], endpoint="update_record"),
            Rule(f"{crm}/<record_id>", methods=["DELETE"], endpoint="delete_record"),
        ]

    def before_request(self, request: Request, endpoint: str) -> None:
        """Every /crm/v8 call: a live access token, then one credit of the budget."""
        if endpoint == "token":
            return
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Zoho-oauthtoken" or not token.strip():
            raise ApiError(401, zoho_error("AUTHENTICATION_FAILURE", "Authentication failed"))
        if not self.tokens.valid(token.strip()):
            raise ApiError(401, zoho_error("INVALID_TOKEN", "invalid oauth token"))
        if not self.budget.admit():
            message = "the API credits of the rolling window are used up"
            raise ApiError(429, zoho_error("LIMIT_EXCEEDED", message))

    def error_body(self, status: int, message: str) -> Any:
        if status == 405:
            message = "The http request method type is not a valid one"
            return zoho_error("INVALID_REQUEST_METHOD", message)
        message = "Please check if the URL trying to access is a correct one"
        return zoho_error("INVALID_URL_PATTERN", message)

    # --- the accounts server ------------------------------------------------------------

    def token(self, request: Request) -> Response:
        params = {**request.args.to_dict(), **request.form.to_dict()}
        domain = self.api_domain or request.host_url.rstrip("/")
        status, body = self.tokens.grant(params, domain)
        return json_response(body, status)

    # --- writes ---------------------------------------------------------------------------

    def create_records(self, request: Request, module: str) -> Response:
        mod = self._module(module)
        results = []
        for index, item in enumerate(data_of(request)):
            try:
                record = mod.collection.insert(mod.check_new(item, index))
            except RecordError as err:
                results.append(err.body)
                continue
            results.append(zoho_success("record added", mod.write_details(record)))
        return write_answer(results, 201)

    def update_record(self, request: Request, module: str, record_id: str) -> Response:
        mod = self._module(module)
        item = data_of(request)[0]
        if mod.collection.get(record_id) is None:
            error = zoho_error("INVALID_DATA", INVALID_ID, {"resource_path_index": 1})
            return json_response({"data": [error]}, 400)
        return write_answer([self._update(mod, record_id, item, 0)], 200)

    def update_records(self, request: Request, module: str) -> Response:
        mod = self._module(module)
        results = []
        for index, item in enumerate(data_of(request)):
            record_id = item.get("id") if isinstance(item, dict) else None
            where = {"api_name": "id", "json_path": f"$.data[{index}].id"}
            if record_id is None:
                results.append(zoho_error("MANDATORY_NOT_FOUND", "required field not found", where))
            elif mod.collection.get(str(record_id)) is None:
                results.append(zoho_error("INVALID_DATA", INVALID_ID, where))
            else:
                results.append(self._update(mod, str(record_id), item, index))
        return write_answer(results, 200)

    def upsert_records(self, request: Request, module: str) -> Response:
        """Update the record a duplicate check field matches, else insert."""
        mod = self._module(module)
        items = data_of(request)
        check_fields = self._duplicate_check_fields(mod, request)
        results = []
        for index, item in enumerate(items):
            found = mod.find_duplicate(item, check_fields)
            try:
                if found is None:
                    record = mod.collection.insert(mod.check_new(item, index))
                    result = zoho_success("record added", mod.write_details(record))
                    result |= {"action": "insert", "duplicate_field": None}
                else:
                    existing, field = found
                    record = mod.collection.update(existing.id, mod.check_changes(item, index))
                    result = zoho_success("record updated", mod.write_details(record))
                    result |= {"action": "update", "duplicate_field": field}
            except RecordError as err:
                result = err.body
            results.append(result)
        return write_answer(results, 200)

    def delete_record(self, request: Request, module: str, record_id: str) -> Response:
        return write_answer([self._delete(self._module(module), record_id)], 200)

    def delete_records(self, request: Request, module: str) -> Response:
        mod = self._module(module)
        ids = [i.strip() for i in request.args.get("ids", "").split(",") if i.strip()]
        if not ids:
            details = {"param_name": "ids"}
            raise ApiError(400, zoho_error("REQUIRED_PARAM_MISSING", MISSING_PARAM, details))
        if len(ids) > MAX_WRITE:
            raise limit_exceeded(MAX_WRITE, "ids")
        return write_answer([self._delete(mod, i) for i in ids], 200)

    # --- reads ----------------------------------------------------------------------------

    def render(self, entity_name: str, record: Record) -> dict[str, Any]:
        """A stored record of a catalogue entity as a GET answers it (what Talk reads)."""
        return self._by_entity[entity_name].render(record)

    def get_record(self, request: Request, module: str, record_id: str) -> Any:
        mod = self._module(module)
        record = mod.collection.get(record_id)
        if record is None:
            return Response(status=204)
        return {"data": [mod.render(record)]}

    def list_records(self, request: Request, module: str) -> Any:
        mod = self._module(module)
        fields = field_names(request, required=True)
        since = if_modified_since(request)
        records = mod.collection.changed_since(since)
        if "ids" in request.args:
            wanted = {i.strip() for i in request.args["ids"].split(",")}
            records = [r for r in records if str(r.id) in wanted]
        if since is not None and not records:
            return Response(status=304)
        return page(request, mod, records, fields)

    def search_records(self, request: Request, module: str) -> Any:
        mod = self._module(module)
        fields = field_names(request, required=False)
        keep = self._search_filter(request, mod)
        try:
            records = [r for r in mod.collection.all() if keep(mod.render(r))]
        except CriteriaError as exc:
            raise _invalid_query(exc) from exc
        return page(request, mod, records, fields)

    # --- helpers --------------------------------------------------------------------------

    def _module(self, name: str) -> Module:
        mod = self.modules.get(name)
        if mod is None:
            message = "the module name given seems to be invalid"
            raise ApiError(400, zoho_error("INVALID_MODULE", message, {"resource_path_index": 0}))
        return mod

    def _update(self, mod: Module, record_id: str, item: Any, index: int) -> dict[str, Any]:
        try:
            changes = mod.check_changes(item, index)
        except RecordError as err:
            return err.body
        record = mod.collection.update(record_id, changes)
        return zoho_success("record updated", mod.write_details(record))

    def _delete(self, mod: Module, record_id: str) -> dict[str, Any]:
        if mod.collection.delete(record_id):
            return zoho_success("record deleted", {"id": record_id})
        return zoho_error("INVALID_DATA", "record not deleted", {"id": record_id})

    def _duplicate_check_fields(self, mod: Module, request: Request) -> list[str]:
        body = body_of(request)
        given = body.get("duplicate_check_fields") if isinstance(body, dict) else None
        if given is None:
            return DUPLICATE_CHECK.get(mod.name, [mod.entity.label])
        writable = [n for n, f in mod.entity.fields.items() if not f.read_only]
        if not isinstance(given, list) or not given or not all(n in writable for n in given):
            details = {
                "api_name": "duplicate_check_fields",
                "json_path": "$.duplicate_check_fields",
                "supported_values": writable,
            }
            raise ApiError(400, zoho_error("INVALID_DATA", "invalid data", details))
        return [str(n) for n in given]

    def _search_filter(self, request: Request, mod: Module) -> Predicate:
        """What a search keeps: one of criteria, email, phone or word (in that order)."""
        args = request.args
        if criteria := args.get("criteria"):
            try:
                node = parse_criteria(criteria)
            except CriteriaError as exc:
                raise _invalid_query(exc) from exc
            unknown = sorted(n for n in fields_of(node) if not mod.known(n))
            if unknown:
                reason = f"the field {unknown[0]} is not available in {mod.name}"
                raise _invalid_query(CriteriaError(reason))
            types = mod.types
            return lambda rendered: matches(node, rendered, types)
        if email := args.get("email"):
            names = [n for n in mod.entity.fields if n.endswith("Email")]
            wanted = email.casefold()
            return lambda r: any(str(r.get(n) or "").casefold() == wanted for n in names)
        if phone := args.get("phone"):
            names = [n for n in mod.entity.fields if n.endswith(("Phone", "Mobile", "Fax"))]
            digits = _digits(phone)
            return lambda r: bool(digits) and any(_digits(r.get(n)) == digits for n in names)
        if word := args.get("word"):
            text = word.casefold()
            return lambda r: any(isinstance(v, str) and text in v.casefold() for v in r.values())
        details = {"param_name": "criteria"}
        raise ApiError(400, zoho_error("REQUIRED_PARAM_MISSING", MISSING_PARAM, details))


def _invalid_query(exc: CriteriaError) -> ApiError:
    details = {"reason": str(exc)}
    return ApiError(400, zoho_error("INVALID_QUERY", "invalid query formed", details))


def _digits(value: Any) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())
