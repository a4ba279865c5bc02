"""How the suite scales: the public corpus imported, collected, and its served part run.

For each size (a share of the corpus's checklists, served and unserved ones in the same
proportion), in a scratch folder:

1. import: `talkqa import` of the checklists into `features/` (timed in-process, the
   fastest of three imports into fresh folders: it is mostly file writes);
2. collection: `pytest --collect-only` of every feature with a copy of the project's
   `steps/`, `conftest.py` and pytest ini (from pyproject.toml): the dry run, and all that
   the sections the sandbox cannot run get;
3. run: the features whose two ends the catalogue knows (`talkqa/spec/systems/*.toml`:
   the systems the sandbox serves), a folder and a pytest session per dataflow, their
   empty properties tables given the seed features' rows for the same entities (what QA
   adds before recording): recorded against the sandbox (`--record-mode=rewrite`), then
   replayed with pytest-xdist on 1 and 2 workers.

Times are given per 1,000 scenarios (pytest tests: a scenario, or a row of an outline);
growth is the exponent k in time ~ scenarios^k between the smallest and the largest
size (1.0: linear).

    .venv/bin/python benchmarks/corpus_scale.py [--sample N] [--sizes 25,50,100]
        [--corpus DIR] [--no-run]

Goals: costs grow linearly; collection of the whole corpus under 30 s.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import re
import shutil
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pytest_runs import REPO, Run, run

from talkqa.checklist import parse_file
from talkqa.checklist.model import SystemEntity
from talkqa.cli import main as talkqa
from talkqa.spec.names import side_of

DEFAULT_CORPUS = REPO.parent / "shared" / "checklists" / "corpus"
COLLECT_GOAL_S = 30.0
LINEAR_GOAL = 1.15  # growth exponent allowed for "linear" (measurement noise)
HEADER = re.compile(r"^\s*(Source system|Source entity|Target system|Target entity):\s*(.*)$")
PROPERTIES = re.compile(r"^(\s*)Examples: Properties\n\s*\|[^\n]*\|\n", re.MULTILINE)
Side = tuple[str, str]


@dataclass
class Size:
    """One size's documents and what was measured on them (seconds)."""

    percent: int
    documents: list[Path]
    features: int = 0
    served_features: int = 0
    dataflows: int = 0
    filled_features: int = 0
    import_s: float = 0.0
    runs: dict[str, Run] = field(default_factory=dict)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="*.rst checklists")
    parser.add_argument("--sample", type=int, help="use only N of the corpus's checklists")
    parser.add_argument("--sizes", default="25,50,100", help="percentages (default 25,50,100)")
    parser.add_argument("--no-run", action="store_true", help="import and collect only")
    parser.add_argument(
        "--sync-timeout",
        type=float,
        default=10.0,
        help="--talkqa-sync-timeout of the record runs (default 10 s: a dataflow that "
        "never settles fails fast)",
    )
    return parser.parse_args(argv)


def classify(corpus: Path) -> tuple[list[Path], list[Path]]:
    """The checklists with a section the sandbox can run, and the others."""
    runnable: list[Path] = []
    dry: list[Path] = []
    for path in sorted(corpus.glob("*.rst")):
        sections = parse_file(path).sections
        ok = any(side_of(s.source) and side_of(s.target) for s in sections)
        (runnable if ok else dry).append(path)
    return runnable, dry


def spread(items: list[Path], count: int) -> list[Path]:
    """`count` of `items`, evenly spaced (the same ones each time)."""
    if count >= len(items):
        return list(items)
    return [items[int(i * len(items) / count)] for i in range(count)]


def pick(runnable: list[Path], dry: list[Path], share: float, least: int = 1) -> list[Path]:
    """A share of the corpus, with runnable and dry checklists in proportion (`least`
    runnable ones at least)."""
    wanted = max(least, round(share * len(runnable)))
    return sorted(spread(runnable, wanted) + spread(dry, round(share * len(dry))))


