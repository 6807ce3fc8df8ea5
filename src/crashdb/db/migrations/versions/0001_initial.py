"""initial schema

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-27

The nine tables of the seed with their 24 named indexes; the summaries crashdb keeps of the
rounds (run_summaries, game_round_summaries, summary_fold_state: see crashdb.db.summaries);
the fleet service's tables (api_tokens, bot_heartbeats, fleet_alerts, alert_deliveries: see
crashdb.db.server_models); and the database-side objects in ``sql/0001_initial/<dialect>.sql``: triggers and functions
that keep updated_at, the session totals and the summaries, and the daily per-bot view.

SQLite stores NUMERIC values as scaled integers (crashdb.db.types): the bounds in CHECK
constraints are scaled there too.
"""

from __future__ import annotations

import re
from importlib import resources

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

NOW = sa.text("(CURRENT_TIMESTAMP)")
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
    "run_summaries",
    "game_round_summaries",
    "summary_fold_state",
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


# SQLite adds integers that overflow as doubles: a summary that is not an integer any more
# is refused (crashdb.db.folds turns the error into a CrashdbError), never stored rounded.
SQLITE_EXACT = tuple(
    (f"{column}_exact", f"{column} IS NULL OR typeof({column}) = 'integer'")
    for column in ("total_staked", "total_profit", "crash_sum", "peak", "max_drawdown")
)


