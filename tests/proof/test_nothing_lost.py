"""Nothing is lost: a sandbox holding records that were there before the suite (seeded
over its APIs in every system, then synchronized once, as a tenant's records would be)
goes through five runs of the whole suite: a record run, a live run, two live runs
stopped with Ctrl-C midway (in a scenario; in a scenario's cleanup), and a live run with
failing scenarios. After each, every record of every system is read again: the
pre-existing ones are all there and unchanged (every field compared: Talk rewrites
nothing of a record that did not change), and none that the suite made, or that Talk
copied from those, is left.

A run is stopped at an exact moment, not after a while: a small plugin in the run says
when it reaches the moment and waits there until Ctrl-C has been sent
(`suite_runs.run_suite_interrupted`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from talkqa.data import DataFactory
from talkqa.sandbox.app import Sandbox
from talkqa.sync import SyncDriver
from talkqa.systems import RecordApi
from tests.proof.suite_runs import (
    CANARY,
    Pause,
    Snapshot,
    SuiteRun,
    connect,
    difference,
    live_env,
    record_entities,
    run_suite,
    run_suite_interrupted,
    sandbox,
    scratch_copy,
    snapshot,
)

pytestmark = pytest.mark.slow

SEED_MARKER = "tqa-5eed0000"  # the factory wants a marker; it is taken out again
# How many records of each entity were there before: (system, entity) -> count.
SEEDED = {
    ("zohocrm", "Account"): 3,
    ("zohocrm", "Contact"): 4,
    ("zohocrm", "Deal"): 3,  # two won, one still open (it stays in ZohoCRM)
    ("customerp", "Customer"): 3,
    ("customerp", "Contact"): 3,
    ("customerp", "Product"): 3,
    ("customerp", "Order"): 2,
    ("webcrm", "Organisations"): 2,
    ("webcrm", "Persons"): 3,
    ("webcrm", "Products"): 2,
}
# Ctrl-C midway, at two moments: in a scenario (its records made, synchronized and
# being checked), and in a scenario's cleanup, just after it deleted its first record.
INTERRUPTIONS = {
    "run interrupted in a scenario": Pause(after=20, event="step", words="Then"),
    "run interrupted in a cleanup": Pause(after=40, event="deleted"),
}
# The failing run: in two sections, two property rows point at each other's property,
# so their comparisons fail (the sandbox still syncs by the unchanged features).
SWAPPED = {
    "zohocrm-customerp/zohocrm-account-to-customerp-customer.feature": ("Phone", "Website"),
    "customerp-webcrm/customerp-customer-to-webcrm-organisations.feature": ("phone", "website"),
}


def swap_targets(feature: str, first: str, second: str) -> str:
    """The feature with the target properties of two property rows (named by their
    source property) swapped."""
    lines = feature.splitlines(keepends=True)
    rows: dict[str, tuple[int, list[str]]] = {}
    for number, line in enumerate(lines):
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and len(cells) == 3 and cells[0] in (first, second):
            rows[cells[0]] = number, cells
    assert sorted(rows) == sorted((first, second)), rows
    for this, that in ((first, second), (second, first)):
        number, (source, _, data_type) = rows[this]
        indent = lines[number][: len(lines[number]) - len(lines[number].lstrip())]
        lines[number] = f"{indent}| {source} | {rows[that][1][1]} | {data_type} |\n"
    return "".join(lines)


def _unmarked(value: Any) -> Any:
    """A factory value without the factory's run marker: what a tenant's own records
    hold (names and emails without `tqa-...`)."""
    if isinstance(value, str):
        return value.replace(f".{SEED_MARKER}@", "@").replace(f" {SEED_MARKER}", "")
    if isinstance(value, dict):
        return {k: _unmarked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unmarked(v) for v in value]
    return value


def seed(systems: Mapping[str, RecordApi]) -> dict[tuple[str, str], list[str]]:
    """Records in every system, referring to each other as a tenant's do, created over
    the systems' APIs; answers their ids per (system, entity)."""
    data = DataFactory("proof/nothing-lost/pre-existing", SEED_MARKER)
    made: dict[tuple[str, str], list[str]] = {}

    def create(system: str, entity: str, **options: Any) -> str:
        body = _unmarked(data.payload(system, entity, **options))
        record_id = systems[system].create(entity, body)
        made.setdefault((system, entity), []).append(record_id)
        return record_id

    accounts = [create("zohocrm", "Account") for _ in range(3)]
    contacts = [create("zohocrm", "Contact", references={"Account_Name": a}) for a in accounts]
    contacts.append(create("zohocrm", "Contact"))  # one without an account
    for n, won in enumerate((True, True, False)):
        references = {"Account_Name": accounts[n], "Contact_Name": contacts[n]}
        create("zohocrm", "Deal", references=references, won=won)
    customers = [create("customerp", "Customer") for _ in range(3)]
    people = [create("customerp", "Contact", references={"customer_id": c}) for c in customers]
    for _ in range(3):
        create("customerp", "Product")
    for n in range(2):
        references = {"customer_id": customers[n], "contact_id": people[n]}
        create("customerp", "Order", references=references)
    organisations = [create("webcrm", "Organisations") for _ in range(2)]
    for n in range(3):
        create("webcrm", "Persons", references={"PersonOrganisationId": organisations[n % 2]})
    for n in range(2):
        create("webcrm", "Products", references={"ProductOrganisationId": organisations[n]})
    return made