def write_suite(root: Path) -> None:
    """`steps/`, `conftest.py` and a pytest.ini from pyproject.toml's pytest options."""
    shutil.copytree(REPO / "steps", root / "steps", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "conftest.py", root / "conftest.py")
    with (REPO / "pyproject.toml").open("rb") as file:
        options = dict(tomllib.load(file)["tool"]["pytest"]["ini_options"])
    options["testpaths"] = ["steps"]
    lines = ["[pytest]"]
    for key, value in options.items():
        if key == "addopts":
            lines.append(f"addopts = {' '.join(value)}")
        elif isinstance(value, list):
            lines.append(f"{key} =" + "".join(f"\n    {v}" for v in value))
        else:
            lines.append(f"{key} = {value}")
    (root / "pytest.ini").write_text("\n".join(lines) + "\n")


def sides(text: str) -> tuple[Side, Side] | None:
    """The catalogue sides of a feature's source and target; None unless both are known
    (the sandbox serves them) and differ."""
    header: dict[str, str] = {}
    for line in text.splitlines()[:20]:
        found = HEADER.match(line)
        if found:
            header[found[1]] = found[2].strip()
    source = side_of(SystemEntity(header.get("Source system", ""), header.get("Source entity", "")))
    target = side_of(SystemEntity(header.get("Target system", ""), header.get("Target entity", "")))
    return (source, target) if source and target and source != target else None


def property_rows(text: str) -> list[list[str]]:
    """The rows of a feature's `Examples: Properties` table (header left out)."""
    found = PROPERTIES.search(text)
    rows = []
    for line in text[found.end() :].splitlines() if found else []:
        if not line.strip().startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def seed_rows() -> dict[tuple[Side, Side], list[list[str]]]:
    """The project's own features' property rows (QA's additions to the seed sections),
    by their sides, and swapped for the reverse direction."""
    rows: dict[tuple[Side, Side], list[list[str]]] = {}
    for path in sorted((REPO / "features").rglob("*.feature")):
        text = path.read_text()
        ends, found = sides(text), property_rows(text)
        if ends and found:
            rows.setdefault(ends, found)
            rows.setdefault((ends[1], ends[0]), [[t, s, *rest] for s, t, *rest in found])
    return rows


def add_rows(path: Path, known: dict[tuple[Side, Side], list[list[str]]]) -> bool:
    """Fill a feature's empty properties table with the seed's rows for the same two
    entities, as a QA engineer would before recording (README: "add property rows where
    it lists none"); True when it did."""
    text = path.read_text()
    ends, found = sides(text), PROPERTIES.search(text)
    rows = known.get(ends) if ends else None
    if not rows or not found or property_rows(text):
        return False
    indent = found[1] + "  "
    lines = "".join(f"{indent}| {' | '.join(row)} |\n" for row in rows)
    path.write_text(text[: found.end()] + lines + text[found.end() :])
    return True


def import_corpus(documents: list[Path], root: Path) -> float:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # its one line of totals
        status = talkqa(
            [
                "import",
                *map(str, documents),
                "--features",
                str(root / "features"),
                "--checklists",
                str(root / "checklists"),
                "--quiet",
            ]
        )
    if status:
        raise SystemExit(f"talkqa import failed with status {status}")
    return time.perf_counter() - start


def copy_served(root: Path, into: Path) -> tuple[list[Path], int, int]:
    """The features the sandbox serves, copied into a folder per dataflow under `into`
    (`<into>/<dataflow>/features/<dataflow>/`), their empty properties tables filled
    from the seed where it joins the same entities; (the folders, copied, filled)."""
    known = seed_rows()
    folders: dict[str, Path] = {}
    copied = filled = 0
    for path in sorted((root / "features").rglob("*.feature")):
        if sides(path.read_text()):
            relative = path.relative_to(root / "features")
            folder = folders.setdefault(relative.parts[0], into / relative.parts[0])
            target = folder / "features" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
            copied += 1
            filled += add_rows(target, known)
    return list(folders.values()), copied, filled


