"""Alert rules, evaluated by the server (not by the bot that may be dying).

Rules (thresholds in :class:`crashdb.server.config.AlertRules`), each for a *subject*:

* ``bot_silent`` (a bot): no round and no heartbeat for more than ``silent_seconds``, while
  its session is open and its last heartbeat did not say ``stopped``; bots silent for more
  than ``forget_seconds`` are left alone;
* ``drawdown`` (a bot): the balance is ``drawdown_percent`` or more below the peak of the
  latest session (its initial balance or its highest balance after a round);
* ``account_loss`` (a platform account: the bots ``accounts`` lists under one name, else
  one account per ``platform_code``): the rounds of the last ``loss_window_seconds`` lost
  ``loss_limit`` or more together;
* ``ocr_confidence`` (a bot): more than ``ocr_max_share`` of its OCR readings of the last
  ``ocr_window_seconds`` (at least ``ocr_min_readings``) had a confidence below
  ``ocr_confidence``;
* ``error_burst`` (a bot): ``error_burst`` or more errors in ``error_window_seconds``.

An alert *fires* once (state ``firing``), is notified again every ``repeat_seconds`` while it
holds, and *resolves* when it no longer holds. Each notification is queued in
``alert_deliveries`` for every channel (:mod:`crashdb.server.delivery` sends them). State
changes run in one transaction under a lock (a PostgreSQL advisory lock; SQLite's write
lock), so several server processes never fire one alert twice.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, case, func, select, text, update
from sqlalchemy.engine import Connection

from crashdb.db.engine import Database
from crashdb.db.models import ErrorLog, OCRValidationLog
from crashdb.db.server_models import AlertDelivery, FleetAlert
from crashdb.db.types import real
from crashdb.ingest.tables import ROUNDS
from crashdb.server.config import ServerConfig
from crashdb.server.fleet import fleet_overview

__all__ = ["Condition", "alert_json", "conditions", "evaluate", "list_alerts"]

ALERTS = cast(Table, FleetAlert.__table__)
DELIVERIES = cast(Table, AlertDelivery.__table__)
LOCK_KEY = zlib.crc32(b"crashdb.server.alerts")
_CLOSED = ("completed", "stopped", "closed", "finished", "ended")


@dataclass(frozen=True)
class Condition:
    rule: str
    subject: str
    severity: str
    message: str
    value: dict[str, Any]


def _bots(db: Database, config: ServerConfig, now: datetime) -> list[Condition]:
    rules = config.alerts
    found: list[Condition] = []
    bots = fleet_overview(
        db,
        live_seconds=config.live_seconds,
        offline_seconds=config.offline_seconds,
        now=now,
    )
    for bot in bots:
        seen = bot["last_seen_at"]
        open_session = (bot["session_status"] or "active").lower() not in _CLOSED
        stopped = (bot["status"] or "").lower() == "stopped"
        if seen is not None and open_session and not stopped:
            age = (now - datetime.fromisoformat(seen)).total_seconds()
            if rules.silent_seconds < age <= rules.forget_seconds:
                found.append(
                    Condition(
                        "bot_silent",
                        bot["bot_id"],
                        "critical",
                        f"bot {bot['bot_id']} silent for {int(age)} s "
                        f"(no round or heartbeat since {seen})",
                        {"silent_seconds": int(age), "last_seen_at": seen},
                    )
                )
        peak, balance = bot["peak_balance"], bot["balance"]
        if peak is not None and balance is not None and open_session and Decimal(peak) > 0:
            drop = (Decimal(peak) - Decimal(balance)) / Decimal(peak) * 100
            if drop >= Decimal(str(rules.drawdown_percent)):
                found.append(
                    Condition(
                        "drawdown",
                        bot["bot_id"],
                        "warning",
                        f"bot {bot['bot_id']}: balance {balance} is {drop:.1f}% below "
                        f"the session peak {peak}",
                        {"peak": peak, "balance": balance, "drawdown_percent": float(drop)},
                    )
                )
    return found


def _accounts(conn: Connection, config: ServerConfig, now: datetime) -> list[Condition]:
    rules = config.alerts
    since = now - timedelta(seconds=rules.loss_window_seconds)
    r = ROUNDS.c
    q = (
        select(r.bot_id, r.platform_code, func.sum(r.profit_loss).label("p"))
        .where(r.round_start_timestamp >= since)
        .group_by(r.bot_id, r.platform_code)
    )
    account_of = {bot: name for name, bots in rules.accounts.items() for bot in bots}
    totals: dict[str, Decimal] = {}
    members: dict[str, set[str]] = {}
    for bot_id, platform, profit in conn.execute(q):
        account = account_of.get(bot_id) or (platform and f"platform:{platform}")
        if not account:
            continue
        totals[account] = totals.get(account, Decimal(0)) + Decimal(profit or 0)
        members.setdefault(account, set()).add(bot_id)
    return [
        Condition(
            "account_loss",
            account,
            "critical",
            f"account {account}: lost {-total} in the last {int(rules.loss_window_seconds)} s "
            f"across {len(members[account])} bot(s) (limit {rules.loss_limit})",
            {"loss": str(-total), "limit": str(rules.loss_limit), "bots": sorted(members[account])},
        )
        for account, total in sorted(totals.items())
        if -total >= rules.loss_limit
    ]


def _ocr_and_errors(conn: Connection, config: ServerConfig, now: datetime) -> list[Condition]:
    rules = config.alerts
    o = OCRValidationLog.__table__.c
    low = case((real(o.confidence) < rules.ocr_confidence, 1), else_=0)
    q = (
        select(o.bot_id, func.count().label("n"), func.sum(low).label("low"))
        .where(
            o.timestamp >= now - timedelta(seconds=rules.ocr_window_seconds),
            o.bot_id.is_not(None),
            o.confidence.is_not(None),
        )
        .group_by(o.bot_id)
    )
    found = []
    for bot_id, n, n_low in conn.execute(q):
        share = int(n_low or 0) / int(n)
        if n >= rules.ocr_min_readings and share > rules.ocr_max_share:
            found.append(
                Condition(
                    "ocr_confidence",
                    bot_id,
                    "warning",
                    f"bot {bot_id}: {int(n_low)} of {n} OCR readings below confidence "
                    f"{rules.ocr_confidence} ({share:.0%})",
                    {"readings": int(n), "low": int(n_low), "share": round(share, 4)},
                )
            )
    e = ErrorLog.__table__.c
    q2 = (
        select(e.bot_id, func.count().label("n"))
        .where(
            e.timestamp >= now - timedelta(seconds=rules.error_window_seconds),
            e.bot_id.is_not(None),
        )
        .group_by(e.bot_id)
    )
    for bot_id, n in conn.execute(q2):
        if n >= rules.error_burst:
            found.append(
                Condition(
                    "error_burst",
                    bot_id,
                    "warning",
                    f"bot {bot_id}: {n} errors in the last {int(rules.error_window_seconds)} s",
                    {"errors": int(n)},
                )
            )
    return found


def conditions(db: Database, config: ServerConfig, now: datetime) -> list[Condition]:
    """Every rule that holds now, for every subject."""
    found = _bots(db, config, now)
    with db.engine.connect() as conn:
        found += _accounts(conn, config, now)
        found += _ocr_and_errors(conn, config, now)
    return found


def alert_json(row: Any) -> dict[str, Any]:
    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if v is not None else None

    return {
        "id": row.id,
        "rule": row.rule,
        "subject": row.subject,
        "state": row.state,
        "severity": row.severity,
        "message": row.message,
        "value": row.value,
        "started_at": iso(row.started_at),
        "updated_at": iso(row.updated_at),
        "resolved_at": iso(row.resolved_at),
    }


def _queue(conn: Connection, alert: dict[str, Any], event: str, channels: list[str]) -> None:
    now = datetime.now(UTC)
    for channel in channels:
        conn.execute(
            DELIVERIES.insert().values(
                alert_id=alert["id"],
                event=event,
                channel=channel,
                payload={"event": event, "alert": alert},
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )


def channels_of(config: ServerConfig) -> list[str]:
    names = [f"webhook:{w.name}" for w in config.webhooks]
    if config.telegram is not None:
        names.append("telegram")
    return names


def _age(now: datetime, then: datetime) -> float:
    return (now - then).total_seconds()


def evaluate(db: Database, config: ServerConfig, now: datetime | None = None) -> dict[str, int]:
    """Fire, repeat and resolve alerts; returns how many of each happened."""
    now = now or datetime.now(UTC)
    holding = {(c.rule, c.subject): c for c in conditions(db, config, now)}
    channels = channels_of(config)
    repeat = config.alerts.repeat_seconds
    counts = {"fired": 0, "repeated": 0, "resolved": 0}
    a = ALERTS.c
    with db.write_connection() as conn:
        if db.backend == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
        open_rows = conn.execute(select(ALERTS).where(a.state == "firing"))
        firing = {(r.rule, r.subject): r for r in open_rows}
        for key, cond in holding.items():
            row = firing.get(key)
            if row is None:
                new_id = conn.execute(
                    ALERTS.insert()
                    .values(
                        rule=cond.rule,
                        subject=cond.subject,
                        state="firing",
                        severity=cond.severity,
                        message=cond.message,
                        value=cond.value,
                        started_at=now,
                        updated_at=now,
                        last_notified_at=now,
                    )
                    .returning(a.id)
                ).scalar_one()
                stored = conn.execute(select(ALERTS).where(a.id == new_id)).one()
                _queue(conn, alert_json(stored), "firing", channels)
                counts["fired"] += 1
            elif repeat > 0 and _age(now, row.last_notified_at or row.started_at) >= repeat:
                conn.execute(
                    update(ALERTS)
                    .where(a.id == row.id)
                    .values(
                        message=cond.message,
                        value=cond.value,
                        updated_at=now,
                        last_notified_at=now,
                    )
                )
                stored = conn.execute(select(ALERTS).where(a.id == row.id)).one()
                _queue(conn, alert_json(stored), "repeat", channels)
                counts["repeated"] += 1
        for key, row in firing.items():
            if key in holding:
                continue
            conn.execute(
                update(ALERTS)
                .where(a.id == row.id)
                .values(state="resolved", resolved_at=now, updated_at=now)
            )
            stored = conn.execute(select(ALERTS).where(a.id == row.id)).one()
            _queue(conn, alert_json(stored), "resolved", channels)
            counts["resolved"] += 1
    return counts


def list_alerts(db: Database, state: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Alerts, newest change first (``state``: ``firing`` or ``resolved`` to filter)."""
    a = ALERTS.c
    q = select(ALERTS).order_by(a.updated_at.desc(), a.id.desc()).limit(limit)
    if state is not None:
        q = q.where(a.state == state)
    with db.engine.connect() as conn:
        return [alert_json(r) for r in conn.execute(q)]


def alerts_version(db: Database) -> tuple[Any, ...]:
    """Changes whenever an alert changes (for the live stream)."""
    a = ALERTS.c
    with db.engine.connect() as conn:
        row = conn.execute(select(func.count(), func.max(a.updated_at))).one()
    return tuple(row)
