"""A pytest plugin the replay benchmark loads with `-p floor_plugin`: the replay floor.

The same scenarios, with every HTTP answer served from memory and no cassette machinery:
every cassette under `<rootdir>/cassettes` is read into memory once, at session start
(not timed as part of the tests); pytest-recording stays installed but idle (the tests
lose their `vcr` and `block_network` marks, so it opens no cassette and blocks nothing);
talkqa's replay adapter is not mounted; and `requests`' adapter `send` answers each
request with the scenario's next recorded answer, in recorded order. Only the method
and the path are checked, so a scenario that asks something else fails instead of being
answered wrongly.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

import talkqa.replay

# (method, path, status, reason, headers, body) of one recorded exchange
Answer = tuple[str, str, int, str, dict[str, str], bytes]

_cassettes: dict[str, list[Answer]] = {}
_playing: deque[Answer] = deque()


def _answers(path: Path) -> list[Answer]:
    answers: list[Answer] = []
    for interaction in json.loads(path.read_text())["interactions"]:
        request, response = interaction["request"], interaction["response"]
        body = response["body"]["string"] or ""
        answers.append(
            (
                request["method"],
                urlsplit(request["uri"]).path,
                int(response["status"]["code"]),
                str(response["status"].get("message", "")),
                {k: ", ".join(v) for k, v in (response.get("headers") or {}).items()},
                body.encode("utf-8") if isinstance(body, str) else body,
            )
        )
    return answers


def pytest_sessionstart(session: pytest.Session) -> None:
    """Every cassette, parsed into memory before any test runs."""
    for path in sorted((session.config.rootpath / "cassettes").rglob("*.json")):
        _cassettes[str(path)] = _answers(path)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Runs after talkqa's own hook (hooks of plugins given with -p run last): no cassette,
    no network blocking."""
    for item in items:
        item.own_markers[:] = [
            m for m in item.own_markers if m.name not in ("vcr", "block_network")
        ]


@pytest.fixture(autouse=True)
def _floor_answers(vcr_cassette_dir: str, default_cassette_name: str) -> Iterator[None]:
    """The scenario's recorded answers, queued for `send`."""
    _playing.clear()
    _playing.extend(
        _cassettes.get(str(Path(vcr_cassette_dir, f"{default_cassette_name}.json")), [])
    )
    yield
    _playing.clear()


def _send(adapter: HTTPAdapter, request: requests.PreparedRequest, **_: Any) -> requests.Response:
    asked = urlsplit(request.url or "").path
    # A recorded exchange a replay does not ask for is passed over, as the replay adapter
    # leaves it unplayed (the run's one Zoho grant, recorded by the scenario that made it).
    while _playing and _playing[0][:2] != (request.method, asked):
        _playing.popleft()
    if not _playing:
        raise AssertionError(f"floor: no recorded answer left for {request.method} {asked}")
    _, _, status, reason, headers, body = _playing.popleft()
    response = requests.Response()
    response.status_code, response.reason = status, reason
    response.headers = CaseInsensitiveDict(headers)
    response._content = body
    response.encoding = get_encoding_from_headers(response.headers)
    response.url, response.request, response.connection = request.url or "", request, adapter
    return response


HTTPAdapter.send = _send  # type: ignore[assignment,method-assign]
talkqa.replay.mount = lambda *_, **__: None  # type: ignore[assignment]
