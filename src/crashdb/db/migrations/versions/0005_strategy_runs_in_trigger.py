"""strategy run summaries folded by the insert trigger

Revision ID: 0005_strategy_fold
Revises: 0004_strategy_runs
Create Date: 2026-11-22

With 0004 the first get_strategy_performance after a bulk load paid for summarising every
new round (1.6 s for a strategy's 200k rounds at 1M, against the 300 ms target of issue 4),
and a read had to write. On PostgreSQL the statement-level insert trigger now folds the
statement's rounds into the summaries itself (see sql_0005), so the cost is paid once, by
the write, in SQL; a query finds the summaries current. SQLite keeps the query-time fold.
"""

from __future__ import annotations

from alembic import op

from crashdb.db.migrations.sql_0005 import downgrade_postgresql, upgrade_postgresql

revision = "0005_strategy_fold"
down_revision = "0004_strategy_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        upgrade_postgresql()


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        downgrade_postgresql()
