"""The pytest plugin: how checklist features become tests, and where they run.

Registered from the root conftest.py. It knows pytest, pytest-bdd and pytest-recording;
the layers below (harness, checks, spec, systems, sync, data) do not.

Modes come from pytest-recording's own options (`talkqa.environment.mode_of`): replay by
default, `--record-mode=rewrite` records, `--disable-recording` runs live; where record
and live runs go is `--talkqa-env` (the embedded sandbox by default). Every scenario gets
a cassette of its own, `cassettes/<dataflow>/<feature>/<scenario>.json`.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pytest_bdd.parser import ScenarioTemplate
from pytest_bdd.reporting import scenario_reports_registry
from pytest_bdd.scenario import scenario_wrapper_template_registry
from vcr.errors import CannotOverwriteExistingCassetteException

from talkqa import cassettes, replay
from talkqa.checks import SyncDefect
from talkqa.cleanup import Cleanup, Leftover, dataset_sides
from talkqa.data import DataError, DataFactory, new_marker
from talkqa.environment import (
    ENVIRONMENTS,
    RECORD_SYSTEMS,
    Environment,
    live_environment,
    mode_of,
    replay_environment,
)
from talkqa.harness import Harness, ScenarioError
from talkqa.replay import CassetteOutOfDate
from talkqa.spec.compare import CompareError
from talkqa.spec.dataflow import SectionSpec, SpecError, load_section, load_specs
from talkqa.spec.names import UnknownName
from talkqa.spec.served import unserved_feature
from talkqa.sync import SyncDriver, SyncTimeout
from talkqa.systems.errors import ConnectorError
from talkqa.systems.zohocrm import ZohoTokens

ITEM_TAG = "item:"
NOT_AUTOMATED = (
    "not automated: the checklist lists no rows for this item; add them to the "
    "feature's Examples table"
)
REPLAY_MARKER = "tqa-00000000"
CASSETTES = "cassettes"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("talkqa", "talkqa: Sesam Talk checklist suites")
    group.addoption(
        "--talkqa-env",
        choices=ENVIRONMENTS,
        default="sandbox",
        help="where record and live runs go: the embedded sandbox (default) or the live "
        "systems named by TALKQA_<SYSTEM>_<KEY> variables; replays go nowhere",
    )
    group.addoption(
        "--talkqa-fault",
        action="append",
        default=[],
        metavar="NAME[@SECTION][#PROPERTY]",
        help="inject a sync defect into the embedded sandbox (talkqa sandbox --list-faults)",
    )
    group.addoption(
        "--talkqa-section",
        action="append",
        default=[],
        metavar="DATAFLOW/FEATURE",
        help="run only this section's scenarios (`zohocrm-customerp/zohocrm-deal-to-"
        "customerp-order`; repeatable)",
    )
    group.addoption(
        "--talkqa-features",
        default="features",
        help="the features folder the specs and the sandbox's Talk engine read "
        "(default: %(default)s)",
    )
    group.addoption(
        "--talkqa-sync-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long a sync may take before the scenario fails (default: %(default)s)",
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


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    for name, matcher in cassettes.MATCHERS.items():
        vcr.register_matcher(name, matcher)


def pytest_bdd_apply_tag(tag: str, function: Any) -> bool | None:
    """`@item:<name>` tags name the checklist item; they are labels, not pytest marks."""
    if tag.startswith(ITEM_TAG):
        function.__talkqa_item__ = tag.removeprefix(ITEM_TAG)
        return True
    return None


def scenario_template(item: pytest.Item) -> ScenarioTemplate | None:
    function = getattr(item, "function", None)
    return scenario_wrapper_template_registry.get(function) if function else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Scenarios record a cassette each through pytest-recording, and replay theirs with
    the network blocked (`talkqa.replay`, mounted by `harness`); an outline whose
    examples have no rows would run once with `<placeholders>`: it is skipped, and so is
    a section talkqa cannot serve (`talkqa.spec.served`: a system or entity it lacks)."""
    replay = _mode(config) == "replay"
    _select_sections(config, items)
    unserved: dict[str, str | None] = {}  # by feature file
    for item in items:
        template = scenario_template(item)
        if template is None:
            continue
        item.add_marker(pytest.mark.block_network if replay else pytest.mark.vcr)
        feature = template.feature
        if feature.filename not in unserved:
            unserved[feature.filename] = unserved_feature(feature.description, RECORD_SYSTEMS)
        reason = unserved[feature.filename]
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
        elif template.examples and all(not examples.examples for examples in template.examples):
            item.add_marker(pytest.mark.skip(reason=NOT_AUTOMATED))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Features the specs cannot be read from, or a live run without its variables, stop
    the run once with what to fix, rather than failing every scenario with it."""
    config = session.config
    if config.option.collectonly or not any(scenario_template(i) for i in session.items):
        return
    try:
        load_specs(_features(config))
        mode = _mode(config)
        if mode != "replay" and config.getoption("talkqa_env") == "live":
            live_environment(mode, os.environ)
    except (SpecError, ConnectorError) as err:
        raise pytest.UsageError(f"talkqa: {err}") from None


def _select_sections(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = set(config.getoption("talkqa_section", default=[]))
    if not wanted:
        return
    keep = [i for i in items if scenario_template(i) is None or _scenario_path(i)[0] in wanted]
    if not keep:
        raise pytest.UsageError(
            f"talkqa: --talkqa-section {', '.join(sorted(wanted))} selects no scenario; "
            "name a section as <dataflow>/<feature file stem>"
        )
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep


@pytest.hookimpl(wrapper=True, trylast=True)  # inside allure's: it reads what this writes
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed scenario reads as what failed and where, not as a traceback through
    pytest-bdd: the step, and the defect, the cassette or the environment to look at."""
    report = yield
    error = call.excinfo.value if call.excinfo is not None else None
    if error is None or not report.failed or scenario_template(item) is None:
        return report
    step = _failed_step(item)
    if isinstance(error, CassetteOutOfDate):
        report.longrepr = _outdated_cassette(item, error.asked, error.why, error.details)
    elif isinstance(error, CannotOverwriteExistingCassetteException):  # recording
        report.longrepr = _outdated_cassette(item, *_vcrpy_refusal(error))
    elif isinstance(error, SyncDefect):
        report.longrepr = f"sync defect{step}:\n{error}"
    elif isinstance(error, ConnectorError | SyncTimeout):
        report.longrepr = f"environment problem{step}:\n{error}"
    elif isinstance(error, ScenarioError | UnknownName | SpecError | DataError | CompareError):
        report.longrepr = f"the scenario cannot run{step}:\n{error}"
    return report


