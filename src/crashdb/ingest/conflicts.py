"""Conflicts: a record whose key is already stored must be the same record.

Inserts are ``ON CONFLICT DO NOTHING``, so an identical re-log (a retry, a spool replay, an
import run twice) stores nothing and returns the same id. A re-log of the same key with other
content is not silently dropped: the write path compares it with what is stored and raises
:class:`~crashdb.ConflictingRecord` naming the key and the fields that differ, and the whole
transaction is rolled back.

What a record "says" is every field it holds a value for, except the fields the builder filled
with the time of the call (``defaulted``): an omitted field (None) is not compared, so a bare
re-log of a round whose strategy came from the bot's registration is still identical.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from crashdb.db.models import SERVER_FILLED
from crashdb.exceptions import ConflictingRecord
from crashdb.ingest.records import Record
from crashdb.ingest.tables import record_columns

__all__ = [
    "KEYS",
    "Candidate",
    "check_stored",
    "compare_repeated",
    "compare_repeats",
    "dedupe",
    "differing",
    "raise_conflicts",
    "same_json",
]

# The natural key each kind's id is derived from, as its conflict names it.
KEYS: dict[str, tuple[str, ...]] = {
    "round": ("bot_id", "session_id", "round_number", "bet_slot"),
    "multiplier": ("round_id", "multiplier_kind"),
    "signal": ("round_id", "bot_id", "session_id", "round_number", "signal_type"),
    "outcome": ("round_id",),
}
_NOT_CONTENT = SERVER_FILLED | {"id"}
_JSON_COLUMNS = frozenset({"metadata", "feature_vector", "context", "config"})

# (row in the batch or None, the record's values by column, the columns it does not say)
Candidate = tuple[int | None, Mapping[str, Any], frozenset[str]]


def _canonical(value: Any) -> Any:
    """A JSON value with its numbers as Decimals (JSON numbers are decimal text: PostgreSQL's
    jsonb keeps ``1.5e300`` as the number 15 followed by 299 zeros, and gives it back as an
    int; both mean the same JSON number)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return Decimal(repr(value) if isinstance(value, float) else value).normalize()
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def same_json(a: Any, b: Any) -> bool:
    """Whether two JSON values are the same JSON (numbers compared by value)."""
    return bool(_canonical(a) == _canonical(b))


def differing(new: Mapping[str, Any], stored: Mapping[str, Any], skip: frozenset[str]) -> list[str]:
    """The columns whose value ``new`` holds and ``stored`` does not equal."""
    out = []
    for column, value in new.items():
        if value is None or column in skip or column in _NOT_CONTENT or column not in stored:
            continue
        old = stored[column]
        if column in _JSON_COLUMNS:
            if not same_json(value, old):
                out.append(column)
        elif value != old:
            out.append(column)
    return out


def raise_conflicts(
    kind: str, found: Sequence[tuple[int | None, Mapping[str, Any], list[str]]]
) -> None:
    """Raise :class:`ConflictingRecord` for the first of ``found`` (row, values, differing)."""
    if not found:
        return
    row, values, fields = found[0]
    key = {k: values.get(k) for k in KEYS.get(kind, ("id",)) if values.get(k) is not None}
    if not key:
        key = {"id": values.get("id")}
    raise ConflictingRecord(kind, key, fields, row, more=len(found) - 1)


def check_stored(
    conn: Connection, table: Table, kind: str, candidates: Sequence[Candidate]
) -> None:
    """Compare each candidate (not inserted: its id was already stored) with the stored row;
    raise :class:`ConflictingRecord` if any differs."""
    by_id: dict[uuid.UUID, list[Candidate]] = {}
    for cand in candidates:
        by_id.setdefault(cand[1]["id"], []).append(cand)
    ids = sorted(by_id)
    found: list[tuple[int | None, Mapping[str, Any], list[str]]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for stored in conn.execute(select(table).where(table.c.id.in_(chunk))).mappings():
            for row, values, skip in by_id[stored["id"]]:
                fields = differing(values, dict(stored), skip)
                if fields:
                    found.append((row, values, fields))
    found.sort(key=lambda f: -1 if f[0] is None else f[0])
    raise_conflicts(kind, found)


R = TypeVar("R", bound=Record)


def dedupe(
    items: Iterable[tuple[int | None, R]],
) -> tuple[dict[uuid.UUID, tuple[int | None, R]], list[tuple[int | None, R]]]:
    """The first record of each id, in order, and the later ones (within one batch the first
    occurrence is the one written, like ``ON CONFLICT DO NOTHING``)."""
    firsts: dict[uuid.UUID, tuple[int | None, R]] = {}
    repeats: list[tuple[int | None, R]] = []
    for row, rec in items:
        if rec.id in firsts:
            repeats.append((row, rec))
        else:
            firsts[rec.id] = (row, rec)
    return firsts, repeats


def compare_repeats(
    kind: str,
    firsts: Mapping[uuid.UUID, tuple[int | None, Record]],
    repeats: Sequence[tuple[int | None, Record]],
) -> None:
    """A key given twice in one batch must say the same both times."""
    compare_repeated(
        kind,
        (
            ((row, record_columns(rec), rec.defaulted), record_columns(first), first.defaulted)
            for row, rec in repeats
            for first in (firsts[rec.id][1],)
        ),
    )


def compare_repeated(
    kind: str, pairs: Iterable[tuple[Candidate, Mapping[str, Any], frozenset[str]]]
) -> None:
    """Each repeat (a candidate) against the values and defaulted fields of the first record
    of its key in the batch: :class:`ConflictingRecord` for the first that differs."""
    found = []
    for (row, values, skip), first, first_skip in pairs:
        fields = differing(values, first, skip | first_skip)
        if fields:
            found.append((row, values, fields))
    raise_conflicts(kind, found)
