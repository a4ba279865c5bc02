"""What the report says about a scenario: Allure labels, links and parameters.

epic = the dataflow, feature = the checklist section, story = the checklist item; a
scenario QA added with an item of its own is a story of its own. Custom `talkqa.*`
labels carry the keys that `talkqa report` matches results back to the features with.
Links are relative, so they work from the report folder of any clone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from talkqa.checklist.model import slugify
from talkqa.spec.dataflow import SectionSpec

SECTION_LABEL = "talkqa.section"
ITEM_LABEL = "talkqa.item"
SCENARIO_LABEL = "talkqa.scenario"
# From `reports/allure-report/index.html` to the repository and to the filled-in checklist.
TO_REPOSITORY = "../../"
TO_STATUS = "../checklist-status.html"
FORWARD_ITEMS = frozenset(
    {
        "created",
        "source-edit",
        "merge",
        "condition-met",
        "condition-not-met",
        "empty-never-overwrites",
    }
)
# The outline columns that say which property row a scenario checks.
ROW_PARAMETERS = ("source", "target", "data type")


@dataclass
class ScenarioFacts:
    labels: list[tuple[str, str]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (name, url)
    parameters: list[tuple[str, str]] = field(default_factory=list)


def anchor(section_key: str) -> str:
    """The id of a section in the filled-in checklist."""
    return slugify(section_key)


def story(item: str | None, scenario: str, spec: SectionSpec) -> str:
    if item == "properties":
        return f"Properties synchronized between a {spec.source} and a {spec.target}"
    if item == "merge":
        return f"A {spec.source} merges with a {spec.target} matching a merge criterion"
    return scenario


def direction(item: str | None, spec: SectionSpec) -> str | None:
    forward = f"{spec.source.system} -> {spec.target.system}"
    if item == "target-edit":
        return f"{spec.target.system} -> {spec.source.system}"
    if item == "properties":
        return f"{forward}, then back"
    if item == "latest-wins":
        return "both ways, one sync"
    if item in FORWARD_ITEMS:
        return forward
    return None


def scenario_facts(
    spec: SectionSpec,
    checklist: str | None,
    item: str | None,
    scenario: str,
    example: Mapping[str, str],
) -> ScenarioFacts:
    """The labels, links and parameters of one scenario (`scenario`: its name as the
    feature writes it, placeholders and all; `checklist`: the document's file name)."""
    facts = ScenarioFacts()
    facts.labels += [
        ("epic", spec.title),
        ("feature", spec.heading),
        ("story", story(item, scenario, spec)),
        (SECTION_LABEL, spec.key),
        (SCENARIO_LABEL, scenario),
    ]
    if item:
        facts.labels.append((ITEM_LABEL, item))
    if checklist:
        facts.links.append((f"Checklist {checklist}", f"{TO_REPOSITORY}checklists/{checklist}"))
    facts.links.append((f"Filled-in checklist: {spec.heading}", f"{TO_STATUS}#{anchor(spec.key)}"))
    way = direction(item, spec)
    if way:
        facts.parameters.append(("direction", way))
    return facts


def checklist_file(header_value: str | None) -> str | None:
    """The document's file name from a feature's `Checklist:` line
    (`zohocrm-customerp.rst, generated 2024-09-10 15:43:43`)."""
    if not header_value:
        return None
    return header_value.split(",", 1)[0].strip() or None


def generated(header_value: str | None) -> str | None:
    """The generation date from a feature's `Checklist:` line."""
    if not header_value or "generated" not in header_value:
        return None
    return header_value.split("generated", 1)[1].strip() or None