def _failed_step(item: pytest.Item) -> str:
    scenario = scenario_reports_registry.get(item)
    failed = [r.step for r in scenario.step_reports if r.failed] if scenario else []
    if not failed:
        return ""
    step = failed[0]  # pytest-bdd marks the steps after it failed too
    return f" at '{step.keyword} {step.name}' (line {step.line_number})"


def _vcrpy_refusal(error: CannotOverwriteExistingCassetteException) -> tuple[str, str, str]:
    """What vcrpy refused, in the replay adapter's terms (a record mode that only adds)."""
    request = getattr(error, "failed_request", None)
    asked = f"{request.method} {request.uri}" if request is not None else "a request"
    why = {
        "cassette_not_found": replay.NO_CASSETTE,
        "already_played": replay.ALL_PLAYED,
    }.get(str(getattr(error, "reason", "")), replay.NONE_LIKE_IT)
    return asked, why, str(error)


def _outdated_cassette(item: pytest.Item, asked: str, why: str, details: str) -> str:
    command = f".venv/bin/pytest {shlex.quote(item.nodeid)} --record-mode=rewrite"
    return (
        f"cassette out of date for {item.nodeid}\n"
        f"  {asked}: {why}\n"
        f"  re-record it against the sandbox: {command}\n\n{details}"
    )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    leftovers: list[Leftover] = config.stash.get(_LEFTOVERS, [])
    if leftovers:
        terminalreporter.section("talkqa: records left behind")
        for leftover in leftovers:
            terminalreporter.write_line(str(leftover))


_LEFTOVERS = pytest.StashKey[list[Leftover]]()


def _mode(config: pytest.Config) -> str:
    return mode_of(
        config.getoption("--record-mode", default=None),
        bool(config.getoption("--disable-recording", default=False)),
    )


# --- the environment ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def talkqa_sandbox(pytestconfig: pytest.Config) -> Iterator[dict[str, Any]]:
    """The embedded sandbox, started in-process on loopback for the session.

    Yields its description (URLs and credentials), the same JSON `talkqa sandbox`
    prints; everything else reaches it over HTTP. Faults come from `--talkqa-fault`.
    Zoho's token-grant limit is on, as on a real tenant (the run shares one access token,
    `talkqa_zoho_tokens`); webCRM's request rate is lifted (a whole suite would wait out
    its minute): the connector's handling of it is tested on its own.
    """
    # Imported here: the sandbox is environment set-up, not part of the harness.
    from talkqa.sandbox.app import Sandbox, SandboxError
    from talkqa.sandbox.faults import FaultSet

    try:
        faults = FaultSet.parse(pytestconfig.getoption("talkqa_fault"))
        sandbox = Sandbox(
            features_dir=_features(pytestconfig),
            faults=faults,
            webcrm_per_minute=None,
        )
    except (ValueError, SandboxError) as err:
        raise pytest.UsageError(f"talkqa sandbox: {err}") from None
    with sandbox:
        yield sandbox.description()


def _features(config: pytest.Config) -> Path:
    return Path(config.rootpath, config.getoption("talkqa_features"))


@pytest.fixture(scope="session")
def talkqa_environment(request: pytest.FixtureRequest) -> Environment:
    """Where the scenarios' requests go (see `talkqa.environment`)."""
    environment = _environment(request)
    request.config.stash[ENVIRONMENT_KEY] = environment
    return environment


