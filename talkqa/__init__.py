"""talkqa: Sesam Talk QA checklists made executable."""

__version__ = "0.1.0"
