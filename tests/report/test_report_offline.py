"""The checklists are confidential: the generated reports load nothing from another host
and carry no analytics. The scan is shown to catch the Google Analytics script that the
same Allure CLI writes when it is not told to leave it out."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.report.conftest import ROOT, Run

# Anything that makes a browser fetch: element sources, stylesheet links, CSS imports.
FETCHING = re.compile(
    r"""<(?:script|img|iframe|link|source|audio|video)\b[^>]*?\b(?:src|href)\s*=\s*["']?"""
    r"""(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import\s+["'](?:https?:)?//""",
    re.IGNORECASE,
)
TRACKERS = re.compile(
    r"googletagmanager|google-analytics|gtag\(|fonts\.googleapis|fonts\.gstatic|"
    r"cdn\.jsdelivr|unpkg\.com|cdnjs",
    re.IGNORECASE,
)
SUFFIXES = {".html", ".js", ".css", ".json"}


def outside_loads(folder_or_file: Path) -> list[str]:
    """`file: snippet` for every reference in a generated report that would load
    something from another host."""
    files = [folder_or_file] if folder_or_file.is_file() else sorted(folder_or_file.rglob("*"))
    found = []
    for path in files:
        if path.suffix not in SUFFIXES or not path.is_file():
            continue
        text = path.read_text("utf-8", "replace")
        for pattern in (FETCHING, TRACKERS):
            found += [f"{path.name}: {m.group(0)[:80]}" for m in pattern.finditer(text)]
    return found


def test_the_reports_load_nothing_from_outside(reported_run: Run) -> None:
    out = reported_run.out
    for generated in (
        out / "allure-report",
        out / "allure-report.html",
        out / "checklist-status.html",
    ):
        assert generated.exists()
        assert outside_loads(generated) == [], generated


def test_the_scan_finds_the_analytics_the_cli_adds_unless_told_not_to(
    reported_run: Run, tmp_path: Path
) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "ALLURE_NO_ANALYTICS"}
    subprocess.run(
        [
            str(ROOT / "node_modules/.bin/allure"),
            "generate",
            str(reported_run.results),
            "-o",
            str(tmp_path / "report"),
        ],
        env=environment,
        capture_output=True,
        check=True,
    )
    assert any("googletagmanager" in hit for hit in outside_loads(tmp_path / "report"))
