"""The assembled sandbox and `talkqa sandbox`, used the way a harness or a person uses them.

In-process: the `Sandbox` serves every system with the credentials it describes, and a
record written to one system reaches another through Sesam's pump API. As a command: a
subprocess prints one JSON line, answers real HTTP calls, and stops cleanly on SIGTERM
and SIGINT.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from talkqa.sandbox.app import Ports, Sandbox, SandboxError
from talkqa.sandbox.command import CREDENTIAL_ENV, add_parser, run
from talkqa.sandbox.credentials import Credentials, CustomerpCredentials, SesamCredentials
from talkqa.sandbox.faults import FAULTS, FaultSet

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ROOT / "features"
BOUND = 20.0  # seconds a poll or a process may take before the test gives up
FORWARD = "talk:zohocrm-customerp:zohocrm-account-to-customerp-customer:forward"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(features_dir=FEATURES) as served:
        yield served


# -- talking to each system, as a client would -------------------------------------------


def zoho_session(description: dict[str, Any]) -> requests.Session:
    creds = description["credentials"]["zohocrm"]
    answer = requests.post(
        description["zohocrm"]["accounts_url"] + "/oauth/v2/token",
        data={"grant_type": "refresh_token", **creds},
        timeout=5,
    )
    body = answer.json()
    assert "access_token" in body, body
    assert body["api_domain"] == description["zohocrm"]["api_url"]
    session = requests.Session()
    session.headers["Authorization"] = f"Zoho-oauthtoken {body['access_token']}"
    return session


def webcrm_session(description: dict[str, Any]) -> requests.Session:
    answer = requests.post(
        description["webcrm"]["api_url"] + "/Auth/ApiLogin",
        data={"authCode": description["credentials"]["webcrm"]["auth_code"]},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {answer.json()['AccessToken']}"
    return session


def customerp_session(description: dict[str, Any]) -> requests.Session:
    session = requests.Session()
    session.headers["X-API-Key"] = description["credentials"]["customerp"]["api_key"]
    return session


def sesam_session(description: dict[str, Any]) -> requests.Session:
    answer = requests.post(
        description["sesam"]["api_url"] + "/jwt",
        data=description["credentials"]["sesam"],
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {answer.json()}"
    return session


def check_every_system_answers(description: dict[str, Any]) -> None:
    zoho = zoho_session(description)
    accounts = zoho.get(
        description["zohocrm"]["api_url"] + "/crm/v8/Accounts",
        params={"fields": "Account_Name"},
        timeout=5,
    )
    assert accounts.status_code in (200, 204), accounts.text
    webcrm = webcrm_session(description)
    organisations = webcrm.get(description["webcrm"]["api_url"] + "/Organisations", timeout=5)
    assert organisations.status_code == 200, organisations.text
    customerp = customerp_session(description)
    customers = customerp.get(description["customerp"]["api_url"] + "/customers", timeout=5)
    assert customers.status_code == 200, customers.text
    sesam = sesam_session(description)
    pipes = sesam.get(description["sesam"]["api_url"] + "/pipes", timeout=5)
    assert pipes.status_code == 200 and pipes.json(), pipes.text


def customer_names(description: dict[str, Any]) -> list[str]:
    customerp = customerp_session(description)
    answer = customerp.get(description["customerp"]["api_url"] + "/customers", timeout=5)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    items = body["data"] if isinstance(body, dict) else body
    return [item["name"] for item in items]


def create_account(description: dict[str, Any], name: str) -> None:
    zoho = zoho_session(description)
    answer = zoho.post(
        description["zohocrm"]["api_url"] + "/crm/v8/Accounts",
        json={"data": [{"Account_Name": name}]},
        timeout=5,
    )
    assert answer.status_code == 201, answer.text


# -- the Sandbox in-process --------------------------------------------------------------


def test_the_description_names_every_system_and_its_credentials(sandbox: Sandbox) -> None:
    description = sandbox.description()
    assert description == json.loads(json.dumps(description))
    assert set(description) == {"zohocrm", "webcrm", "customerp", "sesam", "credentials"}
    assert set(description["zohocrm"]) == {"accounts_url", "api_url"}
    for system in ("webcrm", "customerp", "sesam"):
        assert set(description[system]) == {"api_url"}
    assert description["customerp"]["api_url"].endswith("/api/v1")
    assert description["sesam"]["api_url"].endswith("/api")
    assert {k: set(v) for k, v in description["credentials"].items()} == {
        "zohocrm": {"client_id", "client_secret", "refresh_token"},
        "webcrm": {"auth_code"},
        "customerp": {"api_key"},
        "sesam": {"email", "password"},
    }
    roots = {description[s]["api_url"].split("/")[2] for s in ("webcrm", "customerp", "sesam")}
    assert len(roots | {description["zohocrm"]["accounts_url"].split("/")[2]}) == 4


def test_every_system_answers_with_the_described_credentials(sandbox: Sandbox) -> None:
    check_every_system_answers(sandbox.description())


def test_configured_credentials_are_the_ones_accepted() -> None:
    credentials = Credentials(
        customerp=CustomerpCredentials(api_key="cerp_other_key_1111111111111111111111"),
        sesam=SesamCredentials(email="lead@sandbox.invalid", password="another-password"),
    )
    with Sandbox(features_dir=FEATURES, credentials=credentials) as served:
        description = served.description()
        assert description["credentials"]["sesam"]["email"] == "lead@sandbox.invalid"
        check_every_system_answers(description)
        url = description["customerp"]["api_url"] + "/customers"
        default_key = {"X-API-Key": CustomerpCredentials().api_key}
        assert requests.get(url, headers=default_key, timeout=5).status_code == 401


def sync_forward(description: dict[str, Any]) -> None:
    """Sesam's wait pattern on the accounts pipe: start, wait, until both queues are empty."""
    sesam = sesam_session(description)
    pump = description["sesam"]["api_url"] + f"/pipes/{quote(FORWARD, safe='')}/pump"
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        started = sesam.post(pump, data={"operation": "start"}, timeout=5)
        assert started.status_code in (200, 409), started.text
        state = sesam.get(pump, timeout=5).json()["runtime"]
        while state["is-running"] and time.monotonic() < deadline:
            state = sesam.get(pump, timeout=5).json()["runtime"]
        if not state["is-running"] and not any(state["queues"].values()):
            return
    raise AssertionError(f"{FORWARD} never emptied its queues")


