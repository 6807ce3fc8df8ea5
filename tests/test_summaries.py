"""The summaries the database keeps equal a direct computation over the rounds, on both
backends, whatever order and grouping the rounds arrive in, and after deletes and updates."""

from __future__ import annotations

import os
import random
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import MetaData, delete, insert, select, text, update

from crashdb import Database
from crashdb.db.folds import RUN_FIELDS, RUN_KEY
from crashdb.db.models import BotVMRegistration, CrashGameRound, SessionLog
from crashdb.db.summaries import GameRoundSummary, RunSummary
from summary_reference import game_rounds, random_rounds, summaries

FLOATS = {f for f in RUN_FIELDS if f.startswith("sum_")} | {"max_drawdown_pct"}
CHECKED = set(RUN_FIELDS) - {"peak_ts", "drawdown_start_ts", "drawdown_end_ts"}


def _parents(db: Database, rows: list[dict[str, Any]]) -> None:
    bots = sorted({r["bot_id"] for r in rows})
    sessions = sorted({(r["bot_id"], r["session_id"]) for r in rows})
    with db.engine.begin() as conn:
        conn.execute(insert(BotVMRegistration), [{"bot_id": b} for b in bots])
        conn.execute(insert(SessionLog), [{"bot_id": b, "session_id": s} for b, s in sessions])


