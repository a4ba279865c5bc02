"""Cassettes: what a recorded exchange may keep, and how a replayed request finds it.

Recording goes through vcrpy (via pytest-recording); this module gives it the parts no
library has for us:

- `Scrubber`: a `before_record_request` / `before_record_response` pair that takes every
  credential and token of the four systems out of an exchange before it is written
  (headers, form fields, token answers, the Sesam JWT, and any known secret value
  anywhere), and rewrites each system's real base URL (a free loopback port, a live
  tenant) to a fixed placeholder, so that cassettes do not depend on where they were
  recorded. A request about to be replayed is scrubbed as well (`talkqa.replay` does as
  vcrpy does), so scrubbed and placeholder values match on both sides.
- `MATCHERS`: route, query and body matchers that mask run markers
  (`talkqa.data.MARKER_PATTERN`, one per live run), so a replay reproduces a recorded
  request exactly but for its marker. They work from facts computed once per request
  (`request_facts`), which the replay adapter also indexes recorded requests by.
- `replay_description()`: the environment a replay runs against: the placeholders, and
  credentials that are never sent anywhere.
- `cassette_name()`: a file name from a scenario's rendered name.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from vcr import matchers as vcr_matchers
from vcr.request import Request

from talkqa.checklist.model import slugify
from talkqa.data import MARKER_PATTERN

REDACTED = "REDACTED"
MASKED_MARKER = "tqa-xxxxxxxx"
PLACEHOLDERS = {
    "zohocrm": "http://zohocrm.talkqa.invalid",
    "webcrm": "http://webcrm.talkqa.invalid",
    "customerp": "http://customerp.talkqa.invalid",
    "sesam": "http://sesam.talkqa.invalid",
}
# Request headers, form and query fields, and answer members that carry a secret.
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "refreshtoken", "cookie"})
# Form and query fields of logins (Zoho's grant, webCRM's ApiLogin, Sesam's /jwt).
SECRET_FIELDS = frozenset(
    {"client_id", "client_secret", "refresh_token", "authcode", "email", "password"}
)
# Members of token answers (Zoho's grant, webCRM's ApiLogin/ApiRefresh).
TOKEN_MEMBERS = frozenset(
    {"access_token", "refresh_token", "id_token", "accesstoken", "refreshtoken"}
)
RESPONSE_SECRET_HEADERS = frozenset({"set-cookie"})
# Headers that say nothing about the exchange, left out to keep cassettes small.
NOISE_HEADERS = frozenset(
    {"user-agent", "accept", "accept-encoding", "connection", "content-length", "server", "date"}
)
JWT_PATTERN = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
# Answer members the scrubber learns from or replaces (`TOKEN_MEMBERS`, `api_domain`).
_TOKEN_KEYS = re.compile(
    '"(?:' + "|".join(sorted({*TOKEN_MEMBERS, "api_domain"})) + ')"', re.IGNORECASE
)
# Shorter values (an id, "true") would be replaced where they are no secret.
_MIN_SECRET = 6


def literals_pattern(words: Iterable[str]) -> str:
    """A regular expression matching any of `words` (compiled with IGNORECASE), shaped as
    a trie: a plain alternation is tried word by word at every position, which made a
    record run scan each answer once per token learnt (hundreds in a suite); the trie
    costs one step per character. Written here because the one library that does this
    (trieregex) is unmaintained, and it is a dozen lines."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word.lower():
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(c) + pattern(child) for c, child in sorted(node.items()) if c]
        if not branches:
            return ""
        if len(branches) == 1 and "" not in node:
            return branches[0]
        return "(?:" + "|".join(branches) + ")" + ("?" if "" in node else "")

    return pattern(trie)


