"""The files of ``crashdb/db/sql`` (package data) and how they are rendered per dialect.

The rendered text depends only on the dialect, never on data: values are bound parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["DIALECTS", "Dialect", "sql_file", "statements"]


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    money_real: str  # appended to CAST(money AS DOUBLE PRECISION): the real value
    day: str  # a round's UTC day
    collate: str  # appended to the key columns of a fold
    confidence_units: str  # a signal's confidence_score in units of 10^-4, an integer


DIALECTS = {
    "postgresql": Dialect(
        "postgresql",
        "",
        "(round_start_timestamp AT TIME ZONE 'UTC')::date",
        ' COLLATE "C"',
        "CAST(confidence_score * 10000 AS BIGINT)",
    ),
    "sqlite": Dialect(
        "sqlite", " / 10000.0", "date(round_start_timestamp)", "", "confidence_score"
    ),
}


@cache
def sql_file(name: str) -> str:
    """One file of ``crashdb/db/sql``, without its leading comment lines."""
    text = (resources.files("crashdb.db") / "sql" / name).read_text()
    lines = text.splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip()


def statements(script: str) -> list[str]:
    """The statements of a script whose statements are separated by blank lines."""
    out = []
    for block in re.split(r"\n\s*\n", script):
        lines = [ln for ln in block.splitlines() if not ln.startswith("--")]
        stmt = "\n".join(lines).strip()
        if stmt:
            out.append(stmt.removesuffix(";") if not stmt.endswith("END;") else stmt[:-1])
    return out
