"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22

The nine tables of the seed, their 24 named indexes, and the database-side extras: triggers
that keep updated_at and the session totals current, and the daily per-bot statistics view
(materialized on PostgreSQL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from crashdb.db.migrations.sql_0001 import (
    TABLES,
    create_desc_indexes,
    downgrade_postgresql,
    downgrade_sqlite,
    upgrade_postgresql,
    upgrade_sqlite,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
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
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column(
            "auto_registered", sa.Boolean(), server_default=sa.text("(false)"), nullable=False
        ),
        sa.Column("metadata", JSON_TYPE, nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
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
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("config", JSON_TYPE, nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "rtp_percent IS NULL OR (rtp_percent > 0 AND rtp_percent <= 100)",
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
            "start_timestamp",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("end_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("initial_balance", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("final_balance", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("current_balance", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("total_rounds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_wins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_losses", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "total_profit", sa.Numeric(precision=18, scale=4), server_default="0", nullable=False
        ),
        sa.Column("last_round_number", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("metadata", JSON_TYPE, nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
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
        sa.Column("is_simulated", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
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
        sa.Column("is_valid", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("metadata", JSON_TYPE, nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "round_outcome IN ('WIN', 'LOSS', 'SKIP', 'ERROR')",
            name=op.f("ck_crash_game_rounds_round_outcome"),
        ),
        sa.CheckConstraint("bet_slot >= 1", name=op.f("ck_crash_game_rounds_bet_slot")),
        sa.CheckConstraint(
            "cashout_multiplier IS NULL OR cashout_multiplier >= 1.00",
            name=op.f("ck_crash_game_rounds_cashout_multiplier"),
        ),
        sa.CheckConstraint(
            "crash_multiplier IS NULL OR crash_multiplier >= 1.00",
            name=op.f("ck_crash_game_rounds_crash_multiplier"),
        ),
        sa.CheckConstraint(
            "ocr_confidence IS NULL OR (ocr_confidence >= 0 AND ocr_confidence <= 1)",
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
            "target_multiplier IS NULL OR target_multiplier >= 1.00",
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
        "idx_crash_rounds_game_platform",
        "crash_game_rounds",
        ["game_name", "platform_code"],
        unique=False,
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
        sa.Column("is_crash", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("is_cashout", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("is_max", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("ocr_confidence", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("data_quality_score", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_bucket", sa.Date(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "data_quality_score IS NULL OR (data_quality_score >= 0 AND data_quality_score <= 1)",
            name=op.f("ck_analytics_round_multipliers_data_quality_score"),
        ),
        sa.CheckConstraint(
            "multiplier >= 1.00", name=op.f("ck_analytics_round_multipliers_multiplier")
        ),
        sa.CheckConstraint(
            "ocr_confidence IS NULL OR (ocr_confidence >= 0 AND ocr_confidence <= 1)",
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
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "outcome IN ('WIN', 'LOSS', 'SKIP', 'ERROR')",
            name=op.f("ck_analytics_round_outcomes_outcome"),
        ),
        sa.CheckConstraint(
            "actual_multiplier IS NULL OR actual_multiplier >= 1.00",
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
            "target_multiplier IS NULL OR target_multiplier >= 1.00",
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
        sa.Column("feature_vector", JSON_TYPE, nullable=True),
        sa.Column("actual_multiplier", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("signal_correctness", sa.Boolean(), nullable=True),
        sa.Column("prediction_error", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_bucket", sa.Date(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "actual_multiplier IS NULL OR actual_multiplier >= 1.00",
            name=op.f("ck_analytics_round_signals_actual_multiplier"),
        ),
        sa.CheckConstraint(
            "confidence_score IS NULL OR (confidence_score >= 0 AND confidence_score <= 1)",
            name=op.f("ck_analytics_round_signals_confidence_score"),
        ),
        sa.CheckConstraint(
            "signal_strength IS NULL OR (signal_strength >= 0 AND signal_strength <= 1)",
            name=op.f("ck_analytics_round_signals_signal_strength"),
        ),
        sa.CheckConstraint(
            "target_multiplier IS NULL OR target_multiplier >= 1.00",
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
        sa.Column("resolved", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("context", JSON_TYPE, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bot_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=128), nullable=True),
        sa.Column("round_number", sa.BigInteger(), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
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
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "confidence IS NULL OR (confidence >= 0 AND confidence <= 1)",
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
    create_desc_indexes()
    if op.get_context().dialect.name == "postgresql":
        upgrade_postgresql()
    else:
        upgrade_sqlite()


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        downgrade_postgresql()
    else:
        downgrade_sqlite()
    for table in reversed(TABLES):
        op.drop_table(table)
