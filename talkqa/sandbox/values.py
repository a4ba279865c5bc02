"""Value checks the emulated APIs share."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_date(value: Any) -> bool:
    """A calendar date written `YYYY-MM-DD` (and a real one: no 2024-02-30)."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
