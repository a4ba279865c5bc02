"""Drive a Talk sync through the Sesam API, wait until it is done, find linked records.

`SyncDriver.synchronize` works the way Sesam's own tests wait: start the pumps, poll them
until none runs, and repeat rounds while a pipe has something queued (records Talk wrote
in one pipe are input of another: ZohoCRM Account -> Customerp Customer -> webCRM
Organisation takes rounds). Which pumps a round starts follows from `GET /pipes`: a pipe
whose source reads Sesam datasets (its config names a `dataset` or `datasets`, as
`dataset`, `merge` and the sandbox's `talk` sources do) is started only when its
`queues.source` / `queues.dependencies` say it has something; any other pipe reads an
external system (or its answer does not say), and since nothing in Sesam can count what
changed out there until it runs, the first round starts it regardless. Every decision
follows from the API's answers, in sorted pipe order, so a replayed cassette sees the
very requests it recorded; only the timeout reads the clock, and `sleep` is a no-op in
replay.

Finding the record Talk linked on the other side:
- `SyncDriver.linked_id` whenever the Sesam API is at hand (the sandbox, a node you may
  read): it follows Talk's own link bookkeeping, `$origin` in the collect datasets.
- `linked_by_marker` where it is not (live tenants without node access): it searches the
  other system for a unique marker value written into a property that travels.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from talkqa.checklist.model import slugify
from talkqa.spec.catalogue import load_catalogue
from talkqa.systems.errors import NotFound
from talkqa.systems.records import RecordApi, entity_of
from talkqa.systems.sesam import Sesam

Runtime = dict[str, Any]


class SyncTimeout(Exception):
    """The pipes did not settle in time; the message names them and what to do."""


@dataclass(frozen=True)
class SyncReport:
    rounds: int  # rounds of starting the pipes
    pipes: tuple[str, ...]  # the pipes it ran, sorted
    runs: int  # starts Sesam accepted (a 409, already running, is not counted)
    polls: int  # pump reads
    waited: float  # seconds slept between polls
    elapsed: float  # seconds from start to done


def dataset_stem(system: str, entity: str) -> str:
    """`<system key>-<entity slug>`, as Talk (and the sandbox) names an entity's pipes and
    datasets: the slug of the catalogue entity's name, whatever alias the caller used
    (`webcrm`, `Organisation` -> `webcrm-organisations`)."""
    known = load_catalogue().system_named(system)
    key = known.key if known else system
    return f"{key}-{slugify(entity_of(key, entity).name)}"


def namespaced(system: str, entity: str, record_id: str) -> str:
    """Sesam's namespaced id of a record: `~:zohocrm-account:5843104000000400001`."""
    return f"~:{dataset_stem(system, entity)}:{record_id}"


def linked_by_marker(
    records: RecordApi, entity: str, field: str, marker: str
) -> list[dict[str, Any]]:
    """The records of `entity` whose `field` holds `marker`: the fallback without a Sesam
    API. Write a unique marker into a property that travels (a name), synchronize, then
    look for it on the other side; more than one answer means Talk made duplicates."""
    return records.find(entity, field, marker)


def _queues(runtime: Runtime) -> tuple[int, int]:
    queues = runtime.get("queues") or {}
    return int(queues.get("source") or 0), int(queues.get("dependencies") or 0)


def _every_enabled(pipes: list[dict[str, Any]]) -> list[str]:
    return [str(p["_id"]) for p in pipes if not (p.get("runtime") or {}).get("is-disabled")]


def fed_from_datasets(pipe: dict[str, Any]) -> bool:
    """Whether a pipe of `GET /pipes` reads Sesam datasets: its (effective) source config
    names a `dataset` or `datasets`. Sesam then counts its pending input in `queues`; a
    pipe reading an external system (`rest`, `json`, `sql`, ... sources name a `system`
    only), or one whose config the answer leaves out, gives no such count."""
    config = pipe.get("config") or {}
    for version in ("effective", "original"):
        source = (config.get(version) or {}).get("source")
        if isinstance(source, dict):
            return bool(source.get("dataset") or source.get("datasets"))
    return False


