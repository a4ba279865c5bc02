"""Bad input gets a clear answer, never a traceback (issue 6, item 5).

Each case runs the way a user meets it: the `talkqa` command, or pytest on a scratch copy
of the checklist suite in a subprocess (replayed, or live against the sandbox or a small
loopback server that misbehaves). Each asserts that the message says what is wrong, where,
and what to do; that the exit status is not 0; and that no Python traceback, nor a pytest
repr of internals, is shown.

Covered elsewhere, not repeated here:
- a file that is not a checklist (empty, Markdown, a bad title, a missing cell, not UTF-8,
  a bad date), given to `talkqa parse`: tests/checklist/test_checklist_cli_parse.py
  (`test_a_file_that_is_not_a_checklist_gets_one_error_line_and_the_others_are_still_parsed`,
  `test_a_missing_path_is_an_error_line_too`, and through the installed console script
  `test_the_installed_console_script_parses_and_reports_bad_files_without_a_traceback`);
  given to `talkqa import`: tests/checklist/test_checklist_import.py
  (`test_a_file_that_is_not_a_checklist_is_reported_and_the_others_imported`,
  `test_a_feature_saved_in_another_encoding_is_reported_not_a_traceback`).
- an unknown `--talkqa-fault`: tests/test_pytest_plugin.py; bad `talkqa sandbox` options
  (an unknown fault or section, a busy port): tests/sandbox/test_app.py.
- the wording of a cassette out of date after recording: tests/harness/test_record_replay.py
  (`test_a_replay_that_meets_a_changed_request_names_it_and_the_command_to_re_record`); the
  cases below add the exit status and the absence of a traceback, on the shipped cassettes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from talkqa.sandbox.app import Sandbox
from talkqa.systems import SETTINGS, settings_from_description, variable

ROOT = Path(__file__).resolve().parents[1]
TALKQA = Path(sys.executable).parent / "talkqa"
INI = "[pytest]\naddopts = -p no:cacheprovider\nbdd_features_base_dir = features\n"
ACCOUNT = "features/zohocrm-customerp/zohocrm-account-to-customerp-customer.feature"
CONTACT = "features/zohocrm-customerp/zohocrm-contact-to-customerp-contact.feature"
DEAL = "features/zohocrm-customerp/zohocrm-deal-to-customerp-order.feature"
PERSONS = "features/customerp-webcrm/customerp-contact-to-webcrm-persons.feature"
NEW_ACCOUNT = "test_a_new_zohocrm_account_gets_a_linked_customerp_customer"
NEW_CONTACT = "test_a_new_zohocrm_contact_gets_a_linked_customerp_contact"
NEW_DEAL = "test_a_new_zohocrm_deal_gets_a_linked_customerp_order"
NEW_CUSTOMER = "test_a_new_customerp_customer_gets_a_linked_webcrm_organisations"
NEW_PERSON = "test_a_new_customerp_contact_gets_a_linked_webcrm_persons"
EDITED_CUSTOMER = "test_an_edit_to_the_customerp_customer_reaches_the_linked_webcrm_organisations"
BOUND = 120  # seconds: a hung run fails the test instead of hanging it

# What a traceback or pytest's repr of internals looks like.
TRACEBACK_SIGNS = {
    "a Python traceback": r"Traceback \(most recent call last\)",
    "a frame of a Python file": r"\.py:\d+",
    "pytest's `E   ` lines": r"^E\s{3}",
    "a frame of an installed package": r"site-packages",
    "a pytest source excerpt": r"^>\s{3}",
}

pytestmark = pytest.mark.slow


def assert_no_traceback(text: str) -> None:
    for what, sign in TRACEBACK_SIGNS.items():
        found = re.search(sign, text, re.MULTILINE)
        assert found is None, f"{what} ({found.group(0)!r}) in:\n{text}"


def failures(output: str) -> dict[str, str]:
    """Each failed or erroring test's section of pytest's report, by test name."""
    sections: dict[str, str] = {}
    name: str | None = None
    for line in output.splitlines():
        header = re.fullmatch(r"_+ (?:ERROR at \w+ of )?(test_\S+) _+", line)
        if header:
            name = header.group(1)
            sections[name] = ""
        elif line.startswith("====="):
            name = None
        elif name is not None:
            sections[name] += line + "\n"
    return sections


# --- running the suite and the command ----------------------------------------------------


def scratch_suite(folder: Path, cassettes: tuple[str, ...] = ()) -> Path:
    """A copy of the project's suite (features, steps, conftest) in `folder`, with the
    cassettes of the features named (`<dataflow>/<feature stem>`)."""
    for name in ("features", "steps"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "conftest.py", folder / "conftest.py")
    (folder / "pytest.ini").write_text(INI)
    for feature in cassettes:
        shutil.copytree(ROOT / "cassettes" / feature, folder / "cassettes" / feature)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def clean_environ(extra: dict[str, str] | None = None) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TALKQA_")}
    return {**environ, **(extra or {})}


def run_suite(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "steps", "-q", *args],
        cwd=folder,
        env=clean_environ(env),
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )


def run_live(
    folder: Path, test: str, settings: dict[str, dict[str, str]], *args: str
) -> subprocess.CompletedProcess[str]:
    """One scenario run live (`--talkqa-env live`) against the systems `settings` name."""
    env = {
        variable(system, key): settings[system][key]
        for system, keys in SETTINGS.items()
        for key in keys
    }
    return run_suite(
        folder, "-k", test, "--disable-recording", "--talkqa-env", "live", *args, env=env
    )


def talkqa(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TALKQA), *args],
        cwd=cwd,
        env=clean_environ(),
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )


# --- a loopback system that misbehaves ----------------------------------------------------

Answer = Callable[[str, str], tuple[int, dict[str, str], Any]]


@contextmanager
def serving(answer: Answer) -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server answering each request with `answer(method, path)`:
    (status, headers, JSON body). Yields its URL and the requests it saw."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(f"{self.command} {self.path}")
            status, headers, body = answer(self.command, self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=BOUND)


def every_system_at(url: str) -> dict[str, dict[str, str]]:
    """Live settings that send every system's requests to `url`."""
    return {
        "zohocrm": {
            "accounts_url": url,
            "client_id": "1000.LOOPBACK",
            "client_secret": "loopback-secret",
            "refresh_token": "1000.loopback.refresh",
        },
        "webcrm": {"api_url": url, "auth_code": "loopback-auth-code"},
        "customerp": {"api_url": f"{url}/api/v1", "api_key": "loopback-key"},
        "sesam": {"api_url": f"{url}/api", "email": "qa@loopback.invalid", "password": "pw"},
    }


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """The embedded sandbox, in this process; the suites under test reach it over HTTP."""
    with Sandbox(features_dir=ROOT / "features", zoho_token_grants=None) as started:
        yield started


