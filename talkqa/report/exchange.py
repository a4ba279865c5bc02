"""An HTTP exchange as Allure shows one, with every credential masked.

Masking is the cassettes' own `Scrubber`: what a report shows of an exchange is exactly
what a cassette would keep of it, so one set of rules keeps secrets out of both.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from vcr.request import Request

from talkqa.cassettes import Scrubber

MIME_TYPE = "application/vnd.allure.http+json"
EXTENSION = "httpexchange"


def exchange(answer: requests.Response, scrubber: Scrubber) -> dict[str, Any]:
    """The Allure HTTP exchange (schema version 1) of one request and its answer."""
    sent = answer.request
    request = scrubber.request(
        Request(sent.method or "GET", sent.url or "", _text(sent.body), dict(sent.headers))
    )
    recorded = scrubber.response(
        {
            "status": {"code": answer.status_code, "message": answer.reason},
            "headers": {name: [value] for name, value in answer.headers.items()},
            "body": {"string": answer.content},
        }
    )
    return {
        "schemaVersion": 1,
        "request": {
            "method": request.method,
            "url": request.uri,
            "headers": dict(request.headers),
            "body": _text(request.body),
        },
        "response": {
            "status": answer.status_code,
            "headers": {name: ", ".join(values) for name, values in recorded["headers"].items()},
            "body": _text(recorded["body"]["string"]),
        },
    }


def title(answer: requests.Response, scrubber: Scrubber) -> str:
    """`GET http://zohocrm.talkqa.invalid/crm/v8/Accounts/1 -> 200`, without the query."""
    url = scrubber.url(answer.request.url or "").split("?", 1)[0]
    return f"{answer.request.method} {url} -> {answer.status_code}"


def dumps(answer: requests.Response, scrubber: Scrubber) -> str:
    return json.dumps(exchange(answer, scrubber), ensure_ascii=False, indent=1)


def _text(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return str(body)
