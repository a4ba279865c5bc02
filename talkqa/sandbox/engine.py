"""The sandbox's Sesam Talk: pipes that keep the emulated systems' records in sync.

Every section of the features whose two systems are served gets a forward pipe (source
-> target: creates, links, carries edits) and a reverse pipe (target -> source: carries
edits of linked records back, never creates). The engine works on the emulations'
collections in-process, as Talk's share pipes work on the systems' APIs: it reads each
record through its API's own rendering (`SystemHandle.render`, what a GET answers) and
writes into the collections. The Sesam API (`talkqa.sandbox.sesam`) drives it through
`run`, `backlog` and `entities`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from talkqa.sandbox.clock import Clock
from talkqa.sandbox.engine_paths import id_field
from talkqa.sandbox.engine_pipe import Endpoint, Origins, Pipe
from talkqa.sandbox.engine_rows import orient
from talkqa.sandbox.engine_types import PipeInfo, PipeRun, SystemHandle
from talkqa.sandbox.faults import FaultSet
from talkqa.sandbox.links import LinkRegistry, dataset_stem, namespaced
from talkqa.spec.catalogue import load_catalogue
from talkqa.spec.dataflow import SectionSpec

__all__ = ["PipeInfo", "PipeRun", "SystemHandle", "TalkEngine"]

MAX_PASSES = 10  # run_all's bound: a chain of sections settles in far fewer


@dataclass
class _Offsets:
    """Sesam's dataset offsets: every change of a record gets the next `_updated`."""

    last: int = 0
    seen: dict[str, tuple[datetime | None, int]] = field(default_factory=dict)

    def bump(self, key: str, modified: datetime | None) -> None:
        if key not in self.seen or self.seen[key][0] != modified:
            self.last += 1
            self.seen[key] = (modified, self.last)


