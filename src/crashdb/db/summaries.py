"""Tables that are not in the seed: summaries of ``crash_game_rounds``, kept by the database.

Each derived quantity is defined once, in SQL (``crashdb/db/sql``):

* :class:`RunSummary` -- one row per run (a bot's session) and strategy, game and platform:
  counts, exact money totals, the sums behind the confidence intervals, crash multipliers,
  drawdown and streaks. Defined by ``run_fold.sql``.
* :class:`GameRoundSummary` -- one row per game round (a platform's ``round_external_id`` in
  one game), however many bots reported it. Defined by ``game_round_fold.sql``.
* :class:`SignalSummary` -- the signals of a bot, counted per signal type, game, target and
  confidence bin: how many were resolved and hit. Defined by ``signal_cells.sql``.
* Session totals (``session_logs.total_*``) are the sums of a session's run summaries
  (``session_totals.sql``); the daily per-bot view ``mv_bot_daily_stats`` is a plain view.

Who keeps them: on PostgreSQL statement-level triggers on ``crash_game_rounds`` fold each
statement's rows (its transition table) before the statement ends; on SQLite (row-level
triggers only) :mod:`crashdb.db.folds` folds the rows a transaction added when it commits
(:class:`FoldState` remembers how far it got) and recomputes what deletes and updates marked
``dirty``. Readers never write.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crashdb.db.base import Base
from crashdb.db.types import CODE, ID, MONEY, MONEY_SUM, MULTIPLIER, MULTIPLIER_SUM, NAME

__all__ = ["FoldState", "GameRoundSummary", "RunSummary", "SignalSummary"]

Double = Float(53)
# Counters: 0 in a summary that has not seen a round yet (a row being created under lock).
_ZERO = text("0")


def _count() -> Mapped[int]:
    return mapped_column(BigInteger, server_default=_ZERO)


def _sum() -> Mapped[float]:
    return mapped_column(Double, server_default=_ZERO)


class RunSummary(Base):
    """One strategy's rounds in one bot session (one game, one platform), in round order.

    ``strategy_name`` and ``platform_code`` are ``''`` for rounds without one. Money totals
    are exact (unbounded NUMERIC on PostgreSQL, scaled 64-bit integers on SQLite); the
    ``sum_*`` columns are the double-precision sums the confidence intervals are computed
    from, over bets only (a stake above zero and an outcome other than SKIP). ``peak`` is the
    highest cumulative profit (0 counts: the start), ``max_drawdown`` the largest fall from a
    peak, ``max_drawdown_pct`` the largest fall relative to the balance at its peak
    (``first_balance + peak``); ``win_run``/``loss_run`` are the streaks the run ends on.

    ``dirty``: to be recomputed from all the run's rounds (rounds deleted, updated or arrived
    out of order); ``stale``: rounds were appended by a bulk statement and are folded right
    after its transaction commits (:func:`crashdb.db.folds.fold_pending`). Readers fold the
    rounds of such runs themselves until then.
    """

    __tablename__ = "run_summaries"

    bot_id: Mapped[str] = mapped_column(ID, primary_key=True)
    session_id: Mapped[str] = mapped_column(NAME, primary_key=True)
    strategy_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    game_name: Mapped[str] = mapped_column(CODE, primary_key=True)
    platform_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    rounds: Mapped[int] = _count()
    wins: Mapped[int] = _count()
    losses: Mapped[int] = _count()
    skips: Mapped[int] = _count()
    errors: Mapped[int] = _count()
    bets: Mapped[int] = _count()
    total_staked: Mapped[Decimal] = mapped_column(MONEY_SUM, server_default=_ZERO)
    total_profit: Mapped[Decimal] = mapped_column(MONEY_SUM, server_default=_ZERO)
    sum_profit: Mapped[float] = _sum()
    sum_profit_sq: Mapped[float] = _sum()
    sum_stake: Mapped[float] = _sum()
    sum_stake_sq: Mapped[float] = _sum()
    sum_profit_stake: Mapped[float] = _sum()
    sum_gain: Mapped[float] = _sum()
    sum_gain_sq: Mapped[float] = _sum()
    sum_return: Mapped[float] = _sum()
    sum_return_sq: Mapped[float] = _sum()
    crash_count: Mapped[int] = _count()
    crash_sum: Mapped[Decimal | None] = mapped_column(MULTIPLIER_SUM)
    crash_min: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    crash_max: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    largest_win: Mapped[Decimal | None] = mapped_column(MONEY)
    largest_loss: Mapped[Decimal | None] = mapped_column(MONEY)
    first_ts: Mapped[datetime | None]
    last_ts: Mapped[datetime | None]
    last_end_ts: Mapped[datetime | None]
    first_balance: Mapped[Decimal | None] = mapped_column(MONEY)
    last_balance: Mapped[Decimal | None] = mapped_column(MONEY)
    last_round: Mapped[int | None] = mapped_column(BigInteger)
    last_slot: Mapped[int | None] = mapped_column(SmallInteger)
    peak: Mapped[Decimal] = mapped_column(MONEY_SUM, server_default=_ZERO)
    peak_round: Mapped[int | None] = mapped_column(BigInteger)
    peak_ts: Mapped[datetime | None]
    max_drawdown: Mapped[Decimal] = mapped_column(MONEY_SUM, server_default=_ZERO)
    max_drawdown_pct: Mapped[float | None] = mapped_column(Double)
    drawdown_start_round: Mapped[int | None] = mapped_column(BigInteger)
    drawdown_start_ts: Mapped[datetime | None]
    drawdown_end_round: Mapped[int | None] = mapped_column(BigInteger)
    drawdown_end_ts: Mapped[datetime | None]
    win_run: Mapped[int] = _count()
    loss_run: Mapped[int] = _count()
    longest_win: Mapped[int] = _count()
    longest_loss: Mapped[int] = _count()
    dirty: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    stale: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))

    __table_args__ = (
        # SQLite turns an integer sum that overflows into a double: refused, never stored.
        *(
            CheckConstraint(f"{c} IS NULL OR typeof({c}) = 'integer'", name=f"{c}_exact").ddl_if(
                dialect="sqlite"
            )
            for c in ("total_staked", "total_profit", "crash_sum", "peak", "max_drawdown")
        ),
        Index("idx_run_summaries_session", "session_id"),
        Index("idx_run_summaries_strategy", "strategy_name"),
        Index("idx_run_summaries_game", "game_name", "platform_code"),
        Index(
            "idx_run_summaries_dirty",
            "bot_id",
            postgresql_where=text("dirty"),
            sqlite_where=text("dirty"),
        ),
        Index(
            "idx_run_summaries_stale",
            "bot_id",
            postgresql_where=text("stale"),
            sqlite_where=text("stale"),
        ),
    )


class GameRoundSummary(Base):
    """One game round, however many bots reported it.

    Only valid reports with a crash point count: ``crash_multiplier`` is the smallest
    reported crash point (``crash_multiplier_max`` the largest: when they differ, bots
    disagreed, usually an OCR misread), ``round_start_timestamp`` and ``round_number`` the
    earliest reported, ``reports`` how many reports there were. Rounds logged without a
    platform or an external id cannot be matched across bots and are not kept here.
    """

    __tablename__ = "game_round_summaries"

    game_name: Mapped[str] = mapped_column(CODE, primary_key=True)
    platform_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    round_external_id: Mapped[str] = mapped_column(NAME, primary_key=True)
    crash_multiplier: Mapped[Decimal] = mapped_column(MULTIPLIER)
    crash_multiplier_max: Mapped[Decimal] = mapped_column(MULTIPLIER)
    round_start_timestamp: Mapped[datetime]
    round_number: Mapped[int] = mapped_column(BigInteger)
    reports: Mapped[int] = mapped_column(Integer)
    dirty: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))

    __table_args__ = (
        # A platform's game rounds in time order: the order the independence test reads them.
        Index(
            "idx_game_round_summaries_stream",
            "game_name",
            "platform_code",
            "round_start_timestamp",
            "round_number",
            postgresql_include=["crash_multiplier", "crash_multiplier_max", "reports"],
        ),
        # A game's latest rounds (get_multiplier_distribution).
        Index("idx_game_round_summaries_recent", "game_name", "round_start_timestamp"),
        Index(
            "idx_game_round_summaries_dirty",
            "game_name",
            postgresql_where=text("dirty"),
            sqlite_where=text("dirty"),
        ),
    )


class FoldState(Base):
    """SQLite only: how far the fold at commit got (one row).

    ``folded_rowid`` is the largest ``crash_game_rounds`` rowid already folded; ``dirty`` is
    set by the delete and update triggers when a summary must be recomputed.
    """

    __tablename__ = "summary_fold_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folded_rowid: Mapped[int] = mapped_column(BigInteger, server_default=_ZERO)
    dirty: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class SignalSummary(Base):
    """The signals of one bot, type, game, target and confidence bin (revision 0002).

    A NULL bot, game or target is keyed as ``''``, ``''`` and ``0``; signals without a bin (not
    resolved, or without a confidence) as bin ``-1``. Confidences and squared errors are sums
    in exact units of 10^-4 and 10^-8. Kept by triggers on ``analytics_round_signals`` on both
    backends; a signal's actual multiplier and game are copied from its round (when the signal
    is stored, and when the round changes), so a cell depends on the signal row alone.
    """

    __tablename__ = "signal_summaries"

    bot_id: Mapped[str] = mapped_column(ID, primary_key=True)
    signal_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    game_name: Mapped[str] = mapped_column(CODE, primary_key=True)
    target_multiplier: Mapped[Decimal] = mapped_column(MULTIPLIER, primary_key=True)
    confidence_bin: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    signals: Mapped[int] = _count()
    resolved: Mapped[int] = _count()
    hits: Mapped[int] = _count()
    with_confidence: Mapped[int] = _count()
    hits_with_confidence: Mapped[int] = _count()
    confidence_units: Mapped[int] = _count()
    brier_units: Mapped[int] = _count()
