"""`talkqa flakes`: runs of one section live and in replay agree and pass, a fault in the
live runs fails them and names the scenarios, a scenario that passes in some runs and
fails in others is reported as a flake, and bad input is one line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from talkqa import cli, flakes
from talkqa.prove import ProveError, Results
from talkqa.report.results import ScenarioResult

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = "zohocrm-customerp/zohocrm-account-to-customerp-customer"
PRODUCTS = "customerp-webcrm/customerp-product-to-webcrm-products"


def talkqa_flakes(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "talkqa"), "flakes", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_runs_that_agree_and_pass_report_no_flake() -> None:
    done = talkqa_flakes("--live", "2", "--replay", "3", "--section", PRODUCTS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "live: 2 runs, 2 with every scenario passed" in done.stdout
    assert "replay: 3 runs, 3 with every scenario passed" in done.stdout
    last = done.stdout.splitlines()[-1]
    assert last == "flaky scenarios: 0 (live 2 runs, replay 3 runs, 11 scenarios each)"


@pytest.mark.slow
def test_a_fault_in_the_live_runs_fails_them_and_names_the_scenarios() -> None:
    fault = f"dropped-property@{ACCOUNTS}#Phone"
    done = talkqa_flakes("--fault", fault, "--live", "1", "--replay", "0", "--section", ACCOUNTS)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "live: 1 runs, 0 with every scenario passed" in done.stdout
    failed = [line for line in done.stdout.splitlines() if line.startswith("  failed ")]
    assert any("[Phone, phone, string]: passed 0, failed 1" in line for line in failed)
    assert any("A new ZohoCRM Account gets a linked Customerp Customer" in line for line in failed)
    assert all("sync defect" in line for line in failed), failed
    assert not any("Website" in line for line in failed)  # the other rows still pass
    assert done.stdout.splitlines()[-1].startswith("flaky scenarios: 0 (live 1 runs")


def result(scenario: str, status: str, reason: str = "") -> ScenarioResult:
    return ScenarioResult(ACCOUNTS, scenario, "created", (), status, reason, 0)


def runs_of(*outcomes: dict[str, str]) -> list[Results]:
    return [
        {
            r.key: r
            for r in (
                result(name, status, f"sync defect in run {i}\n{name}")
                for name, status in run.items()
            )
        }
        for i, run in enumerate(outcomes, 1)
    ]


def test_a_scenario_passing_in_some_runs_and_failing_in_others_is_a_flake() -> None:
    runs = runs_of(
        {"steady": "passed", "wobbly": "passed", "broken": "failed"},
        {"steady": "passed", "wobbly": "failed", "broken": "broken"},
        {"steady": "passed", "wobbly": "passed", "broken": "failed"},
    )
    verdicts = {v.name.split(": ", 1)[1]: v for v in flakes.classify(runs)}
    assert not verdicts["steady"].flaky and not verdicts["steady"].failed
    wobbly = verdicts["wobbly"]
    assert wobbly.flaky and wobbly.failed
    assert (wobbly.outcomes["passed"], wobbly.outcomes["failed"]) == (2, 1)
    assert wobbly.first_failure == "sync defect in run 2 wobbly"
    assert not verdicts["broken"].flaky and verdicts["broken"].outcomes["failed"] == 3
    # A scenario missing from a run did not have the same outcome in every run either.
    (gone,) = flakes.classify(runs_of({"gone": "passed"}, {}))
    assert gone.flaky and gone.outcomes["not run"] == 1


def test_the_report_counts_flakes_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    live = runs_of({"a": "passed", "b": "passed"}, {"a": "passed", "b": "failed"})
    replay = runs_of({"a": "passed", "b": "passed"})
    assert flakes._report({"live": live, "replay": replay}) == 1
    out = capsys.readouterr().out.splitlines()
    assert "live: 2 runs, 1 with every scenario passed" in out
    assert (
        f"  flaky  {ACCOUNTS}: b: passed 1, failed 1; first failure: sync defect in run 2 b" in out
    )
    assert out[-1] == "flaky scenarios: 1 (live 2 runs, replay 1 runs, 2 scenarios each)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fault", "dropped-props"], "unknown fault 'dropped-props'"),
        (["--fault", "no-create@nowhere"], "fault no-create@nowhere names no section"),
        (["--fault", "no-create", "--live", "0"], "--fault is injected into live runs only"),
        (["--live", "0", "--replay", "0"], "not both 0"),
        (["--jobs", "0"], "--jobs 1 or more"),
        (["--features", "checklists"], "no features to run"),
        (["--section", "zohocrm-customerp/nowhere"], "no section zohocrm-customerp/nowhere"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    assert cli.main(["flakes", *args]) == 2
    out, err = capsys.readouterr()
    assert not out and err.startswith("error: ") and message in err, err
    assert err.count("\n") == 1


def test_a_run_that_cannot_be_judged_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def stopped(root: Path, options: list[str], what: str) -> Results:
        raise ProveError(
            f"the run of {what} stopped with exit 3:\nTraceback\n  ...\nINTERNALERROR boom"
        )

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(flakes, "run_suite", stopped)
    assert cli.main(["flakes", "--live", "1", "--replay", "1", "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert err == "error: the run of live run 1 stopped with exit 3: INTERNALERROR boom\n"
