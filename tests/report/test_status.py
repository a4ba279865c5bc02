"""The filled-in checklist of a run, on its own: what a section shows when no result
came back for it."""

from __future__ import annotations

from pathlib import Path

from talkqa.cli import main
from talkqa.report.status import NOT_RUN, SKIPPED, fill_in

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "checklists" / "corpus"
ROOT = Path(__file__).resolve().parents[2]


def test_a_section_talkqa_cannot_run_shows_skipped_with_what_is_missing(tmp_path: Path) -> None:
    """Its scenarios are skipped at collection, so no result comes back for them."""
    features, checklists = tmp_path / "features", tmp_path / "checklists"
    document = CORPUS / "businesscentral-tripletex.rst"
    args = ["import", str(document), "--features", str(features), "--checklists", str(checklists)]
    assert main([*args, "--quiet"]) == 0
    (flow,) = fill_in(checklists, features, {})
    checks = [c for s in flow.sections for i in s.items for c in i.checks]
    assert checks and {c.status for c in checks} == {SKIPPED}
    assert all(c.reason.startswith("not served: talkqa has no connector for") for c in checks)


def test_a_served_section_without_results_shows_not_run(tmp_path: Path) -> None:
    flows = fill_in(ROOT / "checklists", ROOT / "features", {})
    checks = [c for f in flows for s in f.sections for i in s.items for c in i.checks]
    assert len(checks) > 50 and {c.status for c in checks} == {NOT_RUN}
