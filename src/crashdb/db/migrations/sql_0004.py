"""Database-side objects of revision 0004: triggers that mark strategy runs stale.

Frozen with the revision: later revisions add their own module rather than editing this one.

The triggers do no arithmetic; they only note, per ``(strategy_name, bot_id, session_id)``,
that the run changed (:mod:`crashdb.analytics.rollup` does the rest when the strategy is queried):

* insert: ``stale`` and the smallest ``(round_number, bet_slot)`` that arrived since the run
  was summarised (rounds after the summarised ones are folded in, anything earlier rebuilds);
* delete, or an update of a column the summary reads: ``rebuild``.

PostgreSQL uses statement-level triggers over the transition tables (a COPY runs each once)
and upserts the affected runs sorted by key, so concurrent batches take the row locks in one
order. The table has no foreign keys, so no ``KEY SHARE`` lock is ever held on its rows.
SQLite has only row-level triggers.
"""

from __future__ import annotations

from alembic import op

# Columns whose update changes a run's summary.
SUMMARY_COLUMNS = (
    "strategy_name",
    "bot_id",
    "session_id",
    "round_number",
    "bet_slot",
    "game_name",
    "stake_value",
    "profit_loss",
    "round_outcome",
    "running_balance_before",
    "round_start_timestamp",
    "round_end_timestamp",
)

BACKFILL = """
INSERT INTO strategy_run_rollups (strategy_name, bot_id, session_id, stale, rebuild)
SELECT DISTINCT strategy_name, bot_id, session_id, true, true
  FROM crash_game_rounds
 WHERE strategy_name IS NOT NULL
"""

PG_INSERT_FUNCTION = """
CREATE FUNCTION crashdb_strategy_runs_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO strategy_run_rollups AS r
           (strategy_name, bot_id, session_id, stale, rebuild, stale_round, stale_slot)
    SELECT strategy_name, bot_id, session_id, true, true, k[1], k[2]::smallint
      FROM (SELECT strategy_name, bot_id, session_id,
                   min(ARRAY[round_number, bet_slot::bigint]) AS k
              FROM new_rounds
             WHERE strategy_name IS NOT NULL
             GROUP BY strategy_name, bot_id, session_id) n
     ORDER BY strategy_name, bot_id, session_id
    ON CONFLICT (strategy_name, bot_id, session_id) DO UPDATE SET
        stale = true,
        stale_round = CASE
            WHEN NOT r.stale OR r.stale_round IS NULL
              OR (EXCLUDED.stale_round, EXCLUDED.stale_slot) < (r.stale_round, r.stale_slot)
            THEN EXCLUDED.stale_round ELSE r.stale_round END,
        stale_slot = CASE
            WHEN NOT r.stale OR r.stale_round IS NULL
              OR (EXCLUDED.stale_round, EXCLUDED.stale_slot) < (r.stale_round, r.stale_slot)
            THEN EXCLUDED.stale_slot ELSE r.stale_slot END;
    RETURN NULL;
END
$$
"""

PG_REBUILD_FUNCTION = """
CREATE FUNCTION crashdb_strategy_runs_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO strategy_run_rollups AS r (strategy_name, bot_id, session_id, stale, rebuild)
    SELECT DISTINCT strategy_name, bot_id, session_id, true, true
      FROM old_rounds
     WHERE strategy_name IS NOT NULL
     ORDER BY strategy_name, bot_id, session_id
    ON CONFLICT (strategy_name, bot_id, session_id) DO UPDATE SET stale = true, rebuild = true;
    RETURN NULL;
END
$$
"""

# An update marks the runs of the old and of the new row version.
PG_UPDATE_FUNCTION = f"""
CREATE FUNCTION crashdb_strategy_runs_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO strategy_run_rollups AS r (strategy_name, bot_id, session_id, stale, rebuild)
    SELECT DISTINCT k.strategy_name, k.bot_id, k.session_id, true, true
      FROM old_rounds o
      JOIN new_rounds n ON n.id = o.id
     CROSS JOIN LATERAL (VALUES (o.strategy_name, o.bot_id, o.session_id),
                                (n.strategy_name, n.bot_id, n.session_id))
           AS k (strategy_name, bot_id, session_id)
     WHERE k.strategy_name IS NOT NULL
       AND ({" OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in SUMMARY_COLUMNS)})
     ORDER BY 1, 2, 3
    ON CONFLICT (strategy_name, bot_id, session_id) DO UPDATE SET stale = true, rebuild = true;
    RETURN NULL;
END
$$
"""


