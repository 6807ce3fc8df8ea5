"""The rules applied a column at a time: the fast path for large batches of rounds.

Validating row by row costs tens of microseconds per round in Python, as much as the server
spends storing it. For a batch of plain values (Decimals, ints, strs, aware datetimes, dicts)
this module checks each column with :meth:`crashdb.ingest.rules.Rule.check_column` (list
comprehensions, ``min``/``max`` over the column) and derives each row's money with the same
:func:`crashdb.ingest.rounds.derive_money` as the row path.

It only ever says "the batch is valid, here are its records" or "not sure": anything unusual
(an unknown key, a value of an unexpected type, any rule broken) raises
:class:`~crashdb.ingest.rules.Slow`, and the caller validates row by row, which names every
bad field and row. For valid input both paths build equal records (a property test checks it).
"""

from __future__ import annotations

import gc
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, TypeVar

from crashdb.db.models import OUTCOMES
from crashdb.exceptions import FieldError, InvalidRecord
from crashdb.ingest.fields import ROUND_RULES
from crashdb.ingest.records import RoundRecord, construct_columns, round_uuid
from crashdb.ingest.rounds import (
    ROUND_DEFAULTS,
    ROUND_LOOKUP,
    ROUND_REQUIRED,
    derive_money,
    round_record,
    round_values,
)
from crashdb.ingest.tables import ROUND_FIELDS, RoundRow, round_row
from crashdb.ingest.values import Slow

__all__ = ["RoundStream", "Slow", "columnar_rounds", "columnar_rows", "gc_paused"]

T = TypeVar("T")
_OUTCOMES = frozenset(OUTCOMES)
# Fields a column-wise batch may leave out, with the value a record would hold.
_DEFAULTS = {
    name: info.default
    for name, info in RoundRecord.model_fields.items()
    if not info.is_required() and info.default_factory is None
}
_START_DEFAULTED = frozenset({"round_start_timestamp"})
_NO_DEFAULTS: frozenset[str] = frozenset()


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (reference counting still frees what a bulk load
    drops). A large batch creates hundreds of thousands of objects that all survive until the
    load ends; the collector would scan them again and again, costing as much as building
    them. Nested and concurrent pauses end when the last one does."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def _check(name: str, values: list[Any]) -> list[Any]:
    if name == "round_outcome":
        if not set(values) <= _OUTCOMES:
            raise Slow
        return values
    return ROUND_RULES[name].check_column(values)


def _columns(batch: Sequence[Any]) -> dict[str, list[Any]]:
    keys: set[str] = set()
    shapes: set[frozenset[str]] = set()
    for kw in batch:
        if type(kw) is not dict and not isinstance(kw, Mapping):
            raise Slow
        shape = frozenset(kw)
        if shape not in shapes:
            shapes.add(shape)
            keys |= shape
    cols: dict[str, list[Any]] = {}
    uniform = len(shapes) == 1
    for key in keys:
        entry = ROUND_LOOKUP.get(key) if type(key) is str else None
        if entry is None or entry[0] in cols:
            raise Slow  # unknown, an id to check, or a column given under two names
        name = entry[0]
        col = list(map(itemgetter(key), batch)) if uniform else [kw.get(key) for kw in batch]
        cols[name] = _check(name, col)
    return cols


def columnar_rounds(batch: Sequence[Any]) -> list[RoundRecord]:
    """The records of ``batch`` (round keyword dicts), or :class:`Slow` unless every row is
    provably valid."""
    return construct_columns(RoundRecord, _round_columns(batch), len(batch))


def columnar_rows(batch: Sequence[Any]) -> list[RoundRow]:
    """What :func:`columnar_rounds` validates, as :data:`RoundRow` s: the values straight from
    the validated columns, without a record object per row."""
    cols = _round_columns(batch)
    n = len(batch)
    columns = [cols[f] if f in cols else [_DEFAULTS[f]] * n for f in ROUND_FIELDS]
    values = zip(*columns, strict=True)
    return list(zip(cols["id"], values, cols["defaulted"], strict=True))


