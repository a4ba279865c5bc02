"""Customerp: the project's own ERP API (contract: talkqa/sandbox/customerp_openapi.yaml).

`api_url` is the base the contract's `servers` entry resolves to (`https://host/api/v1`).
Fields may be given by the catalogue's dotted paths (`billing_address.city`); they are
sent as the nested objects the API takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from talkqa.systems.errors import SystemApiError
from talkqa.systems.http import HttpClient, pages
from talkqa.systems.records import entity_of, matching

SYSTEM = "customerp"
CREDENTIALS = "the Customerp API key (setting api_key; live: TALKQA_CUSTOMERP_API_KEY)"
Rows = list[dict[str, Any]]


class ApiKey:
    """The `X-API-Key` header; a key cannot be renewed, so a 401 stands."""

    def __init__(self, key: str) -> None:
        self.key = key

    def apply(self, headers: dict[str, str]) -> None:
        headers["X-API-Key"] = self.key

    def renew(self) -> None:
        pass


class Customerp:
    """Customerp records through its REST API (a `RecordApi`)."""

    system = SYSTEM

    def __init__(self, api_url: str, api_key: str, *, page_size: int = 200, **http: Any) -> None:
        self.http = HttpClient(
            api_url, system=SYSTEM, auth=ApiKey(api_key), credentials_hint=CREDENTIALS, **http
        )
        self.page_size = page_size

    def create(self, entity: str, fields: dict[str, Any]) -> str:
        answer = self.http.request("POST", self._path(entity), json=nested(fields))
        return str(self.http.member(answer, self.http.record(answer), "id", int))

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        answer = self.http.request("GET", self._path(entity, record_id), expect=(200, 404))
        return None if answer.status_code == 404 else self.http.record(answer)

    def update(self, entity: str, record_id: str, fields: dict[str, Any]) -> None:
        self.http.request("PATCH", self._path(entity, record_id), json=nested(fields))

    def delete(self, entity: str, record_id: str) -> bool:
        answer = self.http.request("DELETE", self._path(entity, record_id), expect=(200, 204, 405))
        return answer.status_code != 405

    def find(self, entity: str, field: str, value: Any) -> Rows:
        """The list's equality filter; listing and filtering for a field it cannot filter."""
        wanted = str(value).lower() if isinstance(value, bool) else value
        try:
            return list(self._paged(self._path(entity), {field: wanted}))
        except SystemApiError as err:
            if err.status != 400:
                raise
        return matching(self.list(entity), field, value)

    def list(self, entity: str) -> Iterator[dict[str, Any]]:
        return self._paged(self._path(entity), {})

    def _path(self, entity: str, record_id: str | None = None) -> str:
        collection = f"/{entity_of(SYSTEM, entity).collection}"
        return collection if record_id is None else f"{collection}/{quote(str(record_id), safe='')}"

    def _paged(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """`page` and `page_size`, following `meta.next_page` until it is null."""

        def fetch(page: int) -> tuple[Rows, int | None]:
            query = {**params, "page": page, "page_size": self.page_size}
            answer = self.http.request("GET", path, params=query)
            body = self.http.json(answer)
            rows = self.http.member(answer, body, "data", list)
            meta = self.http.member(answer, body, "meta", dict)
            following = meta.get("next_page")
            if following is not None and not isinstance(following, int):
                raise self.http.error(answer, "expected 'meta.next_page' to be an integer or null")
            return rows, following

        return pages(fetch, 1)


def nested(fields: dict[str, Any]) -> dict[str, Any]:
    """`{"billing_address.city": "Oslo"}` -> `{"billing_address": {"city": "Oslo"}}`."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        group, dot, member = name.partition(".")
        if dot and (out.get(group) is None or isinstance(out.get(group), dict)):
            out[group] = {**(out.get(group) or {}), member: value}
        else:
            out[name] = value
    return out
