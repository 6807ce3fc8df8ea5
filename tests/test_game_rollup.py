"""get_game_statistics from the deduplicated game rounds the triggers keep (game_round_rollups,
game_round_pending) against a deduplication done here in Python over every stored report, after
every kind of change, on both backends.

The oracle reads the reports themselves and shares no SQL with crashdb: a game round is a
(game, platform, round_external_id) with at least one valid report that has a crash point; its
crash point is the smallest reported, its time the earliest; rounds without a platform or an
external id are each their own game round; the independence test pairs each game round with
the previous one of its platform (own rounds: of its bot session) in time order.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import numpy as np
import pytest
from alembic import command
from sqlalchemy import delete, select, text, update

from crashdb import Database
from crashdb.analytics import get_game_statistics, stats
from crashdb.analytics.game_rounds import fold_game_rounds, shared_rounds, try_fold_game_rounds
from crashdb.analytics.games import median_threshold
from crashdb.analytics.maintenance import cleanup_old_records
from crashdb.db.migrate import alembic_config
from crashdb.db.models import CrashGameRound, GameRoundPending, GameRoundRollup
from factories import (
    START,
    SessionSpec,
    crash_multipliers,
    ensure_bot_session,
    insert_new_rounds,
    race,
    round_rows,
)

C = CrashGameRound.__table__.c
ROLLUP = GameRoundRollup.__table__.c
PENDING = GameRoundPending.__table__.c
RTP = 0.97  # aviator's published RTP in the reference data


# --------------------------------------------------------------------------- the oracle


def _reports(db: Database) -> list[Any]:
    with db.engine.connect() as conn:
        return list(
            conn.execute(
                select(
                    C.game_name,
                    C.platform_code,
                    C.round_external_id,
                    C.bot_id,
                    C.session_id,
                    C.crash_multiplier,
                    C.round_start_timestamp,
                    C.round_number,
                    C.is_valid,
                )
            ).all()
        )


def expected_rollup(db: Database) -> dict[tuple[str, str, str], tuple[Any, ...]]:
    """Key -> (min crash, max crash, earliest start, smallest round number, reports)."""
    groups: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for r in _reports(db):
        shared = r.round_external_id is not None and r.platform_code is not None
        if shared and r.crash_multiplier is not None and r.is_valid:
            groups[(r.game_name, r.platform_code, r.round_external_id)].append(r)
    return {
        k: (
            min(r.crash_multiplier for r in rs),
            max(r.crash_multiplier for r in rs),
            min(r.round_start_timestamp for r in rs),
            min(r.round_number for r in rs),
            len(rs),
        )
        for k, rs in groups.items()
    }


def expected_game(
    db: Database,
    game: str,
    start: datetime | None = None,
    stop: datetime | None = None,
    platform: str | None = None,
) -> dict[str, Any]:
    streams: dict[tuple[Any, ...], list[tuple[Any, ...]]] = defaultdict(list)
    reports = 0
    conflicts = 0
    for (g, p, _), (m, mx, ts, rn, n) in expected_rollup(db).items():
        if platform is not None and p != platform:
            continue
        if g == game and (start is None or ts >= start) and (stop is None or ts < stop):
            streams[("shared", p)].append((ts, rn, m))
            reports += n
            conflicts += m != mx
    for r in _reports(db):
        own = r.round_external_id is None or r.platform_code is None
        if platform is not None and r.platform_code != platform:
            continue
        ts = r.round_start_timestamp
        counted = r.game_name == game and r.is_valid and r.crash_multiplier is not None
        if own and counted and (start is None or ts >= start) and (stop is None or ts < stop):
            streams[("own", r.bot_id, r.session_id)].append(
                (ts, r.round_number, r.crash_multiplier)
            )
            reports += 1
    threshold = Decimal(str(median_threshold(RTP)))
    pairs = {"00": 0, "01": 0, "10": 0, "11": 0}
    crashes = []
    for rounds in streams.values():
        rounds.sort()
        above = [int(m >= threshold) for _, _, m in rounds]
        for a, b in itertools.pairwise(above):
            pairs[f"{a}{b}"] += 1
        crashes += [m for _, _, m in rounds]
    indep = stats.lag1_independence(pairs["00"], pairs["01"], pairs["10"], pairs["11"])
    return {
        "total_rounds": len(crashes),
        "total_reports": reports,
        "conflicting_reports": conflicts,
        "max_multiplier": float(max(crashes)) if crashes else None,
        "hits": {x: sum(m >= Decimal(str(x)) for m in crashes) for x in (1.5, 2.0, 3.0, 5.0, 10.0)},
        "pairs": indep.pairs,
        "statistic": indep.statistic,
    }


def assert_matches(
    db: Database,
    game: str = "aviator",
    start: datetime | None = None,
    stop: datetime | None = None,
    platform: str | None = None,
) -> dict[str, Any]:
    # The rounds as read before get_game_statistics folds the listed ones (recomputed here).
    with db.engine.connect() as conn:
        rows = conn.execute(shared_rounds(conn, game, platform, start, stop)).all()
    assert sorted((r.s2, r.m, r.mx, r.ts, r.rn, r.reports) for r in rows) == sorted(
        (p, *v)
        for (g, p, _), v in expected_rollup(db).items()
        if g == game
        and (platform is None or p == platform)
        and (start is None or v[2] >= start)
        and (stop is None or v[2] < stop)
    )
    want = expected_game(db, game, start, stop, platform)
    got = get_game_statistics(game, platform, start_date=start, end_date=stop, db=db)
    for key in ("total_rounds", "total_reports", "conflicting_reports", "max_multiplier"):
        assert got[key] == want[key], (key, got[key], want[key])
    assert {t["target"]: t["hits"] for t in got["rtp_by_target"]} == want["hits"]
    assert got["independence"]["pairs"] == want["pairs"]
    if want["statistic"] is None:
        assert got["independence"]["statistic"] is None
    else:
        assert got["independence"]["statistic"] == pytest.approx(want["statistic"], rel=1e-12)
    return got


def stored_rollup(db: Database) -> dict[tuple[str, str, str], tuple[Any, ...]]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(GameRoundRollup.__table__)).all()
    return {
        (r.game_name, r.platform_code, r.round_external_id): (
            r.crash_multiplier,
            r.crash_multiplier_max,
            r.round_start_timestamp,
            r.round_number,
            r.reports,
        )
        for r in rows
    }


def listed(db: Database) -> int:
    with db.engine.connect() as conn:
        return len(conn.execute(select(PENDING.id)).all())


# --------------------------------------------------------------------------- data


def fleet(db: Database, n: int = 120, seed: int = 1) -> list[list[dict[str, Any]]]:
    """Three bots on one platform reporting one stream of game rounds (overlapping windows,
    reports a few milliseconds apart, some misread), a bot on another platform, a bot without
    external ids and a bot with external ids but no platform."""
    rng = np.random.default_rng(seed)
    stream = crash_multipliers(3 * n, RTP, rng)
    runs = []
    for k, (bot, platform, offset) in enumerate(
        (("bot_a", "dafabet", 0), ("bot_b", "dafabet", n // 2), ("bot_c", "dafabet", n // 3))
    ):
        spec = SessionSpec(
            bot,
            "s1",
            "aviator",
            platform_code=platform,
            start=START + offset * timedelta(seconds=10) + timedelta(milliseconds=3 * k),
            first_round=offset + 1,
            external_prefix="r",
        )
        crashes = list(stream[offset : offset + n])
        if bot == "bot_c":  # OCR misreads of some rounds the others saw
            for i in range(0, n, 9):
                crashes[i] = crashes[i] + Decimal("0.01")
        ensure_bot_session(db, spec)
        runs.append(round_rows(spec, crashes))
    for spec in (
        SessionSpec("bot_d", "s1", "aviator", platform_code="fun88", external_prefix="r"),
        SessionSpec("bot_e", "s1", "aviator", start=START + timedelta(seconds=1)),
        SessionSpec(
            "bot_f",
            "s1",
            "aviator",
            platform_code=None,
            external_prefix="r",  # type: ignore[arg-type]
            start=START + timedelta(seconds=2),
        ),
        SessionSpec("bot_g", "s1", "jetx", platform_code="dafabet", external_prefix="r"),
    ):
        ensure_bot_session(db, spec)
        runs.append(round_rows(spec, crash_multipliers(n // 2, RTP, rng)))
    for run in runs:  # invalid reports and reports without a crash point count for nothing
        for row in run:
            row["is_valid"] = True
        for row in run[5::17]:
            row["is_valid"] = False
        for row in run[7::23]:
            row["crash_multiplier"] = None
    return runs


# --------------------------------------------------------------------------- tests


def test_matches_the_oracle_after_every_change(db: Database) -> None:
    runs = fleet(db)
    # 1. Small statements: on PostgreSQL they only list their game rounds; reads recompute
    # the listed ones. SQLite merges every round as it is inserted.
    for lo, hi in ((0, 1), (1, 40), (40, 90)):
        insert_new_rounds(db, [r for run in runs for r in run[lo:hi]])
        assert listed(db) > 0 if db.backend == "postgresql" else listed(db) == 0
        assert_matches(db)
        assert listed(db) == 0  # get_game_statistics folded them
    # 2. A bulk statement merges itself in (PostgreSQL; forced here for a small batch).
    before = listed(db)
    insert_new_rounds(db, [r for run in runs for r in run[90:]], fold_min_rows=0)
    assert listed(db) == before
    assert_matches(db)
    # 3. A fold recomputes the listed rounds and empties the list.
    fold_game_rounds(db)
    assert listed(db) == 0
    assert stored_rollup(db) == expected_rollup(db)
    assert_matches(db)
    assert_matches(db, "jetx")
    # 4. Duplicates are ignored and change nothing.
    insert_new_rounds(db, [r for run in runs for r in run[20:60]])
    insert_new_rounds(db, [r for run in runs for r in run[60:80]], fold_min_rows=0)
    assert stored_rollup(db) == expected_rollup(db)
    # 5. Updates: a report becomes invalid, a misread is corrected, a round id changes,
    # a crash point is withdrawn; then a whole game round loses its only valid reports.
    with db.write_connection() as conn:
        conn.execute(update(CrashGameRound).where(C.round_number == 30).values(is_valid=False))
        conn.execute(
            update(CrashGameRound)
            .where(C.bot_id == "bot_c", C.round_number <= 50)
            .values(crash_multiplier=Decimal("1.00"))
        )
        conn.execute(
            update(CrashGameRound)
            .where(C.bot_id == "bot_b", C.round_number == 70)
            .values(round_external_id="moved")
        )
        conn.execute(
            update(CrashGameRound).where(C.round_number == 31).values(crash_multiplier=None)
        )
    assert listed(db) > 0
    assert_matches(db)
    assert stored_rollup(db) == expected_rollup(db)
    assert not any(k[2] == "r30" or k[2] == "r31" for k in stored_rollup(db))
    # 6. Deletes: a direct one and cleanup_old_records (in batches).
    with db.write_connection() as conn:
        conn.execute(delete(CrashGameRound).where(C.bot_id == "bot_a", C.round_number > 100))
    assert_matches(db)
    now = START + timedelta(days=90, minutes=12)
    assert (
        cleanup_old_records(90, dry_run=False, now=now, batch_size=29, db=db)["tables"][
            "crash_game_rounds"
        ]
        > 0
    )
    assert_matches(db)
    fold_game_rounds(db)
    assert stored_rollup(db) == expected_rollup(db) and listed(db) == 0
    assert_matches(db)


def test_time_window_holds_a_game_round_by_its_earliest_report(db: Database) -> None:
    runs = fleet(db, n=90, seed=4)
    insert_new_rounds(db, [r for run in runs for r in run])
    # bot_b's reports of a round come 3 ms after bot_a's: a bound between the two reports of
    # round 50 puts the round on the side of its earliest report, counted once.
    cut = START + 49 * timedelta(seconds=10) + timedelta(milliseconds=1)
    for start, stop in ((None, cut), (cut, None), (START + timedelta(minutes=3), cut)):
        assert_matches(db, start=start, stop=stop)
    assert_matches(db, start=START + timedelta(days=1))  # nothing in the window


def test_platform_filter(db: Database) -> None:
    runs = fleet(db, n=60, seed=5)
    insert_new_rounds(db, [r for run in runs for r in run])
    counts = [assert_matches(db, platform=p)["total_rounds"] for p in ("dafabet", "fun88")]
    assert all(counts)
    # Rounds logged without a platform fall out of every platform filter.
    assert sum(counts) < assert_matches(db)["total_rounds"]


def test_truncate_empties_both_tables(db: Database) -> None:
    runs = fleet(db, n=30, seed=6)
    insert_new_rounds(db, [r for run in runs for r in run[:20]], fold_min_rows=0)
    insert_new_rounds(db, [r for run in runs for r in run[20:]])
    assert stored_rollup(db)
    with db.write_connection() as conn:
        conn.execute(delete(CrashGameRound).where(C.round_number == 3))
    assert listed(db)
    with db.write_connection() as conn:
        if db.backend == "postgresql":
            conn.execute(text("TRUNCATE crash_game_rounds CASCADE"))
        else:
            conn.execute(text("DELETE FROM crash_game_rounds"))
    fold_game_rounds(db)
    assert stored_rollup(db) == {} and listed(db) == 0
    assert get_game_statistics("aviator", db=db)["total_rounds"] == 0


def test_migration_backfills_existing_rounds(db: Database) -> None:
    runs = fleet(db, n=40, seed=7)
    insert_new_rounds(db, [r for run in runs for r in run])
    expected = assert_matches(db)
    with db.write_connection() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006_game_own")
        command.upgrade(cfg, "head")
    assert stored_rollup(db) == expected_rollup(db) and listed(db) == 0
    assert assert_matches(db) == expected


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_bulk_load_in_progress_blocks_no_reader(db: Database) -> None:
    """A bulk transaction holds the game-rounds lock until it commits: reads neither wait for
    it nor see it; a fold that will not wait gives up; both see the load once committed."""
    runs = fleet(db, n=120, seed=8)
    insert_new_rounds(db, [r for run in runs for r in run[:40]])
    fold_game_rounds(db)
    with db.engine.connect() as bulk:
        tx = bulk.begin()
        bulk.execute(text("SET LOCAL crashdb.rollup_fold_min_rows = 0"))
        # The load holds its sessions' rows (running totals): other bots keep writing.
        bulk.execute(CrashGameRound.__table__.insert(), [r for run in runs[:3] for r in run[40:]])
        insert_new_rounds(db, [r for run in runs[3:] for r in run[40:50]])  # bots' rounds: listed
        assert try_fold_game_rounds(db) is None
        assert listed(db) > 0
        during = assert_matches(db)  # did not wait, and does not see the load
        assert listed(db) > 0
        tx.commit()
    assert assert_matches(db)["total_rounds"] > during["total_rounds"]
    assert try_fold_game_rounds(db) is not None
    assert stored_rollup(db) == expected_rollup(db)


def test_readers_and_writers_concurrently_miss_nothing(db: Database) -> None:
    """Bots inserting the same game rounds while readers fold and read: no deadlock, no round
    lost or counted twice once everything is committed."""
    runs = fleet(db, n=150, seed=9)

    def write(run: list[dict[str, Any]], step: int) -> None:
        for lo in range(0, len(run), step):
            insert_new_rounds(db, run[lo : lo + step], fold_min_rows=0 if step > 10 else None)

    race(
        [partial(write, run, 3 + 9 * (k % 2)) for k, run in enumerate(runs)],
        partial(get_game_statistics, "aviator", db=db),
    )
    assert_matches(db)
    fold_game_rounds(db)
    assert stored_rollup(db) == expected_rollup(db)
