"""The Allure results folder: what the run adds beside the results, and reading them back.

Categories match the first line of the failure text the plugin writes (its `trace`),
so each failure lands in exactly one: a sync defect is the product's fault, the other
three are not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from talkqa.report.labels import ITEM_LABEL, ROW_PARAMETERS, SCENARIO_LABEL, SECTION_LABEL

CATEGORIES = [
    {
        "name": "Sync defects (the dataflow is wrong)",
        "description": "A property, a link or a record did not synchronize as the checklist "
        "says: a product defect. The message names the property, the direction, both "
        "values and both records.",
        "matchedStatuses": ["failed", "broken"],
        "traceRegex": r"(?s)sync defect.*",
    },
    {
        "name": "Cassettes out of date",
        "description": "A replayed request has no recorded exchange. The message gives the "
        "command that records the scenario again.",
        "matchedStatuses": ["failed", "broken"],
        "traceRegex": r"(?s)cassette out of date.*",
    },
    {
        "name": "Environment problems",
        "description": "Authentication, a timeout, an unreachable system, a sync that never "
        "finished: nothing the dataflow or the harness did wrong.",
        "matchedStatuses": ["failed", "broken"],
        "traceRegex": r"(?s)environment problem.*",
    },
    {
        "name": "Harness errors",
        "description": "The scenario could not run as written (an unknown name, a step "
        "without data) or the harness itself failed.",
        "matchedStatuses": ["failed", "broken"],
    },
]


def write_run_facts(results: Path, environment: Mapping[str, str]) -> None:
    """`categories.json` and `environment.properties` beside a run's results."""
    results.mkdir(parents=True, exist_ok=True)
    (results / "categories.json").write_text(json.dumps(CATEGORIES, indent=1), "utf-8")
    lines = [f"{_key(k)}={_value(v)}" for k, v in environment.items()]
    (results / "environment.properties").write_text("\n".join(lines) + "\n", "utf-8")


def _key(text: str) -> str:
    return text.replace(" ", "_").replace("=", "_").replace(":", "_")


def _value(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", " ")


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario's result as `talkqa report` needs it."""

    section: str
    scenario: str
    item: str | None
    row: tuple[str, ...]  # (source, target, data type) of a property row, else ()
    status: str  # passed, failed, broken, skipped
    reason: str
    stop: int

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.section, self.scenario, self.row)


class ResultsError(ValueError):
    """A results folder that cannot be read: where and what to do."""


def read_results(results: Path) -> dict[tuple[str, str, tuple[str, ...]], ScenarioResult]:
    """The latest result of every talkqa scenario in an Allure results folder."""
    if not results.is_dir():
        raise ResultsError(
            f"{results}: no Allure results here; run the suite with "
            f"`--alluredir {results}` first (the README's main command does)"
        )
    latest: dict[tuple[str, str, tuple[str, ...]], ScenarioResult] = {}
    for path in sorted(results.glob("*-result.json")):
        found = _scenario_result(path)
        if found is not None and (found.key not in latest or latest[found.key].stop < found.stop):
            latest[found.key] = found
    if not latest:
        raise ResultsError(
            f"{results}: no result of a talkqa scenario here; run the suite with "
            f"`--alluredir {results}` first (the README's main command does)"
        )
    return latest


def _scenario_result(path: Path) -> ScenarioResult | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as err:
        raise ResultsError(
            f"{path}: not a readable Allure result ({err}); delete the results folder "
            "and run the suite again"
        ) from None
    if not isinstance(data, dict):
        return None
    labels = _pairs(data.get("labels"))
    if SECTION_LABEL not in labels or SCENARIO_LABEL not in labels:
        return None
    parameters = _pairs(data.get("parameters"))
    row = tuple(parameters.get(name, "") for name in ROW_PARAMETERS)
    details = data.get("statusDetails") or {}
    status = str(data.get("status") or "unknown")
    # A failure's trace is the plugin's account of it; a skip's message is its reason.
    reason = details.get("trace") if status in ("failed", "broken") else None
    return ScenarioResult(
        section=labels[SECTION_LABEL],
        scenario=labels[SCENARIO_LABEL],
        item=labels.get(ITEM_LABEL),
        row=row if any(row) else (),
        status=status,
        reason=str(reason or details.get("message") or ""),
        stop=int(data.get("stop") or 0),
    )


def _pairs(items: Iterable[Any] | None) -> dict[str, str]:
    return {
        str(entry.get("name")): str(entry.get("value"))
        for entry in items or []
        if isinstance(entry, dict)
    }


def run_facts(results: Path) -> dict[str, str]:
    """The `environment.properties` the run wrote (empty if there is none)."""
    path = results / "environment.properties"
    if not path.is_file():
        return {}
    facts = {}
    for line in path.read_text("utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            facts[key.strip()] = value.strip()
    return facts
