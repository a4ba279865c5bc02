"""The emulated Sesam service API in front of the sandbox's Talk engine.

What a client sees follows reference/sesam-talk.md and the public Sesam client: a JWT
from `POST /api/jwt` (form `email`, `password`; the body is the token as a JSON string),
`Authorization: Bearer <JWT>` on everything else, pipes with a `runtime` block, pump
operations posted as a form, datasets of entities. Pipe and dataset ids may come
URL-encoded with nothing left safe (`talk%3Azohocrm-customerp%3A...`).

A pump run is one `engine.run(pipe_id)` on a background thread; `start` answers the pump
once the run is under way, and 409 (with the pump as the body) while it is running.

Sandbox assumptions a live node may not share (the harness must tolerate each):
- Errors are `{"type", "title", "status", "detail"}` (RFC 7807 style).
- `disable` only takes the pipe off the schedule, as Sesam's does: a manual `start` of a
  disabled pipe still runs it.
- `stop` cannot interrupt a run (engine runs are short); it answers the pump and the run
  ends on its own.
- `start-rescan` is offered only when the engine can forget what a pipe has seen (a
  `reset_last_seen(pipe_id)` method); otherwise it is a 400 like any unsupported operation.
- `last-original-error-message` describes the latest run: a run without errors clears it.
- The log (`/pipes/{id}/log`) holds pump-started, pump-completed or pump-failed, and one
  write-error entry per error of a run, oldest first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request

from talkqa.checklist.model import slugify
from talkqa.sandbox.clock import Clock
from talkqa.sandbox.credentials import SesamCredentials
from talkqa.sandbox.web import ApiError, EmulatedApi

if TYPE_CHECKING:
    from talkqa.sandbox.engine import PipeInfo, PipeRun, TalkEngine

OPERATIONS = ("start", "start-rescan", "stop", "enable", "disable")
_TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
_TITLES |= {409: "Conflict"}


def sesam_error(status: int, detail: str) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }


def iso(moment: datetime | None) -> str | None:
    """Sesam's timestamps: UTC, microseconds, a `Z`."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Pump:
    """The runtime state of one pipe's pump."""

    pipe: PipeInfo
    disabled: bool = False
    running: bool = False
    last_run: datetime | None = None
    processed: int = 0
    last_message: str | None = None
    last_error: str | None = None
    log: list[dict[str, Any]] = field(default_factory=list)


