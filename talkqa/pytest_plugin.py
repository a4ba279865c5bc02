"""The pytest plugin: how checklist features become tests.

Registered from the root conftest.py. It knows pytest and pytest-bdd; the layers below
(spec, systems, sync, data) do not.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry

ITEM_TAG = "item:"
NOT_AUTOMATED = (
    "not automated: the checklist lists no rows for this item; add them to the "
    "feature's Examples table"
)


def pytest_bdd_apply_tag(tag: str, function: Any) -> bool | None:
    """`@item:<name>` tags name the checklist item; they are labels, not pytest marks."""
    if tag.startswith(ITEM_TAG):
        function.__talkqa_item__ = tag.removeprefix(ITEM_TAG)
        return True
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """An outline whose examples have no rows would run once with `<placeholders>`."""
    for item in items:
        function = getattr(item, "function", None)
        template = scenario_wrapper_template_registry.get(function) if function else None
        if template is None or not template.examples:
            continue
        if all(not examples.examples for examples in template.examples):
            item.add_marker(pytest.mark.skip(reason=NOT_AUTOMATED))
