"""What can go wrong talking to a system, each error saying what is wrong and what to do.

`ConnectorError` is the base. An answer the system gave is a `SystemApiError` (or one
of its kinds); not getting an answer at all is an `EnvironmentProblem`; asking for
something the catalogue or the settings do not have is a `UsageError`.
"""

from __future__ import annotations

from typing import Any

MAX_BODY = 300


class ConnectorError(Exception):
    """Base of every error a connector raises."""


class UsageError(ConnectorError):
    """Missing settings, an unknown system or entity, a malformed id: fix the call or settings."""


class EnvironmentProblem(ConnectorError):
    """No answer: the host is unreachable or did not answer in time."""


class SystemApiError(ConnectorError):
    """The system answered with an error, or with something the connector cannot read."""

    def __init__(
        self,
        system: str,
        method: str,
        url: str,
        status: int,
        body: Any,
        *,
        problem: str | None = None,
        hint: str = "",
    ) -> None:
        self.system, self.method, self.url = system, method, url
        self.status, self.body = status, body
        self.problem = problem or error_text(body) or "no error message"
        message = f"{system}: {method} {url} answered {status}: {self.problem}"
        stop = "" if message.endswith((".", "!", "?")) else "."
        super().__init__(f"{message}{stop} {hint}" if hint else message)


class AuthenticationFailed(SystemApiError):
    """The credentials were rejected (the hint names the settings to check)."""


class RateLimited(SystemApiError):
    """Throttled for longer than the client may wait."""


class Unavailable(SystemApiError):
    """The system kept answering 502/503/504."""


class NotFound(SystemApiError):
    """No such record or resource (404)."""


def error_text(body: Any) -> str:
    """The system's own error message, from any of the error shapes the APIs use.

    Customerp `{"error": {"code","message","field"}}`; Zoho `{"code","message","details"}`
    (per record inside `{"data": [...]}`) and its token errors `{"error": "invalid_client"}`;
    webCRM `{"Message","Type"}` and its login answer `{"Error","ErrorDescription"}`; Sesam
    (RFC 7807) `{"title","detail"}`.
    """
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict):
            return _joined(inner.get("code"), inner.get("message"), _field(inner.get("field")))
        data = body.get("data")
        if isinstance(data, list) and data and isinstance(data[0], dict):
            return error_text(data[0])
        if "Message" in body or "ErrorDescription" in body:
            detail = body.get("Message") or body.get("ErrorDescription")
            return _joined(body.get("Type") or body.get("Error"), detail)
        if "code" in body or "message" in body:
            details = body.get("details")
            api_name = details.get("api_name") if isinstance(details, dict) else None
            return _joined(body.get("code"), body.get("message"), _field(api_name))
        if "detail" in body:
            return _joined(body.get("title"), body.get("detail"))
        if isinstance(inner, str):
            return _joined(inner, body.get("error_description"))
        return _short(body) if body else ""
    if isinstance(body, str | bytes):
        return _short(body)
    return "" if body is None else _short(body)


def _field(name: Any) -> str | None:
    return f"(field {name})" if name else None


def _joined(code: Any, message: Any, extra: str | None = None) -> str:
    """`CODE: message (field X)`, leaving out what is missing."""
    head = ": ".join(str(p) for p in (code, message) if p not in (None, ""))
    return f"{head} {extra}" if extra else head


def _short(value: Any) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= MAX_BODY else text[:MAX_BODY] + "..."
