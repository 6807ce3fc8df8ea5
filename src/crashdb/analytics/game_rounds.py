"""Deduplicated game rounds, kept by triggers (tables game_round_rollups, game_round_pending).

Migration 0007 (see :mod:`crashdb.db.migrations.sql_0007` for who writes what) keeps one row per
game round -- a platform's ``round_external_id`` in one game -- with the smallest and largest
reported crash point, the earliest start and round number, and the number of valid reports.
Game rounds whose row may be out of date are listed in ``game_round_pending``; in any snapshot,
a game round that is not listed has an exact row.

:func:`shared_rounds` reads a game's rounds in one statement: the rows of game rounds that are
not listed, plus the listed ones recomputed from ``crash_game_rounds``. It is exact whatever the
state of the list, so folding is only upkeep: :func:`fold_game_rounds` recomputes the listed
rounds into their rows and empties the list, under the advisory lock the bulk-insert trigger
also takes (so a fold and a merge never overlap, and neither waits for the other unless asked).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    Subquery,
    and_,
    delete,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from crashdb.analytics.common import R
from crashdb.db.engine import SQLITE_IMMEDIATE, Database
from crashdb.db.migrations.constants import GAME_ROUNDS_LOCK
from crashdb.db.models import GameRoundPending, GameRoundRollup

__all__: list[str] = []

log = logging.getLogger(__name__)

G = GameRoundRollup.__table__.c
P = GameRoundPending.__table__.c

_KEY = "game_name, platform_code, round_external_id"
_SUMMARY = f"""
    SELECT {", ".join(f"r.{c}" for c in _KEY.split(", "))},
           min(r.crash_multiplier) AS crash_multiplier,
           max(r.crash_multiplier) AS crash_multiplier_max,
           min(r.round_start_timestamp) AS round_start_timestamp,
           min(r.round_number) AS round_number,
           count(*) AS reports
      FROM crash_game_rounds r
     WHERE r.crash_multiplier IS NOT NULL AND r.is_valid
       AND {{keys}}
     GROUP BY r.game_name, r.platform_code, r.round_external_id"""
_COLUMNS = (
    f"{_KEY}, crash_multiplier, crash_multiplier_max, round_start_timestamp, round_number, reports"
)
_SET = ", ".join(
    f"{c} = excluded.{c}"
    for c in (
        "crash_multiplier",
        "crash_multiplier_max",
        "round_start_timestamp",
        "round_number",
        "reports",
    )
)
_SAME_KEY = "g.game_name = {0}.game_name AND g.platform_code = {0}.platform_code AND g.round_external_id = {0}.round_external_id"  # noqa: E501

# One statement, one snapshot: the listed reports it removes are exactly the ones whose game
# rounds it recomputes (a report committed after the snapshot stays listed for the next fold).
_PG_FOLD = f"""
WITH todo AS (
    DELETE FROM game_round_pending RETURNING {_KEY}
), k AS (
    SELECT DISTINCT {_KEY} FROM todo
), summary AS ({
    _SUMMARY.format(keys="(r.game_name, r.platform_code, r.round_external_id) IN (SELECT * FROM k)")
}
), upserted AS (
    INSERT INTO game_round_rollups AS g ({_COLUMNS})
    SELECT {_COLUMNS} FROM summary ORDER BY {_KEY}
    ON CONFLICT ({_KEY}) DO UPDATE SET {_SET}
    RETURNING 1
), emptied AS (
    DELETE FROM game_round_rollups g USING k
     WHERE {_SAME_KEY.format("k")}
       AND NOT EXISTS (SELECT FROM summary s WHERE {_SAME_KEY.format("s")})
    RETURNING 1
)
SELECT (SELECT count(*) FROM todo) AS listed, (SELECT count(*) FROM k) AS rounds,
       (SELECT count(*) FROM emptied) AS removed, (SELECT count(*) FROM upserted) AS kept