def _round_columns(batch: Sequence[Any]) -> dict[str, list[Any]]:
    """The validated columns of ``batch``, keyed by :class:`RoundRecord` field (``id`` and
    ``defaulted`` included), or :class:`Slow`."""
    n = len(batch)
    if n == 0:
        raise Slow
    cols = _columns(batch)
    for name in ROUND_REQUIRED:
        if name not in cols or any(x is None for x in cols[name]):
            raise Slow
    for name, default in ROUND_DEFAULTS:
        given = cols.get(name)
        if given is None:
            cols[name] = [default] * n
        elif any(x is None for x in given):
            cols[name] = [default if x is None else x for x in given]
    none: list[Any] = [None] * n
    starts = cols.get("round_start_timestamp", none)
    now = datetime.now(UTC)
    defaulted = [_START_DEFAULTED if s is None else _NO_DEFAULTS for s in starts]
    cols["round_start_timestamp"] = [now if s is None else s for s in starts]
    ends = cols.get("round_end_timestamp", none)
    if any(
        e is not None and e < s for s, e in zip(cols["round_start_timestamp"], ends, strict=True)
    ):
        raise Slow

    profits, afters, rois = [], [], []
    for o, s, cr, co, p, b, a, r in zip(
        cols["round_outcome"],
        cols["stake_value"],
        cols.get("crash_multiplier", none),
        cols.get("cashout_multiplier", none),
        cols.get("profit_loss", none),
        cols.get("running_balance_before", none),
        cols.get("running_balance_after", none),
        cols.get("roi_percent", none),
        strict=True,
    ):
        p, a, r, problems = derive_money(o, s, cr, co, p, b, a, r)
        if problems:
            raise Slow
        profits.append(p)
        afters.append(a)
        rois.append(r)
    cols["profit_loss"] = profits
    cols["running_balance_after"] = afters
    cols["roi_percent"] = rois

    ids = list(
        map(round_uuid, cols["bot_id"], cols["session_id"], cols["round_number"], cols["bet_slot"])
    )
    cols["round_metadata"] = cols.pop("metadata", none)
    cols["id"] = ids
    cols["defaulted"] = defaulted
    return cols


class RoundStream:
    """The rounds of a batch (round keyword dicts), validated chunk by chunk as the write path
    consumes them, so that validation overlaps the database's work on a large load.

    Iterating yields ``(row, record)`` for valid rows, in order (``row`` numbered from
    ``first_row``). A chunk is validated column-wise when it can be (:func:`columnar_rounds`),
    else row by row. After the first bad row nothing more is yielded, but the rest is still
    validated, and the iteration ends by raising :class:`~crashdb.InvalidRecord` naming every
    bad row (up to ``max_errors``): the write path aborts and nothing is written.

    ``heads`` are the records of the first valid row of each (bot, session), validated up
    front: the write path registers bots and sessions from them before it writes a round.
    ``ids`` holds the ids of what was yielded. A stream can be iterated again (it validates
    again). The first chunk is small, so that the database starts on a large load at once.
    """

    FIRST_CHUNK = 500
    CHUNK = 5_000

    def __init__(self, batch: Sequence[Any], first_row: int = 0, max_errors: int = 100) -> None:
        self.batch = batch
        self.first_row = first_row
        self.max_errors = max_errors
        self.ids: list[uuid.UUID] = []
        self.heads = self._heads()

    def __len__(self) -> int:
        return len(self.batch)

    def _heads(self) -> list[RoundRecord]:
        firsts: dict[tuple[Any, Any], int] = {}
        for i, kw in enumerate(self.batch):
            if isinstance(kw, Mapping):
                key = (kw.get("bot_id"), kw.get("session_id"))
                try:
                    firsts.setdefault(key, i)
                except TypeError:  # unhashable values: reported when the row is validated
                    continue
        heads = []
        for i in firsts.values():
            scratch: list[FieldError] = []
            v = round_values(self.batch[i], scratch, i)
            if not scratch:
                heads.append(round_record(v))
        return heads

    def __iter__(self) -> Iterator[tuple[int, RoundRecord]]:
        """``(row, record)`` for each valid row (see the class doc)."""
        self.ids = []
        for i, rec in self._validated(columnar_rounds, _same):
            self.ids.append(rec.id)
            yield i, rec

    def rows(self) -> Iterator[tuple[int, RoundRow]]:
        """``(row, RoundRow)`` for each valid row, like iterating the stream, for the bulk
        path: rows validated column-wise are never made into records."""
        self.ids = []
        for i, row in self._validated(columnar_rows, round_row):
            self.ids.append(row[0])
            yield i, row

    def _chunks(self) -> Iterator[tuple[int, Sequence[Any]]]:
        start, size = 0, self.FIRST_CHUNK
        while start < len(self.batch):
            yield start, self.batch[start : start + size]
            start, size = start + size, self.CHUNK

    def _validated(
        self,
        columnar: Callable[[Sequence[Any]], list[T]],
        from_record: Callable[[RoundRecord], T],
    ) -> Iterator[tuple[int, T]]:
        errors: list[FieldError] = []
        first = self.first_row
        for start, chunk in self._chunks():
            try:
                items = columnar(chunk)
            except Slow:
                items = []
                for i, kw in enumerate(chunk, start=first + start):
                    if len(errors) >= self.max_errors:
                        break
                    if not isinstance(kw, Mapping):
                        errors.append(
                            FieldError("row", f"expected a dict, got {type(kw).__name__}", i)
                        )
                        continue
                    n = len(errors)
                    v = round_values(kw, errors, i)
                    if len(errors) == n:
                        items.append(from_record(round_record(v)))
            if errors:
                if len(errors) >= self.max_errors:
                    break
                continue
            yield from enumerate(items, start=first + start)
        if errors:
            raise InvalidRecord(errors[: self.max_errors], "batch of rounds")


def _same(rec: RoundRecord) -> RoundRecord:
    return rec
