"""Where a run's requests go: the mode and the environment, and connectors for them.

Modes (`mode_of`): "replay" answers every request from cassettes and sends nothing;
"record" runs against an environment and writes cassettes; "live" runs against an
environment and writes nothing. Environments: "sandbox" (the embedded sandbox, started
in-process) or "live" (URLs and credentials from `TALKQA_<SYSTEM>_<KEY>` variables). A
replay needs neither: it "connects" to the placeholders the cassettes were written with.

Zoho grants at most 10 access tokens per refresh token per 10 minutes, so a run makes one
grant cache (`Environment.zoho_tokens`) and hands it to every `connect`: all its Zoho
connectors share one token. A replay logs in to nothing: its cache holds a placeholder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from talkqa.cassettes import PLACEHOLDERS, REDACTED, replay_description
from talkqa.systems import RecordApi, Sesam, connect, settings_from_description, settings_from_env
from talkqa.systems.zohocrm import ZohoTokens

MODES = ("replay", "record", "live")
ENVIRONMENTS = ("sandbox", "live")
RECORD_SYSTEMS = ("zohocrm", "webcrm", "customerp")


def mode_of(record_mode: str | None, disable_recording: bool) -> str:
    """pytest-recording's options say the mode: `--disable-recording` is live,
    `--record-mode` other than "none" records, and the default replays."""
    if disable_recording:
        return "live"
    return "replay" if record_mode in (None, "none") else "record"


@dataclass(frozen=True)
class Environment:
    mode: str
    name: str  # "sandbox", "live", or "cassettes" in replay
    description: Mapping[str, Any]

    @property
    def replay(self) -> bool:
        return self.mode == "replay"

    def zoho_tokens(self) -> ZohoTokens:
        """A Zoho grant cache for this environment: one per run, handed to every
        `connect`. In replay it holds a placeholder that never expires: the cassettes hold
        only scrubbed tokens, so no login is needed (a recorded 401 still leads to the
        recorded renewal)."""
        if not self.replay:
            return ZohoTokens()
        zoho = self.description.get("zohocrm") or {}
        return ZohoTokens.given(REDACTED, zoho.get("api_url") or PLACEHOLDERS["zohocrm"])

    def connect(
        self,
        sleep: Callable[[float], None] | None = None,
        session: requests.Session | None = None,
        zoho_tokens: ZohoTokens | None = None,
    ) -> tuple[dict[str, RecordApi], Sesam]:
        """A connector per system, logged in lazily; `sleep` replaces waiting (replay);
        `session`, shared by all four, is where a report hooks in; `zoho_tokens`, the
        run's Zoho grant cache (else a new one, for these connectors alone)."""
        settings = settings_from_description(self.description)
        http: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        if session is not None:
            http["session"] = session
        tokens = zoho_tokens if zoho_tokens is not None else self.zoho_tokens()
        systems: dict[str, RecordApi] = {}
        for key in RECORD_SYSTEMS:
            own = {"tokens": tokens} if key == "zohocrm" else {}
            connector = connect(key, settings[key], **http, **own)
            assert not isinstance(connector, Sesam)
            systems[key] = connector
        return systems, connect("sesam", settings["sesam"], **http)


def replay_environment() -> Environment:
    return Environment("replay", "cassettes", replay_description())


def live_environment(mode: str, environ: Mapping[str, str]) -> Environment:
    """The live tenants, from environment variables only (a `UsageError` names every
    missing one)."""
    settings = settings_from_env(environ)
    description: dict[str, Any] = {key: dict(values) for key, values in settings.items()}
    description["credentials"] = {
        key: {k: v for k, v in values.items() if not k.endswith("_url")}
        for key, values in settings.items()
    }
    return Environment(mode, "live", description)
