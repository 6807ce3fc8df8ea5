"""Database-side objects of revision 0007: the deduplicated game rounds kept by triggers.

Frozen with the revision: later revisions add their own module rather than editing this one.

``game_round_rollups`` holds one row per game round (a platform's ``round_external_id`` in one
game) summarising its valid reports: smallest and largest crash point, earliest start and round
number, number of reports. ``game_round_pending`` lists the game rounds whose row may be out of
date. The invariant every reader relies on (``analytics.game_rounds``): *in any snapshot, a
game round that is not listed in game_round_pending has an exact row (or none, when it has no
valid report)*. Readers recompute the listed ones from ``crash_game_rounds``.

Who writes what:

* An insert of fewer than ``crashdb.rollup_fold_min_rows`` rounds (a bot's round, a writer
  flush) only appends its game rounds to game_round_pending. It takes no lock another bot's
  insert could wait for: bots on one platform report the same game round at the same moment.
* A larger insert (a bulk load) merges its rounds into the rows itself (smallest, largest,
  earliest, count: exact for inserts), if it gets the advisory lock ``GAME_ROUNDS_LOCK``
  without waiting; otherwise it appends them to the list like a small insert. The lock is
  held to the end of its transaction: merges and folds never run concurrently, and never
  wait on each other.
* Deletes, and updates of a column the summary reads, append the game rounds of the old and
  new row versions to the list.
* :func:`crashdb.analytics.game_rounds.fold_game_rounds` (under the same lock) recomputes the listed
  game rounds and removes them from the list, in one statement (one snapshot).
* ``TRUNCATE crash_game_rounds`` empties both tables.

SQLite (one writer at a time, row-level triggers) merges every inserted round into its row
directly and lists deletes and updates.
"""

from __future__ import annotations

from alembic import op

from crashdb.db.migrations.constants import GAME_ROUNDS_LOCK
from crashdb.db.migrations.sql_0005 import FOLD_MIN_ROWS

__all__ = [
    "downgrade_postgresql",
    "downgrade_sqlite",
    "upgrade_postgresql",
    "upgrade_sqlite",
]

KEY = "game_name, platform_code, round_external_id"
COLUMNS = (
    f"{KEY}, crash_multiplier, crash_multiplier_max, round_start_timestamp, round_number, reports"
)
# Columns whose update can change a game round's summary.
SUMMARY_COLUMNS = (
    "game_name",
    "platform_code",
    "round_external_id",
    "crash_multiplier",
    "round_start_timestamp",
    "round_number",
    "is_valid",
)


def _shared(row: str = "") -> str:
    """A report of a game round other bots can report too."""
    return f"{row}round_external_id IS NOT NULL AND {row}platform_code IS NOT NULL"


def _counted(row: str = "") -> str:
    """A report the summary counts."""
    return f"{_shared(row)} AND {row}crash_multiplier IS NOT NULL AND {row}is_valid"


SUMMARY_SELECT = f"""
SELECT {KEY}, min(crash_multiplier), max(crash_multiplier), min(round_start_timestamp),
       min(round_number), count(*)
  FROM {{source}}
 WHERE {_counted()}
 GROUP BY {KEY}"""

BACKFILL = f"INSERT INTO game_round_rollups ({COLUMNS})" + SUMMARY_SELECT.format(
    source="crash_game_rounds"
)

PG_INSERT_FUNCTION = f"""
CREATE FUNCTION crashdb_game_rounds_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    min_rows integer := {FOLD_MIN_ROWS};
BEGIN
    IF (SELECT count(*) FROM (SELECT FROM new_rounds LIMIT min_rows) s) >= min_rows
       AND pg_try_advisory_xact_lock({GAME_ROUNDS_LOCK}) THEN
        INSERT INTO game_round_rollups AS g ({COLUMNS}){SUMMARY_SELECT.format(source="new_rounds")}
         ORDER BY {KEY}
        ON CONFLICT ({KEY}) DO UPDATE SET
            crash_multiplier = least(g.crash_multiplier, EXCLUDED.crash_multiplier),
            crash_multiplier_max = greatest(g.crash_multiplier_max, EXCLUDED.crash_multiplier_max),
            round_start_timestamp = least(g.round_start_timestamp, EXCLUDED.round_start_timestamp),
            round_number = least(g.round_number, EXCLUDED.round_number),
            reports = g.reports + EXCLUDED.reports;
    ELSE
        INSERT INTO game_round_pending ({KEY})
        SELECT {KEY} FROM new_rounds WHERE {_counted()};
    END IF;
    RETURN NULL;
END
$$
"""

