"""ZohoCRM v8: the OAuth refresh-token grant, then records under `{api_domain}/crm/v8`.

Zoho answers a refused grant with status 200 and an `error` key, reads of nothing with
204, and writes with one envelope per record in `data` (a failed record carries its
`code` and `details.api_name`), so each of those is checked here, not by status alone.

Zoho grants at most 10 access tokens per refresh token per 10 minutes, so connectors that
should not each log in (a suite's scenarios) share one `ZohoTokens`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import requests

from talkqa.systems.errors import AuthenticationFailed, RateLimited, SystemApiError
from talkqa.systems.http import HttpClient, pages
from talkqa.systems.records import entity_of, matching

SYSTEM = "zohocrm"
CREDENTIALS = (
    "the Zoho OAuth client and refresh token (settings client_id, client_secret, "
    "refresh_token; live: TALKQA_ZOHOCRM_CLIENT_ID, TALKQA_ZOHOCRM_CLIENT_SECRET, "
    "TALKQA_ZOHOCRM_REFRESH_TOKEN), and that TALKQA_ZOHOCRM_ACCOUNTS_URL is the accounts "
    "server of the org's data centre"
)
GRANT_ERRORS = {
    "invalid_client": "Check TALKQA_ZOHOCRM_CLIENT_ID and TALKQA_ZOHOCRM_CLIENT_SECRET "
    "(settings client_id, client_secret) and the accounts server's data centre.",
    "invalid_code": "Check TALKQA_ZOHOCRM_REFRESH_TOKEN (setting refresh_token): it may be "
    "revoked, or belong to another client or data centre.",
}
MAX_FIELDS = 50  # Zoho's limit on a list's `fields`
Rows = list[dict[str, Any]]
Cursor = tuple[int, str | None]  # a page number, and Zoho's page token once it gives one
# A token grant's answer: the access token, the API's base URL, seconds it lives (if said).
Granted = tuple[str, str, float | None]
# A token is renewed this long before it expires (at most a tenth of its life).
EXPIRY_MARGIN = 60.0


class ZohoTokens:
    """One Zoho access token shared by every connector given it: a run's grant cache.

    A connector asks for the token with a way to get a grant (`current`), and reports a
    401 with the token that was refused (`renew`); the cache makes one grant for all of
    them: when it has no token, when its token is about to expire (Zoho answers
    `expires_in`), and on the first 401 for a token (the others already hold the new
    one). Thread-safe. `given`: a token that never expires (a replay's placeholder).
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.token: str | None = None
        self.api_domain = ""
        self.renew_at: float | None = None  # by `clock`; None: only on a 401
        self.grants = 0  # grants made through this cache
        self._lock = threading.Lock()

    @classmethod
    def given(cls, token: str, api_domain: str) -> ZohoTokens:
        tokens = cls()
        tokens.token, tokens.api_domain = token, api_domain.rstrip("/")
        return tokens

    def current(self, grant: Callable[[], Granted]) -> tuple[str, str]:
        """The token and the API's base URL; from a new grant when there is no token yet
        or it is about to expire."""
        with self._lock:
            expiring = self.renew_at is not None and self.clock() >= self.renew_at
            if self.token is None or expiring:
                self._take(grant())
            assert self.token is not None
            return self.token, self.api_domain

    def renew(self, grant: Callable[[], Granted], refused: str | None) -> None:
        """After a 401 for `refused`: a new grant, unless the cache has renewed since."""
        with self._lock:
            if refused is None or refused == self.token:
                self._take(grant())

    def _take(self, granted: Granted) -> None:
        self.token, domain, lives = granted
        self.api_domain = domain.rstrip("/")
        self.grants += 1
        if lives is None:
            self.renew_at = None
        else:
            self.renew_at = self.clock() + lives - min(EXPIRY_MARGIN, lives / 10)


class RefreshGrant:
    """A connector's credentials: the refresh-token grant, its access token kept in a
    `ZohoTokens` (the connector's own, or one shared by many); the grant also names the
    API's host."""

    def __init__(
        self,
        accounts: HttpClient,
        client_id: str,
        secret: str,
        refresh: str,
        tokens: ZohoTokens | None = None,
    ) -> None:
        self.accounts = accounts
        self._grant = {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": secret,
            "refresh_token": refresh,
        }
        self.tokens = tokens if tokens is not None else ZohoTokens()
        self._sent: str | None = None  # the token this connector sent last

    @property
    def token(self) -> str | None:
        return self.tokens.token

    @property
    def api_domain(self) -> str:
        return self.tokens.api_domain

    def apply(self, headers: dict[str, str]) -> None:
        self._sent, _ = self.tokens.current(self.grant)
        headers["Authorization"] = f"Zoho-oauthtoken {self._sent}"

    def renew(self) -> None:
        self.tokens.renew(self.grant, self._sent)

    def grant(self) -> Granted:
        """One refresh-token grant from the accounts server."""
        answer = self.accounts.request(
            "POST", "/oauth/v2/token", data=self._grant, expect=(200, 400)
        )
        body = self.accounts.json(answer)
        refused = body.get("error") if isinstance(body, dict) else None
        if answer.status_code == 400 or refused == "Access Denied":
            hint = (
                "Zoho grants at most 10 access tokens per refresh token in 10 minutes: "
                "wait up to 10 minutes, and share one ZohoTokens among a run's connectors."
            )
            args = (SYSTEM, "POST", answer.url, answer.status_code, body)
            raise RateLimited(*args, hint=hint)
        if refused:
            args = (SYSTEM, "POST", answer.url, answer.status_code, body)
            raise AuthenticationFailed(*args, hint=GRANT_ERRORS.get(str(refused), CREDENTIALS))
        token = self.accounts.member(answer, body, "access_token", str)
        domain = self.accounts.member(answer, body, "api_domain", str)
        lives = body.get("expires_in")
        valid = isinstance(lives, int | float) and not isinstance(lives, bool) and lives > 0
        return token, domain, float(lives) if valid else None

    def base(self) -> str:
        _, domain = self.tokens.current(self.grant)
        return f"{domain}/crm/v8"


class ZohoCrm:
    """ZohoCRM records through the v8 API (a `RecordApi`)."""

    system = SYSTEM

    def __init__(
        self,
        accounts_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        page_size: int = 200,
        tokens: ZohoTokens | None = None,
        **http: Any,
    ) -> None:
        """`tokens`: the access token shared with other connectors (else its own)."""
        accounts = HttpClient(accounts_url, system=SYSTEM, credentials_hint=CREDENTIALS, **http)
        self.grant = RefreshGrant(accounts, client_id, client_secret, refresh_token, tokens)
        self.http = accounts.derive("", auth=self.grant)
        self.page_size = page_size

    def create(self, entity: str, fields: dict[str, Any]) -> str:
        answer = self._call("POST", self._path(entity), json={"data": [fields]})
        return str(self.http.member(answer, self._written(answer), "id", (str, int)))

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        answer = self._call("GET", self._path(entity, record_id), expect=(200, 204, 404))
        if answer.status_code != 200:
            return None
        return self._first(answer)

    def update(self, entity: str, record_id: str, fields: dict[str, Any]) -> None:
        answer = self._call("PUT", self._path(entity, record_id), json={"data": [fields]})
        self._written(answer)

    def delete(self, entity: str, record_id: str) -> bool:
        answer = self._call("DELETE", self._path(entity, record_id), expect=(200, 204, 405))
        if answer.status_code == 405:
            return False
        if answer.status_code == 200:
            self._written(answer)
        return True

    def find(self, entity: str, field: str, value: Any) -> Rows:
        """Zoho's search by criteria; listing and filtering when Zoho refuses the criteria
        (a field it cannot search)."""
        criteria = f"({field}:equals:{_criteria_value(value)})"
        try:
            return list(self._paged(f"{self._path(entity)}/search", {"criteria": criteria}))
        except SystemApiError as err:
            if err.status != 400:
                raise
        return matching(self.list(entity), field, value)

    def list(self, entity: str) -> Iterator[dict[str, Any]]:
        """Every record with every catalogue field (Zoho requires `fields`, at most 50)."""
        names = ",".join(list(entity_of(SYSTEM, entity).fields)[:MAX_FIELDS])
        return self._paged(self._path(entity), {"fields": names})

    def _path(self, entity: str, record_id: str | None = None) -> str:
        module = f"/{entity_of(SYSTEM, entity).collection}"
        return module if record_id is None else f"{module}/{quote(str(record_id), safe='')}"

    def _call(self, method: str, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("expect", (200, 201, 202, 207))
        return self.http.request(method, self.grant.base() + path, **kw)

    def _paged(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Pages by number, or by `page_token` where Zoho hands one out (past 2,000)."""

        def fetch(cursor: Cursor) -> tuple[Rows, Cursor | None]:
            number, token = cursor
            where = {"page_token": token} if token else {"page": number}
            query = {**params, **where, "per_page": self.page_size}
            answer = self._call("GET", path, params=query, expect=(200, 204))
            if answer.status_code == 204:
                return [], None
            body = self.http.json(answer)
            rows = self.http.member(answer, body, "data", list)
            info = body.get("info") if isinstance(body.get("info"), dict) else {}
            if not info.get("more_records"):
                return rows, None
            return rows, (number + 1, info.get("next_page_token") or None)

        first: Cursor = (1, None)
        return pages(fetch, first)

    def _first(self, answer: requests.Response) -> dict[str, Any]:
        rows = self.http.member(answer, self.http.json(answer), "data", list)
        if not rows or not isinstance(rows[0], dict):
            raise self.http.error(answer, "expected one record in 'data'")
        return rows[0]

    def _written(self, answer: requests.Response) -> dict[str, Any]:
        """The `details` of a one-record write; a failed record is a SystemApiError."""
        result = self._first(answer)
        if result.get("status") != "success":
            raise self.http.error(answer)
        details: dict[str, Any] = self.http.member(answer, result, "details", dict)
        return details


def _criteria_value(value: Any) -> str:
    """A value in Zoho's criteria syntax: booleans lower-case, `( ) , \\` escaped."""
    if isinstance(value, bool):
        return str(value).lower()
    text = str(value.get("id") if isinstance(value, dict) else value)
    for char in "\\(),":
        text = text.replace(char, "\\" + char)
    return text
