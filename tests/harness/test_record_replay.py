"""Record and replay as a QA engineer runs them: a suite recorded against the embedded
sandbox, scrubbed, replayed offline, and a clear answer when a cassette is out of date."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from talkqa.sandbox.credentials import Credentials

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "A new ZohoCRM Account gets a linked Customerp Customer"
CASSETTE = Path(
    "cassettes/zohocrm-customerp/zohocrm-account-to-customerp-customer/"
    "a-new-zohocrm-account-gets-a-linked-customerp-customer.json"
)
INI = """
[pytest]
addopts = -p no:cacheprovider
bdd_features_base_dir = features
"""

pytestmark = pytest.mark.slow


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A copy of the project's suite: features, steps and the root conftest."""
    for name in ("features", "steps"):
        shutil.copytree(
            ROOT / name, pytester.path / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "conftest.py", pytester.path / "conftest.py")
    pytester.makeini(INI)
    return pytester


def _secrets() -> list[str]:
    creds = Credentials().as_json()
    return [value for system in creds.values() for value in system.values()]


def test_a_recorded_scenario_replays_offline_and_its_cassette_holds_no_secret(
    suite: pytest.Pytester,
) -> None:
    recorded = suite.runpytest_subprocess(
        "steps", "-k", "a_new_zohocrm_account", "--record-mode=rewrite"
    )
    recorded.assert_outcomes(passed=1)
    text = (suite.path / CASSETTE).read_text()
    interactions = json.loads(text)["interactions"]
    assert len(interactions) > 10
    for secret in _secrets():
        assert secret not in text
    assert "127.0.0.1" not in text and "localhost" not in text
    assert "eyJ" not in text  # no JWT
    hosts = {i["request"]["uri"].split("/")[2] for i in interactions}
    # cleanup deletes the Organisation Talk made of the Customer, in webCRM too
    assert hosts == {
        f"{system}.talkqa.invalid" for system in ("zohocrm", "customerp", "webcrm", "sesam")
    }
    # the tokens the systems issued were replaced in their answers
    grant = next(i for i in interactions if i["request"]["uri"].endswith("/oauth/v2/token"))
    assert json.loads(grant["response"]["body"]["string"])["access_token"] == "REDACTED"
    assert "client_secret=REDACTED" in grant["request"]["body"]

    replayed = suite.runpytest_subprocess("steps", "-k", "a_new_zohocrm_account")
    replayed.assert_outcomes(passed=1)


def test_a_replay_that_meets_a_changed_request_names_it_and_the_command_to_re_record(
    suite: pytest.Pytester,
) -> None:
    suite.runpytest_subprocess(
        "steps", "-k", "a_new_zohocrm_account", "--record-mode=rewrite"
    ).assert_outcomes(passed=1)
    path = suite.path / CASSETTE
    cassette = json.loads(path.read_text())
    create = next(
        i["request"]
        for i in cassette["interactions"]
        if i["request"]["method"] == "POST" and i["request"]["uri"].endswith("/Accounts")
    )
    create["body"] = create["body"].replace("Account_Name", "Account_Title")
    path.write_text(json.dumps(cassette))

    result = suite.runpytest_subprocess("steps", "-k", "a_new_zohocrm_account")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "cassette out of date for steps/test_checklists.py::test_a_new_zohocrm_account*",
            "*POST http://zohocrm.talkqa.invalid/crm/v8/Accounts: the cassette holds no *",
            "*re-record it against the sandbox: .venv/bin/pytest*--record-mode=rewrite",
        ]
    )

    path.unlink()
    missing = suite.runpytest_subprocess("steps", "-k", "a_new_zohocrm_account")
    missing.assert_outcomes(failed=1)
    missing.stdout.fnmatch_lines(["*: the scenario has no cassette yet"])


def test_a_sync_defect_fails_the_row_that_names_it_with_both_values(
    suite: pytest.Pytester,
) -> None:
    fault = "dropped-property@zohocrm-customerp/zohocrm-account-to-customerp-customer#Phone"
    result = suite.runpytest_subprocess(
        "steps", "-k", "Phone-phone", "--disable-recording", "--talkqa-fault", fault
    )
    result.assert_outcomes(failed=1, passed=1)  # the Account's Phone row; not the Contact's
    result.stdout.fnmatch_lines(
        [
            "sync defect at 'Then the Customerp Customer's \"phone\" holds the new value as *",
            "Phone -> phone (string): ZohoCRM Account * has '*', Customerp Customer * has None",
        ]
    )
    assert not list(suite.path.glob("cassettes/**/*.json"))  # live runs write nothing