def test_a_record_reaches_the_other_system_through_the_pump_api(sandbox: Sandbox) -> None:
    description = sandbox.description()
    create_account(description, "Fjordkraft Sandbox AS")
    sync_forward(description)
    assert "Fjordkraft Sandbox AS" in customer_names(description)


def test_with_a_schedule_records_sync_without_being_asked() -> None:
    with Sandbox(features_dir=FEATURES, schedule=0.05) as served:
        description = served.description()
        create_account(description, "Scheduled Sandbox AS")
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline:
            if "Scheduled Sandbox AS" in customer_names(description):
                break
        else:
            raise AssertionError("the scheduled runs never synced the account")


def test_faults_can_be_replaced_while_serving(sandbox: Sandbox) -> None:
    sandbox.faults = FaultSet.parse(["no-create"])
    description = sandbox.description()
    create_account(description, "Never Created AS")
    sync_forward(description)
    assert "Never Created AS" not in customer_names(description)


def test_close_stops_serving() -> None:
    served = Sandbox(features_dir=FEATURES)
    url = served.description()["sesam"]["api_url"] + "/pipes"
    served.close()
    served.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)


def test_a_busy_fixed_port_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SandboxError, match=f"port {port} for webcrm .* is in use"):
            Sandbox(features_dir=FEATURES, ports=Ports(webcrm=port))


def test_fixed_ports_are_used() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Sandbox(features_dir=FEATURES, ports=Ports(sesam=port)) as served:
        assert served.description()["sesam"]["api_url"] == f"http://127.0.0.1:{port}/api"


def test_a_missing_features_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match="no such features folder"):
        Sandbox(features_dir=tmp_path / "nope")


# -- the command ----------------------------------------------------------------------------


def test_the_command_registers_on_the_talkqa_parser() -> None:
    parser = argparse.ArgumentParser(prog="talkqa")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["sandbox", "--fault", "no-create", "--schedule", "2"])
    assert args.handler is run
    assert args.fault == ["no-create"] and args.schedule == 2.0
    with pytest.raises(SystemExit):
        parser.parse_args(["sandbox", "--schedule", "0"])


def talkqa_sandbox(*options: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "talkqa.sandbox.command", "--features", str(FEATURES), *options],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def first_line(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], BOUND)
    assert ready, "the sandbox printed nothing"
    line = process.stdout.readline()
    assert line, process.stderr.read() if process.stderr else "no output"
    description: dict[str, Any] = json.loads(line)
    return description


def finished(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    out, err = process.communicate(timeout=BOUND)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_command_serves_until_signalled(stop: signal.Signals) -> None:
    process = talkqa_sandbox()
    try:
        check_every_system_answers(first_line(process))
        process.send_signal(stop)
        result = finished(process)
    finally:
        process.kill()
        process.communicate()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


@pytest.mark.slow
def test_the_command_takes_credentials_from_the_environment() -> None:
    env = {"TALKQA_SANDBOX_SESAM_PASSWORD": "from-the-environment"}
    process = talkqa_sandbox(env=env)
    try:
        description = first_line(process)
        assert description["credentials"]["sesam"]["password"] == "from-the-environment"
        sesam_session(description)
        process.terminate()
        assert process.wait(timeout=BOUND) == 0
    finally:
        process.kill()
        process.communicate()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--fault", "no-such-fault"], "known faults: " + ", ".join(FAULTS)),
        (["--fault", "no-create@no-such-section"], "names no section"),
    ],
    ids=["unknown fault", "unknown section"],
)
def test_a_bad_fault_is_a_one_line_error(options: list[str], message: str) -> None:
    result = finished(talkqa_sandbox(*options))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert message in result.stderr


@pytest.mark.slow
def test_a_busy_port_is_a_one_line_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = finished(talkqa_sandbox("--port-sesam", str(port)))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and f"port {port} for sesam" in result.stderr


@pytest.mark.slow
def test_list_faults_prints_the_catalogue() -> None:
    result = finished(talkqa_sandbox("--list-faults"))
    assert result.returncode == 0, result.stderr
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert listed == list(FAULTS)


@pytest.mark.slow
def test_help_names_the_credential_variables() -> None:
    result = finished(talkqa_sandbox("--help"))
    assert result.returncode == 0
    for name in CREDENTIAL_ENV:
        assert name in result.stdout
