"""The plugin's sandbox fixture and its fault option, as a suite's conftest uses them."""

from __future__ import annotations

import pytest

CONFTEST = 'pytest_plugins = ["talkqa.pytest_plugin"]\n'
TEST = """
import requests

def test_the_sandbox_answers_over_http(talkqa_sandbox):
    key = talkqa_sandbox["credentials"]["customerp"]["api_key"]
    url = talkqa_sandbox["customerp"]["api_url"] + "/customers"
    answer = requests.get(url, headers={"X-API-Key": key}, timeout=5)
    assert answer.status_code == 200
    assert answer.json()["data"] == []
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, request: pytest.FixtureRequest) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=TEST)
    features = request.config.rootpath / "features"
    pytester.run("cp", "-r", str(features), str(pytester.path / "features"))
    return pytester


def test_the_fixture_starts_the_sandbox_in_process(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_an_unknown_fault_is_a_usage_error_naming_the_known_ones(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess("--talkqa-fault", "no-such-fault")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*talkqa sandbox:*no-such-fault*dropped-property*"])
    assert "Traceback" not in result.stderr.str()


# --- sections talkqa cannot serve ------------------------------------------------------------

UNSERVED = """\
Feature: Business Central to Tripletex Dataflow: Business Central Customer to Tripletex Customer
  Dataflow: Business Central to Tripletex Dataflow
  Checklist: businesscentral-tripletex.rst, generated 2024-11-13 00:00:00
  Source system: Business Central
  Source entity: Customer
  Target system: Tripletex
  Target entity: Customer
  Statement: Every Business Central Customer will be synchronized with a Tripletex Customer.

  @item:created
  Scenario: A new Business Central Customer gets a linked Tripletex Customer
    Given a new Business Central Customer
    When the dataflow has synchronized
    Then a linked Tripletex Customer holds the Business Central Customer's values

  @item:properties
  Scenario Outline: <source> is synchronized with <target> as <data type>
    Given a new Business Central Customer
    When the dataflow has synchronized
    Then a linked Tripletex Customer holds the Business Central Customer's values

    Examples: Properties
      | source | target | data type |
      | Name   | name   | string    |
"""
ACCOUNT = "zohocrm-customerp/zohocrm-account-to-customerp-customer.feature"
NOT_SERVED = (
    "not served: talkqa has no connector for Business Central and Tripletex (known: "
    "Customerp, WebCRM, ZohoCRM); the checklist is kept, and its scenarios run once there "
    "is a connector (talkqa/systems/) and a catalogue entry (talkqa/spec/systems/) for "
    "Business Central and Tripletex"
)


@pytest.fixture
def checklist_suite(pytester: pytest.Pytester, request: pytest.FixtureRequest) -> pytest.Pytester:
    """The project's steps and conftest, with two features: one between systems talkqa
    has no connector for, and the seed's Account section with its target entity misspelt."""
    root = request.config.rootpath
    pytester.run("cp", "-r", str(root / "steps"), str(root / "conftest.py"), str(pytester.path))
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\nbdd_features_base_dir = features\n")
    unserved = pytester.path / "features" / "businesscentral-tripletex"
    unserved.mkdir(parents=True)
    (unserved / "business-central-customer-to-tripletex-customer.feature").write_text(UNSERVED)
    typo = pytester.path / "features" / ACCOUNT
    typo.parent.mkdir(parents=True)
    text = (root / "features" / ACCOUNT).read_text()
    typo.write_text(text.replace("  Target entity: Customer\n", "  Target entity: Custmer\n", 1))
    return pytester


def test_a_section_talkqa_cannot_serve_is_skipped_at_collection_with_the_reason(
    checklist_suite: pytest.Pytester,
) -> None:
    section = "businesscentral-tripletex/business-central-customer-to-tripletex-customer"
    result = checklist_suite.runpytest_subprocess("steps", "-rs", "--talkqa-section", section)
    result.assert_outcomes(skipped=2)
    output = result.stdout.str().replace("\n", " ")
    assert output.count(f": {NOT_SERVED}") == 2, output


def test_a_misspelt_entity_still_fails_with_its_did_you_mean(
    checklist_suite: pytest.Pytester,
) -> None:
    result = checklist_suite.runpytest_subprocess(
        "steps", "-k", "test_a_new_zohocrm_account_gets_a_linked_customerp_customer"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "the scenario cannot run at 'Given a new ZohoCRM Account' (line 14):",
            f"features/{ACCOUNT}:9: 'Target entity: Custmer': Customerp has no such entity in "
            "the catalogue (entities: Customer, Contact, Order, Product; did you mean "
            "'Customer'?)*",
        ]
    )
