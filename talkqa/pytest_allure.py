"""The Allure side of the plugin: what allure-pytest-bdd writes, made to speak checklist.

allure-pytest-bdd turns scenarios into Allure results; this module, active only with
`--alluredir`, gives each result its dataflow / section / item labels, its links and
parameters (`talkqa.report.labels`), drops the noise (fixture objects among step
parameters, the `vcr` and `block_network` marks as tags), attaches every HTTP exchange
masked as cassettes are, and the comparison table, and writes the run's categories and
environment beside the results. Registered from the root conftest.py.
"""

from __future__ import annotations

import csv
import io
import platform
from collections.abc import Callable, Iterator
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import allure
import allure_commons
import pytest
import requests
from allure_commons.model2 import Label, Link, Parameter
from allure_pytest_bdd.pytest_bdd_listener import PytestBDDListener
from allure_pytest_bdd.steps import get_step_uuid

from talkqa import cassettes
from talkqa.checklist.feature import read_feature
from talkqa.checklist.model import DocumentError
from talkqa.environment import Environment
from talkqa.pytest_plugin import ENVIRONMENT_KEY, scenario_template
from talkqa.report import exchange
from talkqa.report.labels import checklist_file, generated, scenario_facts
from talkqa.report.results import write_run_facts
from talkqa.spec.compare import Comparison
from talkqa.spec.dataflow import SectionSpec

NOISE_TAGS = frozenset({"vcr", "block_network"})
VERSIONS = ("pytest", "pytest-bdd", "allure-pytest-bdd", "vcrpy", "pytest-recording", "Faker")
COMPARISON_COLUMNS = (
    "direction",
    "source property",
    "target property",
    "data type",
    "source value",
    "target value",
    "result",
    "note",
)


def _listener(config: pytest.Config) -> PytestBDDListener | None:
    """allure-pytest-bdd's listener, present only when a run writes Allure results."""
    if not config.getoption("allure_report_dir", default=None):
        return None
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, PytestBDDListener):
            return plugin
    return None


class _DropNoiseTags:
    """The `vcr` and `block_network` marks are how a scenario runs, not what it is:
    allure-pytest-bdd adds them as tags as it finishes a result, so they are dropped
    as the result is written."""

    @allure_commons.hookimpl(tryfirst=True)
    def report_result(self, result: Any) -> None:
        result.labels = [
            label
            for label in result.labels
            if not (label.name == "tag" and label.value in NOISE_TAGS)
        ]


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if _listener(config) is None:
        return
    dropper = _DropNoiseTags()
    allure_commons.plugin_manager.register(dropper)
    config.add_cleanup(lambda: allure_commons.plugin_manager.unregister(dropper))


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    listener = _listener(request.config)
    section: SectionSpec | None = request.getfixturevalue("section")
    if listener is None or section is None:
        return
    template = _template_name(request.node, scenario.name)
    item = getattr(request.node.function, "__talkqa_item__", None)
    header = _header(feature.filename)
    facts = scenario_facts(section, checklist_file(header), item, template, {})
    uuid = listener.nodeid_to_uuid[request.node.nodeid]
    with listener.lifecycle.update_test_case(uuid=uuid) as result:
        result.labels = [label for label in result.labels if label.name != "feature"]
        result.labels += [Label(name=name, value=value) for name, value in facts.labels]
        result.links += [Link(type="link", url=url, name=name) for name, url in facts.links]
        result.parameters += [Parameter(name=n, value=v) for n, v in facts.parameters]


def _template_name(item: pytest.Item, rendered: str) -> str:
    """The scenario's name as the feature writes it (an outline's, with placeholders)."""
    template = scenario_template(item)
    return template.name if template is not None else rendered


@cache
def _header(feature_path: str) -> str | None:
    return read_feature(feature_path).value("Checklist")


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_step_call(
    request: pytest.FixtureRequest, step: Any, step_func_args: dict[str, Any], **_: Any
) -> None:
    """Step parameters are the words the step parsed, not the fixtures it uses."""
    listener = _listener(request.config)
    if listener is None:
        return
    words = {name for name, value in step_func_args.items() if isinstance(value, str | int)}
    with listener.lifecycle.update_step(uuid=get_step_uuid(step)) as result:
        if result is not None:
            result.parameters = [p for p in result.parameters if p.name in words]


@pytest.hookimpl
def pytest_bdd_after_scenario(request: pytest.FixtureRequest, **_: Any) -> None:
    """The rows the scenario compared, as a table (also when it failed)."""
    if _listener(request.config) is None or "harness" not in request.fixturenames:
        return
    comparisons = request.getfixturevalue("harness").comparisons
    if comparisons:
        allure.attach(
            comparison_csv(comparisons),
            name="Property comparison",
            attachment_type=allure.attachment_type.CSV,
        )


def comparison_csv(comparisons: list[Comparison]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COMPARISON_COLUMNS)
    for c in comparisons:
        note = "" if c.outcome is None else str(c.outcome)
        writer.writerow(
            [
                c.direction,
                c.mapping.source,
                c.mapping.target,
                c.mapping.data_type,
                repr(c.source_value),
                repr(c.target_value),
                c.result,
                note,
            ]
        )
    return out.getvalue()


@pytest.fixture
def talkqa_http_session(
    request: pytest.FixtureRequest, talkqa_scrubber: cassettes.Scrubber
) -> Iterator[requests.Session]:
    """The scenario's HTTP session; with `--alluredir`, each exchange is attached to the
    step that made it, masked by the cassettes' scrubber."""
    session = requests.Session()
    if _listener(request.config) is not None:
        session.hooks["response"].append(_attacher(talkqa_scrubber))
    yield session
    session.close()


def _attacher(scrubber: cassettes.Scrubber) -> Callable[..., None]:
    def attach(answer: requests.Response, *_: Any, **__: Any) -> None:
        allure.attach(
            exchange.dumps(answer, scrubber),
            name=exchange.title(answer, scrubber),
            attachment_type=exchange.MIME_TYPE,
            extension=exchange.EXTENSION,
        )

    return attach


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Categories and environment facts beside the results (after `--clean-alluredir`)."""
    config = session.config
    results = config.getoption("allure_report_dir", default=None)
    if not results or _listener(config) is None:
        return
    environment: Environment | None = config.stash.get(ENVIRONMENT_KEY, None)
    facts = {
        "mode": environment.mode if environment else "not started",
        "environment": environment.name if environment else "not started",
        "features": str(config.getoption("talkqa_features")),
        "python": platform.python_version(),
        "talkqa": version("talkqa"),
        **{name: version(name) for name in VERSIONS},
        **_checklists(Path(config.rootpath, config.getoption("talkqa_features"))),
    }
    write_run_facts(Path(results), facts)


def _checklists(features: Path) -> dict[str, str]:
    """Each checklist document the features come from, with its generation date."""
    found: dict[str, str] = {}
    for path in sorted(features.rglob("*.feature")):
        try:
            header = read_feature(path).value("Checklist")
        except DocumentError:  # a broken feature is reported by collection, not here
            continue
        document, date = checklist_file(header), generated(header)
        if document:
            found[f"checklist {document}"] = f"generated {date}" if date else "no date"
    return found
