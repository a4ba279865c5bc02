"""Steps that make and edit records: "Given a new ZohoCRM Account", "... linked with ..."."""

from __future__ import annotations

from pytest_bdd import given, parsers, when

from talkqa import checks
from talkqa.harness import Harness, Record

NAME = r"(?P<name>(?:(?! linked with | and a ).)+?)"
OTHER = r"(?P<other>.+?)"


@given(parsers.re(rf"a new {NAME}(?: that is (?P<condition>won|not yet won))?"))
def a_new_record(harness: Harness, name: str, condition: str | None) -> Record:
    return harness.create(name, won=condition != "not yet won")


@given(parsers.re(rf"a {NAME} linked with a {OTHER}"))
def a_linked_pair(harness: Harness, name: str, other: str) -> Record:
    return checks.linked_pair(harness, name, other)


PATHS = r'"(?P<path>[^"]*)" and "(?P<other_path>[^"]*)"'


@given(parsers.re(rf"a {NAME} and a {OTHER} that already match on {PATHS}"))
def a_matching_pair(harness: Harness, name: str, other: str, path: str, other_path: str) -> Record:
    return checks.matching_pair(harness, name, other, path, other_path)


@when(parsers.re(rf"the {OTHER} is edited"), target_fixture="change")
def the_record_is_edited(harness: Harness, other: str) -> checks.Edit:
    return checks.edit(harness, other)
