"""Steps for one property row: change it on one side, find the new value on the other."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from talkqa import checks
from talkqa.harness import Harness

RECORD = r"(?P<name>.+?)"
PROPERTY = r'"(?P<path>[^"]+)"'


@when(
    parsers.re(rf"the {RECORD}'s {PROPERTY} is changed and the dataflow has synchronized"),
    target_fixture="change",
)
def the_property_is_changed(harness: Harness, name: str, path: str) -> checks.Edit:
    return checks.change_property(harness, name, path)


@then(parsers.re(rf"the {RECORD}'s {PROPERTY} holds the new value as (?P<data_type>.+)"))
def the_property_holds_the_new_value(
    harness: Harness, change: checks.Edit, name: str, path: str, data_type: str
) -> None:
    checks.change_arrived(harness, change, name, path, data_type)