class TalkEngine:
    def __init__(
        self,
        systems: Mapping[str, SystemHandle],
        sections: Sequence[SectionSpec],
        clock: Clock,
        faults: FaultSet | None = None,
    ) -> None:
        self.systems = dict(systems)
        self.clock = clock
        self.faults = faults if faults is not None else FaultSet()
        self._lock = threading.RLock()
        self._registry = LinkRegistry()
        self._origins: Origins = {}
        self._skipped: list[tuple[str, str]] = []
        self._pipes: dict[str, Pipe] = {}
        self._datasets: dict[str, Endpoint] = {}
        self._offsets: dict[str, _Offsets] = {}
        self._build(sections)
        self._order = self._ordered()

    # -- the pipes -------------------------------------------------------------------

    def pipes(self) -> list[PipeInfo]:
        return [pipe.info for pipe in self._pipes.values()]

    def skipped_sections(self) -> list[tuple[str, str]]:
        return list(self._skipped)

    def run(self, pipe_id: str) -> PipeRun:
        """One synchronous run of one pipe (runs never overlap: one engine-wide lock)."""
        pipe = self._pipe(pipe_id)
        with self._lock:
            return pipe.run(self.faults, self.clock)

    def run_all(self) -> list[PipeRun]:
        """Every pipe in dependency order, pass after pass until a pass changes nothing."""
        runs: list[PipeRun] = []
        with self._lock:
            for _ in range(MAX_PASSES):
                this_pass = [self.run(pipe.info.id) for pipe in self._order]
                runs += this_pass
                if not any(r.written for r in this_pass) and not any(
                    p.backlog() for p in self._order
                ):
                    break
        return runs

    def backlog(self, pipe_id: str) -> int:
        pipe = self._pipe(pipe_id)
        with self._lock:
            return pipe.backlog()

    def dependency_backlog(self, pipe_id: str) -> int:
        pipe = self._pipe(pipe_id)
        with self._lock:
            return len(pipe.waiting)

    def last_seen(self, pipe_id: str) -> datetime | None:
        """The modified time of the newest source record the pipe has read."""
        pipe = self._pipe(pipe_id)
        with self._lock:
            return pipe.last_seen

    def reset_last_seen(self, pipe_id: str) -> None:
        """Forget how far the pipe has read (Sesam's `reset-tracking`): the next run reads
        every record again; links keep that from creating anything twice."""
        pipe = self._pipe(pipe_id)
        with self._lock:
            pipe.last_seen = None

    # -- the link view -----------------------------------------------------------------

    def datasets(self) -> list[str]:
        return sorted(self._datasets)

    def entities(
        self, dataset_id: str, since: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """The dataset's entities after offset `since` (an int as text), oldest change first.

        KeyError for an unknown dataset, ValueError for a `since` that is not an integer.
        """
        end = self._datasets.get(dataset_id)
        if end is None:
            raise KeyError(f"unknown dataset {dataset_id!r}; known: {', '.join(self.datasets())}")
        after = int(since) if since not in (None, "") else 0
        with self._lock:
            offsets = self._offsets.setdefault(dataset_id, _Offsets())
            records = {str(r.id): r for r in end.collection.all()}
            for key, record in sorted(records.items(), key=lambda item: item[1].modified):
                offsets.bump(key, record.modified)
            for key in [k for k in offsets.seen if k not in records]:
                offsets.bump(key, None)  # deleted by a client of the system's API
            found: list[dict[str, Any]] = []
            for key, (_, offset) in sorted(offsets.seen.items(), key=lambda item: item[1][1]):
                if offset <= after:
                    continue
                ns = namespaced(end.side, key)
                entity: dict[str, Any] = {
                    "_id": ns,
                    "_updated": offset,
                    "_deleted": key not in records,
                }
                # A merged record carries the ids of those it was merged with, as Sesam's
                # merged entities do; a record Talk inserted says so in `$origin`.
                entity["$ids"] = [ns, *self._registry.merged_with(end.side, key)]
                if origin := self._origins.get((end.side, key)):
                    entity["$origin"] = origin
                if (live := records.get(key)) is not None:
                    entity["$last-modified"] = live.modified.isoformat()
                    entity[id_field(end.entity)] = live.id
                    entity.update(end.show(live).json)  # as the system's API answers it
                found.append(entity)
        return found if limit is None else found[:limit]

    # -- building ----------------------------------------------------------------------

    def _pipe(self, pipe_id: str) -> Pipe:
        pipe = self._pipes.get(pipe_id)
        if pipe is None:
            raise KeyError(f"unknown pipe {pipe_id!r}")
        return pipe

    def _build(self, sections: Sequence[SectionSpec]) -> None:
        served: list[tuple[SectionSpec, Endpoint, Endpoint]] = []
        for section in sections:
            ends = self._resolve(section)
            if isinstance(ends, str):
                self._skipped.append((section.key, ends))
                continue
            served.append((section, *ends))
            self._registry.between(ends[0].side, ends[1].side)
        for section, src, tgt in served:
            links = self._registry.between(src.side, tgt.side)
            for direction, one, two in (("forward", src, tgt), ("reverse", tgt, src)):
                pipe_id = f"talk:{section.dataflow}:{Path(section.feature_path).stem}:{direction}"
                info = PipeInfo(pipe_id, section.key, direction, one.side, two.side)
                rows = orient(
                    section.properties,
                    direction == "forward",
                    (one.side, one.entity),
                    (two.side, two.entity),
                    self._registry,
                )
                self._pipes[pipe_id] = Pipe(info, section, (one, two), rows, links, self._origins)
            for end in (src, tgt):
                self._datasets[f"{dataset_stem(end.side)}-collect"] = end

    def _resolve(self, section: SectionSpec) -> tuple[Endpoint, Endpoint] | str:
        """The section's two served entities, or why the sandbox cannot run it."""
        catalogue = load_catalogue()
        ends: list[Endpoint] = []
        for named in (section.source, section.target):
            system = catalogue.system_named(named.system)
            if system is None:
                return f"the catalogue knows no system {named.system!r}"
            entity = catalogue.entity(named.system, named.entity)
            if entity is None:
                return f"the catalogue knows no {system.title} entity {named.entity!r}"
            handle = self.systems.get(system.key)
            if handle is None:
                return f"no {system.title} emulation is served"
            if entity.name not in handle.collections:
                return f"the {system.title} emulation does not serve {entity.name}"
            entity = handle.system.entities.get(entity.name, entity)
            ends.append(Endpoint((system.key, entity.name), entity, handle))
        if ends[0].side == ends[1].side:
            return "source and target are the same entity of the same system"
        return ends[0], ends[1]

    def _ordered(self) -> list[Pipe]:
        """Forward pipes first, each after the pipes it reads from or translates through;
        then the reverse pipes, each after the pipes writing what it reads."""
        forward = [p for p in self._pipes.values() if p.forward]
        reverse = [p for p in self._pipes.values() if not p.forward]

        def feeds(first: Pipe, then: Pipe) -> bool:
            translates = any(row.via is first.links for row in then.rows.rows)
            return first.info.target == then.info.source or (first.forward and translates)

        return _topological(forward, feeds) + _topological(reverse, feeds)


def _topological(pipes: list[Pipe], before: Callable[[Pipe, Pipe], bool]) -> list[Pipe]:
    """`pipes` with every pipe after those `before` it (cycles broken by list order)."""
    ordered: list[Pipe] = []
    visiting: set[str] = set()

    def visit(pipe: Pipe) -> None:
        if pipe in ordered or pipe.info.id in visiting:
            return
        visiting.add(pipe.info.id)
        for other in pipes:
            if other is not pipe and before(other, pipe):
                visit(other)
        ordered.append(pipe)

    for pipe in pipes:
        visit(pipe)
    return ordered
