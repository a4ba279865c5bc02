"""One replay of the seed suite with a deliberately broken cassette, reported as a QA
engineer reports it: `pytest --alluredir`, then `talkqa report`. The tests in this folder
read what that run left: the results, the Allure report, the filled-in checklist."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INI = "[pytest]\naddopts = -p no:cacheprovider\nbdd_features_base_dir = features\n"
BROKEN_SECTION = "zohocrm-customerp/zohocrm-account-to-customerp-customer"
BROKEN_CASSETTE = f"cassettes/{BROKEN_SECTION}/phone-is-synchronized-with-phone-as-string.json"
WRONG_PHONE = "+47 000 00 000"
SECTIONS_SHOWN = {
    "ZohoCRM to Customerp Dataflow": (
        "ZohoCRM Account to Customerp Customer",
        "ZohoCRM Contact to Customerp Contact",
        "ZohoCRM Deal to Customerp Order",
    ),
    "Customerp to Webcrm Dataflow": (
        "Customerp Customer to Webcrm Organisations",
        "Customerp Contact to Webcrm Persons",
        "Customerp Product to Webcrm Products",
    ),
}
CUSTOMER_URL = re.compile(r"customerp\.talkqa\.invalid/api/v1/customers/\d+$")


@dataclass(frozen=True)
class Run:
    root: Path
    pytest: subprocess.CompletedProcess[str]
    report: subprocess.CompletedProcess[str]

    @property
    def results(self) -> Path:
        return self.root / "reports" / "allure-results"

    @property
    def out(self) -> Path:
        return self.root / "reports"


def _copy_suite(root: Path) -> None:
    for name in ("features", "steps", "checklists", "cassettes"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "conftest.py", root / "conftest.py")
    (root / "pytest.ini").write_text(INI)
    (root / "node_modules").symlink_to(ROOT / "node_modules")


def break_phone(cassette: Path) -> None:
    """Customerp answers a wrong phone once the ZohoCRM edit has been synchronized: the
    scenario of the Account's Phone row must fail as a sync defect."""
    data = json.loads(cassette.read_text())
    reads = [
        i
        for i in data["interactions"]
        if i["request"]["method"] == "GET" and CUSTOMER_URL.search(i["request"]["uri"])
    ]
    answer = reads[1]["response"]["body"]
    customer = json.loads(answer["string"])
    customer["phone"] = WRONG_PHONE
    answer["string"] = json.dumps(customer)
    cassette.write_text(json.dumps(data))


def talkqa(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "talkqa"), *args]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def reported_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("reported")
    _copy_suite(root)
    break_phone(root / BROKEN_CASSETTE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "steps", "-q", "--alluredir", "reports/allure-results"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    report = talkqa(root, "report")
    return Run(root, tested, report)