PG_DELETE_FUNCTION = f"""
CREATE FUNCTION crashdb_game_rounds_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO game_round_pending ({KEY})
    SELECT {KEY} FROM old_rounds WHERE {_counted()};
    RETURN NULL;
END
$$
"""

_CHANGED = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in SUMMARY_COLUMNS)

PG_UPDATE_FUNCTION = f"""
CREATE FUNCTION crashdb_game_rounds_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO game_round_pending ({KEY})
    SELECT k.* FROM old_rounds o
      JOIN new_rounds n ON n.id = o.id
     CROSS JOIN LATERAL (
           SELECT o.game_name, o.platform_code, o.round_external_id WHERE {_shared("o.")}
           UNION ALL
           SELECT n.game_name, n.platform_code, n.round_external_id WHERE {_shared("n.")}
           ) k
     WHERE {_CHANGED};
    RETURN NULL;
END
$$
"""

PG_TRUNCATE_FUNCTION = """
CREATE FUNCTION crashdb_game_rounds_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE game_round_rollups, game_round_pending;
    RETURN NULL;
END
$$
"""

_PG_TRIGGERS = {
    "insert": ("INSERT", "REFERENCING NEW TABLE AS new_rounds", "after_insert"),
    "delete": ("DELETE", "REFERENCING OLD TABLE AS old_rounds", "after_delete"),
    "update": (
        "UPDATE",
        "REFERENCING OLD TABLE AS old_rounds NEW TABLE AS new_rounds",
        "after_update",
    ),
    "truncate": ("TRUNCATE", "", "truncate"),
}


def upgrade_postgresql() -> None:
    for sql in (PG_INSERT_FUNCTION, PG_DELETE_FUNCTION, PG_UPDATE_FUNCTION, PG_TRUNCATE_FUNCTION):
        op.execute(sql)
    for name, (event, referencing, function) in _PG_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER trg_crash_rounds_game_rounds_{name} AFTER {event} "
            f"ON crash_game_rounds {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION crashdb_game_rounds_{function}()"
        )
    op.execute(BACKFILL)


def downgrade_postgresql() -> None:
    for name, (_, _, function) in _PG_TRIGGERS.items():
        trigger = f"trg_crash_rounds_game_rounds_{name}"
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON crash_game_rounds")
        op.execute(f"DROP FUNCTION IF EXISTS crashdb_game_rounds_{function}()")


# --------------------------------------------------------------------------- SQLite

SQLITE_INSERT_TRIGGER = f"""
CREATE TRIGGER trg_crash_rounds_game_rounds_insert AFTER INSERT ON crash_game_rounds
WHEN {_counted("NEW.")}
BEGIN
    INSERT INTO game_round_rollups ({COLUMNS})
    VALUES (NEW.game_name, NEW.platform_code, NEW.round_external_id, NEW.crash_multiplier,
            NEW.crash_multiplier, NEW.round_start_timestamp, NEW.round_number, 1)
    ON CONFLICT ({KEY}) DO UPDATE SET
        crash_multiplier = min(crash_multiplier, excluded.crash_multiplier),
        crash_multiplier_max = max(crash_multiplier_max, excluded.crash_multiplier_max),
        round_start_timestamp = min(round_start_timestamp, excluded.round_start_timestamp),
        round_number = min(round_number, excluded.round_number),
        reports = reports + 1;
END
"""


def _sqlite_list(row: str, when: str) -> str:
    return f"""
    INSERT INTO game_round_pending ({KEY})
    SELECT {row}.game_name, {row}.platform_code, {row}.round_external_id WHERE {when};"""


SQLITE_DELETE_TRIGGER = f"""
CREATE TRIGGER trg_crash_rounds_game_rounds_delete AFTER DELETE ON crash_game_rounds
WHEN {_counted("OLD.")}
BEGIN{_sqlite_list("OLD", "1")}
END
"""

SQLITE_UPDATE_TRIGGER = f"""
CREATE TRIGGER trg_crash_rounds_game_rounds_update
AFTER UPDATE OF {", ".join(SUMMARY_COLUMNS)} ON crash_game_rounds
BEGIN{_sqlite_list("OLD", _shared("OLD."))}{_sqlite_list("NEW", _shared("NEW."))}
END
"""


def upgrade_sqlite() -> None:
    op.execute(SQLITE_INSERT_TRIGGER)
    op.execute(SQLITE_DELETE_TRIGGER)
    op.execute(SQLITE_UPDATE_TRIGGER)
    op.execute(BACKFILL)


def downgrade_sqlite() -> None:
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS trg_crash_rounds_game_rounds_{event}")
