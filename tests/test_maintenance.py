"""cleanup_old_records (dry run first, children before rounds) and get_database_size."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from crashdb import Database
from crashdb.analytics.maintenance import cleanup_old_records, get_database_size
from crashdb.db.models import CrashGameRound, ErrorLog, SessionLog
from factories import SessionSpec, add_multiplier_rows, add_session, add_signals

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def _count(db: Database, model: type) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_cleanup_dry_run_then_apply(db: Database) -> None:
    old = add_session(
        db, SessionSpec(bot_id="a", session_id="old", start=NOW - timedelta(days=120)), 250, seed=1
    )
    new = add_session(
        db, SessionSpec(bot_id="a", session_id="new", start=NOW - timedelta(days=10)), 40, seed=2
    )
    add_multiplier_rows(db, old + new)
    add_signals(db, old[:100] + new[:10], "t", Decimal("2.00"), 0.5)
    with db.write_connection() as conn:
        conn.execute(
            insert(ErrorLog),
            [
                {
                    "id": uuid.uuid4(),
                    "error_type": "ocr",
                    "timestamp": NOW - timedelta(days=200),
                    "round_id": None,
                },
                {
                    "id": uuid.uuid4(),
                    "error_type": "ocr",
                    "timestamp": NOW,
                    "round_id": old[0]["id"],
                },
                {"id": uuid.uuid4(), "error_type": "net", "timestamp": NOW, "round_id": None},
            ],
        )
    plan = cleanup_old_records(90, now=NOW)
    assert plan["dry_run"] is True
    assert plan["tables"] == {
        "analytics_round_multipliers": 250,
        "analytics_round_signals": 100,
        "analytics_round_outcomes": 0,
        "error_logs": 2,
        "ocr_validation_logs": 0,
        "crash_game_rounds": 250,
    }
    assert plan["total_records"] == 602
    assert _count(db, CrashGameRound) == 290  # nothing deleted by the dry run
    done = cleanup_old_records(90, dry_run=False, batch_size=64, now=NOW)
    assert done["tables"] == plan["tables"]
    assert done["batches"] >= 4
    assert _count(db, CrashGameRound) == 40
    assert _count(db, ErrorLog) == 1
    assert _count(db, SessionLog) == 2  # sessions and their totals are kept
    again = cleanup_old_records(90, dry_run=False, now=NOW)
    assert again["total_records"] == 0


def test_database_size(db: Database) -> None:
    add_session(db, SessionSpec(), 30, seed=3)
    size = get_database_size()
    assert size["tables"]["crash_game_rounds"] == 30
    assert size["tables"]["game_platform_config"] == 9
    assert size["total_records"] == sum(size["tables"].values())
    assert size["bytes"] > 0
    if db.backend == "postgresql":
        assert size["table_bytes"]["crash_game_rounds"] > 0
