"""What the proof tests share: a sandbox started in the test process, scratch copies of
the project, the whole checklist suite run against that sandbox in a pytest subprocess
(`--talkqa-env live`, its settings in `TALKQA_<SYSTEM>_<KEY>` variables), every record of
every system read over HTTP, and a scanner for secrets in what a run wrote.

The suite runs exactly as a QA engineer runs it against live tenants: the subprocess
knows nothing of the sandbox but the URLs and credentials in its environment.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from talkqa.environment import Environment
from talkqa.sandbox.app import Sandbox
from talkqa.sandbox.credentials import (
    Credentials,
    CustomerpCredentials,
    SesamCredentials,
    WebcrmCredentials,
    ZohoCredentials,
)
from talkqa.spec.catalogue import load_catalogue
from talkqa.systems import SETTINGS, RecordApi, settings_from_description, variable

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the virtualenv's bin/: pytest and talkqa
COPIED = ("pyproject.toml", "conftest.py", "steps", "features", "checklists")
RECORD_SYSTEMS = ("zohocrm", "customerp", "webcrm")
RESULT = re.compile(r"^(steps/\S+::\S+) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b", re.M)
COLLECTED = re.compile(r"\bcollected (\d+) items?\b")
# How the plugin's failure reports begin: the kind of failure (talkqa.pytest_plugin).
KIND = re.compile(
    r"^(sync defect|cassette out of date|environment problem|the scenario cannot run)\b", re.M
)

# Recognisable fake credentials for every system, none of them a sandbox default.
CANARY = Credentials(
    zohocrm=ZohoCredentials(
        client_id="1000.LEAKCANARYZOHOCLIENTID7Q3X9",
        client_secret="leakcanary-zoho-client-secret-5f1e2d3c4b",
        refresh_token="1000.leakcanaryzohorefresh8a7b6c.leakcanaryzohorefresh9d8e7f",
    ),
    webcrm=WebcrmCredentials(auth_code="1eacca4a-7c3b-4d2e-9f10-leakcanary01"),
    customerp=CustomerpCredentials(api_key="cerp_LEAKCANARY_key_4f8e2a9c71b35d60"),
    sesam=SesamCredentials(
        email="leakcanary.qa@canary.invalid", password="LEAKCANARY-sesam-pw-3e9d"
    ),
)


def canary_secrets() -> dict[str, str]:
    """Each fake credential by `<system>.<key>`."""
    return {
        f"{system}.{key}": value
        for system, values in CANARY.as_json().items()
        for key, value in values.items()
    }


@contextmanager
def sandbox(features: Path, credentials: Credentials = CANARY) -> Iterator[Sandbox]:
    """A sandbox for several suite runs in a row: webCRM's request rate lifted, as the
    `talkqa_sandbox` fixture lifts it (a whole suite would wait out its minute), and
    Zoho's token-grant limit too, unlike the fixture: each run takes one grant, and the
    test's own connectors (seeding, snapshots) more, beyond 10 in 10 minutes."""
    with Sandbox(
        features_dir=features,
        credentials=credentials,
        zoho_token_grants=None,
        webcrm_per_minute=None,
    ) as served:
        yield served


def scratch_copy(root: Path) -> Path:
    """The suite's files copied into `root` (cassettes and reports start empty), and the
    project's Allure CLI linked in, which `talkqa report` finds under the working folder."""
    root.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, root / name)
    (root / "node_modules").symlink_to(ROOT / "node_modules")
    return root


def live_env(served: Sandbox) -> dict[str, str]:
    """This process's environment, less pytest's and talkqa's own variables, plus the
    `TALKQA_<SYSTEM>_<KEY>` settings of a live run pointing at `served`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TALKQA_"))}
    settings = settings_from_description(served.description())
    for system, keys in SETTINGS.items():
        for key in keys:
            env[variable(system, key)] = str(settings[system][key])
    env["PYTHONUNBUFFERED"] = "1"  # results reach a reader as they happen
    return env


def suite_command(*args: str) -> list[str]:
    return [
        str(BIN / "pytest"),
        "steps",
        "-v",
        "-p",
        "no:cacheprovider",
        "--talkqa-env",
        "live",
        *args,
    ]


@dataclass
class SuiteRun:
    """What a run of the suite said: its exit code, its output, each scenario's outcome."""

    returncode: int
    stdout: str
    stderr: str
    outcomes: dict[str, str] = field(default_factory=dict)  # node id -> PASSED, FAILED, ...
    collected: int = 0

    @classmethod
    def of(cls, returncode: int, stdout: str, stderr: str) -> SuiteRun:
        outcomes = {m.group(1): m.group(2) for m in RESULT.finditer(stdout)}
        found = COLLECTED.search(stdout)
        return cls(returncode, stdout, stderr, outcomes, int(found.group(1)) if found else 0)

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes.values() if o == outcome)

    def failure_kinds(self) -> list[str]:
        """The kind each failure report names, in order (one per failed scenario)."""
        return KIND.findall(self.stdout)

    def tail(self) -> str:
        """The end of what it printed, for an assertion's message."""
        return f"exit {self.returncode}\n{self.stdout[-4000:]}\n{self.stderr[-2000:]}"


