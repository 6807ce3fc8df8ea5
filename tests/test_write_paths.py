"""The bot-loop fast paths store exactly what the general paths store.

* ``construct`` (the builders' replacement for pydantic's ``model_construct``) gives records
  equal to ``model_construct``'s, with the same fields-set, and falls back to it.
* The write path's insert (:func:`crashdb.ingest.tables.insert_rows`) stores the rows the
  SQLAlchemy Core insert stores (same bind conversions), on both backends; replays count 0
  new rows, and driver errors arrive wrapped as SQLAlchemy errors.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import OperationalError

from crashdb import Database
from crashdb.ingest import build_round, write_records
from crashdb.ingest.records import RoundRecord, SessionStartRecord, construct, round_uuid
from crashdb.ingest.rounds import round_values
from crashdb.ingest.tables import ROUND_COLUMNS, ROUNDS, insert_rows, round_tuple


def _kw(n: int, **over: Any) -> dict[str, Any]:
    kw: dict[str, Any] = {
        "bot_id": "fast_bot",
        "session_id": "fast_session",
        "game_name": "aviator",
        "platform_code": "dafabet",
        "round_number": n,
        "stake_value": Decimal("10.00"),
        "crash_multiplier": Decimal("2.45"),
        "cashout_multiplier": Decimal("1.33") if n % 2 else None,
        "round_outcome": "WIN" if n % 2 else "LOSS",
        "round_start_timestamp": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=n),
    }
    if n % 3 == 0:
        kw.update(running_balance_before=Decimal("100.1234"), bet_slot=2, auto_cashout=True)
    if n % 4 == 0:
        kw["metadata"] = {"strategy": "martingale", "step": n}
    kw.update(over)
    return kw


def test_construct_equals_model_construct() -> None:
    kw = _kw(3, metadata={"a": 1})
    values = round_values(kw, [])
    meta = values.pop("metadata")
    rid = round_uuid("fast_bot", "fast_session", 3, 2)
    fast = construct(RoundRecord, id=rid, round_metadata=meta, **values)
    slow = RoundRecord.model_construct(id=rid, round_metadata=meta, **values)
    assert fast == slow
    assert list(fast.__dict__) == list(slow.__dict__)  # declaration order
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_dump(mode="json") == slow.model_dump(mode="json")
    assert build_round(**kw) == slow


def test_construct_falls_back_for_missing_or_unknown_fields() -> None:
    partial = construct(SessionStartRecord, id=round_uuid("b", "s", 1))  # required ones missing
    assert partial.model_fields_set == {"id"}
    assert "bot_id" not in partial.__dict__  # as model_construct leaves it
    extra = construct(SessionStartRecord, id=round_uuid("b", "s", 1), not_a_field=1)
    assert "not_a_field" not in extra.__dict__


def _dump(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(*(ROUNDS.c[c] for c in ROUND_COLUMNS)).order_by(ROUNDS.c.id)
        ).all()
    return [tuple(r) for r in rows]


def test_the_insert_stores_what_a_core_insert_stores(db: Database) -> None:
    """The write path's driver-level insert (one rendered statement, the columns' own bind
    processors) stores exactly the rows SQLAlchemy's Core insert stores, and a replay adds
    nothing."""
    records = [build_round(**_kw(n)) for n in range(1, 41)]
    first = write_records(db, records[:30])
    again = write_records(db, records[20:])  # 10 replayed, 10 new
    assert first.inserted["round"] == 30
    assert again.inserted["round"] == 10
    fast = _dump(db)
    with db.engine.begin() as conn:
        conn.execute(delete(ROUNDS))
        rows = [dict(zip(ROUND_COLUMNS, round_tuple(r, {}), strict=True)) for r in records]
        conn.execute(insert(ROUNDS), rows)
    core = _dump(db)
    assert len(fast) == 40
    assert fast == core  # JSON metadata, exact money, UTC timestamps, ids alike


def test_driver_errors_are_sqlalchemy_errors(tmp_path: Path) -> None:
    """The writer's outage logic reads SQLAlchemy's error classes: a locked SQLite database
    reaches it as an OperationalError."""
    path = tmp_path / "locked.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.init_db()
    write_records(db, [build_round(**_kw(1))])  # bot and session registered: rounds only next
    locker = sqlite3.connect(path, timeout=0)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        with db.engine.connect() as conn, pytest.raises(OperationalError, match="locked"):
            conn.exec_driver_sql("PRAGMA busy_timeout = 0")
            insert_rows(conn, ROUNDS, [round_tuple(build_round(**_kw(2)), {})])
    finally:
        locker.rollback()
        locker.close()
        db.dispose()
