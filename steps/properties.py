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


@when(
    parsers.re(
        rf"the {RECORD}'s {PROPERTY} and then the (?P<other>.+?)'s \"(?P<other_path>[^\"]+)\" "
        "are changed and the dataflow has synchronized"
    ),
    target_fixture="conflict",
)
def both_sides_are_changed(
    harness: Harness, name: str, path: str, other: str, other_path: str
) -> checks.Conflict:
    return checks.change_both(harness, name, path, other, other_path)


@then(
    parsers.re(
        rf"both hold the (?P<other>.+?)'s change, the {RECORD}'s {PROPERTY} as "
        "(?P<data_type>.+)"
    )
)
def both_hold_the_later_change(
    harness: Harness, conflict: checks.Conflict, other: str, name: str, path: str, data_type: str
) -> None:
    checks.later_change_kept(harness, conflict, other, name, path, data_type)


@when(
    parsers.re(rf"the {RECORD}'s {PROPERTY} is emptied and the dataflow has synchronized"),
    target_fixture="cleared",
)
def the_property_is_emptied(harness: Harness, name: str, path: str) -> checks.Edit:
    return checks.clear_property(harness, name, path)


@then(parsers.re(rf"the {RECORD}'s {PROPERTY} still holds its value as (?P<data_type>.+)"))
def the_property_keeps_its_value(
    harness: Harness, cleared: checks.Edit, name: str, path: str, data_type: str
) -> None:
    checks.value_kept(harness, cleared, name, path, data_type)