def replay_description() -> dict[str, Any]:
    """Where a replay "connects": the placeholders, with stand-in credentials (a replayed
    request is scrubbed before matching, so their values never matter)."""
    return {
        "zohocrm": {"accounts_url": PLACEHOLDERS["zohocrm"], "api_url": PLACEHOLDERS["zohocrm"]},
        "webcrm": {"api_url": PLACEHOLDERS["webcrm"]},
        "customerp": {"api_url": PLACEHOLDERS["customerp"] + "/api/v1"},
        "sesam": {"api_url": PLACEHOLDERS["sesam"] + "/api"},
        "credentials": {
            "zohocrm": {
                "client_id": REDACTED,
                "client_secret": REDACTED,
                "refresh_token": REDACTED,
            },
            "webcrm": {"auth_code": REDACTED},
            "customerp": {"api_key": REDACTED},
            "sesam": {"email": REDACTED, "password": REDACTED},
        },
    }


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _secrets(description: Mapping[str, Any]) -> list[str]:
    found: set[str] = set()
    for values in (description.get("credentials") or {}).values():
        for value in (values or {}).values():
            if isinstance(value, str) and len(value) >= _MIN_SECRET and value != REDACTED:
                found.add(value)
    return sorted(found, key=len, reverse=True)


class Scrubber:
    """Scrubs exchanges of one environment (see the module doc).

    Stateful on purpose: a token an answer carries (an access token, a JWT) is learnt
    when its answer is recorded and replaced wherever it appears afterwards, and so is
    the API host a Zoho token grant names (`api_domain`)."""

    def __init__(self, description: Mapping[str, Any]) -> None:
        self.hosts: dict[str, str] = {}
        for system, placeholder in PLACEHOLDERS.items():
            for key, url in (description.get(system) or {}).items():
                if key.endswith("_url") and isinstance(url, str) and url:
                    self.hosts[_origin(url)] = placeholder
        self.secrets = _secrets(description)
        self._needle_of: tuple[int, ...] = ()
        self._needle: re.Pattern[str] = JWT_PATTERN
        self._moves: list[tuple[re.Pattern[str], str]] = []

    # -- values -------------------------------------------------------------------------

    def learn(self, secret: Any) -> None:
        known = isinstance(secret, str) and (secret in self.secrets or secret == REDACTED)
        if isinstance(secret, str) and len(secret) >= _MIN_SECRET and not known:
            self.secrets.append(secret)
            self.secrets.sort(key=len, reverse=True)

    def _known(self) -> re.Pattern[str]:
        """One pattern that finds anything `text` would replace (and at times more): most
        values hold nothing to scrub, and one search tells. Rebuilt when the scrubber
        learns a secret or a host; a host that is its own placeholder needs no move."""
        state = (id(self.secrets), len(self.secrets), id(self.hosts), len(self.hosts))
        if state != self._needle_of:
            moves = {o: p for o, p in self.hosts.items() if o != p.lower()}
            self._moves = [(re.compile(re.escape(o), re.IGNORECASE), p) for o, p in moves.items()]
            parts = [JWT_PATTERN.pattern, *map(re.escape, moves)]
            if self.secrets:
                parts.insert(0, literals_pattern(self.secrets))
            self._needle = re.compile("|".join(parts), re.IGNORECASE)
            self._needle_of = state
        return self._needle

    def text(self, value: str) -> str:
        """`value` with every known secret, JWT and real base URL replaced."""
        if self._known().search(value) is None:
            return value
        for secret in self.secrets:
            value = value.replace(secret, REDACTED)
        value = JWT_PATTERN.sub(REDACTED, value)
        for origin, placeholder in self._moves:
            value = origin.sub(placeholder, value)
        return value

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        placeholder = self.hosts.get(origin)
        if placeholder is not None:
            parts = parts._replace(scheme="http", netloc=urlsplit(placeholder).netloc)
        secret = SECRET_FIELDS - {"email"}  # an email in a query is a search, not a login
        query = urlencode(
            [(k, REDACTED if k.lower() in secret else v) for k, v in parse_qsl(parts.query)]
        )
        return self.text(urlunsplit(parts._replace(query=query)))

    # -- the vcrpy hooks ----------------------------------------------------------------

    def request(self, request: Request) -> Request:
        """`before_record_request`: vcrpy hands over a copy, so it is changed in place."""
        request.uri = self.url(request.uri)
        for name in list(request.headers):
            if name.lower() in SECRET_HEADERS:
                request.headers[name] = REDACTED
            elif name.lower() in NOISE_HEADERS:
                del request.headers[name]
        body = request.body
        if body:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
            request.body = self._request_body(text, request.headers)
        return request

    def _request_body(self, text: str, headers: Mapping[str, str]) -> str:
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if "application/x-www-form-urlencoded" in content_type:
            pairs = parse_qsl(text, keep_blank_values=True)
            text = urlencode([(k, REDACTED if k.lower() in SECRET_FIELDS else v) for k, v in pairs])
        return self.text(text)

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """`before_record_response`: vcrpy hands over a deep copy; the client keeps the
        real answer."""
        headers = response.get("headers") or {}
        for name in list(headers):
            if name.lower() in NOISE_HEADERS:
                del headers[name]
            elif name.lower() in RESPONSE_SECRET_HEADERS:
                headers[name] = [REDACTED]
            elif name.lower() == "location":
                headers[name] = [self.url(v) for v in headers[name]]
        body = response.get("body") or {}
        raw = body.get("string")
        if raw:
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            body["string"] = self._response_body(text).encode("utf-8")
        return response

    def _response_body(self, text: str) -> str:
        """The answer's text scrubbed; kept as it is (not parsed) when it has no token
        member, no secret, JWT or real host, and is not a JSON string (a bare token)."""
        if (
            _TOKEN_KEYS.search(text) is None
            and self._known().search(text) is None
            and not text.lstrip().startswith('"')
        ):
            return text
        try:
            data = json.loads(text)
        except ValueError:
            return self.text(text)
        if isinstance(data, str):  # Sesam's JWT: the answer is the token
            self.learn(data)
        self._learn_from(data)
        return self.text(json.dumps(self._scrubbed(data), ensure_ascii=False))

    def _learn_from(self, data: Any) -> None:
        if isinstance(data, dict):
            for key, value in data.items():
                if key.lower() in TOKEN_MEMBERS:
                    self.learn(value)
                elif key == "api_domain" and isinstance(value, str) and value:
                    self.hosts.setdefault(_origin(value), PLACEHOLDERS["zohocrm"])
                else:
                    self._learn_from(value)
        elif isinstance(data, list):
            for item in data:
                self._learn_from(item)

    def _scrubbed(self, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                k: REDACTED if k.lower() in TOKEN_MEMBERS and v else self._scrubbed(v)
                for k, v in data.items()
            }
        if isinstance(data, list):
            return [self._scrubbed(item) for item in data]
        return data