def upgrade_postgresql() -> None:
    op.execute(PG_INSERT_FUNCTION)
    op.execute(PG_REBUILD_FUNCTION)
    op.execute(PG_UPDATE_FUNCTION)
    op.execute(
        "CREATE TRIGGER trg_crash_rounds_strategy_runs_insert AFTER INSERT ON crash_game_rounds "
        "REFERENCING NEW TABLE AS new_rounds "
        "FOR EACH STATEMENT EXECUTE FUNCTION crashdb_strategy_runs_after_insert()"
    )
    op.execute(
        "CREATE TRIGGER trg_crash_rounds_strategy_runs_delete AFTER DELETE ON crash_game_rounds "
        "REFERENCING OLD TABLE AS old_rounds "
        "FOR EACH STATEMENT EXECUTE FUNCTION crashdb_strategy_runs_rebuild()"
    )
    op.execute(
        "CREATE TRIGGER trg_crash_rounds_strategy_runs_update AFTER UPDATE ON crash_game_rounds "
        "REFERENCING OLD TABLE AS old_rounds NEW TABLE AS new_rounds "
        "FOR EACH STATEMENT EXECUTE FUNCTION crashdb_strategy_runs_after_update()"
    )
    op.execute(BACKFILL)


def downgrade_postgresql() -> None:
    for event in ("insert", "delete", "update"):
        op.execute(
            f"DROP TRIGGER IF EXISTS trg_crash_rounds_strategy_runs_{event} ON crash_game_rounds"
        )
    op.execute("DROP FUNCTION IF EXISTS crashdb_strategy_runs_after_insert()")
    op.execute("DROP FUNCTION IF EXISTS crashdb_strategy_runs_rebuild()")
    op.execute("DROP FUNCTION IF EXISTS crashdb_strategy_runs_after_update()")


# --------------------------------------------------------------------------- SQLite

SQLITE_INSERT_TRIGGER = """
CREATE TRIGGER trg_crash_rounds_strategy_runs_insert AFTER INSERT ON crash_game_rounds
WHEN NEW.strategy_name IS NOT NULL
BEGIN
    INSERT INTO strategy_run_rollups
           (strategy_name, bot_id, session_id, stale, rebuild, stale_round, stale_slot)
    VALUES (NEW.strategy_name, NEW.bot_id, NEW.session_id, 1, 1, NEW.round_number, NEW.bet_slot)
    ON CONFLICT (strategy_name, bot_id, session_id) DO UPDATE SET
        stale = 1,
        stale_round = CASE
            WHEN NOT stale OR stale_round IS NULL
              OR (excluded.stale_round, excluded.stale_slot) < (stale_round, stale_slot)
            THEN excluded.stale_round ELSE stale_round END,
        stale_slot = CASE
            WHEN NOT stale OR stale_round IS NULL
              OR (excluded.stale_round, excluded.stale_slot) < (stale_round, stale_slot)
            THEN excluded.stale_slot ELSE stale_slot END;
END
"""


def _sqlite_rebuild(row: str) -> str:
    return f"""
    INSERT INTO strategy_run_rollups (strategy_name, bot_id, session_id, stale, rebuild)
    SELECT {row}.strategy_name, {row}.bot_id, {row}.session_id, 1, 1
     WHERE {row}.strategy_name IS NOT NULL
    ON CONFLICT (strategy_name, bot_id, session_id) DO UPDATE SET stale = 1, rebuild = 1;"""


SQLITE_DELETE_TRIGGER = f"""
CREATE TRIGGER trg_crash_rounds_strategy_runs_delete AFTER DELETE ON crash_game_rounds
BEGIN{_sqlite_rebuild("OLD")}
END
"""

SQLITE_UPDATE_TRIGGER = f"""
CREATE TRIGGER trg_crash_rounds_strategy_runs_update
AFTER UPDATE OF {", ".join(SUMMARY_COLUMNS)} ON crash_game_rounds
BEGIN{_sqlite_rebuild("OLD")}{_sqlite_rebuild("NEW")}
END
"""


def upgrade_sqlite() -> None:
    op.execute(SQLITE_INSERT_TRIGGER)
    op.execute(SQLITE_DELETE_TRIGGER)
    op.execute(SQLITE_UPDATE_TRIGGER)
    op.execute(BACKFILL.replace("true", "1"))


def downgrade_sqlite() -> None:
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS trg_crash_rounds_strategy_runs_{event}")
