"""Tables of the fleet service (``crashdb serve``): not in the seed.

* :class:`ApiToken`: who may call the server. Only a SHA-256 hash of each token is stored;
  the token itself is shown once, when it is created.
* :class:`BotHeartbeat`: the latest heartbeat of each bot (one row per bot, overwritten).
* :class:`FleetAlert`: alerts the server raised, open (``firing``) or ``resolved``.
* :class:`AlertDelivery`: the delivery log and outbox of alert notifications (webhooks,
  Telegram): one row per notification and channel, with its attempts.

The migration that creates them is ``0008_fleet_service``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from crashdb.db.base import Base, BigId
from crashdb.db.types import CODE, CONFIDENCE, ID, MONEY, NAME, JSONType, UTCDateTime

__all__ = ["AlertDelivery", "ApiToken", "BotHeartbeat", "FleetAlert"]


def _now_column() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), server_default=func.now())


class ApiToken(Base):
    """A credential of the fleet service: role ``bot`` (writes one bot's records), ``viewer``
    (reads) or ``admin`` (reads, writes, manages tokens and maintenance)."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(CODE)
    bot_id: Mapped[str | None] = mapped_column(ID)
    name: Mapped[str | None] = mapped_column(NAME)
    created_at: Mapped[datetime] = _now_column()
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BotHeartbeat(Base):
    """The latest heartbeat a bot sent (``POST /api/v1/heartbeat``)."""

    __tablename__ = "bot_heartbeats"

    bot_id: Mapped[str] = mapped_column(ID, primary_key=True)
    session_id: Mapped[str | None] = mapped_column(NAME)
    status: Mapped[str | None] = mapped_column(String(256))
    balance: Mapped[Decimal | None] = mapped_column(MONEY)
    ocr_health: Mapped[Decimal | None] = mapped_column(CONFIDENCE)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FleetAlert(Base):
    """An alert: a rule that holds for a subject (a bot, or a platform account).

    At most one alert per (rule, subject) is ``firing`` at a time; it is notified when it
    fires, again every ``repeat`` seconds of its rule while it holds, and when it resolves.
    """

    __tablename__ = "fleet_alerts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(CODE)
    subject: Mapped[str] = mapped_column(NAME)
    state: Mapped[str] = mapped_column(CODE)
    severity: Mapped[str] = mapped_column(CODE)
    message: Mapped[str] = mapped_column(Text)
    value: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("idx_fleet_alerts_state", "state", "rule", "subject"),
        Index("idx_fleet_alerts_updated", text("updated_at DESC")),
    )


class AlertDelivery(Base):
    """One notification of one alert event on one channel, and how its delivery went.

    ``channel`` names the channel (``webhook:<name>`` or ``telegram``), never its URL or
    credentials. ``status`` is ``pending`` (another attempt at ``next_attempt_at``),
    ``delivered`` or ``failed`` (attempts exhausted).
    """

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(BigId)
    event: Mapped[str] = mapped_column(CODE)
    channel: Mapped[str] = mapped_column(NAME)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(CODE)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("idx_alert_deliveries_pending", "status", "next_attempt_at"),
        Index("idx_alert_deliveries_alert", "alert_id"),
    )
