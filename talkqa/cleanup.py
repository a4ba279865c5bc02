"""Removing what a scenario made: its own records, and those Talk inserted because of them.

Talk never deletes, so a record the harness created leaves copies in the other systems
(and copies of copies along a chain). `Cleanup` deletes the records it was told about and
every record Talk inserted from them (found through `$origin`, never through a merge
criterion, so a record that existed before is never touched), newest first, so that a
record goes before the records it refers to. A record an API cannot delete, or that
fails to go, is answered as a `Leftover` for the run's summary.

Ctrl-C (SIGINT) while the records are being deleted is held back until they are gone,
then delivered: an interrupted cleanup would leave every record it had not reached yet.
A second Ctrl-C is not held back. The harness holds it back the same way between a
create request and the record's registration here (`interrupt_held_back`).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from talkqa.spec.dataflow import SectionSpec
from talkqa.spec.names import side_of
from talkqa.sync import dataset_stem
from talkqa.systems.errors import NotFound, SystemApiError
from talkqa.systems.records import RecordApi

Side = tuple[str, str]  # (system key, catalogue entity name)
# namespaced origins, dataset stems -> namespaced ids Talk inserted from them
InsertedFrom = Callable[[list[str], list[str]], list[str]]


@dataclass(frozen=True)
class Leftover:
    system: str
    entity: str
    id: str
    reason: str

    def __str__(self) -> str:
        return f"{self.system} {self.entity} {self.id}: {self.reason}"


def dataset_sides(specs: Iterable[SectionSpec]) -> dict[str, Side]:
    """Each dataset stem (`zohocrm-account`) of the entities the sections join, to its
    side: where a run's records and Talk's copies of them can be."""
    sides: dict[str, Side] = {}
    for spec in specs:
        for name in (spec.source, spec.target):
            side = side_of(name)
            if side is not None:
                sides[dataset_stem(*side)] = side
    return sides


class Cleanup:
    def __init__(
        self,
        systems: Mapping[str, RecordApi],
        stems: Mapping[str, Side],
        inserted_from: InsertedFrom | None = None,
    ) -> None:
        """`stems` maps each dataset stem (`zohocrm-account`) of the entities the run may
        touch to its side; `inserted_from` finds Talk's inserts (None: none are looked for,
        as where no Sesam API is at hand)."""
        self.systems = systems
        self.stems = dict(stems)
        self.inserted_from = inserted_from
        self.created: list[tuple[Side, str]] = []
        self.leftovers: list[Leftover] = []

    def add(self, side: Side, record_id: str) -> None:
        if (side, record_id) not in self.created:
            self.created.append((side, record_id))

    def _namespaced(self, side: Side, record_id: str) -> str:
        stem = next(s for s, known in self.stems.items() if known == side)
        return f"~:{stem}:{record_id}"

    def _side(self, namespaced: str) -> tuple[Side, str] | None:
        _, stem, record_id = namespaced.split(":", 2)
        side = self.stems.get(stem)
        return (side, record_id) if side is not None else None

    def run(self) -> list[Leftover]:
        """Delete everything (see the module doc); what could not go is answered, and
        kept in `leftovers` (where a Ctrl-C delivered at the end leaves no answer)."""
        if not self.created:
            return []
        with interrupt_held_back():
            self.leftovers = self._run()
        return self.leftovers

    def _run(self) -> list[Leftover]:
        records = list(self.created)
        leftovers: list[Leftover] = []
        if self.inserted_from is not None:
            origins = [self._namespaced(side, rid) for side, rid in records if side in self._sides]
            try:
                inserted = self.inserted_from(origins, sorted(self.stems))
            except SystemApiError as err:
                inserted = []
                leftovers.append(Leftover("sesam", "links", "-", f"not read: {err}"))
            records += [found for ns in inserted if (found := self._side(ns)) is not None]
        # Newest first; a record still referred to (an edit pointed an older record at a
        # newer one) is tried again once the others are gone, while that helps.
        pending = list(reversed(records))
        while pending:
            failed = [(s, r, why) for s, r in pending if (why := self._delete(s, r)) is not None]
            if len(failed) in (0, len(pending)):
                leftovers += [Leftover(s[0], s[1], r, why) for s, r, why in failed]
                break
            pending = [(s, r) for s, r, _ in failed]
        self.created.clear()
        return leftovers

    @property
    def _sides(self) -> set[Side]:
        return set(self.stems.values())

    def _delete(self, side: Side, record_id: str) -> str | None:
        """None once the record is gone; else why it is not."""
        system, entity = side
        try:
            if self.systems[system].delete(entity, record_id):
                return None
            return "the API cannot delete it; remove it by hand"
        except NotFound:
            return None
        except SystemApiError as err:
            return f"not deleted: {err}"


@contextmanager
def interrupt_held_back() -> Iterator[None]:
    """SIGINT held back for the block, then delivered to the handler there was before
    (pytest's KeyboardInterrupt); a second one is not held back. Only the main thread can
    set signal handlers: elsewhere, and where SIGINT is ignored, nothing changes."""
    previous = signal.getsignal(signal.SIGINT)
    if (
        threading.current_thread() is not threading.main_thread()
        or previous is None  # set outside Python: it could not be put back
        or previous == signal.SIG_IGN
    ):
        yield
        return
    held: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if held:
            signal.raise_signal(signal.SIGINT)
