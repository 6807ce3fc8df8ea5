"""Tables that are not in the seed: summaries the analytics keep of ``crash_game_rounds``.

Triggers on ``crash_game_rounds`` keep them (migrations 0004, 0005 and 0007); nothing else
writes them but :mod:`crashdb.analytics.rollup` and :mod:`crashdb.analytics.game_rounds`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from crashdb.db.base import Base, BigId
from crashdb.db.types import CODE, ID, MULTIPLIER, NAME, JSONType

__all__ = ["GameRoundPending", "GameRoundRollup", "StrategyRunRollup"]


class StrategyRunRollup(Base):
    """Not a seed table: one strategy's rounds in one run (a bot's session), summarised.

    Triggers on ``crash_game_rounds`` (migration 0004) only mark a run *stale*: inserts record
    the smallest ``(round_number, bet_slot)`` that arrived since the summary was computed,
    deletes and updates ask for a full ``rebuild``. :mod:`~crashdb.analytics.rollup` brings stale
    runs
    up to date when the strategy is queried: rounds that arrived after the summarised ones are
    folded into ``state``; anything else recomputes the run. ``state`` is the run's summary
    (counts, exact money totals, the sums behind the confidence intervals, drawdown and streak
    state), written and read only by :mod:`crashdb.analytics.rollup`.
    """

    __tablename__ = "strategy_run_rollups"

    strategy_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    bot_id: Mapped[str] = mapped_column(ID, primary_key=True)
    session_id: Mapped[str] = mapped_column(NAME, primary_key=True)
    stale: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    rebuild: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    stale_round: Mapped[int | None] = mapped_column(BigInteger)
    stale_slot: Mapped[int | None] = mapped_column(SmallInteger)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class GameRoundRollup(Base):
    """Not a seed table: one game round, however many bots reported it.

    A game round is a platform's ``round_external_id`` in one game; rounds logged without a
    platform or an external id cannot be matched across bots and are not kept here. Only valid
    reports with a crash point count: ``crash_multiplier`` is the smallest reported crash point
    (``crash_multiplier_max`` the largest: when they differ, bots disagreed, usually an OCR
    misread), ``round_start_timestamp`` and ``round_number`` the earliest reported,
    ``reports`` how many reports there were.

    A key listed in :class:`GameRoundPending` may be out of date here: readers recompute it
    from ``crash_game_rounds`` (:mod:`crashdb.analytics.game_rounds`).
    """

    __tablename__ = "game_round_rollups"

    game_name: Mapped[str] = mapped_column(CODE, primary_key=True)
    platform_code: Mapped[str] = mapped_column(CODE, primary_key=True)
    round_external_id: Mapped[str] = mapped_column(NAME, primary_key=True)
    crash_multiplier: Mapped[Decimal] = mapped_column(MULTIPLIER)
    crash_multiplier_max: Mapped[Decimal] = mapped_column(MULTIPLIER)
    round_start_timestamp: Mapped[datetime]
    round_number: Mapped[int] = mapped_column(BigInteger)
    reports: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        # A platform's game rounds in time order: the order the independence test reads them.
        Index(
            "idx_game_round_rollups_stream",
            "game_name",
            "platform_code",
            "round_start_timestamp",
            "round_number",
            postgresql_include=["crash_multiplier", "crash_multiplier_max", "reports"],
        ),
    )


class GameRoundPending(Base):
    """Not a seed table: game rounds whose :class:`GameRoundRollup` row may be out of date.

    Writers append here (an insert never waits on another bot's round); one key may be listed
    several times. :func:`~crashdb.analytics.game_rounds.fold_game_rounds` recomputes the listed
    rounds
    and empties the list.
    """

    __tablename__ = "game_round_pending"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    game_name: Mapped[str] = mapped_column(CODE)
    platform_code: Mapped[str] = mapped_column(CODE)
    round_external_id: Mapped[str] = mapped_column(NAME)

    __table_args__ = (
        Index("idx_game_round_pending_key", "game_name", "platform_code", "round_external_id"),
    )
