"""no value is SQL NULL in every JSON column

Revision ID: 0003_json_null
Revises: 0002_signal_summaries
Create Date: 2026-11-27

Before this revision a JSON column without a value held the JSON text ``null`` when the row
came through an INSERT, and SQL NULL when it came through PostgreSQL's COPY (the bulk path), so
``WHERE metadata IS NULL`` found only some of them. The column type now stores SQL NULL on every
path; this revision turns the JSON ``null`` already stored into SQL NULL.

No summary reads these columns, and the rows' content does not change, so the triggers of each
table (``updated_at``, the summaries) are kept out of this update.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_json_null"
down_revision = "0002_signal_summaries"
branch_labels = None
depends_on = None

# (table, column) of every nullable JSON column
COLUMNS = (
    ("bot_vm_registration", "metadata"),
    ("game_platform_config", "config"),
    ("session_logs", "metadata"),
    ("crash_game_rounds", "metadata"),
    ("analytics_round_signals", "feature_vector"),
    ("error_logs", "context"),
    ("fleet_alerts", "value"),
)


def upgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    for table, column in COLUMNS:
        if postgres:
            op.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            op.execute(f"UPDATE {table} SET {column} = NULL WHERE {column} = 'null'::jsonb")
            op.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            continue
        bind = op.get_bind()
        triggers = bind.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
            {"t": table},
        ).all()
        for name, _ in triggers:
            op.execute(f"DROP TRIGGER {name}")
        op.execute(f"UPDATE {table} SET {column} = NULL WHERE {column} = 'null'")
        for _, ddl in triggers:
            op.execute(ddl)


def downgrade() -> None:
    """Nothing to undo: SQL NULL reads back as None, as JSON ``null`` did."""
