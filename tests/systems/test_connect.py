"""`connect()` and the settings it takes: from the sandbox's description, from the
environment, and what it says when something is missing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from talkqa.sandbox.app import Sandbox
from talkqa.systems import (
    SETTINGS,
    Sesam,
    connect,
    settings_from_description,
    settings_from_env,
)
from talkqa.systems.customerp import Customerp
from talkqa.systems.errors import UsageError
from talkqa.systems.webcrm import Webcrm
from talkqa.systems.zohocrm import ZohoCrm

FEATURES = Path(__file__).resolve().parents[2] / "features"
PIPE = "talk:zohocrm-customerp:zohocrm-account-to-customerp-customer:forward"
ENVIRON = {
    "TALKQA_ZOHOCRM_ACCOUNTS_URL": "https://accounts.zoho.eu",
    "TALKQA_ZOHOCRM_CLIENT_ID": "1000.ID",
    "TALKQA_ZOHOCRM_CLIENT_SECRET": "secret",
    "TALKQA_ZOHOCRM_REFRESH_TOKEN": "1000.refresh",
    "TALKQA_WEBCRM_API_URL": "https://api.webcrm.com",
    "TALKQA_WEBCRM_AUTH_CODE": "guid",
    "TALKQA_CUSTOMERP_API_URL": "https://erp.example/api/v1",
    "TALKQA_CUSTOMERP_API_KEY": "key",
    "TALKQA_SESAM_API_URL": "https://node.sesam.cloud/api",
    "TALKQA_SESAM_EMAIL": "qa@example.com",
    "TALKQA_SESAM_PASSWORD": "pw",
}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(features_dir=FEATURES) as sandbox:
        yield sandbox


def test_settings_from_env_read_every_system() -> None:
    settings = settings_from_env(ENVIRON)
    assert settings["webcrm"] == {"api_url": "https://api.webcrm.com", "auth_code": "guid"}
    assert {s: tuple(v) for s, v in settings.items()} == SETTINGS
    assert isinstance(connect("zohocrm", settings["zohocrm"]), ZohoCrm)
    assert isinstance(connect("webcrm", settings["webcrm"]), Webcrm)
    assert isinstance(connect("customerp", settings["customerp"]), Customerp)
    assert isinstance(connect("sesam", settings["sesam"]), Sesam)


def test_missing_variables_are_all_named_at_once() -> None:
    environ = {k: v for k, v in ENVIRON.items() if "WEBCRM" not in k and "SESAM_EMAIL" not in k}
    with pytest.raises(UsageError) as caught:
        settings_from_env(environ)
    message = str(caught.value)
    for name in ("TALKQA_WEBCRM_API_URL", "TALKQA_WEBCRM_AUTH_CODE", "TALKQA_SESAM_EMAIL"):
        assert name in message
    assert "ZOHOCRM" not in message
    assert settings_from_env(environ, systems=["customerp"])["customerp"]["api_key"] == "key"


def test_connect_names_missing_settings_and_unknown_systems() -> None:
    with pytest.raises(UsageError, match=r"api_key \(live runs: TALKQA_CUSTOMERP_API_KEY\)"):
        connect("customerp", {"api_url": "https://erp.example/api/v1"})
    with pytest.raises(UsageError, match="known systems: zohocrm, webcrm, customerp, sesam"):
        connect("tripletex", {})


def test_a_sync_driven_end_to_end_through_the_connectors(sandbox: Sandbox) -> None:
    settings = settings_from_description(sandbox.description())
    zoho = connect("zohocrm", settings["zohocrm"], max_wait=5)
    erp = connect("customerp", settings["customerp"])
    sesam = connect("sesam", settings["sesam"])
    account = zoho.create("Account", {"Account_Name": "Acme AS", "Billing_City": "Oslo"})
    assert sesam.start(PIPE) is True
    deadline = time.monotonic() + 10
    while sesam.pump(PIPE)["runtime"]["is-running"] and time.monotonic() < deadline:
        time.sleep(0.02)
    [customer] = erp.find("Customer", "name", "Acme AS")
    assert customer["billing_address"]["city"] == "Oslo"
    assert zoho.get("Account", account) is not None