"""

# SQLite: the statements run inside BEGIN IMMEDIATE (no other writer until commit).
_SQLITE_LISTED = f"(r.game_name, r.platform_code, r.round_external_id) IN (SELECT {_KEY} FROM game_round_pending)"  # noqa: E501
_SQLITE_FOLD = (
    f"INSERT INTO game_round_rollups ({_COLUMNS})"
    + _SUMMARY.format(keys=_SQLITE_LISTED)
    + f"\nON CONFLICT ({_KEY}) DO UPDATE SET {_SET}"
)
_SQLITE_EMPTIED = f"""
DELETE FROM game_round_rollups AS g
 WHERE ({_KEY}) IN (SELECT {_KEY} FROM game_round_pending)
   AND NOT EXISTS (SELECT 1 FROM crash_game_rounds r
                    WHERE r.crash_multiplier IS NOT NULL AND r.is_valid
                      AND {_SAME_KEY.format("r")})
"""


def round_parts(where: list[ColumnElement[bool]], *, lean: bool = False) -> tuple[Select[Any], ...]:
    """The two kinds of game rounds (see :func:`game_rounds`), deduplicated from the reports
    that match ``where``, as separate selects: shared, own."""
    base = [*where, R.crash_multiplier.is_not(None), R.is_valid.is_(True)]

    ident: tuple[Any, ...] = (
        ()
        if lean
        else (
            R.game_name.label("game"),
            R.platform_code.label("platform"),
            R.round_external_id.label("ext"),
        )
    )

    shared = (
        select(
            literal(0).label("kind"),
            R.game_name.label("s1"),
            R.platform_code.label("s2"),
            *ident,
            func.min(R.crash_multiplier).label("m"),
            func.max(R.crash_multiplier).label("mx"),
            func.min(R.round_start_timestamp).label("ts"),
            func.min(R.round_number).label("rn"),
            func.count().label("reports"),
        )
        .where(*base, R.round_external_id.is_not(None), R.platform_code.is_not(None))
        .group_by(R.game_name, R.platform_code, R.round_external_id)
    )
    own = select(
        literal(1).label("kind"),
        R.bot_id.label("s1"),
        R.session_id.label("s2"),
        *ident,
        R.crash_multiplier.label("m"),
        R.crash_multiplier.label("mx"),
        R.round_start_timestamp.label("ts"),
        R.round_number.label("rn"),
        literal(1).label("reports"),
    ).where(*base, or_(R.round_external_id.is_(None), R.platform_code.is_(None)))
    return shared, own


def game_rounds(where: list[ColumnElement[bool]], *, lean: bool = False) -> Subquery:
    """Deduplicated game rounds.

    Columns: kind, s1, s2 (the stream a round belongs to: a game on a platform for rounds with
    an external id, else one bot's session), game, platform, ext (external id), m (crash point:
    the smallest reported), mx (the largest reported), ts, rn, reports. ``lean`` leaves out
    game, platform and ext (narrower rows to sort).
    """
    return union_all(*round_parts(where, lean=lean)).subquery("g")


def _engine(db: Database | Engine) -> Engine:
    return db.engine if isinstance(db, Database) else db


FoldCounts = dict[str, int]
NOTHING_LISTED: FoldCounts = {"listed": 0, "rounds": 0, "removed": 0}


def fold_game_rounds(db: Database | Engine) -> FoldCounts:
    """Recompute every listed game round into its row and empty the list, waiting for a bulk
    load in progress to commit. Returns the counts: ``listed`` reports, distinct ``rounds``,
    rows ``removed`` because no valid report is left."""
    engine = _engine(db)
    if not _anything_listed(engine):
        return dict(NOTHING_LISTED)
    with _write(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"SELECT pg_advisory_xact_lock({GAME_ROUNDS_LOCK})"))
        return _fold(conn)


def try_fold_game_rounds(db: Database | Engine) -> FoldCounts | None:
    """:func:`fold_game_rounds`, or None at once when a bulk load or another fold holds the
    lock."""
    engine = _engine(db)
    if not _anything_listed(engine):
        return dict(NOTHING_LISTED)
    with _write(engine) as conn:
        if engine.dialect.name == "postgresql":
            lock = f"SELECT pg_try_advisory_xact_lock({GAME_ROUNDS_LOCK})"
            if not conn.execute(text(lock)).scalar():
                return None
        return _fold(conn)


def _anything_listed(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(P.id).limit(1)).first() is not None


@contextmanager
def _write(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(**{SQLITE_IMMEDIATE: True})
        with conn.begin():
            yield conn


def _fold(conn: Connection) -> FoldCounts:
    """The fold itself, in a write transaction that holds the lock (SQLite: BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        row = conn.execute(text(_PG_FOLD)).one()
        return {"listed": row.listed, "rounds": row.rounds, "removed": row.removed}
    listed = conn.execute(select(func.count()).select_from(GameRoundPending)).scalar_one()
    rounds = conn.execute(
        text(f"SELECT count(*) FROM (SELECT DISTINCT {_KEY} FROM game_round_pending)")
    ).scalar_one()
    conn.execute(text(_SQLITE_FOLD))
    removed = conn.execute(text(_SQLITE_EMPTIED)).rowcount
    conn.execute(delete(GameRoundPending))
    return {"listed": int(listed), "rounds": int(rounds), "removed": int(removed)}


def fold_if_due(db: Database) -> None:
    """Upkeep before a read: fold whatever is listed. Never waits for the lock and never fails
    the read (a read-only connection cannot fold; reads stay exact)."""
    try:
        try_fold_game_rounds(db)
    except DBAPIError as exc:
        log.warning("game rounds not folded (reads stay exact, only slower): %s", exc)


def shared_rounds(
    conn: Connection,
    game_name: str,
    platform_code: str | None,
    start: datetime | None,
    stop: datetime | None,
) -> Select[Any] | CompoundSelect[Any]:
    """A game's rounds that other bots can report too, as seen by ``conn``'s snapshot (run it
    in the same REPEATABLE READ transaction): the stored rows when none of the game's rounds
    is listed, else the stored rows of the rounds that are not listed plus the listed ones
    recomputed from their reports.

    Columns as :func:`crashdb.analytics.games.game_rounds` with ``lean``: kind, s1 (game),
    s2 (platform), m, mx, ts, rn, reports. A game round lies in ``[start, stop)`` when its
    earliest valid report does.
    """
    listed = select(P.game_name, P.platform_code, P.round_external_id).where(
        P.game_name == game_name
    )
    if platform_code is not None:
        listed = listed.where(P.platform_code == platform_code)
    where: list[ColumnElement[bool]] = [G.game_name == game_name]
    if platform_code is not None:
        where.append(G.platform_code == platform_code)
    if start is not None:
        where.append(G.round_start_timestamp >= start)
    if stop is not None:
        where.append(G.round_start_timestamp < stop)
    stored = select(
        literal(0).label("kind"),
        G.game_name.label("s1"),
        G.platform_code.label("s2"),
        G.crash_multiplier.label("m"),
        G.crash_multiplier_max.label("mx"),
        G.round_start_timestamp.label("ts"),
        G.round_number.label("rn"),
        G.reports.label("reports"),
    ).where(*where)
    if conn.execute(listed.limit(1)).first() is None:
        return stored  # read in the index's order: no sort before the independence test

    keys = listed.distinct().subquery("listed")
    stored = stored.where(~tuple_(G.game_name, G.platform_code, G.round_external_id).in_(listed))
    ts = func.min(R.round_start_timestamp)
    having = []
    if start is not None:
        having.append(ts >= start)
    if stop is not None:
        having.append(ts < stop)
    of_game = [R.game_name == game_name]
    if platform_code is not None:
        of_game.append(R.platform_code == platform_code)
    recomputed = (
        round_parts(of_game, lean=True)[0]
        .join(
            keys,
            and_(
                R.game_name == keys.c.game_name,
                R.platform_code == keys.c.platform_code,
                R.round_external_id == keys.c.round_external_id,
            ),
        )
        .having(*having)
    )
    return union_all(stored, recomputed)
