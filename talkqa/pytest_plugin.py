"""The pytest plugin: how checklist features become tests, and where they run.

Registered from the root conftest.py. It knows pytest and pytest-bdd; the layers below
(spec, systems, sync, data) do not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry

ITEM_TAG = "item:"
NOT_AUTOMATED = (
    "not automated: the checklist lists no rows for this item; add them to the "
    "feature's Examples table"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("talkqa", "talkqa: Sesam Talk checklist suites")
    group.addoption(
        "--talkqa-fault",
        action="append",
        default=[],
        metavar="NAME[@SECTION][#PROPERTY]",
        help="inject a sync defect into the embedded sandbox (talkqa sandbox --list-faults)",
    )
    group.addoption(
        "--talkqa-features",
        default="features",
        help="the features folder the sandbox's Talk engine runs (default: %(default)s)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Check `--talkqa-fault` at start-up: a typo must not surface as failing tests."""
    texts = config.getoption("talkqa_fault", default=[])
    if not texts:
        return
    from talkqa.sandbox.faults import FaultSet  # the sandbox is environment set-up

    try:
        FaultSet.parse(texts)
    except ValueError as err:
        raise pytest.UsageError(f"talkqa sandbox: {err}") from None


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


@pytest.fixture(scope="session")
def talkqa_sandbox(pytestconfig: pytest.Config) -> Iterator[dict[str, Any]]:
    """The embedded sandbox, started in-process on loopback for the session.

    Yields its description (URLs and credentials), the same JSON `talkqa sandbox`
    prints; everything else reaches it over HTTP. Faults come from `--talkqa-fault`.
    """
    # Imported here: the sandbox is environment set-up, not part of the harness.
    from talkqa.sandbox.app import Sandbox, SandboxError
    from talkqa.sandbox.faults import FaultSet

    try:
        faults = FaultSet.parse(pytestconfig.getoption("talkqa_fault"))
        features = Path(pytestconfig.rootpath, pytestconfig.getoption("talkqa_features"))
        sandbox = Sandbox(features_dir=features, faults=faults)
    except (ValueError, SandboxError) as err:
        raise pytest.UsageError(f"talkqa sandbox: {err}") from None
    with sandbox:
        yield sandbox.description()