def sandbox_settings(sandbox: Sandbox) -> dict[str, dict[str, str]]:
    described = settings_from_description(sandbox.description())
    return {s: {k: str(described[s][k]) for k in keys} for s, keys in SETTINGS.items()}


@pytest.fixture(scope="module")
def live_suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scratch_suite(tmp_path_factory.mktemp("live"))


# --- malformed checklist and feature files ------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with the shipped checklists and features."""
    for name in ("checklists", "features"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def test_check_names_a_file_in_checklists_that_is_not_a_checklist_and_exits_2(
    project: Path,
) -> None:
    (project / "checklists" / "notes.rst").write_text("# Notes\n\nSome *markdown*.\n")

    result = talkqa("check", cwd=project)

    assert result.returncode == 2
    assert (
        "error: checklists/notes.rst:1: expected the checklist title ('<Source> to <Target> "
        "Dataflow' between lines of '='), found '# Notes'; replace it with the checklist as "
        "Sesam generated it, or remove it\n"
    ) in result.stderr
    assert "`talkqa import` brings features up to date" not in result.stderr
    assert_no_traceback(result.stdout + result.stderr)


def test_check_names_a_feature_that_is_not_valid_gherkin_and_exits_2(project: Path) -> None:
    edit(project / ACCOUNT, "  Scenario: A new ZohoCRM", "  Scenari: A new ZohoCRM")

    result = talkqa("check", cwd=project)

    assert result.returncode == 2
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert line.startswith(f"error: {ACCOUNT}:13: not valid Gherkin: ")
    assert "got 'Scenari: A new ZohoCRM Account" in line
    assert line.endswith("fix it by hand (`talkqa import` cannot read it either)")
    assert_no_traceback(result.stdout + result.stderr)


def test_check_of_a_folder_without_checklists_says_which_folder_to_give(project: Path) -> None:
    (project / "empty").mkdir()

    result = talkqa("check", "--checklists", "empty", cwd=project)

    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: empty: no checklist (*.rst) to check against; give the folder that holds the "
        "checklists (--checklists), or `talkqa import` one first\n"
    )
    assert_no_traceback(result.stdout + result.stderr)


