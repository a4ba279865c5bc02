"""Nothing leaks: the whole suite recorded against a sandbox that holds recognisable fake
credentials, reported (the filled-in checklist and the Allure report), and every file the
run and the report wrote searched for each credential and for every token the systems
issued during the run, in every form a file could hold it (as it is, URL-encoded,
JSON-escaped, base64). What the run and the report printed is searched too: CI keeps it.
A control plants a token and the credentials in copies of those files: the search finds
each of them."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import urlencode

import pytest

from talkqa.sandbox.credentials import Credentials
from tests.proof.suite_runs import (
    CANARY,
    canary_secrets,
    files_under,
    live_env,
    run_suite,
    sandbox,
    scan,
    scratch_copy,
    talkqa,
)

pytestmark = pytest.mark.slow


def test_a_recorded_and_reported_suite_holds_no_credential_and_no_issued_token(
    tmp_path: Path,
) -> None:
    copy = scratch_copy(tmp_path / "project")
    defaults = {v for values in Credentials().as_json().values() for v in values.values()}
    assert not set(canary_secrets().values()) & defaults  # the sandbox runs on the fakes

    with sandbox(copy / "features", CANARY) as served:
        results = copy / "reports" / "allure-results"
        run = run_suite(
            copy, live_env(served), "--record-mode=rewrite", "--alluredir", str(results)
        )
        issued = served.issued_tokens()
    assert run.returncode == 0, run.tail()
    assert run.collected > 0 and len(run.outcomes) == run.collected, run.tail()
    assert set(run.outcomes.values()) <= {"PASSED", "SKIPPED"}, run.tail()

    report = talkqa(copy, "report")
    assert report.returncode == 0, report.stdout + report.stderr
    logs = tmp_path / "logs"
    logs.mkdir()
    for name, text in {
        "pytest.out": run.stdout,
        "pytest.err": run.stderr,
        "report.out": report.stdout,
        "report.err": report.stderr,
    }.items():
        (logs / name).write_text(text)

    reports = copy / "reports"
    written = {
        "cassettes": files_under([copy / "cassettes"]),
        "allure-results": files_under([results]),
        "checklist status": files_under(sorted(reports.glob("checklist-status.*"))),
        "allure-report": files_under([reports / "allure-report"]),
        "allure-report.html": files_under([reports / "allure-report.html"]),
        "terminal output": files_under([logs]),
    }
    # Every scenario that ran left its cassette; every kind of output is there to scan,
    # and nothing else was written under cassettes/ and reports/.
    assert len(written["cassettes"]) == run.count("PASSED"), run.tail()
    assert all(written.values()), {k: len(v) for k, v in written.items()}
    assert [p.name for p in written["checklist status"]] == [
        "checklist-status.html",
        "checklist-status.md",
    ]
    everything = files_under([copy / "cassettes", reports, logs])
    assert len(everything) == sum(map(len, written.values()))

    # Every scenario logs in anew to Sesam and webCRM (ZohoCRM's token is the run's);
    # the sandbox kept every token it issued, expired or used up.
    assert len(issued["sesam"]) >= run.count("PASSED"), {s: len(t) for s, t in issued.items()}
    assert all(issued.values()), {s: len(t) for s, t in issued.items()}
    tokens = {
        f"{system} token {n}": token
        for system, issued_by in issued.items()
        for n, token in enumerate(issued_by, 1)
    }
    secrets = {**canary_secrets(), **tokens}
    found = scan(everything, secrets)
    counts = ", ".join(f"{len(v)} {k}" for k, v in written.items())
    print(
        f"\nnothing leaks: {found.files} files ({counts}; {found.bytes} bytes, "
        f"{found.decoded_blobs} base64 runs decoded) searched for "
        f"{len(canary_secrets())} credentials and {len(tokens)} issued tokens "
        f"({', '.join(f'{len(t)} {s}' for s, t in issued.items())}): "
        f"{len(found.found)} found"
    )
    assert found.files == len(everything)
    assert found.found == [], "\n".join(f"{name} in {path}" for name, path in found.found)

    # The control: the same search finds a JWT put back into a copy of a cassette (and
    # the Sesam user's email in its claims, base64url-encoded), a Zoho token base64-encoded
    # into a copy of the single-file report, and the fake credentials URL-encoded, as a
    # login's form body carries them.
    planted = tmp_path / "planted"
    planted.mkdir()
    cassette, single = written["cassettes"][0], written["allure-report.html"][0]
    (jwt_name, jwt), (zoho_name, zoho) = _first(tokens, "sesam"), _first(tokens, "zohocrm")
    assert "REDACTED" in cassette.read_text()
    (planted / "cassette.json").write_text(cassette.read_text().replace("REDACTED", jwt, 1))
    blob = base64.b64encode(f'{{"access_token": "{zoho}"}}'.encode()).decode()
    (planted / "report.html").write_text(single.read_text() + f"<script>d('x','{blob}')</script>")
    creds = CANARY.as_json()
    (planted / "form.txt").write_text(urlencode(creds["zohocrm"] | creds["sesam"]))
    control = scan(files_under([planted]), secrets)
    assert sorted((name, path.name) for name, path in control.found) == sorted(
        [
            (jwt_name, "cassette.json"),
            ("sesam.email", "cassette.json"),
            (zoho_name, "report.html"),
            *((f"zohocrm.{key}", "form.txt") for key in creds["zohocrm"]),
            *((f"sesam.{key}", "form.txt") for key in creds["sesam"]),
        ]
    )


def _first(tokens: dict[str, str], system: str) -> tuple[str, str]:
    return next((name, token) for name, token in tokens.items() if name.startswith(system))
