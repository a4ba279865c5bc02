"""What the harness adds to a sync: live runs against the sandbox, trigger to verdict.

Runs the seed suite live (`--disable-recording`, the embedded sandbox) with
`latency_plugin`, which wraps the sync driver (`talkqa.sync.SyncDriver.synchronize`: start
the pumps, poll until idle), its Sesam calls, and the sandbox engine's own pipe runs
(`talkqa.sandbox.engine_pipe.Pipe.run`) in-process. Per scenario:

- trigger to verdict: every sync of the scenario, from the trigger until the driver sees
  the pipes idle, plus the verification after the last sync (finding the linked record,
  reading it, comparing: the end of the last step);
- engine: the time the engine spent running pipes during those syncs;
- added: the difference, what the harness (driver, HTTP, sleeps, checks) adds.
Trigger to verdict splits into the Sesam API calls of the syncs (starts, polls), the
driver's sleeps between polls, the verification, and the rest (the driver's own work);
the engine runs on the pumps' threads meanwhile, while the driver's calls go on.

    .venv/bin/python benchmarks/live_latency.py [-k EXPRESSION] [-p PLUGIN]

Goal: the harness adds under 100 ms per scenario beyond the engine's own time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_runs import Run, check, run

GOAL_MS = 100.0
COLUMNS = ("trigger>verdict", "engine", "added", "sesam http", "sleeping", "verify", "rest")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", dest="select", help="only the scenarios pytest -k selects")
    parser.add_argument("--suite", default="steps", help="what pytest runs (default: steps)")
    parser.add_argument(
        "-p",
        dest="plugins",
        action="append",
        default=[],
        metavar="PLUGIN",
        help="load this pytest plugin too (importable; e.g. a what-if that patches a part)",
    )
    return parser.parse_args(argv)


def measure(
    suite: str, select: str | None, plugins: Sequence[str] = ()
) -> tuple[Run, dict[str, Any]]:
    """One live run; its timing figures and the latency plugin's records."""
    with tempfile.TemporaryDirectory(prefix="talkqa-latency-") as scratch:
        out = Path(scratch, "latency.json")
        args = [suite, "-q", "--disable-recording", *(["-k", select] if select else [])]
        live = run(
            args, plugins=["latency_plugin", *plugins], env={"TALKQA_BENCH_LATENCY": str(out)}
        )
        records = json.loads(out.read_text()) if out.exists() else {}
    return live, records


def scenario_ms(scenario: dict[str, Any]) -> dict[str, float]:
    """One scenario's figures (ms), as in `COLUMNS`."""
    syncs = scenario["syncs"]

    def total(key: str) -> float:
        return 1000 * float(sum(sync.get(key, 0.0) for sync in syncs))

    verify = 1000 * scenario["verify"]
    whole = total("elapsed") + verify
    added = whole - total("engine")
    figures = {
        "trigger>verdict": whole,
        "engine": total("engine"),
        "added": added,
        "sesam http": total("http"),
        "sleeping": total("waited"),
        "verify": verify,
    }
    figures["rest"] = whole - figures["sesam http"] - figures["sleeping"] - verify
    return figures


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(live: Run, records: dict[str, Any]) -> bool:
    """Prints the table, the ratios and the run's totals; True when the goal is met."""
    scenarios = [s for s in records.get("scenarios", []) if s["syncs"]]
    rows = [scenario_ms(s) for s in scenarios]
    syncs = sum(len(s["syncs"]) for s in scenarios)
    print(f"scenarios with a sync: {len(rows)} of {live.tests}; syncs: {syncs}; ms per scenario")
    print(f"{'':8}" + "".join(f"{c:>16}" for c in COLUMNS))
    for label, pick in (
        ("mean", statistics.mean),
        ("p50", lambda v: quantile(v, 0.5)),
        ("p90", lambda v: quantile(v, 0.9)),
        ("max", max),
    ):
        print(f"{label:8}" + "".join(f"{pick([r[c] for r in rows]):>16.1f}" for c in COLUMNS))
    per_sync = [
        1000 * (sync["elapsed"] - sync.get("engine", 0.0)) for s in scenarios for sync in s["syncs"]
    ]
    every = [sync for s in scenarios for sync in s["syncs"]]

    def mean(key: str) -> float:
        return statistics.mean(float(sync.get(key, 0.0)) for sync in every)

    calls = mean("http_calls")
    print(
        f"per sync: added {statistics.mean(per_sync):.1f} ms mean over {calls:.1f} Sesam "
        f"calls ({1000 * mean('http') / max(calls, 1e-9):.2f} ms each), {mean('rounds'):.1f} "
        f"rounds, {mean('engine_calls'):.1f} pipe runs ({1000 * mean('engine'):.2f} ms in all)"
    )
    added = statistics.mean(r["added"] for r in rows)
    engine = statistics.mean(r["engine"] for r in rows)
    whole = statistics.mean(r["trigger>verdict"] for r in rows)
    met = added < GOAL_MS
    print(
        f"harness added: {added:.1f} ms per scenario (ratio to the {GOAL_MS:.0f} ms goal: "
        f"{added / GOAL_MS:.2f}); goal: {'met' if met else 'missed'}"
    )
    print(f"trigger to verdict / engine: {whole / max(engine, 1e-9):.1f}")
    retries = records.get("retries", [])
    asked = sum(wait or 0.0 for _, wait in retries)
    print(
        f"run: {live.wall_s:.1f} s wall; calls {live.get('call_s'):.1f} s; cleanups (teardown) "
        f"{live.get('teardown_s'):.1f} s, longest {live.get('teardown_max_s'):.1f} s; "
        f"retryable answers {len(retries)} "
        f"({', '.join(sorted({str(status) for status, _ in retries})) or 'none'}), "
        f"asking to wait {asked:.0f} s"
    )
    return met


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    live, records = measure(args.suite, args.select, args.plugins)
    problems = check({"live": live})
    if problems or not records.get("scenarios"):
        print("\n".join(problems) or f"no latency records:\n{live.output[-2000:]}")
        return 1
    return 0 if report(live, records) else 2


if __name__ == "__main__":
    sys.exit(main())