# --- matching ---------------------------------------------------------------------------


def _masked(request: Request) -> Request:
    """The request with its run markers masked; itself when it has none."""
    body = request.body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    if MARKER_PATTERN.search(request.uri) is None and MARKER_PATTERN.search(text) is None:
        return request
    masked = copy.copy(request)
    masked.uri = MARKER_PATTERN.sub(MASKED_MARKER, request.uri)
    if text:
        masked.body = MARKER_PATTERN.sub(MASKED_MARKER, text)
    return masked


@dataclass(frozen=True)
class RequestFacts:
    """What the matchers compare of a request, run markers masked. vcrpy matches each
    request against every recorded one, matcher by matcher: these are worked out once
    per request, not once per pair (`request_facts`); the replay adapter indexes
    recorded requests by them (`talkqa.replay`)."""

    uri: str  # the request's uri and body when they were worked out
    body: bytes | None
    where: str  # the uri, markers masked
    url: tuple[Any, ...]  # scheme, host, port, path, and the query's pairs sorted
    raw: bytes | None  # the body, markers masked
    kind: str | None  # "json" or "form": `data` is the body parsed; "bytes"; None: other
    data: Any


_FACTS = "_talkqa_facts"


def request_facts(request: Request) -> RequestFacts | None:
    """The request's facts, kept on it; None for a body that is a file or a stream."""
    known: RequestFacts | None = request.__dict__.get(_FACTS)
    if known is not None and known.uri is request.uri and known.body is request.body:
        return known
    body = request.body
    if body is not None and not isinstance(body, bytes):
        return None
    masked = _masked(request)
    url = (masked.scheme, masked.host, masked.port, masked.path or "/", *masked.query)
    kind, data = _body_data(masked.body, masked.headers)
    facts = RequestFacts(request.uri, body, masked.uri, url, masked.body, kind, data)
    request.__dict__[_FACTS] = facts
    return facts


