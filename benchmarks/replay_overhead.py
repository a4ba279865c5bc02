"""What replaying cassettes costs: the seed suite in replay against its floor.

The floor is the same scenarios with every HTTP answer served from memory and no
cassette machinery (`floor_plugin`: the cassettes preloaded, pytest-recording idle,
`requests`' adapter answering in recorded order). Both run in separate pytest processes,
timed by `timing_plugin`; the ratio compares the time to run the tests (pytest's run-test
loop), start-up and collection left out. Per scenario, it reports collection
(`--collect-only`), cassette load, finding the recorded answers (vcrpy scrubbing and
matching each request), the steps (the call phase, finding answers included), and Allure
result writing (a replay with `--alluredir` against one without).

    .venv/bin/python benchmarks/replay_overhead.py [--repeat N] [--suite steps] [-p PLUGIN]

Goal: replay within 1.5x of the floor. With --repeat N, each run is repeated N times,
interleaved, and the fastest of each kind counts (the least disturbed by other work).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence

from pytest_runs import Run, check, fastest, run

GOAL = 1.5


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each kind (default 1)")
    parser.add_argument("--suite", default="steps", help="what pytest runs (default: steps)")
    parser.add_argument(
        "-p",
        dest="plugins",
        action="append",
        default=[],
        metavar="PLUGIN",
        help="load this pytest plugin in the replays too (e.g. a what-if that patches a part)",
    )
    return parser.parse_args(argv)


def measure(suite: str, repeat: int, plugins: Sequence[str] = ()) -> dict[str, Run]:
    """The collection, the replay, the replay writing Allure results, and the floor."""
    collect = [run([suite, "--collect-only", "-q"]) for _ in range(repeat)]
    replay: list[Run] = []
    allure: list[Run] = []
    floor: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="talkqa-allure-") as results:
        for _ in range(repeat):  # interleaved: a busy spell of the machine hits every kind
            replay.append(run([suite, "-q"], plugins=plugins))
            allure_args = [suite, "-q", "--alluredir", results, "--clean-alluredir"]
            allure.append(run(allure_args, plugins=plugins))
            floor.append(run([suite, "-q"], plugins=["floor_plugin"]))
    return {
        "collect": fastest(collect, "collection_s"),
        "replay": fastest(replay),
        "replay+allure": fastest(allure),
        "floor": fastest(floor),
    }


ROWS = (
    ("setup + teardown", "setup_teardown_s"),
    ("  of which cassette load", "cassette_load_s"),
    ("steps (call phase)", "call_s"),
    ("  of which finding answers", "cassette_match_s"),
    ("  of which allure files", "allure_write_s"),
    ("all tests (run loop)", "loop_s"),
    ("process (wall)", "wall_s"),
)


def per_scenario_ms(r: Run, key: str) -> float:
    if key == "wall_s":
        total = r.wall_s
    elif key == "setup_teardown_s":
        total = r.get("setup_s") + r.get("teardown_s")
    else:
        total = r.get(key)
    return 1000 * total / max(r.tests, 1)


def report(runs: dict[str, Run]) -> bool:
    """Prints the table and the ratios; True when the goal is met."""
    collect, replay, allure, floor = (
        runs[k] for k in ("collect", "replay", "replay+allure", "floor")
    )
    n = replay.tests
    print(f"scenarios: {n} (collected {collect.tests}); ms per scenario")
    kinds = ("replay", "floor", "replay+allure")
    print(f"{'':24}" + "".join(f"{k:>15}" for k in kinds))
    collection = 1000 * collect.get("collection_s") / max(collect.tests, 1)
    print(f"{'collection (--collect-only)':24}{collection:>15.2f}")
    for label, key in ROWS:
        print(f"{label:24}" + "".join(f"{per_scenario_ms(runs[k], key):>15.2f}" for k in kinds))
    allure_ms = 1000 * (allure.get("loop_s") - replay.get("loop_s")) / max(n, 1)
    print(
        f"Allure result writing: {allure_ms:.2f} ms per scenario (with --alluredir against "
        f"without; {per_scenario_ms(allure, 'allure_write_s'):.2f} ms of it in file writes)"
    )
    ratio = replay.get("loop_s") / floor.get("loop_s")
    verdict = "met" if ratio <= GOAL else "missed"
    print(
        f"replay/floor: {ratio:.2f} (run loops {replay.get('loop_s'):.2f} s / "
        f"{floor.get('loop_s'):.2f} s); goal <= {GOAL}: {verdict}"
    )
    print(f"replay+allure/floor: {allure.get('loop_s') / floor.get('loop_s'):.2f}")
    return ratio <= GOAL


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    runs = measure(args.suite, args.repeat, args.plugins)
    problems = check(runs)
    if problems:
        print("\n".join(problems))
        return 1
    return 0 if report(runs) else 2


if __name__ == "__main__":
    sys.exit(main())
