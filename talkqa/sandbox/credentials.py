"""The credentials each emulated system accepts.

The defaults are the sandbox's own test credentials, recognisable on sight so that a
leak into a cassette or a report is easy to spot; any well-formed values can be
configured instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ZohoCredentials:
    client_id: str = "1000.SANDBOXCLIENTID0000000000000"
    client_secret: str = "sandboxzohoclientsecret0000000000000000000"
    refresh_token: str = "1000.sandboxzohorefresh0000000000000000.sandboxzohorefresh00000000000000"


@dataclass(frozen=True)
class WebcrmCredentials:
    auth_code: str = "5a4db0c4-0000-4000-8000-5a4db0c40000"


@dataclass(frozen=True)
class CustomerpCredentials:
    api_key: str = "cerp_sandbox_key_00000000000000000000"


@dataclass(frozen=True)
class SesamCredentials:
    email: str = "qa@sandbox.invalid"
    password: str = "sandbox-sesam-password-0000"


@dataclass(frozen=True)
class Credentials:
    zohocrm: ZohoCredentials = field(default_factory=ZohoCredentials)
    webcrm: WebcrmCredentials = field(default_factory=WebcrmCredentials)
    customerp: CustomerpCredentials = field(default_factory=CustomerpCredentials)
    sesam: SesamCredentials = field(default_factory=SesamCredentials)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)
