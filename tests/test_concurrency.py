"""16 bot processes logging into one database at the same time.

Every process calls ``init_db()`` at start (as the guide tells every bot to), then logs single
rounds with an outcome each, a batch (COPY on PostgreSQL), and rounds that other processes log
too (same natural keys: stored once). Half the processes share one bot and session, the other
half have their own. On PostgreSQL every row arrives and nothing deadlocks; on SQLite no
process sees "database is locked".
"""

from __future__ import annotations

import multiprocessing
import traceback
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from crashdb import Database

PROCESSES = 16
ROUNDS = 25  # single log_crash_round calls per process
BATCH = 250  # rows per log_batch_rounds call (>= the COPY threshold)
COMMON = 10  # rounds every sharing process logs (identical natural keys)


def _round(bot: str, session: str, n: int, win: bool) -> dict[str, Any]:
    return {
        "bot_id": bot,
        "session_id": session,
        "game_name": "aviator",
        "platform_code": "dafabet",
        "round_number": n,
        "stake_value": Decimal("2.00"),
        "crash_multiplier": Decimal("1.80") if win else Decimal("1.10"),
        "cashout_multiplier": Decimal("1.50") if win else None,
        "round_outcome": "WIN" if win else "LOSS",
        "round_start_timestamp": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=n),
    }


def _worker(url: str, idx: int, barrier: Any, results: Any) -> None:
    errors: list[str] = []
    try:
        from crashdb import (
            DatabaseConnection,
            init_db,
            log_batch_rounds,
            log_crash_round,
            log_round_outcome,
        )

        DatabaseConnection.initialize(url)
        barrier.wait(timeout=300)
        init_db()
        shared = idx % 2 == 0
        bot = "shared_bot" if shared else f"bot_{idx:02d}"
        session = "shared_session" if shared else f"session_{idx:02d}"
        base = idx * 1000 if shared else 0
        for n in range(ROUNDS):
            kw = _round(bot, session, base + n, win=n % 3 != 0)
            rid = log_crash_round(**kw)
            log_round_outcome(round_id=rid, outcome=kw["round_outcome"])
        if shared:
            for n in range(COMMON):
                log_crash_round(**_round(bot, session, 900_000 + n, win=True))
            rows = [_round(bot, session, 800_000 + n, win=n % 2 == 0) for n in range(BATCH)]
        else:
            rows = [_round(bot, session, 10_000 + n, win=n % 2 == 0) for n in range(BATCH)]
        log_batch_rounds(rows)
    except Exception:
        errors.append(traceback.format_exc())
    results.put((idx, errors))


def _expected_rounds() -> dict[str, int]:
    sharing = PROCESSES // 2
    expected = {"shared_session": sharing * ROUNDS + COMMON + BATCH}
    for idx in range(1, PROCESSES, 2):
        expected[f"session_{idx:02d}"] = ROUNDS + BATCH
    return expected


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sixteen_processes_log_at_once(db_url: str, db: Database) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(db_url, i, barrier, results)) for i in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    outcome = dict(results.get(timeout=540) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    failures = {i: errs for i, errs in outcome.items() if errs}
    assert not failures, "\n".join(f"process {i}:\n{e[0]}" for i, e in failures.items())
    assert all(p.exitcode == 0 for p in procs)

    expected = _expected_rounds()
    with db.engine.connect() as conn:
        per_session = dict(
            conn.execute(
                text("SELECT session_id, count(*) FROM crash_game_rounds GROUP BY session_id")
            ).all()
        )
        totals = dict(conn.execute(text("SELECT session_id, total_rounds FROM session_logs")).all())
        profit = dict(
            conn.execute(
                text(
                    "SELECT s.session_id, s.total_profit - COALESCE(sum(r.profit_loss), 0) "
                    "FROM session_logs s JOIN crash_game_rounds r "
                    "ON r.bot_id = s.bot_id AND r.session_id = s.session_id "
                    "GROUP BY s.session_id, s.total_profit"
                )
            ).all()
        )
        outcomes = conn.execute(text("SELECT count(*) FROM analytics_round_outcomes")).scalar()
        bots = conn.execute(text("SELECT count(*) FROM bot_vm_registration")).scalar()
    assert per_session == expected
    assert totals == expected  # the session-totals trigger counted every round exactly once
    assert {abs(Decimal(str(v))) < Decimal("0.01") for v in profit.values()} == {True}
    assert outcomes == PROCESSES * ROUNDS
    assert bots == 1 + PROCESSES // 2
