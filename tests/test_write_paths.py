"""The bot-loop fast paths store exactly what the general paths store.

* ``construct`` (the builders' replacement for pydantic's ``model_construct``) gives records
  equal to ``model_construct``'s, with the same fields-set, and falls back to it.
* SQLite round batches go to the driver's ``executemany``: the stored rows equal those of the
  SQLAlchemy Core insert (same bind conversions), replays count 0 new rows, and driver
  errors arrive wrapped as SQLAlchemy errors (the writer's outage logic depends on that).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

import crashdb.ingest.store as write_module
from crashdb import Database
from crashdb.api import write_records
from crashdb.db.reference import insert_ignoring_conflicts
from crashdb.ingest import build_round
from crashdb.ingest.records import RoundRecord, SessionStartRecord, construct, round_uuid
from crashdb.ingest.validate import round_values


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


def _core_insert(conn: Connection, rows: Any) -> int:
    full = [{c: r.get(c) for c in write_module.ROUND_COLUMNS} for r in rows]
    stmt = insert_ignoring_conflicts("sqlite", write_module.ROUNDS)
    return len(conn.execute(stmt.returning(write_module.ROUNDS.c.id), full).all())


def _dump(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT * FROM crash_game_rounds ORDER BY id"
        ).all()  # created_at / updated_at (last two columns) differ between the two databases
    return [tuple(r)[:-2] for r in rows]


def test_sqlite_fast_path_stores_what_the_core_insert_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [build_round(**_kw(n)) for n in range(1, 41)]
    fast_db = Database(f"sqlite:///{tmp_path / 'fast.sqlite3'}")
    core_db = Database(f"sqlite:///{tmp_path / 'core.sqlite3'}")
    try:
        fast_db.init_db()
        core_db.init_db()
        first = write_records(fast_db, records[:30])
        again = write_records(fast_db, records[20:])  # 10 replayed, 10 new
        assert first.inserted["round"] == 30
        assert again.inserted["round"] == 10
        with monkeypatch.context() as m:
            m.setattr(write_module, "_sqlite_round_rows", _core_insert)
            write_records(core_db, records[:30])
            write_records(core_db, records[20:])
        fast, core = _dump(fast_db), _dump(core_db)
        assert len(fast) == 40
        assert fast == core  # JSON null metadata, REAL money, timestamp text, hex ids alike
    finally:
        fast_db.dispose()
        core_db.dispose()


def test_sqlite_fast_path_errors_are_sqlalchemy_errors(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.init_db()
    write_records(db, [build_round(**_kw(1))])  # bot and session registered: rounds only next
    locker = sqlite3.connect(path, timeout=0)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        with db.engine.connect() as conn, pytest.raises(OperationalError, match="locked"):
            conn.exec_driver_sql("PRAGMA busy_timeout = 0")
            write_module._sqlite_round_rows(conn, [write_module._row(build_round(**_kw(2)))])
    finally:
        locker.rollback()
        locker.close()
        db.dispose()