def database_objects(dialect: str) -> list[str]:
    """The statements of ``sql/0001_initial/<dialect>.sql`` (separated by blank lines)."""
    path = resources.files("crashdb.db.migrations") / "sql" / "0001_initial" / f"{dialect}.sql"
    out = []
    for block in re.split(r"\n\s*\n", path.read_text()):
        stmt = "\n".join(ln for ln in block.splitlines() if not ln.startswith("--")).strip()
        if stmt:
            out.append(stmt[:-1] if stmt.endswith(";") else stmt)
    return out


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    postgres = dialect == "postgresql"
    # Bounds of NUMERIC columns: scaled integers on SQLite (crashdb.db.types).
    ONE_X = "1.00" if postgres else "100"
    ONE_P = "1" if postgres else "10000"
    HUNDRED_PCT = "100" if postgres else "1000000"
    op.create_table(
        "bot_vm_registration",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bot_id", sa.String(length=64), nullable=False),
        sa.Column("bot_name", sa.String(length=128), nullable=True),
        sa.Column("vm_name", sa.String(length=128), nullable=True),
        sa.Column("vm_provider", sa.String(length=32), nullable=True),
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column(
            "session_id", sa.String(length=128), nullable=True, comment="the bot's current session"
        ),
        sa.Column("strategy_name", sa.String(length=64), nullable=True),
        sa.Column("game_name", sa.String(length=32), nullable=True),
        sa.Column("platform_code", sa.String(length=32), nullable=True),
        sa.Column("initial_balance", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("base_stake", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("max_stake", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("auto_registered", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "base_stake IS NULL OR base_stake >= 0", name=op.f("ck_bot_vm_registration_base_stake")
        ),
        sa.CheckConstraint(
            "initial_balance IS NULL OR initial_balance >= 0",
            name=op.f("ck_bot_vm_registration_initial_balance"),
        ),
        sa.CheckConstraint(
            "max_stake IS NULL OR max_stake >= 0", name=op.f("ck_bot_vm_registration_max_stake")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_vm_registration")),
        sa.UniqueConstraint("bot_id", name=op.f("uq_bot_vm_registration_bot_id")),
    )
    op.create_table(
        "game_platform_config",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("game_name", sa.String(length=32), nullable=False),
        sa.Column("platform_code", sa.String(length=32), nullable=False),
        sa.Column("game_provider", sa.String(length=128), nullable=True),
        sa.Column("display_name", sa.String(length=128), nullable=True),
        sa.Column("rtp_percent", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("min_multiplier", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("max_multiplier", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("min_stake", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("max_stake", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            f"rtp_percent IS NULL OR rtp_percent > 0 AND rtp_percent <= {HUNDRED_PCT}",
            name=op.f("ck_game_platform_config_rtp_percent"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_platform_config")),
        sa.UniqueConstraint(
            "game_name",
            "platform_code",
            name=op.f("uq_game_platform_config_game_name_platform_code"),
        ),
    )
    op.create_table(
        "game_round_summaries",
        sa.Column("game_name", sa.String(length=32), nullable=False),
        sa.Column("platform_code", sa.String(length=32), nullable=False),
        sa.Column("round_external_id", sa.String(length=128), nullable=False),
        sa.Column("crash_multiplier", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("crash_multiplier_max", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("round_start_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("round_number", sa.BigInteger(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("dirty", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint(
            "game_name", "platform_code", "round_external_id", name=op.f("pk_game_round_summaries")
        ),
    )
    op.create_index(
        "idx_game_round_summaries_recent",
        "game_round_summaries",
        ["game_name", "round_start_timestamp"],
        unique=False,
    )
    op.create_index(
        "idx_game_round_summaries_dirty",
        "game_round_summaries",
        ["game_name"],
        unique=False,
        postgresql_where=sa.text("dirty"),
        sqlite_where=sa.text("dirty"),
    )
    op.create_index(
        "idx_game_round_summaries_stream",
        "game_round_summaries",
        ["game_name", "platform_code", "round_start_timestamp", "round_number"],
        unique=False,
        postgresql_include=["crash_multiplier", "crash_multiplier_max", "reports"],
    )
    op.create_table(
        "run_summaries",
        sa.Column("bot_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=128), nullable=False),
        sa.Column("strategy_name", sa.String(length=64), nullable=False),
        sa.Column("game_name", sa.String(length=32), nullable=False),
        sa.Column("platform_code", sa.String(length=32), nullable=False),
        sa.Column("rounds", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("wins", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("losses", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("skips", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("errors", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("bets", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_staked", sa.Numeric(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_profit", sa.Numeric(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "sum_profit", sa.Float(precision=53), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "sum_profit_sq", sa.Float(precision=53), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("sum_stake", sa.Float(precision=53), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "sum_stake_sq", sa.Float(precision=53), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "sum_profit_stake", sa.Float(precision=53), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("sum_gain", sa.Float(precision=53), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "sum_gain_sq", sa.Float(precision=53), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "sum_return", sa.Float(precision=53), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "sum_return_sq", sa.Float(precision=53), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("crash_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("crash_sum", sa.Numeric(), nullable=True),
        sa.Column("crash_min", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("crash_max", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("largest_win", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("largest_loss", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("first_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_end_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_balance", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("last_balance", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("last_round", sa.BigInteger(), nullable=True),
        sa.Column("last_slot", sa.SmallInteger(), nullable=True),
        sa.Column("peak", sa.Numeric(), server_default=sa.text("0"), nullable=False),
        sa.Column("peak_round", sa.BigInteger(), nullable=True),
        sa.Column("peak_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_drawdown", sa.Numeric(), server_default=sa.text("0"), nullable=False),
        sa.Column("max_drawdown_pct", sa.Float(precision=53), nullable=True),
        sa.Column("drawdown_start_round", sa.BigInteger(), nullable=True),
        sa.Column("drawdown_start_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("drawdown_end_round", sa.BigInteger(), nullable=True),
        sa.Column("drawdown_end_ts", sa.DateTime(timezone=True), nullable=True),
        sa.Column("win_run", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("loss_run", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("longest_win", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("longest_loss", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("dirty", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("stale", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        *(
            []
            if postgres
            else [
                sa.CheckConstraint(c, name=op.f(f"ck_run_summaries_{n}")) for n, c in SQLITE_EXACT
            ]
        ),
        sa.PrimaryKeyConstraint(
            "bot_id",
            "session_id",
            "strategy_name",
            "game_name",
            "platform_code",
            name=op.f("pk_run_summaries"),
        ),
    )
    op.create_index(
        "idx_run_summaries_dirty",
        "run_summaries",
        ["bot_id"],
        unique=False,
        postgresql_where=sa.text("dirty"),
        sqlite_where=sa.text("dirty"),
    )
    op.create_index(
        "idx_run_summaries_stale",
        "run_summaries",
        ["bot_id"],
        unique=False,
        postgresql_where=sa.text("stale"),
        sqlite_where=sa.text("stale"),
    )
    op.create_index(
        "idx_run_summaries_game", "run_summaries", ["game_name", "platform_code"], unique=False
    )
    op.create_index("idx_run_summaries_session", "run_summaries", ["session_id"], unique=False)
    op.create_index("idx_run_summaries_strategy", "run_summaries", ["strategy_name"], unique=False)
    op.create_table(
        "summary_fold_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folded_rowid", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("dirty", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summary_fold_state")),
    )
    op.create_table(
        "session_logs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bot_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=128), nullable=False),
        sa.Column("game_name", sa.String(length=32), nullable=True),
        sa.Column("platform_code", sa.String(length=32), nullable=True),
        sa.Column("strategy_name", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), server_default="active", nullable=False),
        sa.Column(
            "start_timestamp", sa.DateTime(timezone=True), server_default=NOW, nullable=False
        ),
        sa.Column("end_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("initial_balance", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("final_balance", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("current_balance", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("total_rounds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_wins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_losses", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_profit", sa.Numeric(), server_default="0", nullable=False),
        sa.Column(
            "last_round_number", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "final_balance IS NULL OR final_balance >= 0",
            name=op.f("ck_session_logs_final_balance"),
        ),
        sa.CheckConstraint(
            "initial_balance IS NULL OR initial_balance >= 0",
            name=op.f("ck_session_logs_initial_balance"),
        ),
        sa.ForeignKeyConstraint(
            ["bot_id"],
            ["bot_vm_registration.bot_id"],
            name=op.f("fk_session_logs_bot_id_bot_vm_registration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_logs")),
        sa.UniqueConstraint("bot_id", "session_id", name=op.f("uq_session_logs_bot_id_session_id")),
    )
    op.create_index("idx_session_logs_session", "session_logs", ["session_id"], unique=False)
    op.create_table(
        "crash_game_rounds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bot_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=128), nullable=False),
        sa.Column("vm_name", sa.String(length=128), nullable=True),
        sa.Column("vm_provider", sa.String(length=32), nullable=True),
        sa.Column("vm_region", sa.String(length=32), nullable=True),
        sa.Column("bot_version", sa.String(length=32), nullable=True),
        sa.Column("game_name", sa.String(length=32), nullable=False),
        sa.Column("game_provider", sa.String(length=128), nullable=True),
        sa.Column("platform_code", sa.String(length=32), nullable=True),
        sa.Column("round_external_id", sa.String(length=128), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=True),
        sa.Column("round_number", sa.BigInteger(), nullable=False),
        sa.Column("bet_slot", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("round_start_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("round_end_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("round_duration_ms", sa.Integer(), nullable=True),
        sa.Column("stake_value", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("target_multiplier", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("strategy_name", sa.String(length=64), nullable=True),
        sa.Column("strategy_step", sa.Integer(), nullable=True),
        sa.Column("base_stake", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("auto_cashout", sa.Boolean(), nullable=True),
        sa.Column("is_simulated", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("crash_multiplier", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("cashout_multiplier", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("max_multiplier_seen", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("previous_crash_multiplier", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("profit_loss", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("payout_amount", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("roi_percent", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("running_balance_before", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("running_balance_after", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("session_profit", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("fee_amount", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("ocr_text", sa.String(length=256), nullable=True),
        sa.Column("ocr_confidence", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("ocr_engine", sa.String(length=32), nullable=True),
        sa.Column("detection_method", sa.String(length=32), nullable=True),
        sa.Column("detection_latency_ms", sa.Integer(), nullable=True),
        sa.Column("screenshot_path", sa.String(length=512), nullable=True),
        sa.Column("round_outcome", sa.String(length=8), nullable=False),
        sa.Column("error_type", sa.String(length=64), nullable=True),
        sa.Column("error_description", sa.Text(), nullable=True),
        sa.Column("retry_count", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("is_valid", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "round_outcome IN ('WIN', 'LOSS', 'SKIP', 'ERROR')",
            name=op.f("ck_crash_game_rounds_round_outcome"),
        ),
        sa.CheckConstraint("bet_slot >= 1", name=op.f("ck_crash_game_rounds_bet_slot")),
        sa.CheckConstraint(
            f"cashout_multiplier IS NULL OR cashout_multiplier >= {ONE_X}",
            name=op.f("ck_crash_game_rounds_cashout_multiplier"),
        ),
        sa.CheckConstraint(
            f"crash_multiplier IS NULL OR crash_multiplier >= {ONE_X}",
            name=op.f("ck_crash_game_rounds_crash_multiplier"),
        ),
        sa.CheckConstraint(
            f"ocr_confidence IS NULL OR ocr_confidence >= 0 AND ocr_confidence <= {ONE_P}",
            name=op.f("ck_crash_game_rounds_ocr_confidence"),
        ),
        sa.CheckConstraint("round_number >= 0", name=op.f("ck_crash_game_rounds_round_number")),
        sa.CheckConstraint(
            "running_balance_after IS NULL OR running_balance_after >= 0",
            name=op.f("ck_crash_game_rounds_running_balance_after"),
        ),
        sa.CheckConstraint(
            "running_balance_before IS NULL OR running_balance_before >= 0",
            name=op.f("ck_crash_game_rounds_running_balance_before"),
        ),
        sa.CheckConstraint("stake_value >= 0", name=op.f("ck_crash_game_rounds_stake_value")),
        sa.CheckConstraint(
            f"target_multiplier IS NULL OR target_multiplier >= {ONE_X}",
            name=op.f("ck_crash_game_rounds_target_multiplier"),
        ),
        sa.ForeignKeyConstraint(
            ["bot_id", "session_id"],
            ["session_logs.bot_id", "session_logs.session_id"],
            name="fk_crash_game_rounds_session_session_logs",
        ),
        sa.ForeignKeyConstraint(
            ["bot_id"],
            ["bot_vm_registration.bot_id"],
            name=op.f("fk_crash_game_rounds_bot_id_bot_vm_registration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crash_game_rounds")),
        sa.UniqueConstraint(
            "bot_id", "session_id", "round_number", "bet_slot", name="uq_crash_rounds_natural_key"
        ),
    )
    op.create_index(
        "idx_crash_rounds_bot_session",
        "crash_game_rounds",
        ["bot_id", "session_id", "round_number"],
        unique=False,
    )
    op.create_index(
        "idx_crash_rounds_game_own",
        "crash_game_rounds",
        ["game_name", "bot_id", "session_id"],
        unique=False,
        postgresql_include=[
            "crash_multiplier",
            "round_start_timestamp",
            "round_number",
            "is_valid",
        ],
        postgresql_where=sa.text("round_external_id IS NULL OR platform_code IS NULL"),
        sqlite_where=sa.text("round_external_id IS NULL OR platform_code IS NULL"),
    )
    op.create_index(
        "idx_crash_rounds_game_platform",
        "crash_game_rounds",
        ["game_name", "platform_code"],
        unique=False,
    )
    op.create_index(
        "idx_crash_rounds_game_round",
        "crash_game_rounds",
        ["game_name", "platform_code", "round_external_id"],
        unique=False,
    )
    op.create_index(
        "idx_crash_rounds_game_ts",
        "crash_game_rounds",
        ["game_name", "round_start_timestamp"],
        unique=False,
    )
    if postgres:
        op.create_index(
            "idx_crash_rounds_metadata",
            "crash_game_rounds",
            ["metadata"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"metadata": "jsonb_path_ops"},
        )
    op.create_index(
        "idx_crash_rounds_strategy_outcome",
        "crash_game_rounds",
        ["strategy_name", "round_outcome"],
        unique=False,
    )
    op.create_table(
        "analytics_round_multipliers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("round_number", sa.BigInteger(), nullable=True),
        sa.Column("bot_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=128), nullable=True),
        sa.Column("game_name", sa.String(length=32), nullable=True),
        sa.Column("platform_code", sa.String(length=32), nullable=True),
        sa.Column("multiplier", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "multiplier_kind",
            sa.String(length=16),
            nullable=False,
            comment="crash|cashout|max|observed",
        ),
        sa.Column("is_crash", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_cashout", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_max", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("ocr_confidence", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("data_quality_score", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_bucket", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            f"data_quality_score IS NULL OR data_quality_score >= 0 AND data_quality_score <= {ONE_P}",
            name=op.f("ck_analytics_round_multipliers_data_quality_score"),
        ),
        sa.CheckConstraint(
            f"multiplier >= {ONE_X}", name=op.f("ck_analytics_round_multipliers_multiplier")
        ),
        sa.CheckConstraint(
            f"ocr_confidence IS NULL OR ocr_confidence >= 0 AND ocr_confidence <= {ONE_P}",
            name=op.f("ck_analytics_round_multipliers_ocr_confidence"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["crash_game_rounds.id"],
            name=op.f("fk_analytics_round_multipliers_round_id_crash_game_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_round_multipliers")),
        sa.UniqueConstraint(
            "round_id",
            "multiplier_kind",
            name=op.f("uq_analytics_round_multipliers_round_id_multiplier_kind"),
        ),
    )
    op.create_index(
        "idx_analytics_multipliers_bot_game",
        "analytics_round_multipliers",
        ["bot_id", "game_name"],
        unique=False,
    )
    op.create_index(
        "idx_analytics_multipliers_round", "analytics_round_multipliers", ["round_id"], unique=False
    )
    op.create_index(
        "idx_analytics_multipliers_value",
        "analytics_round_multipliers",
        ["multiplier"],
        unique=False,
    )
    op.create_table(
        "analytics_round_outcomes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=False),
        sa.Column("round_number", sa.BigInteger(), nullable=True),
        sa.Column("bot_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=128), nullable=True),
        sa.Column("game_name", sa.String(length=32), nullable=True),
        sa.Column("platform_code", sa.String(length=32), nullable=True),
        sa.Column("strategy_name", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("profit_loss", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("roi_percent", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("bet_amount", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("winnings", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("loss_amount", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("target_multiplier", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("actual_multiplier", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("hit_target", sa.Boolean(), nullable=True),
        sa.Column("win_streak", sa.Integer(), nullable=True),
        sa.Column("loss_streak", sa.Integer(), nullable=True),
        sa.Column("outcome_category", sa.String(length=32), nullable=True),
        sa.Column("duration_seconds", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_bucket", sa.Date(), nullable=False),
        sa.Column("hour_bucket", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "outcome IN ('WIN', 'LOSS', 'SKIP', 'ERROR')",
            name=op.f("ck_analytics_round_outcomes_outcome"),
        ),
        sa.CheckConstraint(
            f"actual_multiplier IS NULL OR actual_multiplier >= {ONE_X}",
            name=op.f("ck_analytics_round_outcomes_actual_multiplier"),
        ),
        sa.CheckConstraint(
            "bet_amount IS NULL OR bet_amount >= 0",
            name=op.f("ck_analytics_round_outcomes_bet_amount"),
        ),
        sa.CheckConstraint(
            "hour_bucket >= 0 AND hour_bucket <= 23",
            name=op.f("ck_analytics_round_outcomes_hour_bucket"),
        ),
        sa.CheckConstraint(
            f"target_multiplier IS NULL OR target_multiplier >= {ONE_X}",
            name=op.f("ck_analytics_round_outcomes_target_multiplier"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["crash_game_rounds.id"],
            name=op.f("fk_analytics_round_outcomes_round_id_crash_game_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_round_outcomes")),
        sa.UniqueConstraint("round_id", name=op.f("uq_analytics_round_outcomes_round_id")),
    )
    op.create_index(
        "idx_analytics_outcomes_bot_game",
        "analytics_round_outcomes",
        ["bot_id", "game_name"],
        unique=False,
    )
    op.create_index(
        "idx_analytics_outcomes_outcome", "analytics_round_outcomes", ["outcome"], unique=False
    )
    op.create_index(
        "idx_analytics_outcomes_round", "analytics_round_outcomes", ["round_id"], unique=False
    )
    op.create_index(
        "idx_analytics_outcomes_strategy",
        "analytics_round_outcomes",
        ["strategy_name", "outcome"],
        unique=False,
    )
    op.create_table(
        "analytics_round_signals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("round_id", sa.Uuid(), nullable=True),
        sa.Column("round_number", sa.BigInteger(), nullable=True),
        sa.Column("bot_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=128), nullable=True),
        sa.Column("game_name", sa.String(length=32), nullable=True),
        sa.Column("platform_code", sa.String(length=32), nullable=True),
        sa.Column("signal_type", sa.String(length=64), nullable=False),
        sa.Column("confidence_score", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("signal_strength", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("target_multiplier", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("time_to_crash_ms", sa.Integer(), nullable=True),
        sa.Column("volatility", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("momentum", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("pattern_match_type", sa.String(length=64), nullable=True),
        sa.Column("similar_rounds", sa.Integer(), nullable=True),
        sa.Column(
            "feature_vector",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("actual_multiplier", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("signal_correctness", sa.Boolean(), nullable=True),
        sa.Column("prediction_error", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_bucket", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            f"actual_multiplier IS NULL OR actual_multiplier >= {ONE_X}",
            name=op.f("ck_analytics_round_signals_actual_multiplier"),
        ),
        sa.CheckConstraint(
            f"confidence_score IS NULL OR confidence_score >= 0 AND confidence_score <= {ONE_P}",
            name=op.f("ck_analytics_round_signals_confidence_score"),
        ),
        sa.CheckConstraint(
            f"signal_strength IS NULL OR signal_strength >= 0 AND signal_strength <= {ONE_P}",
            name=op.f("ck_analytics_round_signals_signal_strength"),
        ),
        sa.CheckConstraint(
            f"target_multiplier IS NULL OR target_multiplier >= {ONE_X}",
            name=op.f("ck_analytics_round_signals_target_multiplier"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["crash_game_rounds.id"],
            name=op.f("fk_analytics_round_signals_round_id_crash_game_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_round_signals")),
        sa.UniqueConstraint(
            "round_id", "signal_type", name=op.f("uq_analytics_round_signals_round_id_signal_type")
        ),
    )
    op.create_index(
        "idx_analytics_signals_bot_game",
        "analytics_round_signals",
        ["bot_id", "game_name"],
        unique=False,
    )
    op.create_index(
        "idx_analytics_signals_pattern",
        "analytics_round_signals",
        ["pattern_match_type"],
        unique=False,
    )
    op.create_index(
        "idx_analytics_signals_round", "analytics_round_signals", ["round_id"], unique=False
    )
    op.create_index(
        "idx_analytics_signals_type", "analytics_round_signals", ["signal_type"], unique=False
    )
    op.create_table(
        "error_logs",
        sa.Column("round_id", sa.Uuid(), nullable=True),
        sa.Column("error_type", sa.String(length=64), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_trace", sa.Text(), nullable=True),
        sa.Column("severity", sa.String(length=32), server_default="error", nullable=False),
        sa.Column("recovery_action", sa.String(length=256), nullable=True),
        sa.Column("resolved", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bot_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=128), nullable=True),
        sa.Column("round_number", sa.BigInteger(), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["crash_game_rounds.id"],
            name=op.f("fk_error_logs_round_id_crash_game_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_error_logs")),
    )
    op.create_index("idx_error_logs_type", "error_logs", ["error_type"], unique=False)
    op.create_table(
        "ocr_validation_logs",
        sa.Column("round_id", sa.Uuid(), nullable=True),
        sa.Column("raw_ocr_text", sa.String(length=256), nullable=True),
        sa.Column("cleaned_value", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("expected_value", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("confidence", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("validation_status", sa.String(length=32), nullable=False),
        sa.Column("ocr_engine", sa.String(length=32), nullable=True),
        sa.Column("screenshot_path", sa.String(length=512), nullable=True),
        sa.Column("processing_time_ms", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bot_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=128), nullable=True),
        sa.Column("round_number", sa.BigInteger(), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            f"confidence IS NULL OR confidence >= 0 AND confidence <= {ONE_P}",
            name=op.f("ck_ocr_validation_logs_confidence"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["crash_game_rounds.id"],
            name=op.f("fk_ocr_validation_logs_round_id_crash_game_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocr_validation_logs")),
    )
    op.create_index(
        "idx_ocr_validation_status", "ocr_validation_logs", ["validation_status"], unique=False
    )

    for name, table, columns in DESC_INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} ({columns})")
    for statement in database_objects(dialect):
        op.execute(statement)
    fleet_service_tables()


def downgrade() -> None:
    drop_fleet_service_tables()
    op.execute("DROP VIEW IF EXISTS mv_bot_daily_stats")
    for table in reversed(TABLES):
        op.drop_table(table)
    if op.get_context().dialect.name == "postgresql":
        for function in (
            "crashdb_rounds_after_insert",
            "crashdb_rounds_after_delete",
            "crashdb_rounds_after_update",
            "crashdb_rounds_truncate",
            "crashdb_signal_actual_multiplier",
            "crashdb_touch_updated_at",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")


# The fleet service's tables (crashdb serve): API tokens (only a SHA-256 hash is stored), the
# latest heartbeat of each bot, alerts and the delivery log of their notifications.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_CODE = sa.String(length=32)
_NAME = sa.String(length=128)
_ID = sa.String(length=64)
_MONEY = sa.Numeric(precision=18, scale=4)
_CONFIDENCE = sa.Numeric(precision=5, scale=4)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TS = sa.DateTime(timezone=True)


def fleet_service_tables() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", _CODE, nullable=False),
        sa.Column("bot_id", _ID, nullable=True),
        sa.Column("name", _NAME, nullable=True),
        sa.Column("created_at", _TS, server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "bot_heartbeats",
        sa.Column("bot_id", _ID, nullable=False),
        sa.Column("session_id", _NAME, nullable=True),
        sa.Column("status", sa.String(length=256), nullable=True),
        sa.Column("balance", _MONEY, nullable=True),
        sa.Column("ocr_health", _CONFIDENCE, nullable=True),
        sa.Column("received_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("bot_id", name=op.f("pk_bot_heartbeats")),
    )
    op.create_table(
        "fleet_alerts",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("rule", _CODE, nullable=False),
        sa.Column("subject", _NAME, nullable=False),
        sa.Column("state", _CODE, nullable=False),
        sa.Column("severity", _CODE, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("value", _JSON, nullable=True),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("last_notified_at", _TS, nullable=True),
        sa.Column("resolved_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_alerts")),
    )
    op.create_index("idx_fleet_alerts_state", "fleet_alerts", ["state", "rule", "subject"])
    op.create_index("idx_fleet_alerts_updated", "fleet_alerts", [sa.text("updated_at DESC")])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("alert_id", _BIG_ID, nullable=False),
        sa.Column("event", _CODE, nullable=False),
        sa.Column("channel", _NAME, nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("status", _CODE, nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=512), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=True),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
    )
    op.create_index(
        "idx_alert_deliveries_pending", "alert_deliveries", ["status", "next_attempt_at"]
    )
    op.create_index("idx_alert_deliveries_alert", "alert_deliveries", ["alert_id"])


def drop_fleet_service_tables() -> None:
    op.drop_index("idx_alert_deliveries_alert", table_name="alert_deliveries")
    op.drop_index("idx_alert_deliveries_pending", table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index("idx_fleet_alerts_updated", table_name="fleet_alerts")
    op.drop_index("idx_fleet_alerts_state", table_name="fleet_alerts")
    op.drop_table("fleet_alerts")
    op.drop_table("bot_heartbeats")
    op.drop_table("api_tokens")
