"""Reading ZohoCRM requests and shaping answers: bodies, parameters, pages, envelopes."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from talkqa.sandbox.store import Record
from talkqa.sandbox.web import ApiError, json_response, read_json
from talkqa.sandbox.zohocrm_records import Module, zoho_error

MAX_WRITE = 100
MAX_PER_PAGE = 200
MAX_FIELDS = 50
# page/per_page reach at most this many records (past it Zoho wants page tokens).
MAX_PAGED_RECORDS = 2000
SORTABLE = ("id", "Created_Time", "Modified_Time")
MISSING_PARAM = "required param is missing"


def body_of(request: Request) -> Any:
    try:
        return read_json(request)
    except ApiError as exc:
        raise ApiError(400, zoho_error("INVALID_DATA", "body is not a valid JSON")) from exc


def data_of(request: Request) -> list[Any]:
    """The body's `data` list, refused as Zoho refuses it when absent or too long."""
    body = body_of(request)
    data = body.get("data") if isinstance(body, dict) else None
    where: dict[str, Any] = {"api_name": "data", "json_path": "$.data"}
    if not data:
        raise ApiError(400, zoho_error("MANDATORY_NOT_FOUND", "required field not found", where))
    if not isinstance(data, list):
        details = where | {"expected_data_type": "jsonarray"}
        raise ApiError(400, zoho_error("INVALID_DATA", "invalid data", details))
    if len(data) > MAX_WRITE:
        details = where | {"limit": MAX_WRITE}
        raise ApiError(400, zoho_error("LIMIT_EXCEEDED", "Limit exceeded", details))
    return data


def limit_exceeded(limit: int, param: str) -> ApiError:
    details = {"limit": limit, "param_name": param}
    return ApiError(400, zoho_error("LIMIT_EXCEEDED", "Limit exceeded", details))


def write_answer(results: list[dict[str, Any]], success_status: int) -> Response:
    """All written: `success_status`; some: 207; none: 400."""
    succeeded = sum(1 for r in results if r["status"] == "success")
    status = success_status if succeeded == len(results) else 207 if succeeded else 400
    return json_response({"data": results}, status)


def field_names(request: Request, *, required: bool) -> list[str] | None:
    """The `fields` parameter: mandatory on list, at most 50 names."""
    raw = request.args.get("fields", "")
    names = [n.strip() for n in raw.split(",") if n.strip()]
    if not names:
        if required:
            details = {"param_name": "fields"}
            raise ApiError(400, zoho_error("REQUIRED_PARAM_MISSING", MISSING_PARAM, details))
        return None
    if len(names) > MAX_FIELDS:
        raise limit_exceeded(MAX_FIELDS, "fields")
    return names


def if_modified_since(request: Request) -> datetime | None:
    """The If-Modified-Since header, as Zoho's ISO 8601 or as an HTTP date."""
    raw = request.headers.get("If-Modified-Since")
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        try:
            moment = parsedate_to_datetime(raw)
        except (TypeError, ValueError) as exc:
            details = {"param_name": "If-Modified-Since"}
            raise ApiError(400, zoho_error("INVALID_DATA", "invalid data", details)) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def page(request: Request, module: Module, records: list[Record], fields: list[str] | None) -> Any:
    """One page of records with Zoho's `info`, or 204 when the page is empty."""
    number = _int_param(request, "page", 1, None)
    per_page = _int_param(request, "per_page", MAX_PER_PAGE, MAX_PER_PAGE)
    if number * per_page > MAX_PAGED_RECORDS:
        details = {"limit": MAX_PAGED_RECORDS}
        message = "use page_token to fetch records beyond the first 2000"
        raise ApiError(400, zoho_error("DISCRETE_PAGINATION_LIMIT_EXCEEDED", message, details))
    sort_by = _choice(request, "sort_by", "id", SORTABLE)
    sort_order = _choice(request, "sort_order", "desc", ("asc", "desc"))
    ordered = sorted(records, key=_sort_key(sort_by), reverse=sort_order == "desc")
    start = (number - 1) * per_page
    chosen = ordered[start : start + per_page]
    if not chosen:
        return Response(status=204)
    info = {
        "per_page": per_page,
        "count": len(chosen),
        "page": number,
        "sort_by": sort_by,
        "sort_order": sort_order,
        "more_records": start + per_page < len(ordered),
        "next_page_token": None,
        "previous_page_token": None,
        "page_token_expiry": None,
    }
    return {"data": [module.render(r, fields) for r in chosen], "info": info}


def _sort_key(sort_by: str) -> Any:
    if sort_by == "Created_Time":
        return lambda r: (r.created, int(r.id))
    if sort_by == "Modified_Time":
        return lambda r: (r.modified, int(r.id))
    return lambda r: int(r.id)


def _int_param(request: Request, name: str, default: int, maximum: int | None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (maximum is not None and value > maximum):
        raise ApiError(400, zoho_error("INVALID_DATA", "invalid data", {"param_name": name}))
    return value


def _choice(request: Request, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = request.args.get(name, default)
    if value not in allowed:
        details = {"param_name": name, "supported_values": list(allowed)}
        raise ApiError(400, zoho_error("INVALID_DATA", "invalid data", details))
    return value
