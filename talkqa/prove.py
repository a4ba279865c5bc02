"""`talkqa prove`: inject every fault of the sandbox's catalogue into every section it
applies to, run the section live against the sandbox, and show which checklist items
failed. A fault counts as detected only when the item that names the broken thing
fails: for a property fault, the row of that property; otherwise the fault's own item.

Each run is a separate pytest process (its own embedded sandbox, its own Allure results,
read back with `talkqa.report.results`), two at a time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from talkqa.report.results import ResultsError, ScenarioResult, read_results
from talkqa.sandbox.faults import FAULTS
from talkqa.spec.catalogue import load_catalogue
from talkqa.spec.compare import row_kind
from talkqa.spec.dataflow import Mapping, SectionSpec, SpecError, load_specs

PROPERTY_FAULTS = ("dropped-property", "wrong-type", "truncated-value")
# Properties whose values are always longer than the 5 characters a truncation keeps.
LONG_TEXT = ("mail", "street", "description", "account_name", "deal_name")
# The item that must fail for each fault about whole records or links.
FAULT_ITEMS = {
    "no-reverse-sync": ("target-edit",),
    "duplicate-instead-of-update": ("source-edit",),
    "older-edit-wins": ("latest-wins",),
    "empty-overwrites": ("empty-never-overwrites",),
    "deal-before-won": ("condition-not-met",),
    "lost-link": ("source-edit", "target-edit"),
    "no-create": ("created", "condition-met"),
    "merge-ignored": ("merge",),
}


class ProveError(RuntimeError):
    """A run that could not be judged: which, and what pytest said."""


@dataclass(frozen=True)
class Injection:
    fault: str
    section: str
    prop: str | None = None

    @property
    def option(self) -> str:
        return f"{self.fault}@{self.section}" + (f"#{self.prop}" if self.prop else "")


@dataclass
class Outcome:
    injection: Injection
    failed: list[str] = field(default_factory=list)  # "item" or "item: row"
    detected: bool = False


def injections(specs: Iterable[SectionSpec], items: dict[str, set[str]]) -> list[Injection]:
    """Every (fault, section[, property]) the suite's sections give the fault a place."""
    planned = []
    for spec in specs:
        for fault in FAULTS:
            if fault in PROPERTY_FAULTS:
                row = _value_row(spec, fault)
                if row is not None:
                    planned.append(Injection(fault, spec.key, row))
            elif set(FAULT_ITEMS[fault]) & items.get(spec.key, set()):
                planned.append(Injection(fault, spec.key))
    return planned


def _value_row(spec: SectionSpec, fault: str) -> str | None:
    """Where a property fault shows and nothing else breaks: a plain value row; for a
    dropped or mistyped value one whose fields are optional on both sides (a required
    one would stop the record being made at all), a number or boolean for a wrong type
    where the section has one; for a truncated value, text (names are long enough)."""
    typed = fault == "wrong-type"
    rows = [
        row
        for row in spec.properties
        if row_kind(row, spec.source, spec.target) == "value"
        and (fault == "truncated-value" or not _required(spec, row))
    ]
    preferred = [r for r in rows if (r.data_type != "string") == typed]
    candidates = preferred or [r for r in rows if r.data_type == "string"]
    if fault == "truncated-value":  # a value longer than 5 characters, whatever the data
        candidates.sort(key=lambda r: not any(w in r.source.lower() for w in LONG_TEXT))
    return candidates[0].source if candidates else None


def _required(spec: SectionSpec, row: Mapping) -> bool:
    catalogue = load_catalogue()
    ends = ((spec.source, row.source), (spec.target, row.target))
    for name, path in ends:
        entity = catalogue.entity(name.system, name.entity)
        found = entity.field(path) if entity is not None else None
        if found is not None and found.required:
            return True
    return False


Results = dict[tuple[str, str, tuple[str, ...]], ScenarioResult]


def run_suite(root: Path, options: list[str], what: str) -> Results:
    """One `pytest steps` process with these options and its own Allure results folder,
    read back; `what` names the run when it cannot be judged (ProveError)."""
    with tempfile.TemporaryDirectory() as results:
        command = [sys.executable, "-m", "pytest", "steps", "-q", "-p", "no:randomly"]
        command += [*options, "--alluredir", results]
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1):
            raise ProveError(
                f"the run of {what} stopped with exit {done.returncode}:\n"
                + (done.stdout[-1500:] + done.stderr[-1500:]).strip()
            )
        try:
            return read_results(Path(results))
        except ResultsError as err:
            raise ProveError(f"the run of {what} left no results: {err}") from None


