"""The HTTP base every connector shares: auth, timeouts, retries with back-off, paging.

`HttpClient.request` answers a response whose status the caller expects and turns
everything else into an error from `errors`: a 401 renews the credentials once and
retries; 429/502/503/504 are retried after the wait the system asks for (`Retry-After`,
or webCRM's `RetryAfterSeconds`), else 0.1 s doubling, never more than `max_wait` in
all. `sleep` is injectable so that replayed cassettes never sleep.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import requests

from talkqa.systems.errors import (
    AuthenticationFailed,
    EnvironmentProblem,
    NotFound,
    RateLimited,
    SystemApiError,
    Unavailable,
    UsageError,
)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
FIRST_WAIT = 0.1
OK = (200, 201, 202, 204)
T = TypeVar("T")
C = TypeVar("C")


class Auth(Protocol):
    """Credentials on a request: `apply` sets headers (logging in lazily), `renew` gets
    fresh ones after a 401."""

    def apply(self, headers: dict[str, str]) -> None: ...

    def renew(self) -> None: ...


class HttpClient:
    def __init__(
        self,
        base_url: str,
        *,
        system: str,
        auth: Auth | None = None,
        credentials_hint: str = "the credentials",
        timeout: tuple[float, float] = (5.0, 30.0),
        max_retries: int = 5,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.system, self.auth, self.credentials_hint = system, auth, credentials_hint
        self.timeout, self.max_retries, self.max_wait = timeout, max_retries, max_wait
        self.sleep = sleep
        self.session = session or requests.Session()

    def derive(self, base_url: str, *, auth: Auth | None = None) -> HttpClient:
        """A client for another base URL (a token server) with the same settings and session."""
        derived = copy.copy(self)
        derived.base_url, derived.auth = base_url.rstrip("/"), auth
        return derived

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        expect: Collection[int] = OK,
    ) -> requests.Response:
        """`path` is relative to the base URL, or an absolute URL."""
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        renewed, retries, waited = False, 0, 0.0
        while True:
            sent = dict(headers or {})
            if self.auth is not None:
                self.auth.apply(sent)
            answer = self._send(method, url, sent, params=params, json=json, data=data)
            status = answer.status_code
            if status in expect:
                return answer
            if status == 401 and self.auth is not None and not renewed:
                renewed = True
                self.auth.renew()
                continue
            if status not in RETRY_STATUSES:
                raise self.error(answer)
            wait = retry_after(answer)
            wait = FIRST_WAIT * 2**retries if wait is None else wait
            if retries >= self.max_retries or waited + wait > self.max_wait:
                raise self._gave_up(answer, waited, retries, wait)
            self.sleep(wait)
            retries, waited = retries + 1, waited + wait

    def _send(self, method: str, url: str, headers: dict[str, str], **kw: Any) -> requests.Response:
        where = f"{self.system}: {method} {url}"
        check = (
            f"Check that {self.system} is up and that its URL setting is right (live runs: "
            f"the TALKQA_{self.system.upper()}_* variables; sandbox runs: is it still running?)"
        )
        try:
            return self.session.request(method, url, headers=headers, timeout=self.timeout, **kw)
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
            raise UsageError(f"{where}: not a valid URL ({exc}). {check}.") from exc
        except requests.Timeout as exc:
            connect, read = self.timeout
            raise EnvironmentProblem(
                f"{where}: no answer in time (connect timeout {connect} s, read timeout "
                f"{read} s). {check}, or raise the timeout if it is just slow."
            ) from exc
        except requests.RequestException as exc:
            raise EnvironmentProblem(
                f"{where}: cannot connect ({_reason(exc)}). {check}, and that the network "
                "or proxy lets the connection through."
            ) from exc

    def error(
        self, answer: requests.Response, problem: str | None = None, *, refused: bool = False
    ) -> SystemApiError:
        """The error for an answer the caller did not expect (or cannot read: `problem`);
        `refused`: a login endpoint refused the credentials, whatever status it used."""
        status, body = answer.status_code, _body(answer)
        args = (self.system, answer.request.method or "", answer.url, status, body)
        if status == 401 or refused:
            hint = f"The credentials were refused: check {self.credentials_hint}."
            return AuthenticationFailed(*args, problem=problem, hint=hint)
        if status == 403:
            hint = f"The credentials lack a permission or scope: check {self.credentials_hint}."
            return SystemApiError(*args, problem=problem, hint=hint)
        if status == 404:
            return NotFound(*args, problem=problem)
        if status >= 500:
            hint = (
                f"{self.system} failed on its side: check its status (the sandbox: its "
                "output), then run again; if it keeps failing on this request, report the "
                f"request to {self.system}'s owners."
            )
            return SystemApiError(*args, problem=problem, hint=hint)
        return SystemApiError(*args, problem=problem)

    def _gave_up(
        self, answer: requests.Response, waited: float, retries: int, wait: float
    ) -> SystemApiError:
        args = (self.system, answer.request.method or "", answer.url, answer.status_code)
        hint = (
            f"Gave up after {retries} retries and {waited:.1f} s of waiting (max_retries "
            f"{self.max_retries}, max_wait {self.max_wait:g} s; next wait {wait:g} s). "
        )
        if answer.status_code == 429:
            hint += "Wait, then run again; lower the request rate or raise max_wait."
            return RateLimited(*args, _body(answer), hint=hint)
        hint += f"Check {self.system}'s status (or the sandbox), then run again."
        return Unavailable(*args, _body(answer), hint=hint)

    def json(self, answer: requests.Response) -> Any:
        """The answer's JSON body; an answer that is not JSON is a SystemApiError."""
        try:
            return answer.json()
        except ValueError:
            raise self.error(answer, "the answer is not the JSON the API documents") from None

    def record(self, answer: requests.Response) -> dict[str, Any]:
        """The answer's body as one record (a JSON object), else a SystemApiError."""
        body = self.json(answer)
        if not isinstance(body, dict):
            raise self.error(answer, "expected the record as a JSON object")
        return body

    def member(
        self, answer: requests.Response, value: Any, key: str, kind: type | tuple[type, ...]
    ) -> Any:
        """`value[key]`, checked to be of `kind`; else a SystemApiError naming the field."""
        found = value.get(key) if isinstance(value, dict) else None
        if isinstance(found, kind) and not (isinstance(found, bool) and kind is not bool):
            return found
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise self.error(answer, f"expected the field {key!r} ({names}) in the answer")


def pages(fetch: Callable[[C], tuple[Iterable[T], C | None]], first: C) -> Iterator[T]:
    """Items page by page: `fetch(cursor)` answers a page and the next cursor (None: done).
    The cursor is a page number, a token, whatever the API pages by."""
    cursor: C | None = first
    while cursor is not None:
        items, cursor = fetch(cursor)
        yield from items


def retry_after(answer: requests.Response) -> float | None:
    """Seconds the system asks to wait: `Retry-After` (seconds or an HTTP date), else a
    `RetryAfterSeconds` body member (webCRM); None when it does not say."""
    header = answer.headers.get("Retry-After", "").strip()
    if re.fullmatch(r"\d+(\.\d+)?", header):
        return float(header)
    try:
        when = parsedate_to_datetime(header) if header else None
    except (TypeError, ValueError):
        when = None
    if when is not None:
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    body = _body(answer)
    seconds = body.get("RetryAfterSeconds") if isinstance(body, dict) else None
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        return max(0.0, float(seconds))
    return None


def _body(answer: requests.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return answer.text


def _reason(exc: Exception) -> str:
    """The OS's reason (`Connection refused`) from urllib3's long exception text."""
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
    return found.group(1).strip() if found else type(exc).__name__
