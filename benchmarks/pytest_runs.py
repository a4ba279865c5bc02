"""Running pytest for a benchmark: one subprocess, timed from outside and from inside.

`run` starts `python -m pytest` with this folder on `PYTHONPATH`, so that the benchmark
plugins here load with `-p` (`timing_plugin` always), and answers the wall time and the
figures `timing_plugin` wrote (see its docstring).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


@dataclass
class Run:
    """One pytest process: its wall time, status, output and `timing_plugin`'s figures."""

    wall_s: float
    status: int
    output: str
    figures: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str) -> float:
        return float(self.figures.get(key, 0.0))

    @property
    def tests(self) -> int:
        """Tests run; tests collected for a `--collect-only` run."""
        return int(self.figures.get("tests") or self.figures.get("collected", 0))

    def failed(self) -> bool:
        outcomes = self.figures.get("outcomes", {})
        return self.status not in (0, 5) or bool(outcomes.get("failed") or outcomes.get("error"))


def run(
    args: Sequence[str],
    *,
    cwd: Path = REPO,
    plugins: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Run:
    """`python -m pytest -p timing_plugin [-p PLUGIN...] ARGS` in `cwd`."""
    with tempfile.NamedTemporaryFile(prefix="talkqa-bench-", suffix=".json") as out:
        environ = dict(os.environ, **(env or {}))
        environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(HERE), environ.get("PYTHONPATH")])
        )
        environ["TALKQA_BENCH_OUT"] = out.name
        command = [sys.executable, "-m", "pytest", "-p", "timing_plugin"]
        for plugin in plugins:
            command += ["-p", plugin]
        start = time.perf_counter()
        done = subprocess.run(
            [*command, *args], cwd=cwd, env=environ, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - start
        text = Path(out.name).read_text()
    figures = json.loads(text) if text.strip() else {}
    return Run(wall, done.returncode, done.stdout + done.stderr, figures)


def fastest(runs: Sequence[Run], key: str = "loop_s") -> Run:
    """Of repeated runs, the one least disturbed by the rest of the machine."""
    return min(runs, key=lambda r: r.get(key) if r.figures else float("inf"))


def check(runs: Mapping[str, Run]) -> list[str]:
    """One line per run that failed, with the end of its output."""
    return [
        f"{name}: pytest status {r.status}, outcomes {r.figures.get('outcomes')}\n"
        f"{r.output[-2000:]}"
        for name, r in runs.items()
        if r.failed()
    ]
