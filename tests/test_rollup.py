"""get_strategy_performance from the per-run summaries (strategy_run_rollups) against the
window-function recomputation over the rounds, after every kind of change, on both backends.

The recomputation is the same function with a time filter that covers every round: that path
reads the rounds themselves (crashdb.analytics.performance) and never the summaries.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import numpy as np
import pytest
from alembic import command
from sqlalchemy import delete, select, text, update

from crashdb import Database
from crashdb.analytics import get_strategy_performance
from crashdb.analytics.maintenance import cleanup_old_records
from crashdb.db.migrate import alembic_config
from crashdb.db.models import CrashGameRound, StrategyRunRollup
from factories import (
    START,
    SessionSpec,
    crash_multipliers,
    ensure_bot_session,
    insert_new_rounds,
    race,
    round_rows,
)

ROLLUP = StrategyRunRollup.__table__.c
STRATEGIES = ("fixed_stake", "martingale", "never_played")
EVERYTHING = "2000-01-01"  # a time filter that keeps every round: the window-function path


def _close(fast: Any, slow: Any, key: str) -> None:
    if isinstance(slow, float) and isinstance(fast, float):
        assert abs(fast - slow) <= 1e-9 * max(1.0, abs(slow)), (key, fast, slow)
    elif isinstance(slow, list) and isinstance(fast, list):
        assert len(fast) == len(slow), key
        for a, b in zip(fast, slow, strict=True):
            _close(a, b, key)
    else:
        assert fast == slow, (key, fast, slow)


def assert_fast_path_matches(db: Database) -> list[dict[str, Any]]:
    out = []
    for strategy in STRATEGIES:
        fast = get_strategy_performance(strategy, db=db)
        slow = get_strategy_performance(strategy, start_date=EVERYTHING, db=db)
        assert fast.keys() == slow.keys()
        for key in slow:
            if key != "verdict":  # a sentence quoting the floats checked here
                _close(fast[key], slow[key], key)
        assert not _stale_runs(db, strategy)
        out.append(fast)
    return out


def _stale_runs(db: Database, strategy: str) -> list[Any]:
    with db.engine.connect() as conn:
        return list(
            conn.execute(
                select(ROLLUP.bot_id, ROLLUP.session_id, ROLLUP.stale_round, ROLLUP.rebuild).where(
                    ROLLUP.strategy_name == strategy, ROLLUP.stale
                )
            ).all()
        )


def _rows(db: Database, spec: SessionSpec, n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    crashes = crash_multipliers(n, 0.97, rng)
    outcomes = [
        "SKIP" if i % 11 == 5 else "ERROR" if i % 17 == 3 else "WIN" if c >= spec.target else "LOSS"
        for i, c in enumerate(crashes)
    ]
    rows = round_rows(spec, crashes, outcomes)
    for i, row in enumerate(rows):
        if row["round_outcome"] == "ERROR":
            row["profit_loss"] = Decimal(0)
        if i % 7 == 0:
            row["running_balance_before"] = None
    ensure_bot_session(db, spec)
    return rows


def _specs() -> list[SessionSpec]:
    # Distinct start offsets: no two rounds of different runs share a timestamp.
    return [
        SessionSpec("bot_a", "s1", "aviator", start=START + timedelta(seconds=1)),
        SessionSpec("bot_a", "s2", "jetx", start=START + timedelta(seconds=2), target=Decimal("3")),
        SessionSpec("bot_b", "s1", "aviator", start=START + timedelta(seconds=3)),
        SessionSpec(
            "bot_c",
            "s1",
            "unknown_game",
            strategy_name="martingale",
            start=START + timedelta(seconds=4),
            target=Decimal("1.50"),
            stake=Decimal("20.0000"),
        ),
    ]


def test_fast_path_matches_recomputation_after_every_change(db: Database) -> None:
    rows = [_rows(db, spec, 400, seed) for seed, spec in enumerate(_specs())]
    # One session mixes strategies: each strategy's run is its own rounds of that session.
    for row in rows[0][::3]:
        row["strategy_name"] = "martingale"
    # A second game inside one run.
    for row in rows[2][200:]:
        row["game_name"] = "jetx"

    # 1. Rounds arrive in order, in several batches (appended to the summaries).
    for lo, hi in ((0, 100), (100, 101), (101, 250)):
        insert_new_rounds(db, [r for run in rows for r in run[lo:hi]])
        assert_fast_path_matches(db)
    # Small statements only mark the runs (PostgreSQL folds bulk statements: see below).
    # The trigger remembered where the new rounds start: the refresh folds only those in.
    insert_new_rounds(db, [run[250] for run in rows])
    stale = {(s.bot_id, s.session_id): s for s in _stale_runs(db, "fixed_stake")}
    assert stale[("bot_a", "s2")].stale_round == 251
    assert not stale[("bot_a", "s2")].rebuild
    assert_fast_path_matches(db)

    # 2. Out of order: later rounds first, then the gap before them, then a second bet slot.
    insert_new_rounds(db, [r for run in rows for r in run[330:]])
    assert_fast_path_matches(db)
    insert_new_rounds(db, [r for run in rows for r in run[251:330][::-1]])
    assert_fast_path_matches(db)
    second_slot = [
        {
            **r,
            "id": uuid.uuid4(),
            "bet_slot": 2,
            "stake_value": Decimal("2.5000"),
            "profit_loss": Decimal("-2.5000"),
            "round_outcome": "LOSS",
        }
        for r in rows[1][40:45]
    ]
    insert_new_rounds(db, second_slot)
    assert_fast_path_matches(db)

    # 3. Duplicates are ignored and change nothing.
    before = assert_fast_path_matches(db)
    insert_new_rounds(db, [r for run in rows for r in run[100:300]])
    assert assert_fast_path_matches(db) == before

    # 4. A new run after the summaries were made.
    late = SessionSpec("bot_d", "s9", "aviator", start=START + timedelta(days=3, seconds=5))
    insert_new_rounds(db, _rows(db, late, 120, 99))
    assert_fast_path_matches(db)

    # 5. cleanup_old_records deletes the oldest rounds: the affected runs are rebuilt, and a
    # run with no rounds left disappears.
    now = START + timedelta(days=90, minutes=30)
    result = cleanup_old_records(90, dry_run=False, now=now, batch_size=97, db=db)
    assert result["tables"]["crash_game_rounds"] > 0
    assert_fast_path_matches(db)
    cleanup_old_records(0, dry_run=False, now=START + timedelta(days=2), db=db)
    assert_fast_path_matches(db)
    with db.engine.connect() as conn:
        runs = set(conn.execute(select(ROLLUP.bot_id, ROLLUP.session_id)).all())
    assert runs == {("bot_d", "s9")}


def test_multirow_statements_fold_like_single_rows(db: Database) -> None:
    """Each batch is one INSERT statement holding rows of several runs (on PostgreSQL the
    insert trigger folds a whole transition table at once): ragged batch edges cut through
    win and loss streaks, equal drawdowns and runs whose first balance is unknown."""
    specs = _specs()
    rows = [_rows(db, spec, 300, seed + 10) for seed, spec in enumerate(specs)]
    for row in rows[1][:5]:
        row["running_balance_before"] = None  # a run whose first balance is unknown
    # Equal falls: a fixed stake that loses, wins back and loses again.
    for i, row in enumerate(rows[3][:60]):
        win = (i // 3) % 2 == 1
        row["round_outcome"] = "WIN" if win else "LOSS"
        row["profit_loss"] = Decimal("10.0000") if win else Decimal("-10.0000")
    # The longest streaks run across batch edges (40/41 and 150/151).
    for run, lo, hi, outcome in ((0, 30, 46, "WIN"), (2, 140, 162, "LOSS"), (1, 0, 12, "WIN")):
        for row in rows[run][lo:hi]:
            row["round_outcome"] = outcome
            row["profit_loss"] = row["stake_value"] * (1 if outcome == "WIN" else -1)
    edges = [0, 1, 2, 7, 40, 41, 97, 150, 151, 299, 300]
    for lo, hi in itertools.pairwise(edges):
        batch = [r for run in rows for r in run[lo:hi]]
        with db.write_connection() as conn:
            if db.backend == "postgresql":  # fold every statement in the trigger
                conn.execute(text("SET LOCAL crashdb.rollup_fold_min_rows = 0"))
            conn.execute(CrashGameRound.__table__.insert().values(batch))
        if db.backend == "postgresql":
            assert not _stale_runs(db, "fixed_stake") and not _stale_runs(db, "martingale")
        assert_fast_path_matches(db)


# SQLite has row-level triggers only: it always folds at query time.
@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_postgresql_folds_bulk_statements_while_writing(db: Database) -> None:
    """A statement of at least 1,000 rounds (a bulk load) is folded by the insert trigger:
    the first query after it finds every run summarised. A smaller one marks its runs."""
    rows = [_rows(db, spec, 300, seed + 20) for seed, spec in enumerate(_specs())]
    with db.write_connection() as conn:
        conn.execute(CrashGameRound.__table__.insert().values([r for run in rows for r in run]))
    assert not _stale_runs(db, "fixed_stake") and not _stale_runs(db, "martingale")
    assert_fast_path_matches(db)
    late = SessionSpec("bot_d", "s9", "aviator", start=START + timedelta(days=3, seconds=5))
    with db.write_connection() as conn:
        conn.execute(CrashGameRound.__table__.insert().values(_rows(db, late, 999, 7)))
    assert [(s.bot_id, s.session_id) for s in _stale_runs(db, "fixed_stake")] == [("bot_d", "s9")]
    assert_fast_path_matches(db)


def test_truncate_empties_the_summaries(db: Database) -> None:
    insert_new_rounds(db, _rows(db, _specs()[0], 50, 3))
    assert get_strategy_performance("fixed_stake", db=db)["total_rounds"] == 50
    if db.backend == "postgresql":
        with db.write_connection() as conn:
            conn.execute(text("TRUNCATE crash_game_rounds CASCADE"))
    else:  # SQLite has no TRUNCATE: DELETE without WHERE is its truncate optimisation
        with db.write_connection() as conn:
            conn.execute(text("DELETE FROM crash_game_rounds"))
    assert get_strategy_performance("fixed_stake", db=db)["total_rounds"] == 0
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM strategy_run_rollups")).scalar_one() == 0


def test_updates_and_direct_deletes_rebuild_the_run(db: Database) -> None:
    spec = _specs()[0]
    insert_new_rounds(db, _rows(db, spec, 300, 5))
    assert_fast_path_matches(db)
    with db.write_connection() as conn:
        conn.execute(
            update(CrashGameRound)
            .where(CrashGameRound.round_number.in_([10, 11, 12]))
            .values(profit_loss=Decimal("-500.0000"), round_outcome="LOSS")
        )
    assert_fast_path_matches(db)
    with db.write_connection() as conn:
        conn.execute(update(CrashGameRound).values(strategy_name="martingale"))
    assert_fast_path_matches(db)
    with db.write_connection() as conn:
        conn.execute(delete(CrashGameRound).where(CrashGameRound.round_number > 150))
    assert_fast_path_matches(db)


def test_migration_backfills_existing_rounds(db: Database) -> None:
    for seed, spec in enumerate(_specs()):
        insert_new_rounds(db, _rows(db, spec, 150, seed))
    expected = assert_fast_path_matches(db)
    with db.write_connection() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003_session_totals")
        assert "strategy_run_rollups" not in _tables(conn)
        command.upgrade(cfg, "head")
    # Every run is back, marked for a rebuild on its first query.
    backfilled = _stale_runs(db, "fixed_stake")
    assert len(backfilled) == 3 and all(s.rebuild for s in backfilled)
    assert assert_fast_path_matches(db) == expected


def _tables(conn: Any) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(conn).get_table_names())


def test_empty_and_unknown_strategies(db: Database) -> None:
    result = get_strategy_performance("never_played", db=db)
    assert result["found"] is False and result["total_rounds"] == 0
    assert result["sessions"] == 0 and result["max_drawdown"] == "0.0000"
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM strategy_run_rollups")).scalar_one() == 0


def test_queries_while_bots_insert_miss_nothing(db: Database) -> None:
    """Strategy queries (which fold stale runs) racing with inserts into the same runs: no
    deadlock, no lost or double-counted round once everything is committed."""
    specs = _specs()
    rows = [_rows(db, spec, 240, seed) for seed, spec in enumerate(specs)]

    def write(run: list[dict[str, Any]], step: int) -> None:
        for lo in range(0, len(run), step):
            insert_new_rounds(db, run[lo : lo + step])

    def read() -> None:
        for strategy in STRATEGIES[:2]:
            get_strategy_performance(strategy, db=db)

    # Two writers per run (interleaved halves: rounds arrive both in and out of order).
    race([partial(write, run[k::2], 7 + k) for run in rows for k in (0, 1)], read)
    assert_fast_path_matches(db)
