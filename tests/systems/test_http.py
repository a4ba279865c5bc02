"""The shared HTTP base: retries and back-off, renewal on 401, timeouts, unreachable hosts,
unreadable answers, paging, and the error messages each of those ends in."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from talkqa.systems.errors import (
    AuthenticationFailed,
    EnvironmentProblem,
    NotFound,
    RateLimited,
    SystemApiError,
    Unavailable,
    UsageError,
    error_text,
)
from talkqa.systems.http import HttpClient, pages

Serve = Callable[[Any], str]
Answer = tuple[int, Any, dict[str, str]]


class Scripted:
    """Answers the scripted responses in order (the last one forever), recording requests."""

    def __init__(self, *answers: Answer | int) -> None:
        self.answers = [a if isinstance(a, tuple) else (a, {"ok": a}, {}) for a in answers]
        self.seen: list[Request] = []

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        self.seen.append(request)
        status, body, headers = self.answers[min(len(self.seen), len(self.answers)) - 1]
        text = body if isinstance(body, str) else json.dumps(body)
        answer = Response(text, status, headers, content_type="application/json")
        return answer(environ, start_response)


class Token:
    """An Auth whose token changes on every renewal."""

    def __init__(self) -> None:
        self.renewals = 0

    def apply(self, headers: dict[str, str]) -> None:
        headers["Authorization"] = f"Bearer token-{self.renewals}"

    def renew(self) -> None:
        self.renewals += 1


def client(url: str, waits: list[float] | None = None, **kw: Any) -> HttpClient:
    sleep = (waits if waits is not None else []).append
    return HttpClient(url, system="demo", sleep=sleep, credentials_hint="TALKQA_DEMO_KEY", **kw)


def test_a_503_is_retried_with_a_doubling_back_off(serve: Serve) -> None:
    app = Scripted(503, 503, 200)
    waits: list[float] = []
    answer = client(serve(app), waits).request("GET", "/things")
    assert answer.json() == {"ok": 200}
    assert waits == [0.1, 0.2]
    assert len(app.seen) == 3


def test_a_system_that_stays_unavailable_ends_in_a_clear_message(serve: Serve) -> None:
    waits: list[float] = []
    with pytest.raises(Unavailable) as caught:
        client(serve(Scripted(503)), waits, max_retries=3).request("GET", "/things")
    assert waits == [0.1, 0.2, 0.4]
    message = str(caught.value)
    assert "demo: GET http://" in message and "answered 503" in message
    assert "Gave up after 3 retries and 0.7 s of waiting" in message
    assert "then run again" in message


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_errors_are_retried_too(serve: Serve, status: int) -> None:
    waits: list[float] = []
    client(serve(Scripted(status, 200)), waits).request("GET", "/")
    assert waits == [0.1]


def test_a_500_is_not_retried_and_carries_the_systems_message(serve: Serve) -> None:
    body = {"error": {"code": "internal", "message": "the database is down"}}
    app = Scripted((500, body, {}), 200)
    with pytest.raises(SystemApiError) as caught:
        client(serve(app)).request("POST", "/things", json={"a": 1})
    assert not isinstance(caught.value, Unavailable)
    assert caught.value.status == 500
    assert "internal: the database is down" in str(caught.value)
    assert len(app.seen) == 1


def test_retry_after_in_seconds_is_honoured(serve: Serve) -> None:
    waits: list[float] = []
    client(serve(Scripted((429, {}, {"Retry-After": "3"}), 200)), waits).request("GET", "/")
    assert waits == [3.0]


def test_retry_after_as_an_http_date_is_honoured(serve: Serve) -> None:
    later = formatdate(time.time() + 5, usegmt=True)
    waits: list[float] = []
    client(serve(Scripted((429, {}, {"Retry-After": later}), 200)), waits).request("GET", "/")
    assert len(waits) == 1 and 3.0 < waits[0] <= 5.0


def test_retry_after_seconds_in_the_body_is_honoured(serve: Serve) -> None:
    throttled: Answer = (429, {"RetryAfterSeconds": 7, "Message": "throttled"}, {})
    waits: list[float] = []
    client(serve(Scripted(throttled, 200)), waits).request("GET", "/")
    assert waits == [7.0]


def test_a_wait_beyond_max_wait_gives_up_at_once(serve: Serve) -> None:
    body = {"Message": "Too many", "Type": "TooManyRequestsException"}
    throttled: Answer = (429, body, {"Retry-After": "120"})
    waits: list[float] = []
    with pytest.raises(RateLimited) as caught:
        client(serve(Scripted(throttled)), waits, max_wait=60).request("GET", "/")
    assert waits == []
    message = str(caught.value)
    assert "TooManyRequestsException: Too many" in message
    assert "next wait 120 s" in message and "raise max_wait" in message


def test_the_waits_together_never_exceed_max_wait(serve: Serve) -> None:
    throttled: Answer = (429, {}, {"Retry-After": "4"})
    waits: list[float] = []
    with pytest.raises(RateLimited, match=r"Gave up after 2 retries and 8\.0 s"):
        client(serve(Scripted(throttled)), waits, max_wait=10).request("GET", "/")
    assert waits == [4.0, 4.0]


def test_a_401_renews_the_credentials_once_and_retries(serve: Serve) -> None:
    app, auth = Scripted(401, 200), Token()
    answer = client(serve(app), auth=auth).request("GET", "/")
    assert answer.status_code == 200
    assert auth.renewals == 1
    assert [r.headers["Authorization"] for r in app.seen] == ["Bearer token-0", "Bearer token-1"]


def test_credentials_refused_after_renewal_say_what_to_check(serve: Serve) -> None:
    app, auth = (
        Scripted((401, {"code": "INVALID_TOKEN", "message": "invalid oauth token"}, {})),
        Token(),
    )
    with pytest.raises(AuthenticationFailed) as caught:
        client(serve(app), auth=auth).request("GET", "/")
    assert auth.renewals == 1 and len(app.seen) == 2
    assert "INVALID_TOKEN: invalid oauth token" in str(caught.value)
    assert "check TALKQA_DEMO_KEY" in str(caught.value)


def test_a_404_is_not_found_unless_expected(serve: Serve) -> None:
    url = serve(Scripted((404, {"Message": "gone", "Type": "NotFoundException"}, {})))
    with pytest.raises(NotFound, match="NotFoundException: gone"):
        client(url).request("GET", "/x/1")
    assert client(url).request("GET", "/x/1", expect=(200, 404)).status_code == 404


def test_a_slow_system_times_out_with_an_environment_problem(serve: Serve) -> None:
    release = threading.Event()

    def stuck(environ: Any, start_response: Any) -> Any:
        release.wait(10)
        return Response("{}", 200)(environ, start_response)

    url = serve(stuck)
    try:
        with pytest.raises(EnvironmentProblem) as caught:
            client(url, timeout=(2.0, 0.2)).request("GET", "/slow")
    finally:
        release.set()
    message = str(caught.value)
    assert f"demo: GET {url}/slow: no answer in time" in message
    assert "read timeout 0.2 s" in message and "TALKQA_DEMO_*" in message


def test_an_unreachable_host_is_an_environment_problem_naming_the_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(EnvironmentProblem) as caught:
        client(url).request("GET", "/things")
    message = str(caught.value)
    assert f"{url}/things: cannot connect (Connection refused)" in message
    assert "Check that demo is up" in message


def test_a_malformed_url_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not a valid URL"):
        client("not a url").request("GET", "/things")


def test_unreadable_answers_name_what_was_expected(serve: Serve) -> None:
    http = client(serve(Scripted((200, "<html>oops</html>", {}), (200, {"data": 1}, {}))))
    first = http.request("GET", "/")
    with pytest.raises(SystemApiError, match="not the JSON the API documents"):
        http.json(first)
    second = http.request("GET", "/")
    with pytest.raises(SystemApiError, match=r"expected the field 'data' \(list\)"):
        http.member(second, http.json(second), "data", list)
    with pytest.raises(SystemApiError, match=r"expected the field 'id' \(str or int\)"):
        http.member(second, {}, "id", (str, int))


def test_pages_follow_the_cursor_until_none() -> None:
    book = {1: ["a", "b"], 2: ["c"], 3: []}
    assert list(pages(lambda n: (book[n], n + 1 if book[n] else None), 1)) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (
            {"error": {"code": "conflict", "message": "in use", "field": "sku"}},
            "conflict: in use (field sku)",
        ),
        (
            {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token"},
            "INVALID_TOKEN: invalid oauth token",
        ),
        (
            {
                "data": [
                    {
                        "code": "MANDATORY_NOT_FOUND",
                        "details": {"api_name": "Last_Name"},
                        "message": "required field not found",
                        "status": "error",
                    }
                ]
            },
            "MANDATORY_NOT_FOUND: required field not found (field Last_Name)",
        ),
        ({"error": "invalid_client"}, "invalid_client"),
        (
            {"Message": "throttled", "Type": "TooManyRequestsException"},
            "TooManyRequestsException: throttled",
        ),
        (
            {"IsError": True, "Error": "invalid_grant", "ErrorDescription": "bad code"},
            "invalid_grant: bad code",
        ),
        ({"type": "about:blank", "title": "Conflict", "detail": "running"}, "Conflict: running"),
        ("plain   text", "plain text"),
        (None, ""),
    ],
)
def test_error_text_reads_every_systems_error_shape(body: Any, text: str) -> None:
    assert error_text(body) == text