def combined(runs: list[Run]) -> Run:
    """Runs one after the other, as one: times, tests and outcomes added up."""
    total = Run(sum(r.wall_s for r in runs), max(r.status for r in runs), "")
    for r in runs:
        total.output += r.output[-1500:] if r.status not in (0, 1) else ""
        for key, value in r.figures.items():
            if key == "outcomes":
                found = total.figures.setdefault("outcomes", {})
                for outcome, count in value.items():
                    found[outcome] = found.get(outcome, 0) + count
            elif not key.endswith("_max_s"):
                total.figures[key] = total.figures.get(key, 0) + value
    return total


def measure(size: Size, scratch: Path, run_served: bool, sync_timeout: float) -> None:
    """Import, collect, and (unless told not to) record and replay the served part, one
    dataflow at a time: each in a session and a sandbox of its own, as each is a Talk
    subscription of its own (two dataflows over the same entities, in one sandbox, fight
    over the records and never settle)."""
    root = scratch / f"corpus-{size.percent}"
    trials = [import_corpus(size.documents, scratch / f"import-{size.percent}-{i}") for i in "ab"]
    size.import_s = min([*trials, import_corpus(size.documents, root)])  # the least disturbed
    size.features = len(list((root / "features").rglob("*.feature")))
    write_suite(root)
    features = ["--talkqa-features", "features"]
    size.runs["collect"] = run(["steps", "--collect-only", "-q", *features], cwd=root)
    if not run_served:
        return
    folders, size.served_features, size.filled_features = copy_served(
        root, scratch / f"served-{size.percent}"
    )
    kinds: dict[str, list[Run]] = {"record": [], "replay -n1": [], "replay -n2": []}
    timeout = ["--talkqa-sync-timeout", str(sync_timeout)]
    for folder in folders:
        write_suite(folder)
        record = ["steps", "-q", "--record-mode=rewrite", *features, *timeout]
        kinds["record"].append(run(record, cwd=folder))
        for workers in ("1", "2"):
            replay = ["steps", "-q", "-n", workers, *features]
            kinds[f"replay -n{workers}"].append(run(replay, cwd=folder))
    size.dataflows = len(folders)
    size.runs.update({kind: combined(runs) for kind, runs in kinds.items() if runs})


def per_1000(seconds: float, scenarios: int) -> float:
    return 1000 * seconds / scenarios if scenarios else math.nan


def outcomes(r: Run) -> str:
    found = r.figures.get("outcomes", {})
    return "/".join(f"{found.get(k, 0)}" for k in ("passed", "failed", "skipped"))


def report_size(size: Size) -> None:
    collect = size.runs["collect"]
    n = collect.tests
    print(
        f"{size.percent:>3}%: {len(size.documents)} checklists, {size.features} features, "
        f"{n} scenarios; import {size.import_s:.2f} s ({per_1000(size.import_s, n):.3f} s "
        f"per 1,000), collection {collect.get('collection_s'):.2f} s in pytest, "
        f"{collect.wall_s:.2f} s wall ({per_1000(collect.wall_s, n):.3f} s per 1,000)"
    )
    runs = {k: r for k, r in size.runs.items() if k != "collect"}
    if not runs:
        return
    print(
        f"      served: {size.served_features} features of {size.dataflows} dataflows "
        f"({size.filled_features} given the seed's property rows), a session each; "
        f"passed/failed/skipped, s per 1,000:"
    )
    for name, r in runs.items():
        tests = r.tests or 1
        print(
            f"      {name:12} {r.tests:>5} scenarios {outcomes(r):>12}  wall "
            f"{r.wall_s:7.2f} s = {per_1000(r.wall_s, tests):7.2f}  run loop "
            f"{r.get('loop_s'):7.2f} s = {per_1000(r.get('loop_s'), tests):7.2f}"
        )
    record, one, two = runs.get("record"), runs.get("replay -n1"), runs.get("replay -n2")
    if record and one and two:
        same = outcomes(record) == outcomes(one) == outcomes(two)
        print(f"      replays reach the record run's verdicts: {'yes' if same else 'NO'}")
    if one and two:
        print(f"      replay, 2 workers against 1: {one.wall_s / two.wall_s:.2f}x faster (wall)")


