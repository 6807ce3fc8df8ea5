"""deduplicated game rounds kept by triggers

Revision ID: 0007_game_rounds
Revises: 0006_game_own
Create Date: 2026-11-22

get_game_statistics deduplicated a game's reports on every call (one grouped pass over ~360k
reports at 1M rounds, then a sort by time for the independence test): ~240-315 ms against the
300 ms target of issue 4. ``game_round_rollups`` keeps one row per game round, in time order
per platform, so a query reads ~100k rows in index order; ``game_round_pending`` lists the
rounds whose row may be stale (see sql_0007 for who writes what, and the invariant readers
rely on).

Rounds logged with an external id but no platform cannot be matched across bots either: the
partial index of such "own" rounds now covers them too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crashdb.db.migrations.sql_0007 import (
    downgrade_postgresql,
    downgrade_sqlite,
    upgrade_postgresql,
    upgrade_sqlite,
)

revision = "0007_game_rounds"
down_revision = "0006_game_own"
branch_labels = None
depends_on = None

CODE = sa.String(length=32)
NAME = sa.String(length=128)
MULTIPLIER = sa.Numeric(precision=12, scale=2)
OWN_INCLUDE = ["crash_multiplier", "round_start_timestamp", "round_number", "is_valid"]


def _own_index(where: str) -> None:
    op.drop_index("idx_crash_rounds_game_own", table_name="crash_game_rounds")
    op.create_index(
        "idx_crash_rounds_game_own",
        "crash_game_rounds",
        ["game_name", "bot_id", "session_id"],
        unique=False,
        postgresql_include=OWN_INCLUDE,
        postgresql_where=sa.text(where),
        sqlite_where=sa.text(where),
    )


def upgrade() -> None:
    op.create_table(
        "game_round_rollups",
        sa.Column("game_name", CODE, nullable=False),
        sa.Column("platform_code", CODE, nullable=False),
        sa.Column("round_external_id", NAME, nullable=False),
        sa.Column("crash_multiplier", MULTIPLIER, nullable=False),
        sa.Column("crash_multiplier_max", MULTIPLIER, nullable=False),
        sa.Column("round_start_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("round_number", sa.BigInteger(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "game_name", "platform_code", "round_external_id", name=op.f("pk_game_round_rollups")
        ),
    )
    op.create_index(
        "idx_game_round_rollups_stream",
        "game_round_rollups",
        ["game_name", "platform_code", "round_start_timestamp", "round_number"],
        unique=False,
        postgresql_include=["crash_multiplier", "crash_multiplier_max", "reports"],
    )
    op.create_table(
        "game_round_pending",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("game_name", CODE, nullable=False),
        sa.Column("platform_code", CODE, nullable=False),
        sa.Column("round_external_id", NAME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_round_pending")),
    )
    op.create_index(
        "idx_game_round_pending_key",
        "game_round_pending",
        ["game_name", "platform_code", "round_external_id"],
        unique=False,
    )
    _own_index("round_external_id IS NULL OR platform_code IS NULL")
    if op.get_context().dialect.name == "postgresql":
        upgrade_postgresql()
    else:
        upgrade_sqlite()


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        downgrade_postgresql()
    else:
        downgrade_sqlite()
    _own_index("round_external_id IS NULL")
    op.drop_table("game_round_pending")
    op.drop_table("game_round_rollups")
