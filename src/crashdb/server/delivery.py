"""Sending alert notifications: webhooks (JSON POST) and Telegram, with retries.

``alert_deliveries`` is both the outbox and the delivery log: :func:`deliver_pending` sends
every notification that is due, and records each attempt. A failed attempt (no answer, or
not 2xx) is retried after ``delivery_backoff_seconds``, doubling up to
``delivery_backoff_max_seconds``; after ``delivery_attempts`` attempts it is ``failed``.

Webhook body: ``{"event": "firing" | "repeat" | "resolved", "alert": {...}}`` (the alert as
``GET /api/v1/alerts`` shows it). Telegram: ``sendMessage`` with a plain-text message (no
markup is parsed) to the configured chat, at ``{api_base}/bot{token}/sendMessage``. Neither
URL nor token is written to the log or the database; the channel is named instead.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import Table, select, update

from crashdb.db.engine import Database
from crashdb.db.server_models import AlertDelivery
from crashdb.server.config import ServerConfig

__all__ = ["deliver_pending", "list_deliveries", "telegram_text"]

log = logging.getLogger("crashdb.server")
DELIVERIES = cast(Table, AlertDelivery.__table__)


def telegram_text(payload: dict[str, Any]) -> str:
    alert = payload["alert"]
    head = {"firing": "ALERT", "repeat": "STILL FIRING", "resolved": "RESOLVED"}.get(
        payload["event"], payload["event"].upper()
    )
    return f"[crashdb] {head}: {alert['rule']} ({alert['subject']})\n{alert['message']}"


def _send(
    client: httpx.Client, config: ServerConfig, channel: str, payload: dict[str, Any]
) -> None:
    if channel == "telegram":
        token = config.telegram_token()
        if config.telegram is None or not token:
            raise RuntimeError("telegram: no bot token configured")
        url = f"{config.telegram.api_base.rstrip('/')}/bot{token}/sendMessage"
        body = {"chat_id": config.telegram.chat_id, "text": telegram_text(payload)}
        response = client.post(url, json=body)
        if response.status_code // 100 != 2:
            raise RuntimeError(f"telegram answered {response.status_code}")
        try:
            ok = response.json().get("ok", True)
        except ValueError:
            ok = True
        if ok is False:
            raise RuntimeError("telegram answered ok=false")
        return
    name = channel.removeprefix("webhook:")
    hook = next((w for w in config.webhooks if w.name == name), None)
    if hook is None:
        raise RuntimeError(f"{channel}: not configured any more")
    response = client.post(hook.url.get_secret_value(), json=payload)
    if response.status_code // 100 != 2:
        raise RuntimeError(f"{channel} answered {response.status_code}")


def deliver_pending(
    db: Database, config: ServerConfig, client: httpx.Client, now: datetime | None = None
) -> int:
    """Send every notification that is due; returns how many were delivered."""
    now = now or datetime.now(UTC)
    d = DELIVERIES.c
    q = (
        select(d.id, d.channel, d.payload, d.attempts)
        .where(d.status == "pending", d.next_attempt_at <= now)
        .order_by(d.id)
        .limit(100)
    )
    with db.engine.connect() as conn:
        due = conn.execute(q).all()
    delivered = 0
    for row in due:
        attempts = row.attempts + 1
        values: dict[str, Any] = {"attempts": attempts}
        try:
            _send(client, config, row.channel, row.payload)
        except Exception as exc:
            reason = (f"{type(exc).__name__}" if isinstance(exc, httpx.HTTPError) else str(exc))[
                :500
            ]
            values["last_error"] = reason
            if attempts >= config.delivery_attempts:
                values.update(status="failed", next_attempt_at=None)
                log.error("alert delivery %s (%s) failed for good: %s", row.id, row.channel, reason)
            else:
                wait = min(
                    config.delivery_backoff_seconds * 2 ** (attempts - 1),
                    config.delivery_backoff_max_seconds,
                )
                values["next_attempt_at"] = datetime.now(UTC) + timedelta(seconds=wait)
        else:
            values.update(status="delivered", delivered_at=datetime.now(UTC), next_attempt_at=None)
            delivered += 1
        with db.write_connection() as conn:
            conn.execute(update(DELIVERIES).where(d.id == row.id).values(values))
    return delivered


def list_deliveries(db: Database, limit: int = 200) -> list[dict[str, Any]]:
    """The delivery log, newest first."""
    d = DELIVERIES.c
    q = select(DELIVERIES).order_by(d.id.desc()).limit(limit)

    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if v is not None else None

    with db.engine.connect() as conn:
        return [
            {
                "id": r.id,
                "alert_id": r.alert_id,
                "event": r.event,
                "channel": r.channel,
                "status": r.status,
                "attempts": r.attempts,
                "last_error": r.last_error,
                "created_at": iso(r.created_at),
                "next_attempt_at": iso(r.next_attempt_at),
                "delivered_at": iso(r.delivered_at),
            }
            for r in conn.execute(q)
        ]