def masked_body(request: Request) -> Any:
    """The request's body with its run markers masked."""
    return _masked(request).body


def _header(headers: Mapping[str, Any], name: str) -> str:
    value = headers.get(name, "")
    return (value.decode("utf-8") if isinstance(value, bytes) else str(value)).lower()


def _body_data(raw: bytes | None, headers: Mapping[str, Any]) -> tuple[str | None, Any]:
    """The body as vcrpy's body matcher compares it: JSON and forms as data, else bytes;
    None for what only vcrpy decodes (chunked, XML-RPC)."""
    content_type = _header(headers, "Content-Type")
    if "chunked" in _header(headers, "Transfer-Encoding") or "text/xml" in content_type:
        return None, None
    try:
        if "application/x-www-form-urlencoded" in content_type:
            return "form", None if raw is None else parse_qs(raw.decode("ascii"))
        if "application/json" in content_type:
            return "json", json.loads(raw) if raw else None
    except ValueError:
        return "unparsed", raw  # compared as bytes, as vcrpy does
    return "bytes", raw


def url_without_markers(r1: Request, r2: Request) -> None:
    """vcrpy's scheme, host, port, path and query matchers in one (the query's parameters
    in any order), run markers masked."""
    f1, f2 = request_facts(r1), request_facts(r2)
    if f1 is None or f2 is None:
        for matcher in (vcr_matchers.scheme, vcr_matchers.host, vcr_matchers.port):
            matcher(r1, r2)
        vcr_matchers.path(r1, r2)
        vcr_matchers.query(_masked(r1), _masked(r2))
    elif f1.url != f2.url:
        raise AssertionError(f"{f1.where} != {f2.where}")


def query_without_markers(r1: Request, r2: Request) -> None:
    """vcrpy's query matcher (the parameters in any order), run markers masked."""
    vcr_matchers.query(_masked(r1), _masked(r2))


def body_without_markers(r1: Request, r2: Request) -> None:
    """vcrpy's body matcher (JSON and forms compared as data), run markers masked. The
    difference is spelt out (vcrpy's diff) only between requests otherwise alike: the
    recorded one a changed request is likely meant to be."""
    f1, f2 = request_facts(r1), request_facts(r2)
    if f1 is None or f2 is None or f1.kind is None or f2.kind is None:
        vcr_matchers.body(_masked(r1), _masked(r2))
        return
    if f1.raw == f2.raw:
        return
    if f1.kind == f2.kind and f1.kind in ("json", "form") and f1.data == f2.data:
        return
    if f1.url != f2.url or r1.method != r2.method:
        raise AssertionError("the bodies differ (another request: no diff)")
    vcr_matchers.body(_masked(r1), _masked(r2))


MATCHERS: dict[str, Callable[[Request, Request], None]] = {
    "talkqa_url": url_without_markers,
    "talkqa_query": query_without_markers,
    "talkqa_body": body_without_markers,
}
# vcrpy runs every matcher on every recorded request (not only until one fails), so they
# are few and work from facts worked out once per request.
MATCH_ON = ("method", "talkqa_url", "talkqa_body")


def vcr_config(scrubber: Scrubber) -> dict[str, Any]:
    """The `vcr_config` of a suite: JSON cassettes (far faster to load than YAML),
    matching on everything a request says, scrubbed on the way to disk."""
    return {
        "serializer": "json",
        "match_on": MATCH_ON,
        "before_record_request": scrubber.request,
        "before_record_response": scrubber.response,
        "decode_compressed_response": True,
    }


def cassette_name(scenario_name: str, parts: Iterable[str] = ()) -> str:
    """A cassette's file name (no suffix) from a scenario's rendered name: renaming a
    scenario renames its cassette, so re-record or rename the file with it."""
    return slugify(" ".join([scenario_name, *parts]))[:150] or "scenario"
