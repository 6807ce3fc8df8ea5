"""Run summaries for a selection of rounds: stored where they cover it, folded where not.

A *run* is one bot's session; the database keeps one summary per run, strategy, game and
platform (:class:`~crashdb.db.summaries.RunSummary`, defined by ``run_fold.sql``). A reader
asks for the runs of a bot, a session, a strategy or a game, optionally within
``[start, stop)``; :func:`run_states` answers with

* the stored summaries of the runs that lie entirely inside the range, and
* for the runs at the edges of the range (and any summary not current: marked dirty, or
  stale until the fold after a bulk load), the same fold (``run_fold.sql``) over just their
  rounds inside the range.

So the cost of an answer grows with the number of runs and the rounds at the edges, not with
the table. Drawdown and streaks belong to a run (its rounds in order); when one run holds
several summaries (a strategy or game changed within the session), the run's rounds are
folded again as one run for those.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, text, tuple_
from sqlalchemy.engine import Connection

from crashdb.analytics.common import R
from crashdb.db.folds import RUN_FIELDS, RUN_KEY, run_fold
from crashdb.db.summaries import RunSummary

__all__: list[str] = []

T = RunSummary.__table__.c
ROUNDS = R.id.table
# Columns of a run state, typed so that money comes back as Decimal on both backends.
_STATE_COLUMNS = [T[c] for c in RUN_KEY + RUN_FIELDS]


@dataclass(frozen=True, slots=True)
class Selection:
    """Which runs and rounds: ``summaries`` filters run_summaries, ``rounds`` filters
    crash_game_rounds the same way; ``run`` is what a run is for drawdown and streaks
    (``session``: a bot's session; ``strategy``: one strategy's rounds in a bot's session)."""

    summaries: Sequence[ColumnElement[bool]]
    rounds: Sequence[ColumnElement[bool]]
    start: datetime | None = None
    stop: datetime | None = None
    run: str = "session"


def fold_rounds(
    conn: Connection, where: Sequence[ColumnElement[bool]], key: str = "fine"
) -> list[dict[str, Any]]:
    """``run_fold.sql`` over the rounds matching ``where``: one state per run (``key`` as in
    :func:`crashdb.db.folds.run_fold`)."""
    selected = select(ROUNDS).where(*where).cte("selected_rounds")
    fold = text(run_fold(conn.dialect.name, "selected_rounds", key=key))
    states = fold.columns(*_STATE_COLUMNS).subquery("states")
    stmt = select(states).add_cte(selected)
    return [dict(r) for r in conn.execute(stmt).mappings().all()]


def _inside(state: dict[str, Any], start: datetime | None, stop: datetime | None) -> str:
    """``in``, ``out`` or ``edge``: where a stored run lies relative to ``[start, stop)``."""
    first, last = state["first_ts"], state["last_ts"]
    if first is None:
        return "out"
    if (start is not None and last < start) or (stop is not None and first >= stop):
        return "out"
    if (start is None or first >= start) and (stop is None or last < stop):
        return "in"
    return "edge"


def time_where(start: datetime | None, stop: datetime | None) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if start is not None:
        out.append(R.round_start_timestamp >= start)
    if stop is not None:
        out.append(R.round_start_timestamp < stop)
    return out


def run_states(
    conn: Connection, sel: Selection, *, paths: bool = True
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(summaries, runs)``: the summaries covering the selection (one per run, strategy,
    game and platform; add them up), and one state per run for drawdown and streaks (none
    unless ``paths``)."""
    stored = [
        dict(r)
        for r in conn.execute(
            select(*_STATE_COLUMNS, (T.dirty | T.stale).label("pending")).where(*sel.summaries)
        ).mappings()
    ]
    redo: set[tuple[str, str]] = set()
    fine: list[dict[str, Any]] = []
    for s in stored:
        # a summary a bulk load has not been folded into yet counts as an edge: its rounds
        where = "edge" if s.pop("pending") else _inside(s, sel.start, sel.stop)
        if where == "in":
            fine.append(s)
        elif where == "edge":
            redo.add((s["bot_id"], s["session_id"]))
    rows_where = [*sel.rounds, *time_where(sel.start, sel.stop)]
    if redo:
        sessions = tuple_(R.bot_id, R.session_id).in_(sorted(redo))
        fine = [s for s in fine if (s["bot_id"], s["session_id"]) not in redo]
        fine += fold_rounds(conn, [*rows_where, sessions])
    return fine, runs_of(conn, fine, rows_where, sel.run) if paths else []


def runs_of(
    conn: Connection,
    summaries: Sequence[dict[str, Any]],
    rows_where: Sequence[ColumnElement[bool]],
    run: str = "session",
) -> list[dict[str, Any]]:
    """One state per run for drawdown and streaks: a run's summary when it has one, else
    (a strategy or game changed within the session) its rounds folded as one run."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for s in summaries:
        groups[_run_of(s, run)].append(s)
    runs = [g[0] for g in groups.values() if len(g) == 1]
    mixed = sorted({(g[0]["bot_id"], g[0]["session_id"]) for g in groups.values() if len(g) > 1})
    if mixed:
        sessions = tuple_(R.bot_id, R.session_id).in_(mixed)
        runs += fold_rounds(conn, [*rows_where, sessions], key=run)
    return runs


def _run_of(state: dict[str, Any], run: str) -> tuple[str, ...]:
    if run == "strategy":
        return (state["strategy_name"], state["bot_id"], state["session_id"])
    return (state["bot_id"], state["session_id"])
