"""Zoho's accounts server and API credits: refresh grants, access tokens, the call budget.

Zoho answers a bad refresh request with status 200 and an `error` key (a client that
only checks the status code gets no token and must notice); it refuses more than 10
access tokens per refresh token in 10 minutes with a 400. Access tokens live `ttl`
seconds by the emulation's clock.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from talkqa.sandbox.clock import Clock
from talkqa.sandbox.credentials import ZohoCredentials

SCOPE = "ZohoCRM.modules.ALL"
TOO_MANY_GRANTS = {
    "error_description": "You have made too many requests continuously. "
    "Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


class TokenStore:
    """Access tokens issued against the one configured client and refresh token."""

    def __init__(
        self,
        clock: Clock,
        credentials: ZohoCredentials,
        ttl: float,
        *,
        grant_limit: int | None = 10,
        grant_window: float = 600.0,
    ) -> None:
        self.clock = clock
        self.credentials = credentials
        self.ttl = ttl
        self._expiry: dict[str, datetime] = {}
        self._grants = Window(clock, grant_limit, grant_window)
        self._lock = threading.Lock()

    def grant(self, params: Mapping[str, str], api_domain: str) -> tuple[int, dict[str, Any]]:
        """The status and body of `POST /oauth/v2/token`."""
        if params.get("grant_type") != "refresh_token":
            return 200, {"error": "unsupported_grant_type"}
        creds = self.credentials
        if params.get("client_id") != creds.client_id:
            return 200, {"error": "invalid_client"}
        if params.get("client_secret") != creds.client_secret:
            return 200, {"error": "invalid_client"}
        if params.get("refresh_token") != creds.refresh_token:
            return 200, {"error": "invalid_code"}
        if not self._grants.admit():
            return 400, dict(TOO_MANY_GRANTS)
        token = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        with self._lock:
            self._expiry[token] = self.clock.now() + timedelta(seconds=self.ttl)
        body = {
            "access_token": token,
            "scope": SCOPE,
            "api_domain": api_domain,
            "token_type": "Bearer",
            "expires_in": int(self.ttl),
        }
        return 200, body

    def valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._expiry.get(token)
            return expiry is not None and self.clock.now() < expiry

    def issued(self) -> list[str]:
        """Every access token granted so far, expired or not, oldest first (read-only:
        what a leak check looks for in cassettes and reports)."""
        with self._lock:
            return list(self._expiry)

    def expire_all(self) -> None:
        with self._lock:
            now = self.clock.now()
            self._expiry = {token: now for token in self._expiry}


class Window:
    """At most `limit` events in any `seconds`-long window of the clock (None: no limit)."""

    def __init__(self, clock: Clock, limit: int | None, seconds: float) -> None:
        self.clock = clock
        self.limit = limit
        self.span = timedelta(seconds=seconds)
        self._events: deque[datetime] = deque()
        self._lock = threading.Lock()

    def admit(self) -> bool:
        """Count one more event, or refuse it (a refused event does not count)."""
        if self.limit is None:
            return True
        with self._lock:
            now = self.clock.now()
            while self._events and self._events[0] <= now - self.span:
                self._events.popleft()
            if len(self._events) >= self.limit:
                return False
            self._events.append(now)
            return True
