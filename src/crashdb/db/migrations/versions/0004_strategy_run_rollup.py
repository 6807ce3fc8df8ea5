"""strategy run rollups

Revision ID: 0004_strategy_runs
Revises: 0003_session_totals
Create Date: 2026-11-22

get_strategy_performance computed drawdown and streaks with window functions over every
round of the strategy: ~0.8 s at 1M rounds on PostgreSQL against a 300 ms target (issue 4).
``strategy_run_rollups`` keeps one summary per strategy run (bot session); triggers mark runs
stale (see sql_0004) and crashdb.analytics.rollup folds in only what changed when the strategy is
queried. Existing runs are back-filled as stale: the first query of a strategy summarises them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from crashdb.db.migrations.sql_0004 import (
    downgrade_postgresql,
    downgrade_sqlite,
    upgrade_postgresql,
    upgrade_sqlite,
)

revision = "0004_strategy_runs"
down_revision = "0003_session_totals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "strategy_run_rollups",
        sa.Column("strategy_name", sa.String(64), nullable=False),
        sa.Column("bot_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(128), nullable=False),
        sa.Column("stale", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("rebuild", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("stale_round", sa.BigInteger(), nullable=True),
        sa.Column("stale_slot", sa.SmallInteger(), nullable=True),
        sa.Column("state", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.PrimaryKeyConstraint(
            "strategy_name", "bot_id", "session_id", name=op.f("pk_strategy_run_rollups")
        ),
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
    op.drop_table("strategy_run_rollups")
