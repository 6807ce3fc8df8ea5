"""analytics indexes

Revision ID: 0002_analytics
Revises: 0001
Create Date: 2026-11-22

Indexes for the analytics (crashdb.analytics): per-session and per-strategy runs in
(round_number, bet_slot) order, game rounds grouped by their external id (the deduplication of
rounds reported by several bots), and a game's rounds in time order. On PostgreSQL the run and
game-round indexes carry INCLUDE columns so that the analytics read them with index-only scans.
A trigger fills a signal's actual_multiplier from its round (see sql_0002).
"""

from __future__ import annotations

from alembic import op

from crashdb.db.migrations.sql_0002 import (
    downgrade_postgresql,
    downgrade_sqlite,
    upgrade_postgresql,
    upgrade_sqlite,
)

revision = "0002_analytics"
down_revision = "0001"
branch_labels = None
depends_on = None

RUN_INCLUDE = [
    "round_outcome",
    "stake_value",
    "profit_loss",
    "running_balance_before",
    "round_start_timestamp",
    "round_end_timestamp",
    "game_name",
]
GAME_ROUND_INCLUDE = [
    "crash_multiplier",
    "round_start_timestamp",
    "round_number",
    "is_valid",
    "bot_id",
    "session_id",
]


def upgrade() -> None:
    op.create_index(
        "idx_crash_rounds_session_run",
        "crash_game_rounds",
        ["session_id", "bot_id", "round_number", "bet_slot"],
        unique=False,
    )
    op.create_index(
        "idx_crash_rounds_strategy_run",
        "crash_game_rounds",
        ["strategy_name", "bot_id", "session_id", "round_number", "bet_slot"],
        unique=False,
        postgresql_include=RUN_INCLUDE,
    )
    op.create_index(
        "idx_crash_rounds_game_round",
        "crash_game_rounds",
        ["game_name", "platform_code", "round_external_id"],
        unique=False,
        postgresql_include=GAME_ROUND_INCLUDE,
    )
    op.create_index(
        "idx_crash_rounds_game_ts",
        "crash_game_rounds",
        ["game_name", "round_start_timestamp"],
        unique=False,
    )
    if op.get_context().dialect.name == "postgresql":
        upgrade_postgresql()
    else:
        upgrade_sqlite()


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        downgrade_postgresql()
    else:
        downgrade_sqlite()
    op.drop_index("idx_crash_rounds_game_ts", table_name="crash_game_rounds")
    op.drop_index("idx_crash_rounds_game_round", table_name="crash_game_rounds")
    op.drop_index("idx_crash_rounds_strategy_run", table_name="crash_game_rounds")
    op.drop_index("idx_crash_rounds_session_run", table_name="crash_game_rounds")
