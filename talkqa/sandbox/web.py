"""The HTTP plumbing every emulated API shares: routing, JSON answers, a loopback server.

Werkzeug does the HTTP; this module only fixes the conventions: an emulation subclasses
`EmulatedApi`, lists its `rules()` (werkzeug `Rule`s whose endpoint names a method of the
class), raises `ApiError` for an error answer, and shapes error bodies in
`error_body()` the way its real system does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


@dataclass
class ApiError(Exception):
    """An error answer: HTTP status, the system's error body, extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if status == 204 or body is None:
        return Response(status=status, headers=headers)
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


def read_json(request: Request) -> Any:
    """The request's JSON body, or None when it has none; malformed JSON is a 400."""
    data = request.get_data(cache=True)
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ApiError(400, {"message": f"malformed JSON body: {exc}"}) from exc


class EmulatedApi:
    """A WSGI application for one emulated system."""

    def __init__(self) -> None:
        self.url_map = Map(list(self.rules()), strict_slashes=False, merge_slashes=False)

    def rules(self) -> Iterable[Rule]:
        raise NotImplementedError

    def before_request(self, request: Request, endpoint: str) -> None:
        """Authentication and rate limits; raise ApiError to refuse the request."""

    def error_body(self, status: int, message: str) -> Any:
        """The body this system sends for a routing error (404, 405)."""
        return {"message": message}

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
            self.before_request(request, str(endpoint))
            result = getattr(self, str(endpoint))(request, **values)
        except ApiError as err:
            return json_response(err.body, err.status, err.headers)
        except (NotFound, MethodNotAllowed) as exc:
            status = exc.code or 404
            return json_response(self.error_body(status, exc.description or ""), status)
        except HTTPException as exc:  # pragma: no cover - werkzeug's own answers
            return exc.get_response(request.environ)
        if isinstance(result, Response):
            return result
        return json_response(result)

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.dispatch(Request(environ))(environ, start_response)


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: the sandbox's output is its JSON line."""

    def log(self, type: str, message: str, *args: Any) -> None:
        pass


class Served:
    """A WSGI app served on loopback from a daemon thread until `close()`."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        self.host = host
        self.port = self._server.port
        # A short poll interval makes close() prompt (werkzeug's default waits 0.5 s).
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox:{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
