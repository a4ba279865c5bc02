"""Replay: a scenario's requests answered from its cassette by a `requests` adapter.

Recording goes through vcrpy (pytest-recording), which writes the cassettes; replaying
does not. vcrpy matches every request against every recorded one with every matcher and
copies each request on the way, which made a replay cost 2.9 times the same scenarios
answered from memory (`benchmarks/replay_overhead.py`). No library replays vcrpy's
cassettes any faster, so this module reads the files vcrpy writes and answers through
`requests`' own extension point, a transport adapter mounted on the scenario's session.

It answers as vcrpy would with the suite's configuration (`cassettes.vcr_config`): the
request is scrubbed as a recorded one was, then matched on method, URL and body with the
same matchers (`cassettes.MATCH_ON`: run markers masked, a query's parameters in any
order, JSON and forms compared as data), and the first recorded exchange that matches and
was not played yet answers it. Recorded requests are indexed by method and URL, so that a
request is compared with the few recorded at the same address, not with all of them.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from vcr import matchers as vcr_matchers
from vcr.request import Request

from talkqa import cassettes

NO_CASSETTE = "the scenario has no cassette yet"
ALL_PLAYED = "the cassette's matching exchanges were all played already"
NONE_LIKE_IT = "the cassette holds no exchange like it"


class CassetteOutOfDate(Exception):  # not a RequestException: connectors must not retry it
    """A request the cassette cannot answer: `asked` (method and URL), `why` (one of the
    constants above), and `details` (the cassette, and the closest recorded request)."""

    def __init__(self, asked: str, why: str, details: str) -> None:
        super().__init__(f"{asked}: {why}\n\n{details}")
        self.asked, self.why, self.details = asked, why, details


@dataclass
class _Exchange:
    request: Request
    response: dict[str, Any]
    played: bool = False


@dataclass
class Cassette:
    """One scenario's recorded exchanges, in recorded order; `path` may not exist (a
    scenario never recorded), and then every request is answered with an error."""

    path: Path
    exchanges: list[_Exchange] = field(default_factory=list)
    exists: bool = False
    _index: dict[tuple[str, tuple[Any, ...]], list[_Exchange]] = field(default_factory=dict)
    _odd: list[_Exchange] = field(default_factory=list)  # no facts: a body that is a stream

    @classmethod
    def load(cls, path: Path) -> Cassette:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        cassette = cls(path, exists=True)
        for interaction in json.loads(text)["interactions"]:
            recorded = interaction["request"]
            body = recorded.get("body")
            request = Request(
                recorded["method"],
                recorded["uri"],
                body.encode("utf-8") if isinstance(body, str) else body,
                recorded.get("headers") or {},
            )
            exchange = _Exchange(request, interaction["response"])
            cassette.exchanges.append(exchange)
            facts = cassettes.request_facts(request)
            if facts is None:
                cassette._odd.append(exchange)
            else:
                cassette._index.setdefault((request.method, facts.url), []).append(exchange)
        return cassette

    def _candidates(self, request: Request) -> Iterator[_Exchange]:
        facts = cassettes.request_facts(request)
        if facts is None:
            yield from self.exchanges
            return
        yield from self._index.get((request.method, facts.url), ())
        yield from self._odd

    def answer(self, request: Request) -> dict[str, Any]:
        """The recorded response (vcrpy's dict form) to `request`, scrubbed already."""
        asked = f"{request.method} {request.uri}"
        if not self.exists:
            raise CassetteOutOfDate(asked, NO_CASSETTE, f"Cassette: {self.path} (missing)")
        matching = [e for e in self._candidates(request) if _matches(e.request, request)]
        for exchange in matching:
            if not exchange.played:
                exchange.played = True
                return exchange.response
        why = ALL_PLAYED if matching else NONE_LIKE_IT
        raise CassetteOutOfDate(asked, why, self._explain(request))

    def _explain(self, request: Request) -> str:
        played = sum(e.played for e in self.exchanges)
        lines = [f"Cassette: {self.path} ({len(self.exchanges)} recorded, {played} played)"]
        closest = [e.request for e in self._candidates(request)]
        if closest:
            recorded = closest[0]
            lines.append(f"Closest recorded request: {recorded.method} {recorded.uri}")
            lines += _body_diff(recorded, request)
        else:
            lines.append(f"No recorded request goes to {request.method} {request.uri}.")
        return "\n".join(lines)


def _matches(recorded: Request, request: Request) -> bool:
    """vcrpy's verdict with the suite's matchers: every one passes."""
    try:
        for name in cassettes.MATCH_ON:
            (cassettes.MATCHERS.get(name) or getattr(vcr_matchers, name))(recorded, request)
    except AssertionError:
        return False
    return True


def _body_diff(recorded: Request, request: Request) -> list[str]:
    old, new = (_readable(cassettes.masked_body(r)) for r in (recorded, request))
    if old == new:
        return ["  the bodies are alike (as many recorded as asked were played)"]
    diff = difflib.unified_diff(
        old.splitlines(), new.splitlines(), "recorded", "this request", n=1, lineterm=""
    )
    return ["  " + line for line in diff]


def _readable(body: bytes | str | None) -> str:
    """A body as lines a diff can show: JSON indented with sorted keys, else as text."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        return json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False)
    except ValueError:
        return text.replace("&", "\n&")


class ReplayAdapter(BaseAdapter):
    """Answers every request sent through the session it is mounted on from `cassette`,
    never opening a connection."""

    def __init__(self, cassette: Cassette, scrubber: cassettes.Scrubber) -> None:
        super().__init__()
        self.cassette, self.scrubber = cassette, scrubber

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        body = request.body
        asked = Request(
            request.method or "GET",
            request.url or "",
            body.encode("utf-8") if isinstance(body, str) else body,
            dict(request.headers),
        )
        recorded = self.cassette.answer(self.scrubber.request(asked))
        return _response(recorded, request, self)

    def close(self) -> None:
        pass


def _response(
    recorded: dict[str, Any], request: requests.PreparedRequest, adapter: BaseAdapter
) -> requests.Response:
    response = requests.Response()
    status = recorded["status"]
    response.status_code, response.reason = int(status["code"]), str(status.get("message", ""))
    headers = recorded.get("headers") or {}
    response.headers = CaseInsensitiveDict({k: ", ".join(v) for k, v in headers.items()})
    content = (recorded.get("body") or {}).get("string") or b""
    response._content = content.encode("utf-8") if isinstance(content, str) else content
    response.encoding = get_encoding_from_headers(response.headers)
    response.url, response.request = request.url or "", request
    response.connection = adapter  # type: ignore[assignment]  # requests' own HTTPAdapter type
    return response


def mount(session: requests.Session, path: Path, scrubber: cassettes.Scrubber) -> Cassette:
    """Answer every request of `session` from the cassette at `path`."""
    cassette = Cassette.load(path)
    adapter = ReplayAdapter(cassette, scrubber)
    for prefix in ("http://", "https://"):
        session.mount(prefix, adapter)
    return cassette
