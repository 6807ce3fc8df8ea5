"""signal summaries

Revision ID: 0002_signal_summaries
Revises: 0001_initial
Create Date: 2026-11-27

The signals of each bot counted per signal type, game, target and confidence bin
(signal_summaries: see crashdb.db.summaries.SignalSummary), so that judging signals reads a
few cells instead of every signal. The triggers that keep it, and the filling of signals
stored before (their round's crash point and game, then their cells), are in
``sql/0002_signal_summaries/<dialect>.sql``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crashdb.db.migrations import revision_statements

revision = "0002_signal_summaries"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

ZERO = sa.text("0")


def upgrade() -> None:
    op.create_table(
        "signal_summaries",
        sa.Column("bot_id", sa.String(length=64), nullable=False),
        sa.Column("signal_type", sa.String(length=64), nullable=False),
        sa.Column("game_name", sa.String(length=32), nullable=False),
        sa.Column("target_multiplier", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("confidence_bin", sa.SmallInteger(), nullable=False),
        sa.Column("signals", sa.BigInteger(), server_default=ZERO, nullable=False),
        sa.Column("resolved", sa.BigInteger(), server_default=ZERO, nullable=False),
        sa.Column("hits", sa.BigInteger(), server_default=ZERO, nullable=False),
        sa.Column("with_confidence", sa.BigInteger(), server_default=ZERO, nullable=False),
        sa.Column("hits_with_confidence", sa.BigInteger(), server_default=ZERO, nullable=False),
        sa.Column("confidence_units", sa.BigInteger(), server_default=ZERO, nullable=False),
        sa.Column("brier_units", sa.BigInteger(), server_default=ZERO, nullable=False),
        sa.PrimaryKeyConstraint(
            "bot_id",
            "signal_type",
            "game_name",
            "target_multiplier",
            "confidence_bin",
            name=op.f("pk_signal_summaries"),
        ),
    )
    for statement in revision_statements(revision, op.get_context().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    for trigger, table in (
        ("trg_crash_rounds_signal_values", "crash_game_rounds"),
        ("trg_signals_summaries_truncate", "analytics_round_signals"),
        ("trg_signals_summaries_update", "analytics_round_signals"),
        ("trg_signals_summaries_delete", "analytics_round_signals"),
        ("trg_signals_summaries_insert", "analytics_round_signals"),
        ("trg_signals_round_game", "analytics_round_signals"),
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (f" ON {table}" if postgres else ""))
    if postgres:
        for function in (
            "crashdb_rounds_signal_values",
            "crashdb_signals_truncate",
            "crashdb_signals_after_update",
            "crashdb_signals_after_delete",
            "crashdb_signals_after_insert",
            "crashdb_signals_round_game",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_table("signal_summaries")
