"""Helpers shared by the RoundWriter tests: round kwargs, an in-memory sink, DB lockers."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import psycopg
import sqlalchemy.exc
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from crashdb import Database, DatabaseUnavailable
from crashdb.config import Settings
from crashdb.db.models import CrashGameRound
from crashdb.ingest import Record

WRITER_TABLES = (
    "bot_vm_registration",
    "session_logs",
    "crash_game_rounds",
    "analytics_round_multipliers",
    "analytics_round_signals",
    "analytics_round_outcomes",
    "error_logs",
    "ocr_validation_logs",
)


def round_kw(
    n: int,
    *,
    bot: str = "bot_w",
    session: str = "s1",
    stake: str = "10.00",
    crash: str = "2.00",
    target: str = "1.50",
) -> dict[str, Any]:
    """Keyword arguments of ``log_crash_round`` for a consistent WIN/LOSS round."""
    stake_d, crash_d, target_d = Decimal(stake), Decimal(crash), Decimal(target)
    win = crash_d >= target_d
    profit = (target_d - 1) * stake_d if win else -stake_d
    return {
        "bot_id": bot,
        "session_id": session,
        "game_name": "aviator",
        "platform_code": "dafabet",
        "round_number": n,
        "stake_value": stake_d,
        "crash_multiplier": crash_d,
        "cashout_multiplier": target_d if win else None,
        "round_outcome": "WIN" if win else "LOSS",
        "profit_loss": profit,
    }


def expected_profit(kws: Sequence[dict[str, Any]]) -> Decimal:
    return sum((Decimal(k["profit_loss"]) for k in kws), Decimal(0))


class MemorySink:
    """A real in-memory sink: same contract as the database (one call = one transaction,
    idempotent on ids), with switches for an outage and for refusing some records."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.transactions: list[list[Record]] = []
        self.down = False
        self.refuse: set[Any] = set()
        self.calls = 0
        self.fail_with: Callable[[], BaseException] | None = None
        self.hang = threading.Event()  # while set, a write blocks (a hung connection)
        self.hanging = threading.Event()

    def write(self, records: Sequence[Record]) -> None:
        while self.hang.is_set():
            self.hanging.set()
            time.sleep(0.01)
        with self.lock:
            self.calls += 1
            if self.down:
                raise DatabaseUnavailable("memory sink is down")
            if self.fail_with is not None:
                raise self.fail_with()
            bad = [r for r in records if r.id in self.refuse]
            if bad:
                raise sqlalchemy.exc.IntegrityError(
                    "INSERT ...", {}, Exception(f"refused {bad[0].id}")
                )
            self.transactions.append(list(records))

    @property
    def written(self) -> list[Record]:
        """Every record in commit order (duplicates included)."""
        with self.lock:
            return [r for t in self.transactions for r in t]

    def stored(self) -> dict[Any, Record]:
        """What a table would hold: first write of each id wins (ON CONFLICT DO NOTHING)."""
        out: dict[Any, Record] = {}
        for r in self.written:
            out.setdefault(r.id, r)
        return out


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.02) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def count(db: Database, table: str, where: str = "") -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table} {where}")).scalar_one())


def round_ids(db: Database) -> list[Any]:
    """Ids of every stored round, as UUIDs on both backends."""
    with db.engine.connect() as conn:
        return list(conn.execute(select(CrashGameRound.id)).scalars())


def round_numbers(db: Database) -> list[int]:
    with db.engine.connect() as conn:
        q = select(CrashGameRound.round_number).order_by(CrashGameRound.round_number)
        return list(conn.execute(q).scalars())


def short_timeout_db(db_url: str, backend: str) -> Database:
    """The same database, but giving up after ~0.2 s when a lock is held (an outage)."""
    if backend == "sqlite":
        return Database(db_url, settings=Settings(sqlite_busy_timeout_ms=200))
    url = make_url(db_url).update_query_dict({"options": "-c lock_timeout=200"})
    return Database(url, settings=Settings(connect_timeout=2))


@contextmanager
def database_locked(db_url: str, backend: str) -> Iterator[None]:
    """Another connection holds an exclusive lock on every table the writer writes, so
    writes fail with "database is locked" (SQLite) / lock timeout (PostgreSQL)."""
    u = make_url(db_url)
    if backend == "sqlite":
        assert u.database is not None
        conn = sqlite3.connect(u.database, isolation_level=None, timeout=5)
        try:
            conn.execute("BEGIN EXCLUSIVE")
            yield
            conn.execute("ROLLBACK")
        finally:
            conn.close()
        return
    libpq = u.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as pg:
        pg.execute(f"LOCK TABLE {', '.join(WRITER_TABLES)} IN ACCESS EXCLUSIVE MODE")
        yield
        pg.rollback()
