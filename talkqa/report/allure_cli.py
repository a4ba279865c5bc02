"""The Allure report CLI (npm `allure-commandline`, pinned in package.json): results
folder in, report folder and a single-file report out, with history kept across runs.

Allure 2 rather than Allure 3: Allure 3.18 writes a Google Analytics script into every
report with no switch to stop it, and the checklists are confidential. Allure 2 leaves it
out when `ALLURE_NO_ANALYTICS` is exactly `true`, which `generate` always sets; the report
tests check the generated files and a browser session for anything loaded from outside.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CLI = Path("node_modules", ".bin", "allure")
INSTALL = "npm ci (the README's main command, `make suite`, runs it)"


class ReportError(RuntimeError):
    """The report could not be generated: what failed and what to do."""


def cli(root: Path) -> Path:
    path = root / CLI
    if not path.exists():
        raise ReportError(f"{path}: the Allure report CLI is not installed; run {INSTALL}")
    if shutil.which("java") is None:
        raise ReportError(
            "the Allure report CLI needs Java, and no `java` is on the PATH; install a Java "
            "runtime (Debian: `apt-get install default-jre-headless`)"
        )
    return path


def generate(root: Path, results: Path, report: Path, single_file: Path | None = None) -> None:
    """`report` (a folder) and, if asked, `single_file` (a folder with one index.html)
    from `results`; the trend of earlier runs in `report` carries over."""
    allure = cli(root)
    history = report / "history"
    if history.is_dir():
        shutil.copytree(history, results / "history", dirs_exist_ok=True)
    _run(allure, "generate", str(results), "-o", str(report), "--clean")
    if single_file is not None:
        _run(allure, "generate", "--single-file", str(results), "-o", str(single_file), "--clean")


def _run(allure: Path, *args: str) -> None:
    environment = {**os.environ, "ALLURE_NO_ANALYTICS": "true"}
    done = subprocess.run(
        [str(allure), *args], env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip()[-2000:]
        raise ReportError(f"allure {args[0]} failed (exit {done.returncode}):\n{output}")
