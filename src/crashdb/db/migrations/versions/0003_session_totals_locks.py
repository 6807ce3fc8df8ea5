"""session totals: non-key row locks and BIGINT round numbers

Revision ID: 0003_session_totals
Revises: 0002_analytics
Create Date: 2026-11-22

Two fixes to the session-totals trigger of 0001, found by the ingest tests:

* The trigger locked the affected session rows ``FOR UPDATE``. Every round insert's
  foreign-key check already holds ``KEY SHARE`` on its session row, and ``FOR UPDATE``
  conflicts with ``KEY SHARE``: two transactions inserting rounds of one session each waited
  for the other (deadlock). The totals update changes no key column, so the trigger now takes
  ``FOR NO KEY UPDATE``, which does not conflict with ``KEY SHARE``.
* ``session_logs.last_round_number`` was INTEGER while ``round_number`` is BIGINT, so a round
  number above 2**31 - 1 failed inside the trigger. SQLite's INTEGER already holds 64 bits.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crashdb.db.migrations.sql_0001 import PG_SESSION_TOTALS_FUNCTION

revision = "0003_session_totals"
down_revision = "0002_analytics"
branch_labels = None
depends_on = None

_OLD_LOCK = "FOR UPDATE OF s;"
_NEW_LOCK = "FOR NO KEY UPDATE OF s;"


def _totals_function(lock: str) -> str:
    assert _OLD_LOCK in PG_SESSION_TOTALS_FUNCTION
    sql = PG_SESSION_TOTALS_FUNCTION.replace(_OLD_LOCK, lock)
    return sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.alter_column(
        "session_logs", "last_round_number", type_=sa.BigInteger(), existing_type=sa.Integer()
    )
    op.execute(_totals_function(_NEW_LOCK))


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(_totals_function(_OLD_LOCK))
    op.alter_column(
        "session_logs", "last_round_number", type_=sa.Integer(), existing_type=sa.BigInteger()
    )