class SyncDriver:
    def __init__(
        self,
        sesam: Sesam,
        *,
        timeout: float = 60.0,
        first_wait: float = 0.001,
        max_wait: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        pipes: Callable[[list[dict[str, Any]]], list[str]] | None = None,
        page_size: int = 1000,
    ) -> None:
        self.sesam, self.timeout = sesam, timeout
        self.first_wait, self.max_wait = first_wait, max_wait
        self.sleep, self.monotonic = sleep, monotonic
        self.select = pipes or _every_enabled
        self.page_size = page_size

    def synchronize(self) -> SyncReport:
        """Start the selected pipes, wait until none runs, and repeat while any has
        something queued.

        The first round starts every pipe that reads an external system, and a pipe fed
        from datasets (`fed_from_datasets`) only when `GET /pipes` shows it something
        queued (or shows no queues); later rounds start the pipes with something queued.
        A round polls at once after its starts, and sleeps only after a poll that saw a
        pipe still running. A poll that sees none running and something queued starts the
        next round at once; one that sees nothing queued either is confirmed by one more
        full poll, at once, unless it was itself such a confirmation. The back-off doubles
        from `first_wait` to `max_wait`; it starts over when a round leaves other queues
        than the round before, and while the same queues stay stuck it keeps growing and
        is also slept before the next round."""
        began = self.monotonic()
        listing = self.sesam.pipes()
        ids = sorted(set(self.select(listing)))
        # One `GET /pipes` reads every runtime at once where it carries them (the sandbox
        # does); else each pump is read on its own.
        known = {str(p.get("_id")): p.get("runtime") or {} for p in listing}
        bulk = bool(ids) and all("is-running" in known.get(p, {}) for p in ids)
        fed = {str(p.get("_id")) for p in listing if fed_from_datasets(p)}
        states: dict[str, Runtime] = {}
        rounds = runs = polls = 0
        waited, wait = 0.0, self.first_wait
        queued: dict[str, tuple[int, int]] = {}
        stuck: dict[str, tuple[int, int]] | None = None

        def on_time() -> None:
            elapsed = self.monotonic() - began
            if elapsed >= self.timeout:
                raise SyncTimeout(self._timeout_message(ids, states, elapsed, rounds))

        def pause() -> None:
            nonlocal waited, wait
            on_time()
            self.sleep(wait)
            waited, wait = waited + wait, min(wait * 2, self.max_wait)

        while True:
            if not rounds:
                starting = [
                    p
                    for p in ids
                    if p not in fed or "queues" not in known.get(p, {}) or any(_queues(known[p]))
                ]
            else:
                # The same queues as the round before: slow down; else go on at once.
                if queued == stuck:
                    pause()
                else:
                    on_time()
                    stuck, wait = queued, self.first_wait
                starting = sorted(queued)
            rounds += 1
            runs += sum(self.sesam.start(pipe_id) for pipe_id in starting)  # 409: False
            pending, settled = ids, False
            while True:
                if bulk:
                    known = {str(p.get("_id")): p.get("runtime") or {} for p in self.sesam.pipes()}
                    states.update({pipe_id: known.get(pipe_id, {}) for pipe_id in ids})
                else:
                    for pipe_id in pending:
                        states[pipe_id] = self.sesam.pump(pipe_id).get("runtime") or {}
                polls += len(pending)
                running = [p for p in pending if states[p].get("is-running")]
                if running:
                    pending, settled = running, False
                    pause()
                    continue
                queued = {p: _queues(states[p]) for p in ids if any(_queues(states[p]))}
                if queued or settled:
                    break  # a round is due, or a poll begun after every run ended found none
                # A late run may have fed a pipe polled before it: poll all again, at once.
                pending, settled = ids, True
            if not queued:
                elapsed = self.monotonic() - began
                return SyncReport(rounds, tuple(ids), runs, polls, waited, elapsed)

    def _timeout_message(
        self, ids: list[str], states: dict[str, Runtime], elapsed: float, rounds: int
    ) -> str:
        busy = []
        for pipe_id in ids:
            state = states.get(pipe_id) or {}
            source, dependencies = _queues(state)
            if not (state.get("is-running") or source or dependencies):
                continue
            doing = "still running" if state.get("is-running") else "idle"
            line = f"  {pipe_id}: {doing}, queues source {source}, dependencies {dependencies}"
            for key in ("last-message", "last-original-error-message"):
                if state.get(key):
                    line += f"; {key} {state[key]!r}"
            busy.append(line)
        return (
            f"the dataflow did not finish synchronizing within {self.timeout:g} s (waited "
            f"{elapsed:.1f} s over {rounds} round(s)); pipes still running or with queues:\n"
            + "\n".join(busy or ["  (none reported)"])
            + "\nCheck the environment (is Sesam, or the sandbox, up and running these pipes? "
            "their logs: GET /pipes/<id>/log), or raise --talkqa-sync-timeout if it is "
            "just slow."
        )

    def linked_id(
        self,
        source_system_key: str,
        source_entity: str,
        source_id: str,
        target_system_key: str,
        target_entity: str,
    ) -> str | None:
        """The id of the target record Talk linked to the source record, or None.

        First the target's collect dataset: a record Talk inserted there carries the
        source's namespaced id as `$origin`. Else the source's collect dataset: when the
        source record was itself inserted by Talk, its `$origin` names the target record.
        Two records Talk linked through a merge criterion (neither inserted by Talk) list
        each other in `$ids`. Of several matches (duplicates) the earliest in the dataset
        wins."""
        source = dataset_stem(source_system_key, source_entity)
        target = dataset_stem(target_system_key, target_entity)
        wanted = f"~:{source}:{source_id}"
        for entity in self._entities(f"{target}-collect"):
            found = entity.get("$origin") == wanted or wanted in (entity.get("$ids") or ())
            if found and str(entity["_id"]).startswith(f"~:{target}:"):
                return str(entity["_id"]).removeprefix(f"~:{target}:")
        for entity in self._entities(f"{source}-collect"):
            origin = str(entity.get("$origin") or "")
            if entity.get("_id") == wanted and origin.startswith(f"~:{target}:"):
                return origin.removeprefix(f"~:{target}:")
        return None

    def inserted_from(self, origins: list[str], stems: list[str]) -> list[str]:
        """The namespaced ids of the records Talk inserted because of `origins` (namespaced
        ids), and those it inserted because of those, in the order they were reached.

        Only `$origin` is followed: a record linked through a merge criterion existed
        before and was not inserted by Talk, so it is never among them. `stems` are the
        datasets to look in (`dataset_stem`); one that does not exist is passed over."""
        children: dict[str, list[str]] = {}
        for stem in stems:
            try:
                entities = self._entities(f"{stem}-collect")
            except NotFound:
                continue
            for entity in entities:
                origin = entity.get("$origin")
                if isinstance(origin, str):
                    children.setdefault(origin, []).append(str(entity["_id"]))
        found: list[str] = []
        queue = list(origins)
        while queue:
            for child in children.get(queue.pop(0), []):
                if child not in found and child not in origins:
                    found.append(child)
                    queue.append(child)
        return found

    def _entities(self, dataset: str) -> list[dict[str, Any]]:
        """The dataset's live entities, read page by page (`since` the last `_updated`)."""
        found: list[dict[str, Any]] = []
        since: str | int | None = None
        while True:
            page = self.sesam.entities(dataset, since=since, limit=self.page_size, deleted=False)
            found += [e for e in page if not e.get("_deleted") and "_id" in e]
            if len(page) < self.page_size or page[-1].get("_updated") is None:
                return found
            since = page[-1]["_updated"]
