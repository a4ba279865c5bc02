"""The Sesam service API: drive and observe the pipes of a Talk subscription.

`api_url` is the node's API base (`https://<instance>.sesam.cloud/api`). Pipe and dataset
ids are URL-encoded with nothing left safe (`a:b` -> `a%3Ab`), as Sesam's API wants.
Not a `RecordApi`: Sesam holds no records of its own, only pipes and datasets.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from talkqa.systems.http import HttpClient

SYSTEM = "sesam"
CREDENTIALS = (
    "the Sesam user's email and password (settings email, password; live: "
    "TALKQA_SESAM_EMAIL, TALKQA_SESAM_PASSWORD), and that the user may use the node"
)


class Jwt:
    """A JWT from `POST /jwt` (form `email`, `password`; the body is the token)."""

    def __init__(self, http: HttpClient, email: str, password: str) -> None:
        self.http = http
        self._form = {"email": email, "password": password}
        self.token: str | None = None

    def apply(self, headers: dict[str, str]) -> None:
        if self.token is None:
            self.renew()
        headers["Authorization"] = f"Bearer {self.token}"

    def renew(self) -> None:
        answer = self.http.request("POST", "/jwt", data=self._form, expect=(200, 400, 403))
        if answer.status_code != 200:
            raise self.http.error(answer, refused=True)
        try:
            token = answer.json()
        except ValueError:
            token = answer.text
        if not isinstance(token, str) or not token.strip():
            raise self.http.error(answer, "expected the JWT as the answer's body")
        self.token = token.strip().strip('"')


class Sesam:
    system = SYSTEM

    def __init__(self, api_url: str, email: str, password: str, **http: Any) -> None:
        login = HttpClient(api_url, system=SYSTEM, credentials_hint=CREDENTIALS, **http)
        self.jwt = Jwt(login, email, password)
        self.http = login.derive(api_url, auth=self.jwt)

    def pipes(self) -> list[dict[str, Any]]:
        return self._list(self.http.request("GET", "/pipes"))

    def pipe(self, pipe_id: str) -> dict[str, Any]:
        """The pipe with its `runtime` (is-running, queues, last-message, ...)."""
        return self._object(self.http.request("GET", f"/pipes/{_id(pipe_id)}"))

    def pump(self, pipe_id: str) -> dict[str, Any]:
        """The pipe's pump: its `runtime`, what a sync driver polls."""
        return self._object(self.http.request("GET", f"/pipes/{_id(pipe_id)}/pump"))

    def start(self, pipe_id: str) -> bool:
        """Start a run; False when one is already running (409)."""
        path = f"/pipes/{_id(pipe_id)}/pump"
        answer = self.http.request("POST", path, data={"operation": "start"}, expect=(200, 409))
        return answer.status_code == 200

    def entities(
        self,
        dataset: str,
        since: str | int | None = None,
        limit: int | None = None,
        *,
        deleted: bool = True,
    ) -> list[dict[str, Any]]:
        """The dataset's current entities (no history), optionally after `since`;
        `deleted=False` leaves out the deleted ones."""
        params: dict[str, Any] = {"history": "false"}
        if not deleted:
            params["deleted"] = "false"
        if since is not None:
            params["since"] = since
        if limit is not None:
            params["limit"] = limit
        answer = self.http.request("GET", f"/datasets/{_id(dataset)}/entities", params=params)
        return self._list(answer)

    def _list(self, answer: requests.Response) -> list[dict[str, Any]]:
        body = self.http.json(answer)
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise self.http.error(answer, "expected a JSON array of objects")
        return body

    def _object(self, answer: requests.Response) -> dict[str, Any]:
        body = self.http.json(answer)
        if not isinstance(body, dict):
            raise self.http.error(answer, "expected a JSON object")
        return body


def _id(value: str) -> str:
    return quote(value, safe="")
