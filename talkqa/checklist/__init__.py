"""Sesam Talk QA checklists: the document model, its parser, its Gherkin, its drift check."""

from talkqa.checklist.model import (
    Checklist,
    ChecklistError,
    MergeCriterion,
    PropertyRow,
    Section,
    SystemEntity,
)
from talkqa.checklist.parser import parse_checklist, parse_file

__all__ = [
    "Checklist",
    "ChecklistError",
    "MergeCriterion",
    "PropertyRow",
    "Section",
    "SystemEntity",
    "parse_checklist",
    "parse_file",
]
