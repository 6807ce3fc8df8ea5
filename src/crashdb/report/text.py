"""How ids and times read to people, in the report and on the command line (no heavy imports).

* :func:`natural_key` orders ids the way people count: ``bot_2`` before ``bot_10``;
* :func:`human_time` shows a UTC time to the second: ``2026-03-01 12:00:09``;
* :func:`shown_id` names an empty id instead of showing nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

__all__ = ["EMPTY_ID", "human_time", "natural_key", "shown_id"]

EMPTY_ID = "(empty id)"


def natural_key(text: str | None) -> tuple[Any, ...]:
    """Sort key: digit runs compare as numbers (``bot_2`` < ``bot_10``), case ignored, then
    the exact text (so the order is total and stable)."""
    s = text or ""
    parts = re.split(r"([0-9]+)", s.casefold())
    return (tuple((0, int(p)) if p.isascii() and p.isdigit() else (1, p) for p in parts if p), s)


def human_time(value: Any) -> str:
    """``2026-03-01 12:00:09`` (UTC, to the second) from a datetime or ISO text; ``-`` for
    none."""
    if value is None:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))


def shown_id(value: str | None) -> str:
    """An id as a label: an empty one reads ``(empty id)``."""
    return value or EMPTY_ID