def settled_records(served: Sandbox) -> Snapshot:
    """Every record of every system once the dataflow is idle: the pipes are started
    and waited for (a run stopped midway may have left a sync going), then read."""
    systems, sesam = connect(served).connect()
    SyncDriver(sesam).synchronize()
    return snapshot(systems)


def assert_nothing_lost(name: str, run: SuiteRun, served: Sandbox, before: Snapshot) -> None:
    after = settled_records(served)
    changes = difference(before, after)
    print(
        f"{name}: {len(run.outcomes)} of {run.collected} scenarios ran "
        f"({run.count('PASSED')} passed, {run.count('FAILED')} failed), exit "
        f"{run.returncode}; records before {len(before)}, after {len(after)}: "
        f"{len(changes.lost)} lost, {len(changes.changed)} changed, "
        f"{len(changes.left)} left behind"
    )
    assert not changes, f"after the {name}:\n{changes}\n\n{run.tail()}"
    assert "records left behind" not in run.stdout, run.tail()


def test_no_run_of_the_suite_loses_changes_or_leaves_a_record(tmp_path: Path) -> None:
    copy = scratch_copy(tmp_path / "project")
    failing = scratch_copy(tmp_path / "failing")
    for feature, (first, second) in SWAPPED.items():
        path = failing / "features" / feature
        path.write_text(swap_targets(path.read_text(), first, second))

    with sandbox(copy / "features", CANARY) as served:
        systems, sesam = connect(served).connect()
        seeded = seed(systems)
        SyncDriver(sesam).synchronize()  # the tenant's records, linked as Talk links them
        before = snapshot(systems)
        assert {k: len(v) for k, v in seeded.items()} == SEEDED
        ours = {(s, e, i) for (s, e), ids in seeded.items() for i in ids}
        assert ours <= before.keys()
        copies = len(before) - len(ours)
        assert copies >= 20, f"Talk copied only {copies} of the pre-existing records"
        assert {(s, e) for s, e, _ in before} == set(record_entities())
        print(
            f"\nseeded {len(ours)} records in {len(SEEDED)} entities of 3 systems; "
            f"after a sync, {len(before)} records ({copies} copied by Talk)"
        )
        env = live_env(served)

        recorded = run_suite(copy, env, "--record-mode=rewrite")
        assert recorded.returncode == 0, recorded.tail()
        assert set(recorded.outcomes.values()) <= {"PASSED", "SKIPPED"}, recorded.tail()
        assert len(recorded.outcomes) == recorded.collected > 0, recorded.tail()
        assert_nothing_lost("record run", recorded, served, before)

        live = run_suite(copy, env, "--disable-recording")
        assert live.returncode == 0, live.tail()
        assert len(live.outcomes) == live.collected == recorded.collected, live.tail()
        assert_nothing_lost("live run", live, served, before)

        for name, pause in INTERRUPTIONS.items():
            stopped, at = run_suite_interrupted(copy, env, pause, "--disable-recording")
            assert at.startswith(pause.event), f"never at {pause}:\n{stopped.tail()}"
            # Deleted after Ctrl-C: in a scenario, everything it made (its cleanup runs
            # as pytest stops); in a cleanup, the rest of what it was deleting.
            progress = stopped.stderr.split("talkqa-proof paused ", 1)[1]
            deleted = progress.count("talkqa-proof deleted ")
            print(f"{name}: Ctrl-C at {at}; {deleted} records deleted after it")
            assert deleted > 0, stopped.stderr[-3000:]
            assert stopped.returncode == 2, stopped.tail()  # pytest's "interrupted"
            assert "KeyboardInterrupt" in stopped.stdout, stopped.tail()
            assert len(stopped.outcomes) == pause.after < stopped.collected, stopped.tail()
            assert set(stopped.outcomes.values()) <= {"PASSED", "SKIPPED"}, stopped.tail()
            assert_nothing_lost(name, stopped, served, before)

        failed = run_suite(failing, env, "--disable-recording")
        assert failed.returncode == 1, failed.tail()
        assert len(failed.outcomes) == failed.collected, failed.tail()
        assert failed.count("FAILED") >= 4, failed.tail()
        # Each failure says its kind: the swapped rows' comparisons are sync defects; a
        # conflict-rule scenario naming a row that is no longer there cannot run.
        kinds = failed.failure_kinds()
        assert len(kinds) == failed.count("FAILED"), failed.tail()
        assert set(kinds) == {"sync defect", "the scenario cannot run"}, failed.tail()
        assert_nothing_lost("failing run", failed, served, before)
