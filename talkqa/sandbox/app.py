"""The assembled sandbox: ZohoCRM, webCRM, Customerp and Sesam Talk on loopback.

`Sandbox` builds the emulations, the Talk engine over the features' dataflow specs, and
Sesam's API in front of the engine, and serves each system on its own port. Everything
is configured here, in-process, never over HTTP: a harness reaching the sandbox sees
only what it would see of live systems. `description()` is what a client needs to find
and log in to each system.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from talkqa.sandbox.clock import Clock
from talkqa.sandbox.credentials import Credentials
from talkqa.sandbox.customerp import BASE as CUSTOMERP_BASE
from talkqa.sandbox.customerp import CustomerpApi
from talkqa.sandbox.engine import SystemHandle, TalkEngine
from talkqa.sandbox.faults import FaultSet
from talkqa.sandbox.sesam import Scheduler, SesamApi
from talkqa.sandbox.web import Served
from talkqa.sandbox.webcrm import WebcrmApi
from talkqa.sandbox.zohocrm import ZohoCrmApi
from talkqa.spec.catalogue import load_catalogue
from talkqa.spec.dataflow import load_specs

HOST = "127.0.0.1"
SYSTEMS = ("zohocrm", "webcrm", "customerp", "sesam")


class SandboxError(Exception):
    """The sandbox cannot start; the message says why and what to change."""


@dataclass(frozen=True)
class Ports:
    """One port per system; 0 picks a free one."""

    zohocrm: int = 0
    webcrm: int = 0
    customerp: int = 0
    sesam: int = 0


class Sandbox:
    """Every emulated system served on loopback until `close()` (or the `with` block ends)."""

    def __init__(
        self,
        *,
        features_dir: str | Path | None = None,
        credentials: Credentials = Credentials(),  # noqa: B008 - frozen, safe to share
        faults: FaultSet | None = None,
        schedule: float | None = None,
        zoho_request_budget: int | None = None,
        zoho_token_grants: int | None = 10,
        webcrm_per_minute: int | None = 250,
        ports: Ports = Ports(),
        clock: Clock | None = None,
    ) -> None:
        features = Path(features_dir) if features_dir is not None else Path.cwd() / "features"
        if not features.is_dir():
            raise SandboxError(
                f"{features}: no such features folder (the sandbox syncs what its features "
                "say; give the folder that holds the <dataflow>/*.feature files)"
            )
        self.clock = clock or Clock()
        self.credentials = credentials
        self.zohocrm = ZohoCrmApi(
            self.clock,
            credentials.zohocrm,
            request_budget=zoho_request_budget,
            token_grant_limit=zoho_token_grants,
        )
        self.webcrm = WebcrmApi(
            self.clock, credentials.webcrm, requests_per_minute=webcrm_per_minute
        )
        self.customerp = CustomerpApi(self.clock, credentials.customerp)
        catalogue = load_catalogue()
        handles = {
            key: SystemHandle(key, catalogue.systems[key], api.collections, api.render)
            for key, api in (
                ("zohocrm", self.zohocrm),
                ("webcrm", self.webcrm),
                ("customerp", self.customerp),
            )
        }
        self.engine = TalkEngine(handles, load_specs(features), self.clock, faults)
        self.sesam = SesamApi(self.engine, self.clock, credentials.sesam)
        self.scheduler: Scheduler | None = None
        self._served: dict[str, Served] = {}
        try:
            apps = {
                "zohocrm": self.zohocrm,
                "webcrm": self.webcrm,
                "customerp": self.customerp,
                "sesam": self.sesam,
            }
            for key in SYSTEMS:
                self._served[key] = _serve(key, apps[key], getattr(ports, key))
            self.zohocrm.api_domain = self._served["zohocrm"].url
            if schedule:
                self.scheduler = Scheduler(self.sesam, schedule)
                self.scheduler.start()
        except BaseException:
            self.close()
            raise

    @property
    def faults(self) -> FaultSet:
        return self.engine.faults

    @faults.setter
    def faults(self, faults: FaultSet) -> None:
        self.engine.faults = faults

    def url(self, system: str) -> str:
        """The root URL a system is served on (`http://127.0.0.1:<port>`)."""
        return self._served[system].url

    def issued_tokens(self) -> dict[str, list[str]]:
        """Every token the systems issued so far, per system (Zoho access tokens, webCRM
        access and refresh tokens, Sesam JWTs; Customerp issues none): read-only, for
        checking that none reached a cassette or a report."""
        return {
            "zohocrm": self.zohocrm.tokens.issued(),
            "webcrm": self.webcrm.issued_tokens(),
            "sesam": self.sesam.issued_tokens(),
        }

    def description(self) -> dict[str, Any]:
        """Where each system is and how to log in: the bases clients prefix paths with."""
        creds = self.credentials.as_json()
        return {
            "zohocrm": {"accounts_url": self.url("zohocrm"), "api_url": self.zohocrm.api_domain},
            "webcrm": {"api_url": self.url("webcrm")},
            "customerp": {"api_url": self.url("customerp") + CUSTOMERP_BASE},
            "sesam": {"api_url": self.url("sesam") + "/api"},
            "credentials": {key: creds[key] for key in SYSTEMS},
        }

    def close(self) -> None:
        """Stop the schedule, let runs finish, stop serving; safe to call twice."""
        if self.scheduler is not None:
            self.scheduler.close()
            self.scheduler = None
        self.sesam.close()
        while self._served:
            _, served = self._served.popitem()
            served.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _serve(system: str, app: Any, port: int) -> Served:
    # Werkzeug answers a failed bind by printing and exiting the process, so a fixed
    # port is tried here first, to fail with a message instead.
    if port:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError as exc:
                raise SandboxError(_port_problem(system, port, exc)) from exc
    try:
        return Served(app, HOST, port)
    except SystemExit as exc:  # taken between the probe and the bind
        raise SandboxError(f"port {port} for {system} on {HOST} could not be bound") from exc


def _port_problem(system: str, port: int, exc: OSError) -> str:
    why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
    return f"port {port} for {system} on {HOST} {why}; choose another port, or 0 for a free one"
