"""cleanup_old_records (dry run first, children before rounds) and get_database_size."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, insert, select, text

import crashdb
from crashdb import Database, InvalidRecord
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


def test_cleanup_has_the_seed_shape(db: Database) -> None:
    add_session(
        db, SessionSpec(bot_id="a", session_id="old", start=NOW - timedelta(days=120)), 30, seed=1
    )
    plan = cleanup_old_records(90, now=NOW)
    assert plan["dry_run"] is True
    assert plan["records_affected"] == 30 == plan["tables"]["crash_game_rounds"]
    assert datetime.fromisoformat(plan["cutoff_date"]) == NOW - timedelta(days=90)
    done = cleanup_old_records(days_old=90, dry_run=False, now=NOW)
    assert (done["dry_run"], done["records_affected"]) == (False, 30)
    size = get_database_size()
    assert isinstance(size["total_records"], int) and isinstance(size["tables"], dict)
    assert size["tables"]["crash_game_rounds"] == 0


def test_cleanup_refuses_bad_arguments_by_name(db: Database) -> None:
    for kwargs, field in (({"days_old": -5}, "days_old"), ({"batch_size": 0}, "batch_size")):
        with pytest.raises(InvalidRecord) as info:
            cleanup_old_records(**kwargs)  # type: ignore[arg-type]
        assert info.value.fields == [field]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_cleanup_racing_bots_that_log_old_rounds_and_analytics(db: Database) -> None:
    """Bots keep logging rounds (and multiplier, signal and error rows pointing at them) that
    are already past the cut-off while the clean-up deletes them: the clean-up never fails,
    and at the end nothing old is left and nothing points at a missing round."""
    old = NOW - timedelta(days=120)
    stop = threading.Event()
    writer_errors: list[BaseException] = []
    cleanup_errors: list[BaseException] = []
    runs = [0]

    def bot(k: int) -> None:
        n = 0
        while not stop.is_set() and n < 400:
            n += 1
            try:
                ts = old + timedelta(seconds=n)
                rid = crashdb.log_crash_round(
                    bot_id=f"bot{k}", session_id=f"s{k}_{n // 50}", game_name="aviator",
                    round_number=n, stake_value=Decimal("1.00"), crash_multiplier=Decimal("2.00"),
                    round_outcome="LOSS", round_start_timestamp=ts,
                )  # fmt: skip
                crashdb.log_round_multiplier_analytics(
                    round_id=rid, multiplier=Decimal("2.00"), is_crash=True, timestamp=ts
                )
                crashdb.log_round_signal(
                    round_id=rid, signal_type="t", target_multiplier=Decimal("1.50"), timestamp=ts
                )
                crashdb.log_error(error_type="ocr", round_id=rid, timestamp=ts)
            except Exception as exc:
                writer_errors.append(exc)

    def cleaner() -> None:
        while not stop.is_set():
            try:
                cleanup_old_records(90, dry_run=False, batch_size=7, now=NOW, db=db)
                runs[0] += 1
            except BaseException as exc:
                cleanup_errors.append(exc)
                return

    bots = [threading.Thread(target=bot, args=(k,)) for k in range(3)]
    janitor = threading.Thread(target=cleaner)
    for t in [*bots, janitor]:
        t.start()
    for t in bots:
        t.join(timeout=300)
    stop.set()
    janitor.join(timeout=300)
    assert cleanup_errors == []
    assert runs[0] >= 2
    final = cleanup_old_records(90, dry_run=False, now=NOW, db=db)
    assert final["dry_run"] is False
    with db.engine.connect() as conn:
        for table in ("crash_game_rounds", "analytics_round_multipliers",
                      "analytics_round_signals", "error_logs"):  # fmt: skip
            assert conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE "
                     + ("round_start_timestamp" if table == "crash_game_rounds" else "timestamp")
                     + " < :cut"),
                {"cut": NOW - timedelta(days=90)},
            ).scalar() == 0, table  # fmt: skip
        for table in ("analytics_round_multipliers", "analytics_round_signals", "error_logs"):
            orphans = conn.execute(
                text(
                    f"SELECT count(*) FROM {table} c WHERE c.round_id IS NOT NULL AND NOT EXISTS "
                    "(SELECT 1 FROM crash_game_rounds r WHERE r.id = c.round_id)"
                )
            ).scalar()
            assert orphans == 0, table
    # What the bots met is theirs to handle (a round deleted under them): never a crash here.
    assert all(isinstance(e, crashdb.CrashdbError | sa_exc.DBAPIError) for e in writer_errors)
