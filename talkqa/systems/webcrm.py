"""webCRM REST API v1: an application token traded for bearer tokens, integer ids.

PUT replaces the whole object, so `update` reads, merges and puts back. The public v1
swagger has no DELETE for Organisations and Persons: a live tenant answers 405, and
`delete` answers False. Finding runs a `/Queries` script; where a tenant refuses it,
Persons are looked up with `/Persons/Search`, anything else by listing and filtering.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from talkqa.systems.errors import AuthenticationFailed, SystemApiError, UsageError
from talkqa.systems.http import HttpClient, pages
from talkqa.systems.records import entity_of, matching

SYSTEM = "webcrm"
CREDENTIALS = (
    "the webCRM API token (setting auth_code; live: TALKQA_WEBCRM_AUTH_CODE), made in "
    "webCRM under Configuration > Integration > API > REST"
)
Rows = list[dict[str, Any]]


class ApiLogin:
    """Bearer tokens from `/Auth/ApiLogin`; renewed with `/Auth/ApiRefresh` (the refresh
    token in a `refreshToken` header, as the swagger has it), else by logging in again."""

    def __init__(self, http: HttpClient, auth_code: str) -> None:
        self.http = http
        self.auth_code = auth_code
        self.access: str | None = None
        self.refresh: str | None = None

    def apply(self, headers: dict[str, str]) -> None:
        if self.access is None:
            self.login()
        headers["Authorization"] = f"Bearer {self.access}"

    def renew(self) -> None:
        if self.refresh:
            headers = {"refreshToken": self.refresh}
            answer = self.http.request(
                "POST", "/Auth/ApiRefresh", headers=headers, expect=(200, 400, 401)
            )
            if answer.status_code == 200 and self._take(answer):
                return
        self.login()

    def login(self) -> None:
        answer = self.http.request("POST", "/Auth/ApiLogin", data={"authCode": self.auth_code})
        if not self._take(answer):
            raise self.http.error(answer, refused=True)

    def _take(self, answer: requests.Response) -> bool:
        body = self.http.json(answer)
        if not isinstance(body, dict) or body.get("IsError"):
            return False
        self.access = self.http.member(answer, body, "AccessToken", str)
        refresh = body.get("RefreshToken")
        self.refresh = refresh if isinstance(refresh, str) else None
        return True


class Webcrm:
    """webCRM records through the v1 API (a `RecordApi`)."""

    system = SYSTEM

    def __init__(self, api_url: str, auth_code: str, *, page_size: int = 100, **http: Any) -> None:
        tokens = HttpClient(api_url, system=SYSTEM, credentials_hint=CREDENTIALS, **http)
        self.login = ApiLogin(tokens, auth_code)
        self.http = tokens.derive(api_url, auth=self.login)
        self.page_size = page_size

    def create(self, entity: str, fields: dict[str, Any]) -> str:
        answer = self.http.request("POST", self._path(entity), json=fields)
        new_id = self.http.json(answer)
        if isinstance(new_id, bool) or not str(new_id).isdigit():
            raise self.http.error(answer, "expected the new record's integer id as the answer")
        return str(new_id)

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        answer = self.http.request("GET", self._path(entity, record_id), expect=(200, 204, 404))
        if answer.status_code != 200:
            return None
        return self.http.record(answer)

    def update(self, entity: str, record_id: str, fields: dict[str, Any]) -> None:
        """Partial update over a whole-object PUT: read, merge, put back."""
        path = self._path(entity, record_id)
        current = self.http.record(self.http.request("GET", path, expect=(200,)))
        self.http.request("PUT", path, json={**current, **fields})

    def delete(self, entity: str, record_id: str) -> bool:
        answer = self.http.request("DELETE", self._path(entity, record_id), expect=(200, 204, 405))
        return answer.status_code != 405

    def find(self, entity: str, field: str, value: Any) -> Rows:
        table = entity_of(SYSTEM, entity).collection.removesuffix("s")
        script = f"SELECT * FROM {table} WHERE {field} = {_literal(value)}"
        try:
            return list(self._paged("/Queries", {"script": script}))
        except SystemApiError as err:
            if isinstance(err, AuthenticationFailed) or not 400 <= err.status < 500:
                raise
        if table == "Person" and isinstance(value, str) and value.strip():
            found = matching(self._paged("/Persons/Search", {"input": value}), field, value)
            if found:
                return found
        return matching(self.list(entity), field, value)

    def list(self, entity: str) -> Iterator[dict[str, Any]]:
        return self._paged(self._path(entity), {})

    def _path(self, entity: str, record_id: str | None = None) -> str:
        collection = f"/{entity_of(SYSTEM, entity).collection}"
        if record_id is None:
            return collection
        if not str(record_id).strip().isdigit():
            raise UsageError(f"webCRM ids are integers; {record_id!r} is not one")
        return f"{collection}/{int(record_id)}"

    def _paged(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """`Page` from 1 and `Size` until an empty page."""

        def fetch(page: int) -> tuple[Rows, int | None]:
            query = {**params, "Page": page, "Size": self.page_size}
            answer = self.http.request("GET", path, params=query)
            rows = [] if answer.status_code == 204 else self.http.json(answer)
            if not isinstance(rows, list):
                raise self.http.error(answer, "expected a JSON array of records")
            return rows, page + 1 if rows else None

        return pages(fetch, 1)


def _literal(value: Any) -> str:
    """A value in a /Queries script: numbers bare, text quoted with '' for '."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
