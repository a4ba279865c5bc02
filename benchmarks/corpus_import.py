"""Import the whole public corpus into a scratch folder, then collect it with pytest.

Prints the import and collection times against their goals (ratios below 1.0 meet
them) and checks that pytest collects exactly the scenarios the checklists imply.

    .venv/bin/python benchmarks/corpus_import.py [CORPUS_DIR]
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from talkqa.checklist import parse_file
from talkqa.checklist.gherkin import merge_rows, property_rows, scenarios
from talkqa.cli import main as talkqa

IMPORT_GOAL_S = 10.0
COLLECT_GOAL_S = 30.0
DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared/checklists/corpus"

CONFTEST = 'pytest_plugins = ["talkqa.pytest_plugin"]\n'
TEST_MODULE = 'from pytest_bdd import scenarios\n\nscenarios("features")\n'


def expected_tests(corpus: Path) -> int:
    """Tests the features should yield: one per scenario, one per examples row."""
    total = 0
    for path in corpus.glob("*.rst"):
        for section in parse_file(path).sections:
            for item in scenarios(section):
                rows = {"properties": property_rows, "merge": merge_rows}.get(item)
                total += max(1, len(rows(section))) if rows else 1
    return total


def main() -> int:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    documents = sorted(corpus.glob("*.rst"))
    with tempfile.TemporaryDirectory(prefix="talkqa-corpus-") as scratch:
        root = Path(scratch)
        start = time.perf_counter()
        status = talkqa(
            [
                "import",
                str(corpus),
                "--features",
                str(root / "features"),
                "--checklists",
                str(root / "checklists"),
                "--quiet",
            ]
        )
        import_s = time.perf_counter() - start
        if status:
            print(f"import failed with status {status}")
            return 1
        features = len(list((root / "features").rglob("*.feature")))
        (root / "conftest.py").write_text(CONFTEST)
        (root / "test_corpus.py").write_text(TEST_MODULE)
        start = time.perf_counter()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "--collect-only",
                "-q",
                "-p",
                "no:cacheprovider",
                "--strict-markers",
                "--rootdir",
                str(root),
                str(root / "test_corpus.py"),
            ],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        collect_s = time.perf_counter() - start
    found = re.search(r"(\d+) tests? collected", run.stdout)
    collected = int(found[1]) if found else 0
    wanted = expected_tests(corpus)
    errors = run.returncode != 0
    print(f"documents: {len(documents)}, features: {features}")
    print(
        f"import:     {import_s:6.2f} s  ratio to the {IMPORT_GOAL_S:.0f} s goal: "
        f"{import_s / IMPORT_GOAL_S:.2f}"
    )
    print(
        f"collection: {collect_s:6.2f} s  ratio to the {COLLECT_GOAL_S:.0f} s goal: "
        f"{collect_s / COLLECT_GOAL_S:.2f}"
    )
    print(f"collected {collected} of {wanted} expected tests; pytest status {run.returncode}")
    if errors or collected != wanted:
        print(run.stdout[-3000:], run.stderr[-3000:])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
