"""`--talkqa-shard K/N`: run one of N shares of the collected tests, for CI machines.

Every machine collects the same tests from the same commit, in the same order, and keeps
every N-th of them starting at the K-th (round robin, so each share gets scenarios of
every section and their cost evens out). The N shares together are the whole run, each
test in exactly one. Written here because the shard plugins on the package index are
unmaintained, and this is a dozen lines; pytest-xdist (`-n`) splits within a machine.
"""

from __future__ import annotations

import re

import pytest

SHARD = re.compile(r"(\d+)/(\d+)")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("talkqa").addoption(
        "--talkqa-shard",
        default=None,
        metavar="K/N",
        help="run only the K-th of N equal shares of the tests (1/4 .. 4/4), one per CI machine",
    )


def shard_of(text: str) -> tuple[int, int]:
    """(K, N) from `K/N`, or a usage error that shows the form."""
    found = SHARD.fullmatch(text.strip())
    if found is None or not 1 <= int(found.group(1)) <= int(found.group(2)):
        raise pytest.UsageError(
            f"talkqa: --talkqa-shard {text!r}: give K/N with 1 <= K <= N, e.g. 2/4 for the "
            "second of four machines"
        )
    return int(found.group(1)), int(found.group(2))


@pytest.hookimpl(trylast=True)  # after every other selection (-k, --talkqa-section)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    text = config.getoption("talkqa_shard", default=None)
    if text is None:
        return
    k, n = shard_of(text)
    keep = items[k - 1 :: n]
    kept = set(keep)
    config.hook.pytest_deselected(items=[i for i in items if i not in kept])
    items[:] = keep
