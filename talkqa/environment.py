"""Where a run's requests go: the mode and the environment, and connectors for them.

Modes (`mode_of`): "replay" answers every request from cassettes and sends nothing;
"record" runs against an environment and writes cassettes; "live" runs against an
environment and writes nothing. Environments: "sandbox" (the embedded sandbox, started
in-process) or "live" (URLs and credentials from `TALKQA_<SYSTEM>_<KEY>` variables). A
replay needs neither: it "connects" to the placeholders the cassettes were written with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from talkqa.cassettes import replay_description
from talkqa.systems import RecordApi, Sesam, connect, settings_from_description, settings_from_env

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

    def connect(
        self,
        sleep: Callable[[float], None] | None = None,
        session: requests.Session | None = None,
    ) -> tuple[dict[str, RecordApi], Sesam]:
        """A connector per system, logged in lazily; `sleep` replaces waiting (replay);
        `session`, shared by all four, is where a report hooks in."""
        settings = settings_from_description(self.description)
        http: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        if session is not None:
            http["session"] = session
        systems: dict[str, RecordApi] = {}
        for key in RECORD_SYSTEMS:
            connector = connect(key, settings[key], **http)
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
