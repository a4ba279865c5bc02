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
