"""Every feature under the features folder, bound as pytest tests."""

import pytest
from pytest_bdd import scenarios
from pytest_bdd.exceptions import GherkinParseError

try:
    scenarios(".")
except GherkinParseError as err:  # one clear line instead of a traceback through pytest-bdd
    raise pytest.Collector.CollectError(
        f"{err.filename}:{err.line}: not valid Gherkin: {err.message}\n"
        f"  {err.line_content.strip()}\n"
        "fix the line (`talkqa check` lists every feature it cannot read)"
    ) from None
