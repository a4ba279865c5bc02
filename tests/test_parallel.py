"""The suite under pytest-xdist gives the results it gives serially, in replay and live
against the sandbox: each worker runs its own sandbox and run marker, so the workers'
records never meet."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def outcomes(tmp_path: Path, name: str, *args: str) -> dict[str, str]:
    """Each scenario's outcome in a run of the suite (from its JUnit XML)."""
    junit = tmp_path / f"{name}.xml"
    command = [sys.executable, "-m", "pytest", "steps", "-q", f"--junitxml={junit}", *args]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert junit.exists(), run.stdout[-2000:] + run.stderr[-2000:]
    found: dict[str, str] = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        found[case.get("name", "")] = kinds[0] if kinds else "passed"
    return found


@pytest.mark.slow
def test_two_workers_give_the_serial_results_in_replay_and_live(tmp_path: Path) -> None:
    serial = outcomes(tmp_path, "serial")
    assert len(serial) > 50 and set(serial.values()) == {"passed"}
    assert outcomes(tmp_path, "replay-2", "-n", "2") == serial
    assert outcomes(tmp_path, "live-2", "-n", "2", "--disable-recording") == serial
