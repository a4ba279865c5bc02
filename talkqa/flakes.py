"""`talkqa flakes`: run the whole suite N times live against the sandbox and M times in
replay, and show every scenario whose outcome was not the same in every run.

A suite that fails now and then cries wolf: people learn to rerun it, and then rerun
away a real defect. This command gives the figure that says it does not. Each run is
its own pytest process (`talkqa.prove.run_suite`), so each live run has its own sandbox.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from talkqa.prove import ProveError, Results, run_suite
from talkqa.sandbox.faults import FaultSet
from talkqa.spec.dataflow import SpecError, load_specs

FAILED = ("failed", "broken")


@dataclass
class Verdict:
    """One scenario over the runs of one mode: how often it ended which way."""

    name: str
    outcomes: Counter[str] = field(default_factory=Counter)  # passed, failed, skipped, not run
    first_failure: str = ""

    @property
    def flaky(self) -> bool:
        return len(self.outcomes) > 1

    @property
    def failed(self) -> bool:
        return self.outcomes["failed"] > 0


def classify(runs: list[Results]) -> list[Verdict]:
    """Every scenario any of these runs reported, with its outcome in each run."""
    verdicts = []
    for key in sorted({key for run in runs for key in run}):
        section, scenario, row = key
        verdict = Verdict(f"{section}: {scenario}" + (f" [{', '.join(row)}]" if row else ""))
        for run in runs:
            result = run.get(key)
            status = "not run" if result is None else result.status
            status = "failed" if status in FAILED else status
            verdict.outcomes[status] += 1
            if result is not None and status == "failed" and not verdict.first_failure:
                lines = [line.strip() for line in result.reason.splitlines() if line.strip()]
                verdict.first_failure = " ".join(lines[:2])[:300] or result.status
        verdicts.append(verdict)
    return verdicts


def _bad_input(root: Path, args: argparse.Namespace) -> str | None:
    if args.live < 0 or args.replay < 0 or args.live + args.replay == 0 or args.jobs < 1:
        return "give --live N and --replay M (0 or more, not both 0) and --jobs 1 or more"
    if args.fault and not args.live:
        return "--fault is injected into live runs only; give --live 1 or more"
    if not (root / "steps").is_dir():
        return f"{root}: no steps/ here; run talkqa flakes from the project folder"
    try:
        keys = {spec.key for spec in load_specs(root / args.features)}
        faults = list(FaultSet.parse(args.fault))
    except (SpecError, ValueError) as err:
        return str(err)
    if not keys:
        return f"{root / args.features}: no features to run; give the features folder (--features)"
    for section in args.section:
        if section not in keys:
            return f"no section {section} in {args.features}; known: {', '.join(sorted(keys))}"
    for fault in faults:
        if not any(fault.covers_section(key) for key in keys):
            return f"fault {fault} names no section of {args.features}"
    return None


def main(args: argparse.Namespace) -> int:
    root = Path.cwd()
    problem = _bad_input(root, args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    common = ["--talkqa-features", args.features]
    common += [option for s in args.section for option in ("--talkqa-section", s)]
    live = [*common, "--disable-recording"]
    live += [option for f in args.fault for option in ("--talkqa-fault", f)]
    plan = [("live", i, live) for i in range(args.live)]
    plan += [("replay", i, common) for i in range(args.replay)]
    runs: dict[str, list[Results]] = {"live": [], "replay": []}
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [
            pool.submit(run_suite, root, options, f"{mode} run {i + 1}")
            for mode, i, options in plan
        ]
        try:
            for (mode, i, _), future in zip(plan, futures, strict=True):
                found = future.result()
                runs[mode].append(found)
                counts = Counter(r.status for r in found.values())
                summary = ", ".join(f"{n} {s}" for s, n in counts.items())
                print(f"{mode} run {i + 1}: {summary}", flush=True)
        except ProveError as err:
            pool.shutdown(wait=False, cancel_futures=True)
            # One line: what could not be judged, and the last thing pytest said.
            lines = [line.strip() for line in str(err).splitlines() if line.strip()]
            print(
                f"error: {lines[0]}" + (f" {lines[-1]}" if len(lines) > 1 else ""), file=sys.stderr
            )
            return 2
    return _report(runs)


def _report(runs: dict[str, list[Results]]) -> int:
    flaky: set[str] = set()
    failed = False
    for mode, done in runs.items():
        clean = sum(all(r.status == "passed" for r in found.values()) for found in done)
        print(f"{mode}: {len(done)} runs, {clean} with every scenario passed")
        for verdict in classify(done):
            failed = failed or verdict.failed
            if verdict.flaky:
                flaky.add(verdict.name)
            if verdict.flaky or verdict.failed:
                others = sorted(set(verdict.outcomes) - {"passed", "failed"})
                counts = ", ".join(
                    f"{s} {verdict.outcomes[s]}" for s in ["passed", "failed", *others]
                )
                first = f"; first failure: {verdict.first_failure}" if verdict.failed else ""
                kind = "flaky " if verdict.flaky else "failed"
                print(f"  {kind} {verdict.name}: {counts}{first}")
    sizes = sorted({len(found) for done in runs.values() for found in done})
    each = f"{sizes[0]} scenarios each" if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]} scenarios"
    print(
        f"flaky scenarios: {len(flaky)} (live {len(runs['live'])} runs, "
        f"replay {len(runs['replay'])} runs, {each})"
    )
    return 1 if failed or flaky else 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "flakes",
        help="run the whole suite many times live and in replay and show any scenario "
        "whose outcome changed",
    )
    p.add_argument("--live", type=int, default=20, metavar="N", help="live runs (%(default)s)")
    p.add_argument("--replay", type=int, default=50, metavar="M", help="replay runs (%(default)s)")
    p.add_argument("--jobs", type=int, default=2, metavar="J", help="runs at a time (%(default)s)")
    p.add_argument("--features", default="features", metavar="DIR", help="(%(default)s)")
    p.add_argument("--section", action="append", default=[], help="only this section (repeatable)")
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="inject this sandbox fault into the live runs (talkqa sandbox --list-faults)",
    )
    p.set_defaults(handler=main)