def _environment(request: pytest.FixtureRequest) -> Environment:
    mode = _mode(request.config)
    if mode == "replay":
        return replay_environment()
    if request.config.getoption("talkqa_env") == "live":
        try:
            return live_environment(mode, os.environ)
        except ConnectorError as err:
            raise pytest.UsageError(f"talkqa: {err}") from None
    return Environment(mode, "sandbox", request.getfixturevalue("talkqa_sandbox"))


ENVIRONMENT_KEY = pytest.StashKey[Environment]()


@pytest.fixture(scope="session")
def talkqa_zoho_tokens(talkqa_environment: Environment) -> ZohoTokens:
    """The run's Zoho grant cache: one access token for every scenario's Zoho connector
    (Zoho grants at most 10 per refresh token per 10 minutes), renewed on a 401 or before
    it expires; a placeholder in replay, where nothing logs in."""
    return talkqa_environment.zoho_tokens()


@pytest.fixture(scope="session")
def talkqa_specs(pytestconfig: pytest.Config) -> list[SectionSpec]:
    """Every section the features folder holds."""
    try:
        return load_specs(_features(pytestconfig))
    except SpecError as err:
        raise pytest.UsageError(f"talkqa: {err}") from None


@pytest.fixture(scope="session")
def talkqa_marker(talkqa_environment: Environment) -> str:
    """The run marker in every record's name: one per record or live run, fixed in
    replay (the cassette matchers mask it)."""
    return REPLAY_MARKER if talkqa_environment.replay else new_marker()


@pytest.fixture(scope="session")
def talkqa_scrubber(talkqa_environment: Environment) -> cassettes.Scrubber:
    """The run's scrubber: what it learns from one answer (a token) it masks everywhere,
    in cassettes and in the report alike."""
    return cassettes.Scrubber(talkqa_environment.description)


@pytest.fixture(scope="session")
def vcr_config(talkqa_scrubber: cassettes.Scrubber) -> dict[str, Any]:
    """pytest-recording's configuration: scrubbed JSON cassettes matched on everything."""
    return cassettes.vcr_config(talkqa_scrubber)


def _scenario_path(item: pytest.Item) -> tuple[str, str]:
    """(`<dataflow>/<feature>`, the rendered scenario name as a file name): what names a
    scenario's cassette and seeds its data, stable when other scenarios come and go."""
    template = scenario_template(item)
    if template is None:
        return "other", cassettes.cassette_name(item.name)
    feature = Path(template.feature.filename)
    callspec = getattr(item, "callspec", None)
    example = callspec.params.get("_pytest_bdd_example", {}) if callspec else {}
    name = template.render(example).name if example else template.name
    parts = list(example.values()) if example and name == template.name else []
    return f"{feature.parent.name}/{feature.stem}", cassettes.cassette_name(name, parts)


@pytest.fixture
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """`cassettes/<dataflow>/<feature>/` for a scenario."""
    return str(request.config.rootpath / CASSETTES / _scenario_path(request.node)[0])


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """The scenario's rendered name (an outline's row values are in it)."""
    return _scenario_path(request.node)[1]


# --- one scenario ------------------------------------------------------------------------


@pytest.fixture
def section(request: pytest.FixtureRequest) -> SectionSpec | None:
    """The section of the scenario's feature; None outside a feature."""
    template = scenario_template(request.node)
    if template is None:
        return None
    try:
        return load_section(template.feature.filename)
    except SpecError as err:
        raise pytest.UsageError(f"talkqa: {err}") from None


@pytest.fixture
def harness(
    request: pytest.FixtureRequest,
    talkqa_environment: Environment,
    talkqa_specs: list[SectionSpec],
    talkqa_marker: str,
    section: SectionSpec | None,
    talkqa_http_session: requests.Session,
    talkqa_zoho_tokens: ZohoTokens,
) -> Iterator[Harness]:
    """The scenario's harness: fresh connectors (their logins are in its cassette, but
    for Zoho's: the run's token), its own data, and cleanup of what it made once it ends
    (record and live runs)."""
    environment = talkqa_environment
    if environment.replay:
        dataflow, name = _scenario_path(request.node)
        cassette = request.config.rootpath / CASSETTES / dataflow / f"{name}.json"
        replay.mount(talkqa_http_session, cassette, request.getfixturevalue("talkqa_scrubber"))
    systems, sesam = environment.connect(
        _no_sleep if environment.replay else None,
        session=talkqa_http_session,
        zoho_tokens=talkqa_zoho_tokens,
    )
    driver = SyncDriver(sesam, timeout=request.config.getoption("talkqa_sync_timeout"))
    if environment.replay:
        driver.sleep = _no_sleep
    cleanup = Cleanup(systems, dataset_sides(talkqa_specs), driver.inserted_from)
    data = DataFactory("/".join(_scenario_path(request.node)), talkqa_marker)
    yield Harness(systems, driver, data, talkqa_specs, cleanup, section)
    if not environment.replay:
        try:
            cleanup.run()
        finally:  # also when a Ctrl-C held back during the cleanup is delivered
            request.config.stash.setdefault(_LEFTOVERS, []).extend(cleanup.leftovers)


def _no_sleep(seconds: float) -> None:
    """Replay answers at once: nothing to wait for."""
