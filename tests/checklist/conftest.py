"""Shared setup for the checklist tests: the real inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "checklists" / "corpus"
SEEDS = REPO / "checklists"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The 1152 real checklists (CRLF), checked out beside the repo as shared/."""
    if not CORPUS.is_dir() or not any(CORPUS.glob("*.rst")):
        pytest.skip(f"the checklist corpus is not checked out at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def seeds() -> Path:
    """The two checklists the project started from (LF, header-only tables)."""
    return SEEDS
