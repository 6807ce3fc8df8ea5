"""Database-side objects of revision 0001 that Alembic cannot autogenerate.

Frozen with the revision: later revisions add their own module rather than editing this one.

* The DESC indexes of the seed (``idx_*_timestamp`` and friends) and, on PostgreSQL only, the
  GIN index on ``crash_game_rounds.metadata``.
* ``updated_at`` triggers.
* Session totals (rounds, wins, losses, profit, last balance) kept current on every round
  insert. PostgreSQL uses a statement-level trigger over the transition table, so a COPY of
  100k rows runs the trigger once, and it locks the affected sessions in a fixed order so that
  concurrent batches cannot deadlock. SQLite has only row-level triggers.
* ``mv_bot_daily_stats``: daily per-bot statistics, a materialized view refreshed by
  ``refresh_bot_daily_stats()`` on PostgreSQL, a plain view on SQLite.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

TABLES = (
    "bot_vm_registration",
    "game_platform_config",
    "session_logs",
    "crash_game_rounds",
    "analytics_round_multipliers",
    "analytics_round_outcomes",
    "analytics_round_signals",
    "error_logs",
    "ocr_validation_logs",
)

UPDATED_AT_TABLES = (
    "bot_vm_registration",
    "game_platform_config",
    "session_logs",
    "crash_game_rounds",
    "analytics_round_signals",
)

DESC_INDEXES = (
    ("idx_crash_rounds_start_ts", "crash_game_rounds", "round_start_timestamp DESC"),
    ("idx_crash_rounds_end_ts", "crash_game_rounds", "round_end_timestamp DESC"),
    (
        "idx_crash_rounds_analytics",
        "crash_game_rounds",
        "bot_id, round_start_timestamp DESC, round_outcome, profit_loss",
    ),
    ("idx_analytics_multipliers_timestamp", "analytics_round_multipliers", "timestamp DESC"),
    ("idx_analytics_multipliers_date", "analytics_round_multipliers", "date_bucket DESC"),
    ("idx_analytics_signals_timestamp", "analytics_round_signals", "timestamp DESC"),
    ("idx_analytics_signals_confidence", "analytics_round_signals", "confidence_score DESC"),
    ("idx_analytics_outcomes_timestamp", "analytics_round_outcomes", "timestamp DESC"),
    ("idx_analytics_outcomes_date", "analytics_round_outcomes", "date_bucket DESC, bot_id"),
    ("idx_error_logs_bot_ts", "error_logs", "bot_id, timestamp DESC"),
    ("idx_ocr_validation_bot_ts", "ocr_validation_logs", "bot_id, timestamp DESC"),
)


def create_desc_indexes() -> None:
    for name, table, columns in DESC_INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} ({columns})")


# --------------------------------------------------------------------------- PostgreSQL

PG_UPDATED_AT_FUNCTION = """
CREATE FUNCTION crashdb_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$
"""

PG_SESSION_TOTALS_FUNCTION = """
CREATE FUNCTION crashdb_session_totals_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Lock the affected sessions in one fixed order: concurrent batches cannot deadlock.
    PERFORM 1
      FROM session_logs s
      JOIN (SELECT DISTINCT bot_id, session_id FROM new_rounds) k
        ON s.bot_id = k.bot_id AND s.session_id = k.session_id
     ORDER BY s.bot_id, s.session_id
       FOR UPDATE OF s;

    UPDATE session_logs s SET
        total_rounds = s.total_rounds + a.n_rounds,
        total_wins = s.total_wins + a.n_wins,
        total_losses = s.total_losses + a.n_losses,
        total_profit = s.total_profit + a.profit,
        current_balance = CASE
            WHEN s.last_round_number IS NULL OR a.last_round >= s.last_round_number
            THEN COALESCE(a.last_balance, s.current_balance)
            ELSE s.current_balance END,
        last_round_number = GREATEST(COALESCE(s.last_round_number, a.last_round), a.last_round)
    FROM (
        SELECT bot_id, session_id,
               count(*) AS n_rounds,
               count(*) FILTER (WHERE round_outcome = 'WIN') AS n_wins,
               count(*) FILTER (WHERE round_outcome = 'LOSS') AS n_losses,
               COALESCE(sum(profit_loss), 0) AS profit,
               max(round_number) AS last_round,
               (array_agg(running_balance_after
                          ORDER BY round_number DESC, bet_slot DESC))[1] AS last_balance
          FROM new_rounds
         GROUP BY bot_id, session_id
    ) a
    WHERE s.bot_id = a.bot_id AND s.session_id = a.session_id;
    RETURN NULL;