def _insert_in_pieces(db: Database, rows: list[dict[str, Any]], rng: random.Random) -> None:
    """Rows in random pieces, in random order (so runs get rounds before their last one)."""
    pieces = []
    k = 0
    while k < len(rows):
        n = rng.choice((1, 1, 3, 17, 60))
        pieces.append(rows[k : k + n])
        k += n
    order = list(range(len(pieces)))
    # mostly in order, some pieces late
    for _ in range(len(order) // 5):
        i, j = rng.randrange(len(order)), rng.randrange(len(order))
        order[i], order[j] = order[j], order[i]
    for i in order:
        with db.engine.begin() as conn:
            conn.execute(insert(CrashGameRound), pieces[i])


def assert_summaries_match(db: Database, rows: list[dict[str, Any]]) -> None:
    expected = summaries(rows)
    with db.engine.connect() as conn:
        stored = {
            tuple(getattr(r, k) for k in RUN_KEY): r
            for r in conn.execute(select(RunSummary.__table__)).all()
        }
        games = {
            (g.game_name, g.platform_code, g.round_external_id): g
            for g in conn.execute(select(GameRoundSummary.__table__)).all()
        }
        sessions = {
            (s.bot_id, s.session_id): s for s in conn.execute(select(SessionLog.__table__)).all()
        }
    assert set(stored) == set(expected)
    for key, want in expected.items():
        got = stored[key]
        assert not got.dirty
        for field in sorted(CHECKED):
            value = getattr(got, field)
            if field in FLOATS and want[field] is not None:
                assert value == pytest.approx(want[field], rel=1e-9, abs=1e-9), (key, field)
            else:
                assert value == want[field], (key, field, value, want[field])
    want_games = game_rounds(rows)
    assert set(games) == set(want_games)
    for key, want in want_games.items():
        for field, value in want.items():
            assert getattr(games[key], field) == value, (key, field)
    per_session = summaries(rows, "session")
    for key, log in sessions.items():
        want = per_session.get(key)
        assert log.total_rounds == (want["rounds"] if want else 0)
        assert log.total_wins == (want["wins"] if want else 0)
        assert log.total_losses == (want["losses"] if want else 0)
        assert log.total_profit == (want["total_profit"] if want else Decimal(0))


def _round_count(db: Database) -> int:
    """get_database_size's count of rounds (from the summaries on PostgreSQL)."""
    from crashdb.analytics.maintenance import get_database_size

    return int(get_database_size(db=db)["tables"]["crash_game_rounds"])


@pytest.mark.parametrize("seed", [1, 2])
def test_summaries_equal_a_direct_computation(db: Database, seed: int) -> None:
    rng = random.Random(seed)
    rows = random_rounds(rng)
    _parents(db, rows)
    _insert_in_pieces(db, rows, rng)
    assert_summaries_match(db, rows)
    assert _round_count(db) == len(rows)

    # Deletes (some whole runs' tails, some single rounds) and updates of summarised columns.
    gone = rng.sample(rows, len(rows) // 6)
    with db.engine.begin() as conn:
        conn.execute(delete(CrashGameRound).where(CrashGameRound.id.in_([r["id"] for r in gone])))
    kept = [r for r in rows if r not in gone]
    changed = rng.sample(kept, len(kept) // 8)
    with db.engine.begin() as conn:
        for r in changed:
            r["profit_loss"] = -r["profit_loss"]
            r["round_outcome"] = "LOSS" if r["round_outcome"] == "WIN" else r["round_outcome"]
            if rng.random() < 0.3:
                r["is_valid"] = not r["is_valid"]
            conn.execute(
                update(CrashGameRound)
                .where(CrashGameRound.id == r["id"])
                .values(
                    profit_loss=r["profit_loss"],
                    round_outcome=r["round_outcome"],
                    is_valid=r["is_valid"],
                )
            )
    assert_summaries_match(db, kept)
    assert _round_count(db) == len(kept)


@pytest.mark.parametrize("parts", [1, 3])
def test_bulk_statements_are_folded_after_their_commit(db: Database, parts: int) -> None:
    """A statement of >= BULK_ROWS rounds leaves its runs stale (PostgreSQL) until
    fold_pending, which crashdb's write path runs right after the commit; readers are exact
    either way. The fold deals the sessions into ``parts`` folded side by side."""
    from crashdb.analytics import get_bot_statistics
    from crashdb.db.folds import BULK_ROWS, fold_pending

    rows = random_rounds(random.Random(5), n_runs=60, max_rounds=300)
    _parents(db, rows)
    # Rounds of many runs first, so that the bulk statement brings some runs rounds before
    # their summarised ones (recomputed) and others rounds after them (extended).
    early = set(random.Random(6).sample(range(40, len(rows)), 40)) | set(range(40))
    first = [r for i, r in enumerate(rows) if i in early]
    rest = [r for i, r in enumerate(rows) if i not in early]
    with db.engine.begin() as conn:
        conn.execute(insert(CrashGameRound).values(first))
    assert len(rest) >= BULK_ROWS
    with db.engine.begin() as conn:  # one statement of len(rest) rounds
        conn.execute(
            text("CREATE TEMP TABLE staging AS SELECT * FROM crash_game_rounds WHERE 1 = 0")
        )
        staging = CrashGameRound.__table__.to_metadata(MetaData(), name="staging")
        for k in range(0, len(rest), 500):
            conn.execute(insert(staging).values(rest[k : k + 500]))
        cols = ", ".join(rest[0])
        conn.execute(text(f"INSERT INTO crash_game_rounds ({cols}) SELECT {cols} FROM staging"))
    with db.engine.connect() as conn:
        stale = conn.execute(select(RunSummary.stale).where(RunSummary.stale)).all()
        dirty = conn.execute(select(RunSummary.dirty).where(RunSummary.dirty)).all()
    assert bool(stale) == bool(dirty) == (db.backend == "postgresql")
    assert _round_count(db) == len(rows)  # stale runs are counted from their rounds
    expected = summaries([r for r in rows if r["bot_id"] == "bot_1"], "session")
    result = get_bot_statistics("bot_1", db=db)
    assert result["total_rounds"] == sum(s["rounds"] for s in expected.values())
    assert Decimal(result["max_drawdown"]) == max(s["max_drawdown"] for s in expected.values())
    fold_pending(db.engine, parts=parts)
    with db.engine.connect() as conn:
        due = conn.execute(select(RunSummary.bot_id).where(RunSummary.stale | RunSummary.dirty))
        assert due.all() == []
    assert_summaries_match(db, rows)


@pytest.mark.parametrize("parts", [1, 2])
def test_a_bot_logs_into_sessions_whose_bulk_load_is_being_folded(
    db: Database, parts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bot keeps logging into the sessions of bulk loads while their runs are folded after
    each commit (serially or in parts): nobody deadlocks or hangs, and every round is counted
    once in its session's summaries. The fold locks sessions before runs, as writers do."""
    import crashdb.db.folds as folds
    from crashdb import log_batch_rounds, log_crash_round
    from factories import race
    from writer_support import round_kw

    monkeypatch.setattr(folds.fold_pending, "__defaults__", (parts,))
    sessions = [(f"bulk_bot_{k}", f"bulk_session_{k}") for k in range(4)]

    def kw(bot: str, session: str, n: int) -> dict[str, Any]:
        return round_kw(n, bot=bot, session=session, crash="1.20")  # a LOSS

    def bulk() -> None:  # three bulk statements of 6,000 interleaved rounds
        for load in range(3):
            log_batch_rounds(
                [kw(b, s, load * 10_000 + i) for i in range(1_500) for b, s in sessions]
            )

    def bot() -> None:
        for n in range(120):
            b, s = sessions[n % 4]
            log_crash_round(**kw(b, s, 1_000_000 + n))

    race([bulk, bot], read=lambda: None, readers=0)
    assert folds.wait_for_fold(db.engine, timeout=120)  # the last load's fold, in background
    with db.engine.connect() as conn:
        per_session = "SELECT bot_id, session_id, {} FROM {} GROUP BY bot_id, session_id"
        stored = conn.execute(text(per_session.format("count(*)", "crash_game_rounds"))).all()
        folded = conn.execute(text(per_session.format("sum(rounds)", "run_summaries"))).all()
    expected = {(b, s): 3 * 1_500 + 30 for b, s in sessions}
    assert {(b, s): int(n) for b, s, n in stored} == expected
    assert {(b, s): int(n) for b, s, n in folded} == expected


def test_a_bulk_load_returns_before_its_fold_and_readers_stay_exact(db: Database) -> None:
    """log_batch_rounds returns once its rounds are committed; the fold its bulk statement
    left due runs in the background (PostgreSQL). Until it has run, readers count the rounds
    themselves; the next bulk load and dispose() wait for it."""
    import threading

    from crashdb import log_batch_rounds
    from crashdb.analytics import get_bot_statistics
    from crashdb.db.folds import BULK_ROWS, FOLD_LOCK, wait_for_fold
    from writer_support import round_kw

    crashes = ("1.20", "2.00", "1.49", "3.10")
    first = [round_kw(n, crash=crashes[n % 4]) for n in range(BULK_ROWS)]
    second = [round_kw(n, crash=crashes[n % 4]) for n in range(BULK_ROWS, 2 * BULK_ROWS + 7)]
    every = first + second
    profit = sum(r["profit_loss"] for r in every)
    wins = sum(r["round_outcome"] == "WIN" for r in every)
    postgres = db.backend == "postgresql"
    with db.engine.connect() as blocker:
        if postgres:  # the fold waits for this lock, so the test sees what comes before it
            blocker.exec_driver_sql(f"SELECT pg_advisory_lock({FOLD_LOCK})")
        loading = threading.Thread(target=log_batch_rounds, args=(first,))
        loading.start()
        loading.join(120)  # not waiting for the fold, which waits for the lock
        returned = not loading.is_alive()
        if not returned and postgres:
            blocker.exec_driver_sql(f"SELECT pg_advisory_unlock({FOLD_LOCK})")
        assert returned
        assert wait_for_fold(db.engine, timeout=0.2) is not postgres
        with db.engine.connect() as conn:
            stale = conn.execute(select(RunSummary.rounds).where(RunSummary.stale)).all()
        assert len(stale) == postgres
        stats = get_bot_statistics("bot_w", db=db)
        assert stats["total_rounds"] == BULK_ROWS
        assert Decimal(stats["total_profit"]) == sum(r["profit_loss"] for r in first)
        loading = threading.Thread(target=log_batch_rounds, args=(second,))
        loading.start()
        if postgres:
            blocker.exec_driver_sql(f"SELECT pg_advisory_unlock({FOLD_LOCK})")
        loading.join(120)
        assert not loading.is_alive()
    assert wait_for_fold(db.engine, timeout=120)
    with db.engine.connect() as conn:
        run = conn.execute(select(RunSummary.__table__)).one()
    assert (run.rounds, run.wins, run.total_profit, run.stale) == (len(every), wins, profit, False)
    assert get_bot_statistics("bot_w", db=db)["total_rounds"] == len(every)


def test_a_script_that_bulk_loads_and_exits_leaves_its_runs_folded(db: Database) -> None:
    """The fold after a bulk load runs in a thread the interpreter's exit waits for: a script
    whose last call is log_batch_rounds leaves no run stale behind it."""
    import os
    import subprocess
    import sys

    from crashdb.db.folds import BULK_ROWS

    script = (
        "from decimal import Decimal\n"
        "from crashdb import log_batch_rounds\n"
        "log_batch_rounds([dict(bot_id='exit_bot', session_id='s', game_name='aviator',\n"
        "    round_number=n, stake_value=Decimal('1.00'), round_outcome='LOSS',\n"
        f"    crash_multiplier=Decimal('1.10')) for n in range({BULK_ROWS + 100})])\n"
    )
    url = db.url.render_as_string(hide_password=False)
    env = {**os.environ, "CRASHDB_DATABASE_URL": url}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=300)
    with db.engine.connect() as conn:
        runs = conn.execute(select(RunSummary.rounds, RunSummary.stale)).all()
    assert [(r.rounds, r.stale) for r in runs] == [(BULK_ROWS + 100, False)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_process_forked_during_a_fold_does_not_wait_for_it(db: Database) -> None:
    """A child forked while the parent's fold runs (PostgreSQL: held back by its lock here)
    has no fold of its own to wait for: its next bulk load or dispose() does not hang."""
    from crashdb import log_batch_rounds
    from crashdb.db.folds import BULK_ROWS, FOLD_LOCK, wait_for_fold
    from writer_support import round_kw

    postgres = db.backend == "postgresql"
    with db.engine.connect() as blocker:
        if postgres:
            blocker.exec_driver_sql(f"SELECT pg_advisory_lock({FOLD_LOCK})")
        try:
            log_batch_rounds([round_kw(n) for n in range(BULK_ROWS)])
            assert wait_for_fold(db.engine, timeout=0.1) is not postgres
            child = os.fork()
            if child == 0:  # pragma: no cover - the child reports through its exit status
                os._exit(0 if wait_for_fold(db.engine, timeout=5) else 1)
            _, status = os.waitpid(child, 0)
        finally:
            if postgres:
                blocker.exec_driver_sql(f"SELECT pg_advisory_unlock({FOLD_LOCK})")
    assert os.waitstatus_to_exitcode(status) == 0
    assert wait_for_fold(db.engine, timeout=120)