def run_suite(copy: Path, env: Mapping[str, str], *args: str) -> SuiteRun:
    done = subprocess.run(
        suite_command(*args), cwd=copy, env=dict(env), capture_output=True, text=True
    )
    return SuiteRun.of(done.returncode, done.stdout, done.stderr)


# A plugin for interrupted runs. It says on stderr, as it happens, when a scenario
# finished, when one of its steps begins and when its cleanup deleted a record (pytest's
# own -v line of a scenario is completed only when the next one starts). At the moment
# TALKQA_PROOF_PAUSE names (`<scenarios finished> <event> [<words>]`) it says "paused"
# and waits for a byte on the pipe TALKQA_PROOF_GO_FD: the test sends SIGINT, then the
# byte, so Ctrl-C arrives at that very moment, run after run.
PROGRESS_PLUGIN = "talkqa_proof_progress"
PROGRESS = """
import os
import sys

import talkqa.cleanup

_configs = []
_state = {"finished": 0, "paused": False}


def _say(*words):
    capture = _configs[0].pluginmanager.getplugin("capturemanager")
    capture.suspend_global_capture()
    sys.stderr.write("talkqa-proof " + " ".join(words) + "\\n")
    sys.stderr.flush()
    capture.resume_global_capture()


def _moment(event, where, what):
    _say(event, where, "|", what)
    after, wanted, *needle = os.environ["TALKQA_PROOF_PAUSE"].split(" ", 2)
    if _state["paused"] or _state["finished"] < int(after) or event != wanted:
        return
    if needle and needle[0] not in what:
        return
    _state["paused"] = True
    _say("paused", event, where, "|", what)
    os.read(int(os.environ["TALKQA_PROOF_GO_FD"]), 1)


def pytest_configure(config):
    _configs.append(config)
    delete = talkqa.cleanup.Cleanup._delete

    def _delete(self, side, record_id):
        why = delete(self, side, record_id)
        _moment("deleted", "cleanup", f"{side[0]} {side[1]} {record_id}")
        return why

    talkqa.cleanup.Cleanup._delete = _delete


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _state["finished"] += 1
        _say("finished", report.nodeid, report.outcome)


def pytest_bdd_before_step(request, feature, scenario, step, step_func):
    _moment("step", request.node.nodeid, f"{step.keyword} {step.name}")
"""


@dataclass(frozen=True)
class Pause:
    """Where an interrupted run is stopped: once `after` scenarios finished, at the next
    `event` ("step": a step begins; "deleted": a cleanup deleted a record) whose words
    hold `words` (a step's text; the system, entity and id of a deleted record)."""

    after: int
    event: str
    words: str = ""

    def __str__(self) -> str:
        return f"{self.after} {self.event} {self.words}".strip()