def test_a_feature_that_is_not_valid_gherkin_fails_the_suite_with_its_file_and_line(
    tmp_path: Path,
) -> None:
    suite = scratch_suite(tmp_path)
    edit(suite / ACCOUNT, "  Scenario: A new ZohoCRM", "  Scenari: A new ZohoCRM")

    result = run_suite(suite, "-k", NEW_CUSTOMER)

    assert result.returncode not in (0, 5)
    output = result.stdout + result.stderr
    assert f"{ACCOUNT}:13" in output
    assert "Scenari: A new ZohoCRM Account" in output
    assert "Gherkin" in output
    assert_no_traceback(output)


def test_a_feature_without_its_header_line_stops_the_suite_with_one_message(
    tmp_path: Path,
) -> None:
    suite = scratch_suite(tmp_path)
    edit(suite / ACCOUNT, "  Source system: ZohoCRM\n", "")

    result = run_suite(suite, "-k", NEW_ACCOUNT)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert (
        f"{ACCOUNT}:3: the feature's description lacks 'Source system:' (header lines "
        "written by `talkqa import`; restore them)"
    ) in output
    assert_no_traceback(output)


# --- a feature naming what the catalogue does not know ------------------------------------


@pytest.fixture(scope="module")
def unknown_names(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One replay of four features, each naming something the catalogue does not know;
    the failure report of each one's first scenario. Each fails before any request."""
    suite = scratch_suite(tmp_path_factory.mktemp("unknown-names"))
    edit(suite / ACCOUNT, "  Source system: ZohoCRM\n", "  Source system: ZohoKRM\n")
    edit(suite / CONTACT, "  Target entity: Contact\n", "  Target entity: Kontact\n")
    edit(suite / DEAL, "| total_amount |", "| total_amont  |")
    edit(suite / PERSONS, "Given a new Customerp Contact\n", "Given a new Customerp Kontakt\n")
    tests = (NEW_ACCOUNT, NEW_CONTACT, NEW_DEAL, NEW_PERSON)
    result = run_suite(suite, "-k", " or ".join(tests))
    assert result.returncode == 1, result.stdout + result.stderr
    found = failures(result.stdout)
    assert set(found) == set(tests), result.stdout
    return found


def test_a_feature_naming_an_unknown_system_says_which_header_line_to_correct(
    unknown_names: dict[str, str],
) -> None:
    report = unknown_names[NEW_ACCOUNT]
    assert report == (
        "the scenario cannot run at 'Given a new ZohoCRM Account' (line 14):\n"
        f"{ACCOUNT}:6: 'Source system: ZohoKRM' names no system the catalogue knows "
        "(systems: Customerp, WebCRM, ZohoCRM; did you mean 'ZohoCRM'?); correct the "
        "feature's header line, or describe the system in talkqa/spec/systems/\n"
    )
    assert_no_traceback(report)


def test_a_feature_naming_an_unknown_entity_says_which_header_line_to_correct(
    unknown_names: dict[str, str],
) -> None:
    report = unknown_names[NEW_CONTACT]
    assert report == (
        "the scenario cannot run at 'Given a new ZohoCRM Contact' (line 14):\n"
        f"{CONTACT}:9: 'Target entity: Kontact': Customerp has no such entity in the "
        "catalogue (entities: Customer, Contact, Order, Product; did you mean 'Contact'?); "
        "correct the feature's header line, or add the entity to "
        "talkqa/spec/systems/customerp.toml\n"
    )
    assert_no_traceback(report)


def test_a_property_row_naming_an_unknown_property_says_which_row_to_correct(
    unknown_names: dict[str, str],
) -> None:
    report = unknown_names[NEW_DEAL]
    assert report.startswith("the scenario cannot run at 'Given a new ZohoCRM Deal")
    assert (
        f"{DEAL}:44: the property row Amount -> total_amont: Customerp Order has no "
        "property 'total_amont' (did you mean 'total_amount'?); correct the row in the "
        "feature's 'Examples: Properties' (the Customerp fields talkqa knows are in "
        "talkqa/spec/systems/customerp.toml)\n"
    ) in report
    assert_no_traceback(report)


def test_a_step_naming_an_unknown_entity_lists_the_system_s_entities(
    unknown_names: dict[str, str],
) -> None:
    report = unknown_names[NEW_PERSON]
    assert report == (
        "the scenario cannot run at 'Given a new Customerp Kontakt' (line 14):\n"
        "'Customerp Kontakt': Customerp has no entity 'Kontakt' in the catalogue "
        "(entities: Customer, Contact, Order, Product; did you mean 'Contact'?); name a "
        "record '<system> <entity>' as the features' header lines do; this feature joins "
        "Customerp Contact and Webcrm Persons\n"
    )
    assert_no_traceback(report)


# --- cassettes -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cassette_problems(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, str]]:
    """One replay on the shipped cassettes: one scenario's cassette removed, another's
    first request changed. The exit status and each one's failure report."""
    feature = "customerp-webcrm/customerp-customer-to-webcrm-organisations"
    suite = scratch_suite(tmp_path_factory.mktemp("cassettes"), (feature,))
    folder = suite / "cassettes" / feature
    (folder / "a-new-customerp-customer-gets-a-linked-webcrm-organisations.json").unlink()
    changed = (
        folder / "an-edit-to-the-customerp-customer-reaches-the-linked-webcrm-organisations.json"
    )
    cassette = json.loads(changed.read_text())
    first = cassette["interactions"][0]["request"]
    assert first["method"] == "POST" and first["uri"].endswith("/api/v1/customers")
    first["body"] = first["body"].replace('"organization_number"', '"organisation_number"')
    changed.write_text(json.dumps(cassette))
    result = run_suite(suite, "-k", f"{NEW_CUSTOMER} or {EDITED_CUSTOMER}")
    return result.returncode, failures(result.stdout)


def test_a_scenario_without_a_cassette_names_the_command_that_records_it(
    cassette_problems: tuple[int, dict[str, str]],
) -> None:
    status, found = cassette_problems
    report = found[NEW_CUSTOMER]
    assert status == 1
    node = f"steps/test_checklists.py::{NEW_CUSTOMER}"
    assert report.startswith(
        f"cassette out of date for {node}\n"
        "  POST http://customerp.talkqa.invalid/api/v1/customers: the scenario has no "
        "cassette yet\n"
        f"  re-record it against the sandbox: .venv/bin/pytest {node} --record-mode=rewrite\n"
    )
    assert re.search(
        r"^Cassette: \S+/a-new-customerp-customer-gets-a-linked-webcrm-organisations\.json "
        r"\(missing\)$",
        report,
        re.MULTILINE,
    )
    assert_no_traceback(report)


def test_a_cassette_that_no_longer_matches_shows_the_difference_and_the_command(
    cassette_problems: tuple[int, dict[str, str]],
) -> None:
    status, found = cassette_problems
    report = found[EDITED_CUSTOMER]
    assert status == 1
    node = f"steps/test_checklists.py::{EDITED_CUSTOMER}"
    assert report.startswith(
        f"cassette out of date for {node}\n"
        "  POST http://customerp.talkqa.invalid/api/v1/customers: the cassette holds no "
        "exchange like it\n"
        f"  re-record it against the sandbox: .venv/bin/pytest {node} --record-mode=rewrite\n"
    )
    assert '-  "organisation_number": ' in report  # recorded
    assert '+  "organization_number": ' in report  # this request
    assert_no_traceback(report)


# --- wrong or expired credentials, live against the sandbox --------------------------------

# system -> (setting, wrong value, scenario, the step that fails, what the message says)
CREDENTIALS: dict[str, tuple[str, str, str, str, str]] = {
    "customerp": (
        "api_key",
        "cerp_wrong_key",
        NEW_CUSTOMER,
        "Given a new Customerp Customer' (line 14)",
        "customerp: POST {customerp}/api/v1/customers answered 401: unauthorized: the "
        "X-API-Key header is wrong. The credentials were refused: check the Customerp API "
        "key (setting api_key; live: TALKQA_CUSTOMERP_API_KEY).",
    ),
    "webcrm": (
        "auth_code",
        "not-the-auth-code",
        NEW_CUSTOMER,
        "Then a linked Webcrm Organisations holds the Customerp Customer's values' (line 16)",
        "webcrm: POST {webcrm}/Auth/ApiLogin answered 401: invalid_grant: The authentication "
        "code is not valid. The credentials were refused: check the webCRM API token "
        "(setting auth_code; live: TALKQA_WEBCRM_AUTH_CODE), made in webCRM under "
        "Configuration > Integration > API > REST.",
    ),
    "zohocrm": (  # a refresh token Zoho no longer honours: expired or revoked
        "refresh_token",
        "1000.expired0000000000000000000000.expired000000000000000000000000",
        NEW_ACCOUNT,
        "Given a new ZohoCRM Account' (line 14)",
        "zohocrm: POST {zohocrm}/oauth/v2/token answered 200: invalid_code. Check "
        "TALKQA_ZOHOCRM_REFRESH_TOKEN (setting refresh_token): it may be revoked, or belong "
        "to another client or data centre.",
    ),
    "sesam": (
        "password",
        "not-the-password",
        NEW_CUSTOMER,
        "When the dataflow has synchronized' (line 15)",
        "sesam: POST {sesam}/api/jwt answered 401: Unauthorized: wrong email or password. "
        "The credentials were refused: check the Sesam user's email and password (settings "
        "email, password; live: TALKQA_SESAM_EMAIL, TALKQA_SESAM_PASSWORD), and that the "
        "user may use the node.",
    ),
}


@pytest.mark.parametrize("system", CREDENTIALS)
def test_refused_credentials_name_the_system_the_request_and_the_variable_to_check(
    sandbox: Sandbox, live_suite: Path, system: str
) -> None:
    key, wrong, test, step, message = CREDENTIALS[system]
    settings = sandbox_settings(sandbox)
    settings[system][key] = wrong

    result = run_live(live_suite, test, settings)

    assert result.returncode == 1
    report = failures(result.stdout)[test]
    urls = {name: sandbox.url(name) for name in ("zohocrm", "webcrm", "customerp", "sesam")}
    assert report.startswith(f"environment problem at '{step}:\n{message.format(**urls)}\n")
    assert_no_traceback(result.stdout + result.stderr)


def test_a_live_run_without_its_variables_names_them_once(live_suite: Path) -> None:
    result = run_suite(
        live_suite, "-k", NEW_CUSTOMER, "--disable-recording", "--talkqa-env", "live"
    )

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert output.count("TALKQA_SESAM_PASSWORD") == 1
    assert (
        "live runs read each system's URL and credentials from environment variables; set "
        "TALKQA_ZOHOCRM_ACCOUNTS_URL, "
    ) in output
    assert_no_traceback(output)


# --- a system that keeps failing, live against a loopback server --------------------------

# status -> (headers, body, requests sent, what the message says after the request)
FAILING: dict[int, tuple[dict[str, str], dict[str, Any], int, str]] = {
    429: (
        {"Retry-After": "0"},
        {"error": {"code": "rate_limited", "message": "slow down"}},
        6,  # the first and max_retries (5) more
        "answered 429: rate_limited: slow down. Gave up after 5 retries and 0.0 s of "
        "waiting (max_retries 5, max_wait 60 s; next wait 0 s). Wait, then run again; "
        "lower the request rate or raise max_wait.",
    ),
    503: (
        {"Retry-After": "0"},
        {"error": {"code": "unavailable", "message": "maintenance"}},
        6,
        "answered 503: unavailable: maintenance. Gave up after 5 retries and 0.0 s of "
        "waiting (max_retries 5, max_wait 60 s; next wait 0 s). Check customerp's status "
        "(or the sandbox), then run again.",
    ),
    500: (
        {},
        {"error": {"code": "internal", "message": "database unreachable"}},
        1,  # a create that failed may have been made: never sent twice
        "answered 500: internal: database unreachable. customerp failed on its side: check "
        "its status (the sandbox: its output), then run again; if it keeps failing on this "
        "request, report the request to customerp's owners.",
    ),
}


@pytest.mark.parametrize("status", FAILING)
def test_a_system_that_keeps_failing_is_an_environment_problem_saying_what_to_do(
    live_suite: Path, status: int
) -> None:
    headers, body, sent, message = FAILING[status]
    with serving(lambda method, path: (status, headers, body)) as (url, seen):
        result = run_live(live_suite, NEW_CUSTOMER, every_system_at(url))

    assert seen == ["POST /api/v1/customers"] * sent
    assert result.returncode == 1
    report = failures(result.stdout)[NEW_CUSTOMER]
    assert report == (
        "environment problem at 'Given a new Customerp Customer' (line 14):\n"
        f"customerp: POST {url}/api/v1/customers {message}\n"
    )
    assert_no_traceback(result.stdout + result.stderr)


def stuck_sesam(method: str, path: str) -> tuple[int, dict[str, str], Any]:
    """A Sesam whose one pipe is always running with something queued."""
    pipe = {
        "_id": "talk:customerp-webcrm:customerp-customer-to-webcrm-organisations",
        "runtime": {"is-running": True, "queues": {"source": 3, "dependencies": 0}},
    }
    if path == "/api/jwt":
        return 200, {}, "a-jwt"
    if path.startswith("/api/pipes") and method == "POST":
        return 409, {}, pipe
    if path.startswith("/api/pipes"):
        return 200, {}, [pipe] if path == "/api/pipes" else pipe
    return 200, {}, []  # datasets: no links, nothing Talk inserted


def test_a_sync_that_never_completes_names_the_pipes_and_the_timeout_option(
    sandbox: Sandbox, live_suite: Path
) -> None:
    settings = sandbox_settings(sandbox)
    with serving(stuck_sesam) as (url, seen):
        settings["sesam"]["api_url"] = f"{url}/api"
        result = run_live(live_suite, NEW_CUSTOMER, settings, "--talkqa-sync-timeout", "0.2")

    assert seen[:3] == [
        "POST /api/jwt",
        "GET /api/pipes",
        "POST /api/pipes/talk%3Acustomerp-webcrm%3Acustomerp-customer-to-webcrm-organisations/pump",
    ]
    assert result.returncode == 1
    report = failures(result.stdout)[NEW_CUSTOMER]
    assert re.fullmatch(
        r"environment problem at 'When the dataflow has synchronized' \(line 15\):\n"
        r"the dataflow did not finish synchronizing within 0\.2 s \(waited \d+\.\d s over "
        r"1 round\(s\)\); pipes still running or with queues:\n"
        r"  talk:customerp-webcrm:customerp-customer-to-webcrm-organisations: still running, "
        r"queues source 3, dependencies 0\n"
        r"Check the environment \(is Sesam, or the sandbox, up and running these pipes\? "
        r"their logs: GET /pipes/<id>/log\), or raise --talkqa-sync-timeout if it is just "
        r"slow\.\n",
        report,
    ), report
    assert_no_traceback(result.stdout + result.stderr)
