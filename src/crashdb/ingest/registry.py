"""Registration of the bots and sessions records name, and the write transaction itself."""

from __future__ import annotations

import random
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from crashdb.db.engine import Database
from crashdb.db.reference import insert_ignoring_conflicts
from crashdb.ingest.records import (
    ErrorRecord,
    MultiplierRecord,
    OCRRecord,
    OutcomeRecord,
    Record,
    RoundRecord,
    SessionStartRecord,
    SignalRecord,
)
from crashdb.ingest.tables import BOTS, SESSIONS

__all__ = ["Known", "WriteResult", "is_sqlite_busy", "known_for", "register", "run_write"]

SQLITE_BUSY_RETRIES = 8
_ANALYTICS = (MultiplierRecord, SignalRecord, OutcomeRecord)


@dataclass
class WriteResult:
    """What one :func:`write_records` call did (inserted counts exclude replays)."""

    inserted: dict[str, int] = field(default_factory=dict)
    sessions_updated: int = 0
    bots_registered: int = 0
    sessions_registered: int = 0

    def add(self, kind: str, n: int) -> None:
        self.inserted[kind] = self.inserted.get(kind, 0) + max(n, 0)


@dataclass
class Known:
    """Bots and sessions a process knows are registered (skips the registration statements).

    A stale entry (the database was recreated) makes a write fail with a foreign-key error;
    :func:`write_records` then clears the cache and retries once.
    """

    bots: set[str] = field(default_factory=set)
    sessions: set[tuple[str, str]] = field(default_factory=set)
    strategies: dict[str, str | None] = field(default_factory=dict)

    def clear(self) -> None:
        self.bots.clear()
        self.sessions.clear()
        self.strategies.clear()


_known: weakref.WeakKeyDictionary[Database, Known] = weakref.WeakKeyDictionary()
_known_lock = threading.Lock()


def known_for(db: Database) -> Known:
    with _known_lock:
        k = _known.get(db)
        if k is None:
            k = _known[db] = Known()
        return k


def is_sqlite_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "database is busy" (retry after a pause)."""
    text = str(getattr(exc, "orig", exc)).lower()
    return isinstance(exc, OperationalError) and ("locked" in text or "busy" in text)


T = TypeVar("T")


def run_write(db: Database, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in one write transaction; retry SQLite busy errors with jittered backoff."""
    attempt = 0
    while True:
        try:
            with db.write_connection() as conn:
                return work(conn)
        except OperationalError as exc:
            if db.backend != "sqlite" or not is_sqlite_busy(exc) or attempt >= SQLITE_BUSY_RETRIES:
                raise
            attempt += 1
            time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))


# --------------------------------------------------------------------------- registration


