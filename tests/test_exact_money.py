"""Money is exact on both backends: values with 13 integer digits and 4 decimals read back
as written, and every analytics total equals the sum of the Decimals; a SQLite total that
cannot be exact fails loudly instead of being rounded."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from crashdb import Database
from crashdb.analytics import get_bot_statistics, get_session_summary, get_strategy_performance
from crashdb.db.models import CrashGameRound, SessionLog
from crashdb.exceptions import CrashdbError
from factories import START, SessionSpec, ensure_bot_session

BIG = [
    Decimal("1234567890123.4567"),
    Decimal("9999999999999.9999"),
    Decimal("-8765432109876.5432"),
    Decimal("0.0001"),
    Decimal("4444444444444.4444"),
]


def _rows(spec: SessionSpec, profits: list[Decimal], stake: Decimal) -> list[dict[str, object]]:
    return [
        {
            "id": uuid.uuid4(),
            "bot_id": spec.bot_id,
            "session_id": spec.session_id,
            "game_name": "aviator",
            "platform_code": "dafabet",
            "round_number": k + 1,
            "round_start_timestamp": START + timedelta(seconds=10 * k),
            "stake_value": stake,
            "strategy_name": spec.strategy_name,
            "round_outcome": "WIN" if p > 0 else "LOSS",
            "profit_loss": p,
            "crash_multiplier": Decimal("1234567890.12"),
        }
        for k, p in enumerate(profits)
    ]


def test_thirteen_digit_money_is_exact_everywhere(db: Database) -> None:
    spec = SessionSpec(bot_id="whale", session_id="w1", strategy_name="fixed_stake")
    ensure_bot_session(db, spec)
    stake = Decimal("9876543210987.6543")
    rows = _rows(spec, BIG, stake)
    with db.write_connection() as conn:
        conn.execute(insert(CrashGameRound).values(rows))
    with db.engine.connect() as conn:
        stored = conn.execute(
            select(CrashGameRound.profit_loss, CrashGameRound.stake_value).order_by(
                CrashGameRound.round_number
            )
        ).all()
        totals = conn.execute(select(SessionLog.total_profit)).scalar_one()
    assert [r.profit_loss for r in stored] == BIG
    assert all(r.stake_value == stake for r in stored)
    total = sum(BIG, Decimal(0))
    assert totals == total
    for result in (
        get_bot_statistics("whale", db=db),
        get_session_summary("w1", db=db),
        get_strategy_performance("fixed_stake", db=db),
    ):
        assert Decimal(result["total_profit"]) == total
        assert Decimal(result["total_staked"]) == stake * len(BIG)
        assert Decimal(result["largest_win"]) == max(BIG)
        assert Decimal(result["largest_loss"]) == min(BIG)
        assert Decimal(result["max_drawdown"]) == Decimal("8765432109876.5432")
    assert get_bot_statistics("whale", db=db)["max_multiplier"] == 1234567890.12


def test_a_total_that_cannot_be_exact_fails_loudly(db: Database) -> None:
    """1,000 stakes of 99,999,999,999,999.9999: 10^17, beyond 64-bit scaled integers (SQLite)
    but exact in PostgreSQL's unbounded NUMERIC summaries."""
    spec = SessionSpec(bot_id="huge", session_id="h1")
    ensure_bot_session(db, spec)
    most = Decimal("99999999999999.9999")
    rows = _rows(spec, [-most] * 1000, most)
    if db.backend == "sqlite":
        with pytest.raises(CrashdbError, match="exact"), db.write_connection() as conn:
            conn.execute(insert(CrashGameRound).values(rows[:500]))
            conn.execute(insert(CrashGameRound).values(rows[500:]))
        with db.engine.connect() as conn:  # nothing partial
            assert conn.execute(select(CrashGameRound.id)).first() is None
        return
    with db.write_connection() as conn:
        conn.execute(insert(CrashGameRound).values(rows[:500]))
        conn.execute(insert(CrashGameRound).values(rows[500:]))
    result = get_bot_statistics("huge", db=db)
    assert Decimal(result["total_profit"]) == -most * 1000
    assert Decimal(result["total_staked"]) == most * 1000
