"""One connector per external system, over one shared HTTP base.

`connect(system, settings)` builds the connector for "zohocrm", "webcrm", "customerp"
(each a `RecordApi`) or "sesam" (a `Sesam`). `settings` is one system's settings:

| system    | keys                                                      |
|-----------|-----------------------------------------------------------|
| zohocrm   | accounts_url, client_id, client_secret, refresh_token      |
| webcrm    | api_url, auth_code                                        |
| customerp | api_url (with /api/v1), api_key                           |
| sesam     | api_url (with /api), email, password                      |

Other keys are ignored (Zoho's `api_url`: the token grant's `api_domain` decides). The
settings come from the sandbox's description (`settings_from_description`) or, for live
runs, from `TALKQA_<SYSTEM>_<KEY>` environment variables (`settings_from_env`). Keyword
arguments (`timeout`, `max_retries`, `max_wait`, `sleep`, `session`) go to `HttpClient`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, overload

from talkqa.systems.customerp import Customerp
from talkqa.systems.errors import UsageError
from talkqa.systems.records import RecordApi
from talkqa.systems.sesam import Sesam
from talkqa.systems.webcrm import Webcrm
from talkqa.systems.zohocrm import ZohoCrm

SETTINGS: dict[str, tuple[str, ...]] = {
    "zohocrm": ("accounts_url", "client_id", "client_secret", "refresh_token"),
    "webcrm": ("api_url", "auth_code"),
    "customerp": ("api_url", "api_key"),
    "sesam": ("api_url", "email", "password"),
}
SYSTEMS = tuple(SETTINGS)
_CONNECTORS: dict[str, type[ZohoCrm | Webcrm | Customerp | Sesam]] = {
    "zohocrm": ZohoCrm,
    "webcrm": Webcrm,
    "customerp": Customerp,
    "sesam": Sesam,
}

__all__ = [
    "SETTINGS",
    "SYSTEMS",
    "RecordApi",
    "Sesam",
    "connect",
    "settings_from_description",
    "settings_from_env",
    "variable",
]


@overload
def connect(system: Literal["sesam"], settings: Mapping[str, Any], **http: Any) -> Sesam: ...
@overload
def connect(
    system: Literal["zohocrm", "webcrm", "customerp"], settings: Mapping[str, Any], **http: Any
) -> RecordApi: ...
@overload
def connect(system: str, settings: Mapping[str, Any], **http: Any) -> RecordApi | Sesam: ...
def connect(system: str, settings: Mapping[str, Any], **http: Any) -> RecordApi | Sesam:
    """The connector for `system`, logged in lazily on its first call."""
    keys = _keys(system)
    missing = [key for key in keys if not settings.get(key)]
    if missing:
        raise UsageError(
            f"{system} needs the settings {', '.join(missing)} (live runs: "
            f"{', '.join(variable(system, key) for key in missing)})"
        )
    connector: RecordApi | Sesam = _CONNECTORS[system](*(str(settings[k]) for k in keys), **http)
    return connector


def variable(system: str, key: str) -> str:
    """The environment variable of a live setting: `TALKQA_WEBCRM_AUTH_CODE`."""
    return f"TALKQA_{system.upper()}_{key.upper()}"


def settings_from_env(
    environ: Mapping[str, str], systems: Iterable[str] = SYSTEMS
) -> dict[str, dict[str, str]]:
    """Live settings per system from `TALKQA_<SYSTEM>_<KEY>` variables; all missing ones
    are named in one error."""
    chosen = list(systems)
    for system in chosen:
        _keys(system)
    missing = [
        variable(s, k) for s in chosen for k in SETTINGS[s] if not environ.get(variable(s, k))
    ]
    if missing:
        raise UsageError(
            "live runs read each system's URL and credentials from environment variables; "
            f"set {', '.join(missing)} (never in a file in the repository)"
        )
    return {s: {k: environ[variable(s, k)] for k in SETTINGS[s]} for s in chosen}


def settings_from_description(description: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per-system settings from the sandbox's description: each system's part merged
    with its entry under `credentials`."""
    credentials = description.get("credentials") or {}
    return {
        system: {**description[system], **(credentials.get(system) or {})}
        for system in SYSTEMS
        if system in description
    }


def _keys(system: str) -> tuple[str, ...]:
    keys = SETTINGS.get(system)
    if keys is None:
        raise UsageError(f"no connector for {system!r}; known systems: {', '.join(SYSTEMS)}")
    return keys
