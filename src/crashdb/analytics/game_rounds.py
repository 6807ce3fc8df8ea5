"""Game rounds: each counted once, however many bots reported it.

A game round is a platform's ``round_external_id`` in one game; the database keeps one
summary per game round (:class:`~crashdb.db.summaries.GameRoundSummary`, defined by
``game_round_fold.sql``). Rounds logged without a platform or an external id cannot be matched
across bots: each is its own game round ("own" rounds, read from the rounds themselves through
the partial index idx_crash_rounds_game_own).

Columns of every select here: kind (0 shared, 1 own), s1, s2 (the stream a round belongs to:
its game and platform, or its bot and session), m (crash point: the smallest reported), mx
(the largest reported), ts (earliest report), rn (round number), reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    column,
    literal,
    or_,
    select,
    text,
    union_all,
)

from crashdb.analytics.common import R
from crashdb.db.folds import game_round_fold
from crashdb.db.summaries import GameRoundSummary

__all__: list[str] = []

G = GameRoundSummary.__table__.c


def stored_rounds(
    game_name: str,
    platform_code: str | None = None,
    start: datetime | None = None,
    stop: datetime | None = None,
) -> Select[Any]:
    """A game's shared rounds from their summaries; a game round lies in ``[start, stop)``
    when its earliest valid report does."""
    where: list[ColumnElement[bool]] = [G.game_name == game_name]
    if platform_code is not None:
        where.append(G.platform_code == platform_code)
    if start is not None:
        where.append(G.round_start_timestamp >= start)
    if stop is not None:
        where.append(G.round_start_timestamp < stop)
    return select(
        literal(0).label("kind"),
        G.game_name.label("s1"),
        G.platform_code.label("s2"),
        G.crash_multiplier.label("m"),
        G.crash_multiplier_max.label("mx"),
        G.round_start_timestamp.label("ts"),
        G.round_number.label("rn"),
        G.reports.label("reports"),
    ).where(*where)


def own_rounds(where: Sequence[ColumnElement[bool]]) -> Select[Any]:
    """Rounds nobody can match across bots, among the valid ones matching ``where``."""
    return select(
        literal(1).label("kind"),
        R.bot_id.label("s1"),
        R.session_id.label("s2"),
        R.crash_multiplier.label("m"),
        R.crash_multiplier.label("mx"),
        R.round_start_timestamp.label("ts"),
        R.round_number.label("rn"),
        literal(1).label("reports"),
    ).where(
        *where,
        R.crash_multiplier.is_not(None),
        R.is_valid.is_(True),
        or_(R.round_external_id.is_(None), R.platform_code.is_(None)),
    )


def game_rounds(where: Sequence[ColumnElement[bool]]) -> Subquery:
    """The game rounds of the reports matching ``where`` (any filter on the rounds), each
    counted once: shared ones summarised by ``game_round_fold.sql`` over just those reports.

    Columns: kind, s1, s2, game, platform, ext (external id), m, mx, ts, rn, reports.
    """
    selected = select(R.id.table).where(*where).cte("selected_reports")
    shared_fold = (
        text(game_round_fold("selected_reports"))
        .columns(
            column("game_name", G.game_name.type),
            column("platform_code", G.platform_code.type),
            column("round_external_id", G.round_external_id.type),
            G.crash_multiplier,
            G.crash_multiplier_max,
            G.round_start_timestamp,
            G.round_number,
            G.reports,
        )
        .subquery("shared")
    )
    s = shared_fold.c
    shared = select(
        literal(0).label("kind"),
        s.game_name.label("s1"),
        s.platform_code.label("s2"),
        s.game_name.label("game"),
        s.platform_code.label("platform"),
        s.round_external_id.label("ext"),
        s.crash_multiplier.label("m"),
        s.crash_multiplier_max.label("mx"),
        s.round_start_timestamp.label("ts"),
        s.round_number.label("rn"),
        s.reports.label("reports"),
    ).add_cte(selected)
    own = own_rounds(where).add_columns(
        R.game_name.label("game"),
        R.platform_code.label("platform"),
        R.round_external_id.label("ext"),
    )
    o = own.subquery("own")
    own_cols = select(
        o.c.kind,
        o.c.s1,
        o.c.s2,
        o.c.game,
        o.c.platform,
        o.c.ext,
        o.c.m,
        o.c.mx,
        o.c.ts,
        o.c.rn,
        o.c.reports,
    )
    return union_all(shared, own_cols).subquery("g")