def exponent(small: tuple[float, int], large: tuple[float, int]) -> float:
    """k in time ~ scenarios^k, from two sizes."""
    (t1, n1), (t2, n2) = small, large
    if n1 == n2 or t1 <= 0 or t2 <= 0:
        return math.nan
    return math.log(t2 / t1) / math.log(n2 / n1)


def report_growth(sizes: list[Size]) -> bool:
    """Growth exponents between the smallest and the largest size; True when linear and
    the largest collection is under the goal."""
    small, large = sizes[0], sizes[-1]
    n_small, n_large = small.runs["collect"].tests, large.runs["collect"].tests
    figures = {
        "import": (small.import_s, large.import_s, n_small, n_large),
        "collection": (
            small.runs["collect"].get("collection_s"),
            large.runs["collect"].get("collection_s"),
            n_small,
            n_large,
        ),
    }
    for name in ("record", "replay -n1", "replay -n2"):
        if name in small.runs and name in large.runs:
            a, b = small.runs[name], large.runs[name]
            figures[name] = (a.get("loop_s"), b.get("loop_s"), a.tests, b.tests)
    if "record" in small.runs and "record" in large.runs:  # failures wait for a timeout
        a, b = small.runs["record"], large.runs["record"]
        figures["record, passed"] = (
            a.get("passed_tests_s"),
            b.get("passed_tests_s"),
            a.figures.get("outcomes", {}).get("passed", 0),
            b.figures.get("outcomes", {}).get("passed", 0),
        )
    linear = True
    print(f"growth {small.percent}% -> {large.percent}% (k in time ~ scenarios^k; 1.0 linear):")
    for name, (t1, t2, n1, n2) in figures.items():
        k = exponent((t1, n1), (t2, n2))
        judged = name != "record"  # its failures wait out the sync timeout: see "passed"
        linear &= not (judged and k > LINEAR_GOAL)
        note = "" if judged else "  (not judged: failed scenarios wait for the sync timeout)"
        print(
            f"  {name:14} {n1:>6} -> {n2:>6} scenarios, {t1:7.2f} -> {t2:7.2f} s: k = {k:.2f}{note}"
        )
    collection = large.runs["collect"].get("collection_s")
    print(
        f"collection of {large.percent}%: {collection:.2f} s in pytest, "
        f"{large.runs['collect'].wall_s:.2f} s wall; ratio to the {COLLECT_GOAL_S:.0f} s goal: "
        f"{large.runs['collect'].wall_s / COLLECT_GOAL_S:.2f}"
    )
    fast = large.runs["collect"].wall_s < COLLECT_GOAL_S
    print(
        f"goals: linear growth {'met' if linear else 'missed'}; collection "
        f"{'met' if fast else 'missed'}"
    )
    return linear and fast


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    runnable, dry = classify(args.corpus)
    percents = sorted(int(p) for p in args.sizes.split(","))
    if args.sample:  # as many runnable checklists as sizes, so that each size adds some
        share = args.sample / (len(runnable) + len(dry))
        chosen = set(pick(runnable, dry, share, least=len(percents)))
        runnable = [p for p in runnable if p in chosen]
        dry = [p for p in dry if p in chosen]
    print(
        f"corpus: {len(runnable) + len(dry)} checklists, {len(runnable)} with sections "
        f"the sandbox serves"
    )
    sizes = [Size(p, pick(runnable, dry, p / 100)) for p in percents]
    problems = []
    with tempfile.TemporaryDirectory(prefix="talkqa-scale-") as scratch:
        for size in sizes:
            measure(size, Path(scratch), not args.no_run, args.sync_timeout)
            report_size(size)
            problems += [
                f"{size.percent}% {name}: status {r.status}\n{r.output[-1500:]}"
                for name, r in size.runs.items()
                if r.status not in (0, 1) or (name == "collect" and r.status)
            ]
    met = report_growth(sizes) if len(sizes) > 1 else True
    if problems:
        print("\n".join(problems))
        return 1
    return 0 if met else 2


if __name__ == "__main__":
    sys.exit(main())
