"""tables of the fleet service: API tokens, heartbeats, alerts and their deliveries

Revision ID: 0008_fleet_service
Revises: 0007_game_rounds
Create Date: 2026-11-27

``crashdb serve`` authenticates every request with a token of its own table (only a SHA-256
hash is stored), keeps the latest heartbeat of each bot, and persists alerts and the delivery
log of their notifications so that several server processes share one state.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_fleet_service"
down_revision = "0007_game_rounds"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CODE = sa.String(length=32)
NAME = sa.String(length=128)
ID = sa.String(length=64)
MONEY = sa.Numeric(precision=18, scale=4)
CONFIDENCE = sa.Numeric(precision=5, scale=4)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", CODE, nullable=False),
        sa.Column("bot_id", ID, nullable=True),
        sa.Column("name", NAME, nullable=True),
        sa.Column("created_at", TS, server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "bot_heartbeats",
        sa.Column("bot_id", ID, nullable=False),
        sa.Column("session_id", NAME, nullable=True),
        sa.Column("status", sa.String(length=256), nullable=True),
        sa.Column("balance", MONEY, nullable=True),
        sa.Column("ocr_health", CONFIDENCE, nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("bot_id", name=op.f("pk_bot_heartbeats")),
    )
    op.create_table(
        "fleet_alerts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("rule", CODE, nullable=False),
        sa.Column("subject", NAME, nullable=False),
        sa.Column("state", CODE, nullable=False),
        sa.Column("severity", CODE, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("value", JSON, nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("last_notified_at", TS, nullable=True),
        sa.Column("resolved_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_alerts")),
    )
    op.create_index("idx_fleet_alerts_state", "fleet_alerts", ["state", "rule", "subject"])
    op.create_index("idx_fleet_alerts_updated", "fleet_alerts", [sa.text("updated_at DESC")])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("alert_id", BIG_ID, nullable=False),
        sa.Column("event", CODE, nullable=False),
        sa.Column("channel", NAME, nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", CODE, nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=512), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("delivered_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
    )
    op.create_index(
        "idx_alert_deliveries_pending", "alert_deliveries", ["status", "next_attempt_at"]
    )
    op.create_index("idx_alert_deliveries_alert", "alert_deliveries", ["alert_id"])


def downgrade() -> None:
    op.drop_index("idx_alert_deliveries_alert", table_name="alert_deliveries")
    op.drop_index("idx_alert_deliveries_pending", table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index("idx_fleet_alerts_updated", table_name="fleet_alerts")
    op.drop_index("idx_fleet_alerts_state", table_name="fleet_alerts")
    op.drop_table("fleet_alerts")
    op.drop_table("bot_heartbeats")
    op.drop_table("api_tokens")