class SesamApi(EmulatedApi):
    """Sesam's service API over the Talk engine; `run_pump` is the scheduler's entry."""

    def __init__(
        self,
        engine: TalkEngine,
        clock: Clock,
        credentials: SesamCredentials = SesamCredentials(),  # noqa: B008 - frozen
        *,
        jwt_ttl: float = 3600.0,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.credentials = credentials
        self.jwt_ttl = jwt_ttl
        self._secret = secrets.token_bytes(32)
        self._issued = 0
        self._tokens: list[str] = []  # every JWT issued, in order
        self._lock = threading.Lock()
        self.pumps = {pipe.id: Pump(pipe) for pipe in engine.pipes()}
        # A rescan needs the engine to forget what a pipe has seen; without that, no rescan.
        self._reset: Callable[[str], None] | None = getattr(engine, "reset_last_seen", None)
        self.operations = [op for op in OPERATIONS if op != "start-rescan" or self._reset]
        self._threads: list[threading.Thread] = []
        # Set by a scheduler: when the next scheduled run of every enabled pipe is due.
        self.next_run: datetime | None = None
        super().__init__()

    # -- routing, auth and errors ---------------------------------------------------

    def rules(self) -> Iterable[Rule]:
        pipe = "/api/pipes/<pipe_id>"
        dataset = "/api/datasets/<dataset_id>"
        return [
            Rule("/api/jwt", methods=["POST"], endpoint="jwt"),
            Rule("/api/pipes", methods=["GET"], endpoint="list_pipes"),
            Rule(pipe, methods=["GET"], endpoint="get_pipe"),
            Rule(f"{pipe}/pump", methods=["GET"], endpoint="get_pump"),
            Rule(f"{pipe}/pump", methods=["POST"], endpoint="pump_operation"),
            Rule(f"{pipe}/log", methods=["GET"], endpoint="pipe_log"),
            Rule("/api/datasets", methods=["GET"], endpoint="list_datasets"),
            Rule(dataset, methods=["GET"], endpoint="get_dataset"),
            Rule(f"{dataset}/entities", methods=["GET"], endpoint="dataset_entities"),
            Rule(f"{dataset}/entity", methods=["GET"], endpoint="dataset_entity"),
        ]

    def before_request(self, request: Request, endpoint: str) -> None:
        if endpoint == "jwt":
            return
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self._valid(token.strip()):
            raise ApiError(
                401, sesam_error(401, "a valid JWT is required"), {"WWW-Authenticate": "Bearer"}
            )

    def error_body(self, status: int, message: str) -> Any:
        return sesam_error(status, message)

    # -- JWT --------------------------------------------------------------------------

    def jwt(self, request: Request) -> Any:
        email, password = request.form.get("email", ""), request.form.get("password", "")
        known = hmac.compare_digest(email.encode(), self.credentials.email.encode())
        if not (
            hmac.compare_digest(password.encode(), self.credentials.password.encode()) and known
        ):
            raise ApiError(401, sesam_error(401, "wrong email or password"))
        return self._issue(email)

    def _issue(self, email: str) -> str:
        now = self.clock.now()
        with self._lock:
            self._issued += 1
            serial = self._issued
        claims = {
            "sub": email,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self.jwt_ttl)).timestamp()),
            "jti": serial,
        }
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims).encode())
        token = f"{head}.{body}.{self._sign(head, body)}"
        with self._lock:
            self._tokens.append(token)
        return token

    def issued_tokens(self) -> list[str]:
        """Every JWT issued so far, expired or not (read-only: what a leak check looks
        for in cassettes and reports)."""
        with self._lock:
            return list(self._tokens)

    def _sign(self, head: str, body: str) -> str:
        return _b64(hmac.new(self._secret, f"{head}.{body}".encode(), hashlib.sha256).digest())

    def _valid(self, token: str) -> bool:
        head, _, rest = token.partition(".")
        body, _, signature = rest.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(head, body).encode()):
            return False
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return bool(self.clock.now().timestamp() < claims["exp"])

    # -- pipes --------------------------------------------------------------------------

    def list_pipes(self, request: Request) -> Any:
        return [self._pipe_json(pump) for pump in self.pumps.values()]

    def get_pipe(self, request: Request, pipe_id: str) -> Any:
        return self._pipe_json(self._pump(pipe_id))

    def get_pump(self, request: Request, pipe_id: str) -> Any:
        return self._pump_json(self._pump(pipe_id))

    def pipe_log(self, request: Request, pipe_id: str) -> Any:
        pump = self._pump(pipe_id)
        with self._lock:
            return list(pump.log)

    def pump_operation(self, request: Request, pipe_id: str) -> Any:
        pump = self._pump(pipe_id)
        operation = request.form.get("operation", "")
        if operation not in self.operations:
            detail = f"The pump of the pipe '{pipe_id}' doesn't support the operation '{operation}'"
            raise ApiError(400, sesam_error(400, detail))
        if operation in ("enable", "disable"):
            self._set_disabled(pump, operation == "disable")
        elif operation in ("start", "start-rescan"):
            if not self._claim(pump):
                raise ApiError(409, self._pump_json(pump))
            if operation == "start-rescan":
                self._reset_last_seen(pump)
            thread = threading.Thread(
                target=self._execute, args=(pump,), name=f"pump:{pipe_id}", daemon=True
            )
            with self._lock:
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()
        return self._pump_json(pump)

    def _set_disabled(self, pump: Pump, disabled: bool) -> None:
        with self._lock:
            if pump.disabled != disabled:
                pump.disabled = disabled
                event = "pump-disabled" if disabled else "pump-enabled"
                pump.log.append(
                    {"_id": event, "event_type": event, "event_time": iso(self.clock.now())}
                )

    def _reset_last_seen(self, pump: Pump) -> None:
        if self._reset is not None:
            self._reset(pump.pipe.id)

    # -- runs ---------------------------------------------------------------------------

    def run_pump(self, pipe_id: str) -> bool:
        """Run one pipe now, on this thread; False if it was already running."""
        pump = self._pump(pipe_id)
        if not self._claim(pump):
            return False
        self._execute(pump)
        return True

    def _claim(self, pump: Pump) -> bool:
        with self._lock:
            if pump.running:
                return False
            pump.running = True
            return True

    def _execute(self, pump: Pump) -> None:
        """One run of a claimed pump, logged the way Sesam's execution log shows it."""
        started = self.clock.now()
        pipe_id = pump.pipe.id
        with self._lock:
            pump.log.append(
                {
                    "_id": "pump-started",
                    "event_type": "pump-started",
                    "start_time": iso(started),
                    "pump_definition": f"pump:{pipe_id}",
                    "sync_type": "incremental" if self._last_seen(pipe_id) else "full",
                }
            )
        run: PipeRun | None = None
        errors: list[str]
        try:
            run = self.engine.run(pipe_id)
            errors = list(run.errors)
        except Exception as exc:  # a failed run is reported, never raised
            errors = [f"{type(exc).__name__}: {exc}"]
        finished = self.clock.now()
        processed = run.processed if run else 0
        written = run.written if run else 0
        with self._lock:
            pump.running = False
            pump.last_run = started
            pump.processed = processed
            for number, error in enumerate(errors, 1):
                pump.log.append(
                    {
                        "_id": f"write-error:{number}",
                        "event_type": "write-error",
                        "event_time": iso(finished),
                        "original_exception": error,
                    }
                )
            event = "pump-failed" if errors else "pump-completed"
            entry: dict[str, Any] = {
                "_id": event,
                "event_type": event,
                "pump_definition": f"pump:{pipe_id}",
                "start_time": iso(started),
                "end_time": iso(finished),
                "entities_processed": processed,
                "entities_succeeded": written,
                "entities_failed": len(errors),
            }
            if errors:
                entry["reason_why_stopped"] = errors[0]
                pump.last_message = f"Failed: {errors[0]}"
                pump.last_error = errors[0]
            else:
                pump.last_message = f"Completed: {processed} processed, {written} written"
                pump.last_error = None
            pump.log.append(entry)

    def close(self) -> None:
        """Wait (bounded) for runs started over HTTP to finish."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=10)

    # -- rendering ------------------------------------------------------------------------

    def _pump(self, pipe_id: str) -> Pump:
        pump = self.pumps.get(pipe_id)
        if pump is None:
            raise ApiError(404, sesam_error(404, f"No pipe with id '{pipe_id}' was found"))
        return pump

    def _runtime(self, pump: Pump) -> dict[str, Any]:
        pipe_id = pump.pipe.id
        source, dependencies = self.engine.backlog(pipe_id), self.engine.dependency_backlog(pipe_id)
        last_seen = self._last_seen(pipe_id)
        with self._lock:
            return {
                "is-running": pump.running,
                "is-disabled": pump.disabled,
                "is-valid-config": True,
                "config-errors": [],
                "last-run": iso(pump.last_run),
                "next-run": None if pump.disabled else iso(self.next_run),
                "last-seen": last_seen,
                "progress": {"processed": pump.processed},
                "last-message": pump.last_message,
                "last-original-error-message": pump.last_error,
                "queues": {"source": source, "dependencies": dependencies},
                "supported-operations": list(self.operations),
            }

    def _last_seen(self, pipe_id: str) -> str:
        """The pipe's since-token: the newest source change it has read ("" for none)."""
        return iso(self.engine.last_seen(pipe_id)) or ""

    def _pump_json(self, pump: Pump) -> dict[str, Any]:
        return {"_id": f"pump:{pump.pipe.id}", "type": "pump", "runtime": self._runtime(pump)}

    def _pipe_json(self, pump: Pump) -> dict[str, Any]:
        config = self._config(pump.pipe)
        return {
            "_id": pump.pipe.id,
            "type": "pipe",
            "config": {"original": config, "effective": config},
            "runtime": self._runtime(pump),
        }

    def _config(self, pipe: PipeInfo) -> dict[str, Any]:
        datasets = set(self.engine.datasets())
        source, target = pipe.source, pipe.target
        collect = f"{source[0]}-{slugify(source[1])}-collect"
        source_config = {"type": "talk", "system": source[0], "entity": source[1]}
        if collect in datasets:
            source_config["dataset"] = collect
        return {
            "_id": pipe.id,
            "type": "pipe",
            "source": source_config,
            "sink": {"type": "talk", "system": target[0], "entity": target[1]},
            "metadata": {"section": pipe.section, "direction": pipe.direction},
        }

    # -- datasets -----------------------------------------------------------------------

    def list_datasets(self, request: Request) -> Any:
        return [self._dataset_json(name) for name in self.engine.datasets()]

    def get_dataset(self, request: Request, dataset_id: str) -> Any:
        return self._dataset_json(self._dataset(dataset_id))

    def dataset_entities(self, request: Request, dataset_id: str) -> Any:
        self._dataset(dataset_id)
        since = request.args.get("since") or None
        limit_text = request.args.get("limit", "")
        try:
            limit = int(limit_text) if limit_text else None
        except ValueError:
            detail = f"limit must be an integer: {limit_text}"
            raise ApiError(400, sesam_error(400, detail)) from None
        if limit is not None and limit < 0:
            raise ApiError(400, sesam_error(400, f"limit must not be negative: {limit}"))
        live_only = request.args.get("deleted", "").lower() == "false"
        try:
            entities = self.engine.entities(
                dataset_id, since=since, limit=None if live_only else limit
            )
        except ValueError:
            detail = f"since must be an offset from _updated: {since}"
            raise ApiError(400, sesam_error(400, detail)) from None
        if live_only:  # the limit counts the entities answered, not those left out
            entities = [e for e in entities if not e.get("_deleted")]
            entities = entities if limit is None else entities[:limit]
        return entities

    def dataset_entity(self, request: Request, dataset_id: str) -> Any:
        self._dataset(dataset_id)
        wanted = request.args.get("entity_id", "")
        for entity in self.engine.entities(dataset_id):
            if entity.get("_id") == wanted:
                return entity
        detail = f"No entity with id '{wanted}' in the dataset '{dataset_id}'"
        raise ApiError(404, sesam_error(404, detail))

    def _dataset(self, dataset_id: str) -> str:
        if dataset_id not in self.engine.datasets():
            raise ApiError(404, sesam_error(404, f"No dataset with id '{dataset_id}' was found"))
        return dataset_id

    def _dataset_json(self, dataset_id: str) -> dict[str, Any]:
        count = len(self.engine.entities(dataset_id))
        return {"_id": dataset_id, "type": "dataset", "runtime": {"count": count}}


class Scheduler:
    """Runs every enabled pipe every `interval` seconds on a daemon thread until `close()`."""

    def __init__(self, api: SesamApi, interval: float) -> None:
        if interval <= 0:
            raise ValueError(f"the schedule interval must be positive, not {interval}")
        self.api = api
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sesam-scheduler", daemon=True)

    def start(self) -> None:
        self.api.next_run = self.api.clock.now() + timedelta(seconds=self.interval)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            for pipe_id, pump in list(self.api.pumps.items()):
                if self._stop.is_set():
                    return
                if not pump.disabled:
                    self.api.run_pump(pipe_id)
            self.api.next_run = self.api.clock.now() + timedelta(seconds=self.interval)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.api.next_run = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
