"""The Talk engine's public records (re-exported by `talkqa.sandbox.engine`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from talkqa.sandbox.store import Collection, Record
from talkqa.spec import catalogue


@dataclass(frozen=True)
class SystemHandle:
    """What the engine needs of one emulated system."""

    key: str  # catalogue key: "zohocrm", "webcrm", "customerp"
    system: catalogue.System
    collections: dict[str, Collection]  # the emulation's collections, by catalogue entity name
    # The API's own rendering of a stored record (entity name, record -> its JSON): what
    # Talk reads, as it sees only what the system's API answers.
    render: Callable[[str, Record], dict[str, Any]]


@dataclass(frozen=True)
class PipeInfo:
    id: str  # "talk:<dataflow>:<feature stem>:forward" or ":reverse"
    section: str  # SectionSpec.key
    direction: str  # "forward": source -> target, creates and edits; "reverse": edits back
    source: tuple[str, str]  # (system key, entity name) read by this pipe
    target: tuple[str, str]  # (system key, entity name) written by this pipe


@dataclass
class PipeRun:
    pipe: str
    started: datetime
    finished: datetime
    processed: int  # records read
    written: int  # records created or updated in the target
    errors: list[str] = field(default_factory=list)
