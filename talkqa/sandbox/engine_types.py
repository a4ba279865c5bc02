"""The Talk engine's public records (re-exported by `talkqa.sandbox.engine`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from talkqa.sandbox.store import Collection
from talkqa.spec import catalogue


@dataclass(frozen=True)
class SystemHandle:
    """What the engine needs of one emulated system."""

    key: str  # catalogue key: "zohocrm", "webcrm", "customerp"
    system: catalogue.System
    collections: dict[str, Collection]  # the emulation's collections, by catalogue entity name


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