def run_suite_interrupted(
    copy: Path, env: Mapping[str, str], pause: Pause, *args: str
) -> tuple[SuiteRun, str]:
    """The suite, sent SIGINT (Ctrl-C) at the moment `pause` names, then read to its end;
    also answers the progress line of that moment. No clock involved: the run says when."""
    plugins = copy.parent / f"{copy.name}-plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / f"{PROGRESS_PLUGIN}.py").write_text(PROGRESS)
    go_read, go_write = os.pipe()
    path = os.pathsep.join(filter(None, [str(plugins), env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        suite_command("-p", PROGRESS_PLUGIN, *args),
        cwd=copy,
        env={
            **env,
            "PYTHONPATH": path,
            "TALKQA_PROOF_PAUSE": str(pause),
            "TALKQA_PROOF_GO_FD": str(go_read),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        pass_fds=(go_read,),
    )
    os.close(go_read)
    assert process.stdout is not None and process.stderr is not None
    stdout: list[str] = []
    reader = threading.Thread(target=lambda: stdout.extend(process.stdout or ()))
    reader.start()
    stderr: list[str] = []
    paused = ""
    for line in process.stderr:
        stderr.append(line)
        if not paused and line.startswith("talkqa-proof paused "):
            paused = line.removeprefix("talkqa-proof paused ").strip()
            process.send_signal(signal.SIGINT)
            os.write(go_write, b"g")
    os.close(go_write)
    returncode = process.wait()
    reader.join()
    return SuiteRun.of(returncode, "".join(stdout), "".join(stderr)), paused


def talkqa(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TALKQA_"))}
    return subprocess.run(
        [str(BIN / "talkqa"), *args], cwd=copy, env=env, capture_output=True, text=True
    )


# --- every record of every system ----------------------------------------------------------


Snapshot = dict[tuple[str, str, str], dict[str, Any]]  # (system, entity, id) -> record


def record_entities() -> list[tuple[str, str]]:
    """Every (system, entity) the catalogue knows for the three record systems."""
    catalogue = load_catalogue()
    return [
        (system, entity)
        for system in RECORD_SYSTEMS
        for entity in catalogue.systems[system].entities
    ]


def connect(served: Sandbox) -> Environment:
    """An environment for the test's own requests to `served` (over HTTP, as the suite)."""
    return Environment("live", "sandbox", served.description())


def snapshot(systems: Mapping[str, RecordApi]) -> Snapshot:
    """Every record of every entity, as each API lists it, keyed by its id."""
    taken: Snapshot = {}
    for system, entity in record_entities():
        for record in systems[system].list(entity):
            taken[(system, entity, _id_of(system, entity, record))] = record
    return taken


def _id_of(system: str, entity: str, record: Mapping[str, Any]) -> str:
    for key in ("id", f"{entity.rstrip('s')}Id"):
        if key in record:
            return str(record[key])
    raise AssertionError(f"{system} {entity}: no id in {record}")


@dataclass(frozen=True)
class Difference:
    left: list[tuple[str, str, str]]  # records that were not there before
    lost: list[tuple[str, str, str]]  # records that are gone
    changed: dict[tuple[str, str, str], dict[str, tuple[Any, Any]]]  # field: before, after

    def __bool__(self) -> bool:
        return bool(self.left or self.lost or self.changed)

    def __str__(self) -> str:
        lines = [f"left behind: {' '.join(map(str, k))}" for k in self.left]
        lines += [f"lost: {' '.join(map(str, k))}" for k in self.lost]
        for key, fields in self.changed.items():
            lines += [f"changed: {' '.join(map(str, key))}: {fields}"]
        return "\n".join(lines)


def difference(before: Snapshot, after: Snapshot) -> Difference:
    """How `after` differs from `before`: records added, records gone, and every field
    of every other record compared (none is left out)."""
    changed: dict[tuple[str, str, str], dict[str, tuple[Any, Any]]] = {}
    for key in before.keys() & after.keys():
        old, new = before[key], after[key]
        fields = {
            name: (old.get(name), new.get(name))
            for name in sorted(old.keys() | new.keys())
            if old.get(name) != new.get(name)
        }
        if fields:
            changed[key] = fields
    return Difference(
        sorted(after.keys() - before.keys()), sorted(before.keys() - after.keys()), changed
    )


# --- scanning for secrets ----------------------------------------------------------------

# Runs of base64 long enough to hide a token (Allure's single-file report embeds every
# data file as base64).
BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{24,}={0,2}")


def forms(secret: str) -> set[bytes]:
    """The ways a secret can be written into a file: as it is, URL-encoded (form bodies,
    queries), JSON-escaped, and base64 (standard and URL-safe, as in a JWT) at any of its
    three alignments (a secret inside a base64-encoded blob)."""
    texts = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    found = {t.encode() for t in texts}
    raw = secret.encode()
    for shift in range(3):
        # Only the characters whose 6 bits all come from the secret, not its neighbours.
        start, stop = -(-8 * shift // 6), 8 * (shift + len(raw)) // 6
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            found.add(encode(b"\0" * shift + raw)[start:stop])
    return found


@dataclass
class Scan:
    files: int = 0
    bytes: int = 0
    decoded_blobs: int = 0
    found: list[tuple[str, Path]] = field(default_factory=list)  # (secret name, file)


def files_under(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file())
    return found


def scan(files: Iterable[Path], secrets: Mapping[str, str]) -> Scan:
    """Every file searched for every secret in every form (`forms`), and inside every
    base64 run of the file, decoded, as well."""
    names: dict[bytes, set[str]] = {}
    for name, value in secrets.items():
        for form in forms(value):
            names.setdefault(form, set()).add(name)
    pattern = _any_of(names)
    result = Scan()
    for path in files:
        data = path.read_bytes()
        result.files += 1
        result.bytes += len(data)
        views = [data]
        for run in BASE64_RUN.findall(data):
            try:
                views.append(base64.b64decode(run + b"=" * (-len(run) % 4)))
            except (binascii.Error, ValueError):
                continue
            result.decoded_blobs += 1
        hits = {name for view in views for m in pattern.finditer(view) for name in names[m[1]]}
        result.found += [(name, path) for name in sorted(hits)]
    return result


def _any_of(words: Iterable[bytes]) -> re.Pattern[bytes]:
    """One pattern that finds any of `words` (overlapping ones too: a lookahead), built
    as a trie so that a search costs about one step a byte however many words there are."""
    trie: dict[int | None, Any] = {}
    for word in words:
        node = trie
        for byte in word:
            node = node.setdefault(byte, {})
        node[None] = {}

    def branch(node: dict[int | None, Any]) -> bytes:
        keys = sorted(k for k in node if k is not None)
        arms = [re.escape(bytes([k])) + branch(node[k]) for k in keys]
        if not arms:
            return b""
        body = arms[0] if len(arms) == 1 else b"(?:" + b"|".join(arms) + b")"
        return b"(?:" + body + b")?" if None in node else body

    return re.compile(b"(?=(" + branch(trie) + b"))")
