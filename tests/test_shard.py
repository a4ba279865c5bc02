"""`--talkqa-shard K/N` splits a run across CI machines: the shares are disjoint, even,
and together the whole run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def collect(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "steps", "--collect-only", "-q", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def node_ids(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_the_shares_are_disjoint_even_and_together_the_whole_run() -> None:
    whole = node_ids(collect())
    shares = [node_ids(collect("--talkqa-shard", f"{k}/3")) for k in (1, 2, 3)]
    together = [node for share in shares for node in share]
    assert sorted(together) == sorted(whole) and len(set(together)) == len(whole)
    assert max(map(len, shares)) - min(map(len, shares)) <= 1


def test_a_share_that_does_not_exist_is_refused_with_the_form() -> None:
    for wrong in ("4/3", "0/3", "half"):
        result = collect("--talkqa-shard", wrong)
        assert result.returncode == 4  # pytest's usage error
        assert f"--talkqa-shard '{wrong}': give K/N with 1 <= K <= N" in result.stderr
        assert "Traceback" not in result.stderr
