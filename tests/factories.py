"""Realistic rounds with a known RTP, inserted straight through SQLAlchemy Core.

``crash = max(1, floor(100 * rtp / U) / 100)`` with ``U ~ Uniform(0, 1]``, so that
``P(crash >= x) = rtp / x`` exactly on the 0.01 grid. Tests that know the truth check that the
analytics find it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import insert

from crashdb import Database
from crashdb.db.models import (
    AnalyticsRoundMultiplier,
    AnalyticsRoundSignal,
    BotVMRegistration,
    CrashGameRound,
    SessionLog,
)

START = datetime(2026, 11, 1, tzinfo=UTC)
CENT = Decimal("0.01")
CAP_CENTS = 100_000_000  # 1,000,000.00x


def crash_multipliers(n: int, rtp: float, rng: np.random.Generator) -> list[Decimal]:
    """``n`` crash points following P(crash >= x) = rtp / x, rounded down to 0.01."""
    u = 1.0 - rng.random(n)  # (0, 1]
    cents = np.minimum(np.floor(100 * rtp / u), CAP_CENTS).astype(np.int64)
    cents = np.maximum(cents, 100)
    return [Decimal(int(c)).scaleb(-2) for c in cents]


@dataclass
class SessionSpec:
    bot_id: str = "bot_a"
    session_id: str = "s1"
    game_name: str = "aviator"
    platform_code: str = "dafabet"
    strategy_name: str = "fixed_stake"
    target: Decimal = Decimal("2.00")
    stake: Decimal = Decimal("10.0000")
    initial_balance: Decimal = Decimal("100000.0000")
    start: datetime = START
    interval: timedelta = timedelta(seconds=10)
    first_round: int = 1
    external_prefix: str | None = None  # round_external_id = f"{prefix}{round_number}"
    extra: dict[str, Any] = field(default_factory=dict)


def round_rows(
    spec: SessionSpec, crashes: Sequence[Decimal], outcomes: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Rows for crash_game_rounds: one bet at a fixed target per crash point."""
    rows = []
    balance = spec.initial_balance
    for i, crash in enumerate(crashes):
        n = spec.first_round + i
        outcome = outcomes[i] if outcomes else ("WIN" if crash >= spec.target else "LOSS")
        stake = spec.stake if outcome != "SKIP" else Decimal("0.0000")
        if outcome == "WIN":
            profit = (spec.target - 1) * stake
        elif outcome == "SKIP":
            profit = Decimal(0)
        else:
            profit = -stake
        before = balance
        balance = balance + profit
        ts = spec.start + i * spec.interval
        rows.append(
            {
                "id": uuid.uuid4(),
                "bot_id": spec.bot_id,
                "session_id": spec.session_id,
                "game_name": spec.game_name,
                "platform_code": spec.platform_code,
                "round_external_id": (
                    f"{spec.external_prefix}{n}" if spec.external_prefix is not None else None
                ),
                "round_number": n,
                "bet_slot": 1,
                "round_start_timestamp": ts,
                "round_end_timestamp": ts + timedelta(seconds=8),
                "stake_value": stake,
                "target_multiplier": spec.target,
                "strategy_name": spec.strategy_name,
                "crash_multiplier": crash,
                "cashout_multiplier": spec.target if outcome == "WIN" else None,
                "round_outcome": outcome,
                "profit_loss": profit,
                "running_balance_before": before,
                "running_balance_after": balance,
                **spec.extra,
            }
        )
    return rows


def ensure_bot_session(db: Database, spec: SessionSpec) -> None:
    from crashdb.db.reference import insert_ignoring_conflicts

    with db.write_connection() as conn:
        bots = BotVMRegistration.__table__
        conn.execute(
            insert_ignoring_conflicts(db.backend, bots, "bot_id"),  # type: ignore[arg-type]
            [{"bot_id": spec.bot_id, "strategy_name": spec.strategy_name}],
        )
        conn.execute(
            insert_ignoring_conflicts(
                db.backend,
                SessionLog.__table__,  # type: ignore[arg-type]
                "bot_id",
                "session_id",
            ),
            [
                {
                    "bot_id": spec.bot_id,
                    "session_id": spec.session_id,
                    "game_name": spec.game_name,
                    "platform_code": spec.platform_code,
                    "strategy_name": spec.strategy_name,
                    "initial_balance": spec.initial_balance,
                    "start_timestamp": spec.start,
                }
            ],
        )


