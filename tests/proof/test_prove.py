"""`talkqa prove` as CI runs it: every fault of the sandbox's catalogue, injected live into
every section with an item to catch it, fails the item that names it, and the suite
without faults passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_each_injected_fault_fails_the_item_that_names_it_and_nothing_cries_wolf() -> None:
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "talkqa"),
            "prove",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-2000:]
    assert "without faults: 87 passed, 0 failed" in out
    (figure,) = [line for line in out.splitlines() if line.startswith("faults detected")]
    detected, injected = (int(n) for n in figure.split(":")[1].split("/"))
    assert detected == injected >= 50, figure
    assert "not injected" not in out
    # QA added merge criteria to two sections: a merge ignored fails their merge item
    merges = [line.split() for line in out.splitlines() if line.startswith("merge-ignored ")]
    assert sorted(r[1].rsplit("/", 1)[1] for r in merges) == [
        "customerp-contact-to-webcrm-persons",
        "customerp-customer-to-webcrm-organisations",
    ]
    assert all(r[2:5] == ["-", "yes", "merge:"] for r in merges), merges
    rows = [line.split() for line in out.splitlines() if line.startswith("dropped-property ")]
    assert len(rows) == 6
    account = next(r for r in rows if r[1].endswith("zohocrm-account-to-customerp-customer"))
    assert account[2:4] == ["Phone", "yes"]
    failed = " ".join(account[4:])
    assert "properties: Phone -> phone" in failed
    assert "properties: Website -> website" not in failed  # the other rows still pass
    (deal,) = [line for line in out.splitlines() if line.startswith("deal-before-won ")]
    assert deal.split()[3:] == ["yes", "condition-not-met"]
