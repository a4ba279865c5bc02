"""Steps about the sync and its links: "When the dataflow has synchronized", "Then a
linked Customerp Customer holds the ZohoCRM Account's values"."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from talkqa import checks
from talkqa.harness import Harness

RECORD = r"(?P<name>.+?)"
OTHER = r"(?P<other>.+?)"


@given("the dataflow has synchronized")
@when("the dataflow has synchronized")
def the_dataflow_has_synchronized(harness: Harness) -> None:
    harness.synchronize()


@then(parsers.re(rf"a linked {OTHER} holds the {RECORD}'s values"))
def a_linked_record_holds_the_values(harness: Harness, other: str, name: str) -> None:
    origin = harness.record(name)
    checks.values_arrived(harness, origin, checks.linked_record(harness, name, other))


@then(parsers.re(rf"the {OTHER} shows the edit"))
def the_linked_record_shows_the_edit(harness: Harness, change: checks.Edit, other: str) -> None:
    checks.edit_arrived(harness, change, other)


@then(parsers.re(rf"no {OTHER} is linked with the {RECORD}"))
def no_record_is_linked(harness: Harness, other: str, name: str) -> None:
    checks.not_linked(harness, name, other)


@then(parsers.re(rf"the {RECORD} and the {OTHER} are linked"))
def the_records_are_linked(harness: Harness, name: str, other: str) -> None:
    checks.are_linked(harness, name, other)


@then(parsers.re(rf"no other {OTHER} was created for the {RECORD}"))
def no_other_record_was_created(harness: Harness, other: str, name: str) -> None:
    checks.none_inserted(harness, other, name)