def insert_rounds(db: Database, spec: SessionSpec, rows: list[dict[str, Any]]) -> None:
    ensure_bot_session(db, spec)
    with db.write_connection() as conn:
        # Multi-row INSERTs of 500 rounds (not one statement per round): the summaries'
        # triggers run once per statement, as for crashdb's own writes.
        batched = conn.execution_options(insertmanyvalues_page_size=500)
        batched.execute(insert(CrashGameRound).returning(CrashGameRound.id), rows)


def add_session(
    db: Database,
    spec: SessionSpec,
    n: int,
    rtp: float = 0.97,
    seed: int = 0,
    crashes: Sequence[Decimal] | None = None,
    outcomes: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Insert ``n`` rounds (or the given crash points) and return the rows."""
    if crashes is None:
        crashes = crash_multipliers(n, rtp, np.random.default_rng(seed))
    rows = round_rows(spec, crashes, outcomes)
    insert_rounds(db, spec, rows)
    return rows


def add_multiplier_rows(db: Database, rows: Iterable[dict[str, Any]]) -> None:
    """analytics_round_multipliers rows (kind 'crash') for the given rounds."""
    values = [
        {
            "id": uuid.uuid4(),
            "round_id": r["id"],
            "round_number": r["round_number"],
            "bot_id": r["bot_id"],
            "session_id": r["session_id"],
            "game_name": r["game_name"],
            "platform_code": r["platform_code"],
            "multiplier": r["crash_multiplier"],
            "multiplier_kind": "crash",
            "is_crash": True,
            "timestamp": r["round_start_timestamp"],
            "date_bucket": r["round_start_timestamp"].date(),
        }
        for r in rows
    ]
    with db.write_connection() as conn:
        for k in range(0, len(values), 5000):
            conn.execute(insert(AnalyticsRoundMultiplier), values[k : k + 5000])


def add_signals(
    db: Database,
    rows: Sequence[dict[str, Any]],
    signal_type: str,
    target: Decimal,
    confidence: Sequence[float] | float,
) -> None:
    """One signal per round recommending ``target``; whether it hit is left to the analytics."""
    confs = [confidence] * len(rows) if isinstance(confidence, float) else list(confidence)
    values = [
        {
            "id": uuid.uuid4(),
            "round_id": r["id"],
            "round_number": r["round_number"],
            "bot_id": r["bot_id"],
            "session_id": r["session_id"],
            "game_name": r["game_name"],
            "platform_code": r["platform_code"],
            "signal_type": signal_type,
            "confidence_score": Decimal(str(round(c, 4))),
            "target_multiplier": target,
            "timestamp": r["round_start_timestamp"],
            "date_bucket": r["round_start_timestamp"].date(),
        }
        for r, c in zip(rows, confs, strict=True)
    ]
    with db.write_connection() as conn:
        for k in range(0, len(values), 5000):
            conn.execute(insert(AnalyticsRoundSignal), values[k : k + 5000])


def race(writes: Sequence[Callable[[], None]], read: Callable[[], None], readers: int = 2) -> None:
    """Run every write in its own thread while ``readers`` threads repeat ``read`` until the
    writes are done; fail with whatever any thread raised."""
    errors: list[BaseException] = []
    done = threading.Event()

    def guarded(body: Callable[[], None], repeat: bool) -> None:
        try:
            body()
            while repeat and not done.is_set():
                body()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    writers = [threading.Thread(target=guarded, args=(w, False)) for w in writes]
    reading = [threading.Thread(target=guarded, args=(read, True)) for _ in range(readers)]
    for t in (*reading, *writers):
        t.start()
    for t in writers:
        t.join(timeout=120)
    done.set()
    for t in reading:
        t.join(timeout=120)
    assert not errors, errors
