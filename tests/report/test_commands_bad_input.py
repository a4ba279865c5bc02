"""`talkqa report` and `talkqa prove` given what they cannot use: one line that says what
is wrong and what to do, exit 2, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.report.conftest import ROOT, talkqa


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("report", "--results", "no-results-here"), "run the suite with `--alluredir"),
        (("report", "--results", "{foreign}"), "no result of a talkqa scenario here"),
        (("report", "--results", "{foreign}", "--checklists", "{empty}"), "no result"),
        (("prove", "--fault", "dropped-propery"), "unknown fault dropped-propery; known:"),
        (("prove", "--features", "{empty}"), "no features to prove"),
    ],
)
def test_unusable_input_is_named_with_what_to_do(
    tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    foreign, empty = tmp_path / "foreign", tmp_path / "empty"
    foreign.mkdir()
    empty.mkdir()
    # Allure results of another project: no talkqa labels, and one that is not an object.
    (foreign / "a-result.json").write_text(json.dumps({"name": "x", "labels": []}))
    (foreign / "b-result.json").write_text("[1, 2]")
    filled = [a.format(foreign=foreign, empty=empty) for a in args]
    done = talkqa(ROOT, *filled)
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
