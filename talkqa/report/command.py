"""`talkqa report`: the Allure report and the filled-in checklist from the last run."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from talkqa.checklist.model import DocumentError
from talkqa.report import allure_cli, render
from talkqa.report.results import ResultsError, read_results, run_facts
from talkqa.report.status import fill_in

EXIT_FAILED = 2


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="build the Allure report and the filled-in checklist from the last run",
        description="Reads the Allure results of the last run and writes "
        "<out>/checklist-status.html and .md, <out>/allure-report/ and the single-file "
        "<out>/allure-report.html.",
    )
    p.add_argument("--results", default="reports/allure-results", help="(%(default)s)")
    p.add_argument("--out", default="reports", help="where the reports go (%(default)s)")
    p.add_argument("--checklists", default="checklists", help="(%(default)s)")
    p.add_argument("--features", default="features", help="(%(default)s)")
    p.add_argument(
        "--no-allure", action="store_true", help="only the filled-in checklist (no Java needed)"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    results, out = Path(args.results), Path(args.out)
    try:
        found = read_results(results)
        flows = fill_in(Path(args.checklists), Path(args.features), found)
    except (ResultsError, DocumentError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    facts = run_facts(results)
    out.mkdir(parents=True, exist_ok=True)
    (out / "checklist-status.md").write_text(render.markdown(flows, facts), "utf-8")
    (out / "checklist-status.html").write_text(render.html(flows, facts), "utf-8")
    for flow in flows:
        print(flow.summary())
    print(f"filled-in checklist: {out / 'checklist-status.html'} and .md")
    if args.no_allure:
        return 0
    try:
        _allure(results, out)
    except allure_cli.ReportError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"Allure report: {out / 'allure-report' / 'index.html'}, single file: "
        f"{out / 'allure-report.html'}"
    )
    return 0


def _allure(results: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory(dir=out) as scratch:
        single = Path(scratch, "single")
        allure_cli.generate(Path.cwd(), results, out / "allure-report", single)
        shutil.move(single / "index.html", out / "allure-report.html")
