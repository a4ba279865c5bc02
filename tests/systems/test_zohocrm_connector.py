"""The ZohoCRM connector against the v8 emulation served on loopback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import pytest

from talkqa.sandbox.clock import ManualClock
from talkqa.sandbox.credentials import ZohoCredentials
from talkqa.sandbox.zohocrm import ZohoCrmApi
from talkqa.systems.errors import AuthenticationFailed, RateLimited, SystemApiError, UsageError
from talkqa.systems.zohocrm import ZohoCrm

CREDENTIALS = asdict(ZohoCredentials())
Serve = Callable[[Any], str]


@pytest.fixture
def api(clock: ManualClock) -> ZohoCrmApi:
    return ZohoCrmApi(clock)


@pytest.fixture
def url(api: ZohoCrmApi, serve: Serve) -> str:
    api.api_domain = serve(api)
    return api.api_domain


def connector(url: str, sleep: Any, **overrides: Any) -> ZohoCrm:
    settings = {**CREDENTIALS, **overrides}
    return ZohoCrm(url, **settings, page_size=2, sleep=sleep)


@pytest.fixture
def zoho(url: str, sleep: Any) -> ZohoCrm:
    return connector(url, sleep)


def test_the_refresh_grant_gives_a_token_and_the_api_domain(zoho: ZohoCrm, url: str) -> None:
    before = zoho.grant.token  # None: logged in lazily, on the first call
    assert list(zoho.list("Account")) == []
    assert before is None and zoho.grant.token is not None
    assert zoho.grant.api_domain == url


def test_an_expired_token_is_renewed(zoho: ZohoCrm, api: ZohoCrmApi) -> None:
    record_id = zoho.create("Account", {"Account_Name": "Acme"})
    first = zoho.grant.token
    api.expire_tokens()
    assert zoho.get("Account", record_id) is not None
    assert zoho.grant.token != first


@pytest.mark.parametrize(
    ("override", "variable"),
    [
        ({"client_secret": "wrong"}, "TALKQA_ZOHOCRM_CLIENT_SECRET"),
        ({"client_id": "1000.SOMEONEELSE"}, "TALKQA_ZOHOCRM_CLIENT_ID"),
        ({"refresh_token": "1000.revoked.revoked"}, "TALKQA_ZOHOCRM_REFRESH_TOKEN"),
    ],
)
def test_refused_credentials_say_which_variable_to_check(
    url: str, sleep: Any, override: dict[str, str], variable: str
) -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        connector(url, sleep, **override).get("Account", "1")
    assert variable in str(caught.value)
    assert override[next(iter(override))] not in str(caught.value)  # no secrets in messages


def test_too_many_token_grants_is_rate_limited_with_advice(
    clock: ManualClock, serve: Serve, sleep: Any
) -> None:
    api = ZohoCrmApi(clock, token_grant_limit=1)
    api.api_domain = serve(api)
    zoho = connector(api.api_domain, sleep)
    zoho.create("Account", {"Account_Name": "Acme"})
    api.expire_tokens()
    with pytest.raises(RateLimited, match="at most 10 access tokens"):
        next(zoho.list("Account"))


def test_create_get_update_delete(zoho: ZohoCrm) -> None:
    record_id = zoho.create("Account", {"Account_Name": "Acme", "Billing_City": "Oslo"})
    assert record_id.isdigit()
    zoho.update("Account", record_id, {"Phone": "+47 22 00 00 00"})
    record = zoho.get("Account", record_id)
    assert record is not None
    assert (record["id"], record["Account_Name"], record["Billing_City"], record["Phone"]) == (
        record_id,
        "Acme",
        "Oslo",
        "+47 22 00 00 00",
    )
    assert zoho.delete("Account", record_id) is True
    assert zoho.get("Account", record_id) is None


def test_entities_are_named_as_in_the_catalogue(zoho: ZohoCrm) -> None:
    record_id = zoho.create("Accounts", {"Account_Name": "Alias Inc"})  # an alias works too
    assert zoho.get("Account", record_id) is not None
    with pytest.raises(UsageError, match="known entities: Account, Contact, Deal"):
        zoho.get("Leads", "1")


def test_a_refused_record_names_the_code_and_the_field(zoho: ZohoCrm) -> None:
    with pytest.raises(SystemApiError) as caught:
        zoho.create("Contact", {"First_Name": "Ada"})
    assert caught.value.status == 400
    assert "MANDATORY_NOT_FOUND: required field not found (field Last_Name)" in str(caught.value)


def test_an_update_of_a_missing_record_is_an_error(zoho: ZohoCrm) -> None:
    with pytest.raises(SystemApiError, match="INVALID_DATA"):
        zoho.update("Account", "5843104000999999999", {"Phone": "1"})


def test_list_pages_through_every_record_with_every_field(zoho: ZohoCrm) -> None:
    made = {zoho.create("Account", {"Account_Name": f"Acme {n}"}) for n in range(5)}
    listed = list(zoho.list("Account"))
    assert {r["id"] for r in listed} == made
    assert all("Billing_City" in r and "Modified_Time" in r for r in listed)


def test_find_searches_by_criteria_over_several_pages(zoho: ZohoCrm) -> None:
    for n in range(5):
        zoho.create("Account", {"Account_Name": f"Acme {n}", "Industry": "Retail"})
    zoho.create("Account", {"Account_Name": "Other", "Industry": "Energy"})
    assert len(zoho.find("Account", "Industry", "Retail")) == 5
    assert zoho.find("Account", "Industry", "Mining") == []


def test_find_escapes_criteria_syntax_in_values(zoho: ZohoCrm) -> None:
    name = "Smith, Jones (Holdings) \\ Co"
    record_id = zoho.create("Account", {"Account_Name": name})
    zoho.create("Account", {"Account_Name": "Smith"})
    assert [r["id"] for r in zoho.find("Account", "Account_Name", name)] == [record_id]


def test_find_by_email_and_by_boolean(zoho: ZohoCrm) -> None:
    ada = zoho.create("Contact", {"Last_Name": "Lovelace", "Email": "ada@example.com"})
    zoho.create("Contact", {"Last_Name": "Babbage", "Email_Opt_Out": True})
    assert [r["id"] for r in zoho.find("Contact", "Email", "ADA@example.com")] == [ada]
    assert [r["Last_Name"] for r in zoho.find("Contact", "Email_Opt_Out", True)] == ["Babbage"]


def test_credits_used_up_are_retried_then_rate_limited(
    clock: ManualClock, serve: Serve, sleep: Any
) -> None:
    api = ZohoCrmApi(clock, request_budget=1)
    api.api_domain = serve(api)
    zoho = connector(api.api_domain, sleep)
    zoho.create("Account", {"Account_Name": "Acme"})
    with pytest.raises(RateLimited, match="LIMIT_EXCEEDED") as caught:
        list(zoho.list("Account"))
    assert sleep.waits == [0.1, 0.2, 0.4, 0.8, 1.6]
    assert "Gave up after 5 retries" in str(caught.value)
