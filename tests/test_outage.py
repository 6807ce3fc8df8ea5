"""The outage test: a bot keeps logging through a RoundWriter while its database is down.

PostgreSQL: the test runs its own private cluster (``pg_private.py``; the shared server on
port 5432 is never touched), stops it with ``pg_ctl stop -m immediate`` (a crash-like stop)
while a bot thread logs 5,000 rounds with two analytics rows each, keeps it down for several
seconds, starts it again, and then checks that every round is stored exactly once.

SQLite: another connection holds an exclusive transaction longer than the writer's busy
timeout and retries, so writes fail with "database is locked" for several seconds.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crashdb import Database, RoundWriter
from crashdb.config import Settings
from crashdb.db.models import (
    AnalyticsRoundMultiplier,
    AnalyticsRoundOutcome,
    CrashGameRound,
    SessionLog,
)
from pg_private import PrivatePostgres
from writer_support import database_locked, round_kw, wait_for

ROUNDS = 5_000
BOTS = 2


class Bot:
    """Logs ``ROUNDS`` rounds (plus a multiplier and an outcome row each) at a steady pace,
    recording what it logged and how long each call took."""

    def __init__(self, writer: RoundWriter, seconds: float) -> None:
        self.writer = writer
        self.pause = seconds / ROUNDS
        self.logged = 0
        self.ids: list[uuid.UUID] = []
        self.profit = Decimal(0)
        self.slowest = 0.0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="bot")

    def _run(self) -> None:
        try:
            for n in range(1, ROUNDS + 1):
                bot = f"outage_bot_{n % BOTS}"
                crash = f"{1 + (n * 37 % 400) / 100:.2f}"  # 1.00 .. 4.99
                kw = round_kw(n, bot=bot, session="outage", crash=crash, target="1.50")
                t0 = time.perf_counter()
                rid = self.writer.log_crash_round(**kw)
                self.writer.log_round_multiplier_analytics(
                    round_id=rid, multiplier=kw["crash_multiplier"], is_crash=True
                )
                self.writer.log_round_outcome(
                    round_id=rid, outcome=kw["round_outcome"], profit_loss=kw["profit_loss"]
                )
                self.slowest = max(self.slowest, time.perf_counter() - t0)
                self.ids.append(rid)
                self.profit += kw["profit_loss"]
                self.logged = n
                time.sleep(self.pause)
        except BaseException as exc:  # the test asserts there is none
            self.error = exc

    def wait_until(self, logged: int) -> None:
        assert wait_for(lambda: self.logged >= logged or not self.thread.is_alive(), 120)


def verify(db: Database, bot: Bot) -> None:
    """Every round exactly once; analytics and session totals agree."""
    with db.engine.connect() as conn:
        ids = list(conn.execute(select(CrashGameRound.id)).scalars())
        total = conn.execute(select(func.sum(CrashGameRound.profit_loss))).scalar_one()
        mults = conn.execute(select(func.count()).select_from(AnalyticsRoundMultiplier))
        outcomes = conn.execute(select(func.count()).select_from(AnalyticsRoundOutcome))
        n_mults, n_outcomes = mults.scalar_one(), outcomes.scalar_one()
        sessions = conn.execute(
            select(func.sum(SessionLog.total_rounds), func.sum(SessionLog.total_profit))
        ).one()
    assert len(ids) == ROUNDS
    assert len(set(ids)) == ROUNDS
    assert set(ids) == set(bot.ids)
    assert Decimal(str(total)).quantize(Decimal("0.01")) == bot.profit
    assert n_mults == ROUNDS and n_outcomes == ROUNDS
    assert sessions[0] == ROUNDS  # the triggers counted each round once
    assert Decimal(str(sessions[1])).quantize(Decimal("0.01")) == bot.profit


def run_outage(
    db: Database,
    spool: Path,
    go_down: Callable[[], None],
    come_back: Callable[[], None],
    down_seconds: float,
) -> tuple[Bot, RoundWriter]:
    writer = RoundWriter(
        spool, db=db, flush_interval=0.2, batch_size=500, retry_max=1.0, write_timeout=3.0
    )
    bot = Bot(writer, seconds=12.0)
    bot.thread.start()
    bot.wait_until(ROUNDS // 5)
    assert wait_for(lambda: writer.stats.committed_records > 0, 60)  # it was writing
    go_down()
    down_at = bot.logged
    time.sleep(down_seconds)  # the bot keeps logging meanwhile
    logged_while_down = bot.logged - down_at
    come_back()
    print(f"outage: {logged_while_down} rounds logged while down; {writer.stats}")
    bot.thread.join(180)
    assert not bot.thread.is_alive() and bot.error is None
    assert wait_for(lambda: writer.backlog == 0, 120)
    writer.close()
    assert logged_while_down > 100  # the outage really happened under the bot's feet
    assert writer.stats.spooled_batches > 0 and writer.stats.replayed_segments > 0
    assert writer.stats.dead_lettered_units == 0
    assert list(spool.rglob("*.jsonl")) == []
    # never blocked: the outage lasted several seconds, no call took even one
    assert bot.slowest < 1.0
    return bot, writer


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    try:
        pg.start()
        yield pg
    finally:
        pg.destroy()


@pytest.mark.slow
@pytest.mark.postgres
def test_postgresql_server_stopped_while_a_bot_logs(
    private_pg: PrivatePostgres, tmp_path: Path
) -> None:
    url = private_pg.create_database(f"outage_{uuid.uuid4().hex[:8]}")
    db = Database(url, settings=Settings(connect_timeout=2))
    db.init_db()

    def stop() -> None:
        private_pg.stop("immediate")
        assert not private_pg.is_running()

    def start() -> None:
        private_pg.start()
        private_pg.wait_ready()

    try:
        bot, _ = run_outage(db, tmp_path / "spool", stop, start, down_seconds=5.0)
        verify(db, bot)
    finally:
        db.dispose()


@pytest.mark.slow
def test_sqlite_locked_for_seconds_while_a_bot_logs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'outage.sqlite3'}"
    setup = Database(url)
    setup.init_db()
    setup.dispose()
    # a write waits for the lock (busy timeout, then crashdb's busy retries); after the
    # writer's write_timeout (3 s) it stops waiting and spools
    db = Database(url, settings=Settings(sqlite_busy_timeout_ms=500))
    lock = database_locked(url, "sqlite")

    def acquire() -> None:
        lock.__enter__()

    def release() -> None:
        lock.__exit__(None, None, None)

    try:
        bot, _ = run_outage(db, tmp_path / "spool", acquire, release, down_seconds=6.0)
        verify(db, bot)
    finally:
        db.dispose()