def register(
    conn: Connection,
    backend: str,
    rounds: Iterable[RoundRecord],
    records: Iterable[Record],
    result: WriteResult,
    known: Known | None = None,
    *,
    lock_sessions: bool = False,
) -> dict[str, str | None]:
    """Register the unknown bots and sessions that ``rounds`` and ``records`` name; returns
    ``{bot_id: registered strategy}`` for the bots of rounds without a strategy.

    A bot or session is registered from the first record that names it (``auto_registered``).
    ``known`` (a per-database cache) skips the statements for bots and sessions this process
    already registered or saw registered. ``lock_sessions`` (PostgreSQL) locks the rounds'
    sessions in sorted order before any round is written: the session-totals trigger sorts
    its locks only within one statement, so a transaction that writes rounds in several
    statements must take them up front, or two writers could deadlock."""
    bots: dict[str, dict[str, Any]] = {}
    sessions: dict[tuple[str, str], dict[str, Any]] = {}
    need_strategy: set[str] = set()
    for r in rounds:
        bot, sid = r.bot_id, r.session_id
        if r.strategy_name is None:
            need_strategy.add(bot)
        if (bot, sid) in sessions:
            continue
        sessions[(bot, sid)] = {
            "bot_id": bot,
            "session_id": sid,
            "game_name": r.game_name,
            "platform_code": r.platform_code,
            "strategy_name": r.strategy_name,
            "initial_balance": r.running_balance_before,
            "current_balance": r.running_balance_before,
            "start_timestamp": r.round_start_timestamp,
        }
        bots.setdefault(bot, _bot_row(bot, sid, r.game_name, r.platform_code, r.strategy_name))
    round_sessions = list(sessions)
    for rec in records:
        if isinstance(rec, SessionStartRecord):
            bots.setdefault(
                rec.bot_id,
                _bot_row(
                    rec.bot_id, rec.session_id, rec.game_name, rec.platform_code, rec.strategy_name
                ),
            )
        elif isinstance(rec, (*_ANALYTICS, ErrorRecord, OCRRecord)) and rec.bot_id is not None:
            strategy = getattr(rec, "strategy_name", None)
            game = getattr(rec, "game_name", None)
            platform = getattr(rec, "platform_code", None)
            bots.setdefault(
                rec.bot_id, _bot_row(rec.bot_id, rec.session_id, game, platform, strategy)
            )
            # a record with a round belongs to that round's (registered) session
            if rec.session_id is not None and rec.round_id is None and isinstance(rec, _ANALYTICS):
                sessions.setdefault(
                    (rec.bot_id, rec.session_id),
                    {
                        "bot_id": rec.bot_id,
                        "session_id": rec.session_id,
                        "game_name": game,
                        "platform_code": platform,
                        "strategy_name": strategy,
                        "initial_balance": None,
                        "current_balance": None,
                        "start_timestamp": rec.timestamp,
                    },
                )
    if known is not None:
        bots = {b: v for b, v in bots.items() if b not in known.bots}
        sessions = {k: v for k, v in sessions.items() if k not in known.sessions}
        cached = {b: known.strategies[b] for b in need_strategy if b in known.strategies}
        need_strategy -= cached.keys()
    else:
        cached = {}
    if bots:
        rows = [{**bots[b], "auto_registered": True, "is_active": True} for b in sorted(bots)]
        stmt = insert_ignoring_conflicts(backend, BOTS, "bot_id").returning(BOTS.c.id)
        result.bots_registered = len(conn.execute(stmt, rows).all())
    strategies: dict[str, str | None] = dict(cached)
    if need_strategy:
        q = select(BOTS.c.bot_id, BOTS.c.strategy_name).where(
            BOTS.c.bot_id.in_(sorted(need_strategy))
        )
        strategies.update({b: s for b, s in conn.execute(q)})
    if sessions:
        rows = []
        for key in sorted(sessions):
            row = dict(sessions[key], status="active")
            if row["strategy_name"] is None:
                row["strategy_name"] = strategies.get(key[0])
            rows.append(row)
        add = insert_ignoring_conflicts(backend, SESSIONS, "bot_id", "session_id")
        result.sessions_registered = len(conn.execute(add.returning(SESSIONS.c.id), rows).all())
    if known is not None:
        known.bots.update(bots)
        known.sessions.update(sessions)
        known.strategies.update(strategies)
    if backend == "postgresql" and lock_sessions and len(round_sessions) > 1:
        pair = tuple_(SESSIONS.c.bot_id, SESSIONS.c.session_id)
        conn.execute(
            select(SESSIONS.c.id)
            .where(pair.in_(sorted(round_sessions)))
            .order_by(SESSIONS.c.bot_id, SESSIONS.c.session_id)
            .with_for_update()
        )
    return strategies


def _bot_row(
    bot: str, session: str | None, game: str | None, platform: str | None, strategy: str | None
) -> dict[str, Any]:
    return {
        "bot_id": bot,
        "session_id": session,
        "game_name": game,
        "platform_code": platform,
        "strategy_name": strategy,
    }