def run_section(root: Path, features: str, injection: Injection | None, section: str) -> Results:
    options = ["--disable-recording", "--talkqa-features", features, "--talkqa-section", section]
    if injection is not None:
        options += ["--talkqa-fault", injection.option]
    return run_suite(root, options, f"{section} ({injection.option if injection else 'no fault'})")


def judge(injection: Injection, found: dict[Any, ScenarioResult]) -> Outcome:
    outcome = Outcome(injection)
    for result in sorted(found.values(), key=lambda r: (r.item or "", r.row)):
        if result.status in ("failed", "broken"):
            row = f": {result.row[0]} -> {result.row[1]}" if result.row else ""
            outcome.failed.append(f"{result.item or result.scenario}{row}")
    if injection.prop is not None:
        outcome.detected = any(
            r.status == "failed" and r.row[:1] == (injection.prop,) for r in found.values()
        )
    else:
        wanted = FAULT_ITEMS[injection.fault]
        outcome.detected = any(r.status == "failed" and r.item in wanted for r in found.values())
    return outcome


def main(args: argparse.Namespace) -> int:
    root, features = Path.cwd(), args.features
    unknown = sorted(set(args.fault or ()) - set(FAULTS))
    if unknown:
        print(
            f"error: unknown fault {', '.join(unknown)}; known: {', '.join(FAULTS)}",
            file=sys.stderr,
        )
        return 2
    try:
        specs = load_specs(root / features)
    except SpecError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not specs:
        print(
            f"error: {root / features}: no features to prove; give the features folder "
            "(--features)",
            file=sys.stderr,
        )
        return 2
    items = _items_by_section(root / features)
    chosen = set(args.fault or FAULTS)
    planned = [i for i in injections(specs, items) if i.fault in chosen]
    sections = sorted({s.key for s in specs})
    print(f"baseline: {len(sections)} sections without a fault ...", flush=True)
    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            baseline = list(pool.map(lambda s: run_section(root, features, None, s), sections))
            outcomes = list(
                pool.map(lambda i: judge(i, run_section(root, features, i, i.section)), planned)
            )
    except ProveError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    false_alarms = [
        r for found in baseline for r in found.values() if r.status in ("failed", "broken")
    ]
    _print_table(outcomes)
    unplaced = sorted(chosen - {o.injection.fault for o in outcomes})
    for fault in unplaced:
        print(
            f"not injected: {fault}: no section of this suite has an item that checks it "
            f"({', '.join(FAULT_ITEMS.get(fault, ('a text property row',)))})"
        )
    detected = sum(o.detected for o in outcomes)
    passed = sum(r.status == "passed" for found in baseline for r in found.values())
    print(f"without faults: {passed} passed, {len(false_alarms)} failed")
    print(f"faults detected / injected: {detected} / {len(outcomes)}")
    return 0 if outcomes and detected == len(outcomes) and not false_alarms else 1


def _items_by_section(features: Path) -> dict[str, set[str]]:
    from talkqa.checklist.feature import read_feature

    found: dict[str, set[str]] = {}
    for path in sorted(features.rglob("*.feature")):
        key = f"{path.parent.name}/{path.stem}"
        found[key] = set(read_feature(path).items())
    return found


def _print_table(outcomes: list[Outcome]) -> None:
    print(f"{'fault':<28} {'section':<58} {'property':<14} detected  failed items")
    for o in outcomes:
        i = o.injection
        print(
            f"{i.fault:<28} {i.section:<58} {i.prop or '-':<14} "
            f"{'yes' if o.detected else 'NO':<9} {'; '.join(o.failed) or '(none)'}"
        )


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "prove",
        help="inject each sandbox fault into each section it applies to and show what fails",
    )
    p.add_argument("--features", default="features", help="(%(default)s)")
    p.add_argument("--fault", action="append", help="only this fault (repeatable)")
    p.add_argument("--jobs", type=int, default=2, help="runs at a time (%(default)s)")
    p.set_defaults(handler=main)