END
$$
"""

PG_DAILY_VIEW = """
CREATE MATERIALIZED VIEW mv_bot_daily_stats AS
SELECT bot_id,
       game_name,
       (round_start_timestamp AT TIME ZONE 'UTC')::date AS day,
       count(*) AS rounds,
       count(*) FILTER (WHERE round_outcome = 'WIN') AS wins,
       count(*) FILTER (WHERE round_outcome = 'LOSS') AS losses,
       sum(stake_value) AS total_staked,
       sum(profit_loss) AS total_profit,
       avg(crash_multiplier) AS avg_crash_multiplier,
       max(crash_multiplier) AS max_crash_multiplier,
       min(running_balance_after) AS min_balance,
       max(running_balance_after) AS max_balance
  FROM crash_game_rounds
 GROUP BY bot_id, game_name, (round_start_timestamp AT TIME ZONE 'UTC')::date
"""

PG_REFRESH_FUNCTION = """
CREATE FUNCTION refresh_bot_daily_stats() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    REFRESH MATERIALIZED VIEW CONCURRENTLY mv_bot_daily_stats;
END
$$
"""


def upgrade_postgresql() -> None:
    op.execute(
        "CREATE INDEX idx_crash_rounds_metadata ON crash_game_rounds "
        "USING gin (metadata jsonb_path_ops)"
    )
    op.execute(PG_UPDATED_AT_FUNCTION)
    for table in UPDATED_AT_TABLES:
        op.execute(
            f"CREATE TRIGGER trg_{table}_updated_at BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION crashdb_touch_updated_at()"
        )
    op.execute(PG_SESSION_TOTALS_FUNCTION)
    op.execute(
        "CREATE TRIGGER trg_crash_rounds_session_totals AFTER INSERT ON crash_game_rounds "
        "REFERENCING NEW TABLE AS new_rounds "
        "FOR EACH STATEMENT EXECUTE FUNCTION crashdb_session_totals_after_insert()"
    )
    op.execute(PG_DAILY_VIEW)
    op.execute(
        "CREATE UNIQUE INDEX ux_mv_bot_daily_stats ON mv_bot_daily_stats (bot_id, game_name, day)"
    )
    op.execute(PG_REFRESH_FUNCTION)


def downgrade_postgresql() -> None:
    op.execute("DROP FUNCTION IF EXISTS refresh_bot_daily_stats()")
    op.execute("DROP MATERIALIZED VIEW IF EXISTS mv_bot_daily_stats")
    op.execute("DROP TRIGGER IF EXISTS trg_crash_rounds_session_totals ON crash_game_rounds")
    op.execute("DROP FUNCTION IF EXISTS crashdb_session_totals_after_insert()")
    for table in UPDATED_AT_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_updated_at ON {table}")
    op.execute("DROP FUNCTION IF EXISTS crashdb_touch_updated_at()")


# --------------------------------------------------------------------------- SQLite

# Microsecond text in the format SQLAlchemy writes, so that text order is time order.
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"

SQLITE_SESSION_TOTALS_TRIGGER = f"""
CREATE TRIGGER trg_crash_rounds_session_totals AFTER INSERT ON crash_game_rounds
BEGIN
    UPDATE session_logs SET
        total_rounds = total_rounds + 1,
        total_wins = total_wins + (NEW.round_outcome = 'WIN'),
        total_losses = total_losses + (NEW.round_outcome = 'LOSS'),
        total_profit = total_profit + NEW.profit_loss,
        current_balance = CASE
            WHEN last_round_number IS NULL OR NEW.round_number >= last_round_number
            THEN COALESCE(NEW.running_balance_after, current_balance)
            ELSE current_balance END,
        last_round_number = max(COALESCE(last_round_number, NEW.round_number), NEW.round_number),
        updated_at = {SQLITE_NOW}
    WHERE bot_id = NEW.bot_id AND session_id = NEW.session_id;
END
"""

SQLITE_DAILY_VIEW = """
CREATE VIEW mv_bot_daily_stats AS
SELECT bot_id,
       game_name,
       date(round_start_timestamp) AS day,
       count(*) AS rounds,
       sum(round_outcome = 'WIN') AS wins,
       sum(round_outcome = 'LOSS') AS losses,
       sum(stake_value) AS total_staked,
       sum(profit_loss) AS total_profit,
       avg(crash_multiplier) AS avg_crash_multiplier,
       max(crash_multiplier) AS max_crash_multiplier,
       min(running_balance_after) AS min_balance,
       max(running_balance_after) AS max_balance
  FROM crash_game_rounds
 GROUP BY bot_id, game_name, date(round_start_timestamp)
"""


def upgrade_sqlite() -> None:
    for table in UPDATED_AT_TABLES:
        op.execute(
            text(
                f"CREATE TRIGGER trg_{table}_updated_at AFTER UPDATE ON {table} "
                "FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at BEGIN "
                f"UPDATE {table} SET updated_at = {SQLITE_NOW} WHERE rowid = NEW.rowid; END"
            )
        )
    op.execute(text(SQLITE_SESSION_TOTALS_TRIGGER))
    op.execute(text(SQLITE_DAILY_VIEW))


def downgrade_sqlite() -> None:
    op.execute("DROP VIEW IF EXISTS mv_bot_daily_stats")
    op.execute("DROP TRIGGER IF EXISTS trg_crash_rounds_session_totals")
    for table in UPDATED_AT_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_updated_at")
