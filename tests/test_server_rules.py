"""The alert state machine on both backends, at chosen times: a rule fires once, repeats
every ``repeat_seconds`` while it holds, resolves when it stops holding, and each event is
queued for every channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crashdb import Database
from crashdb.server.alerts import evaluate, list_alerts
from crashdb.server.config import AlertRules, ServerConfig, WebhookChannel
from crashdb.server.delivery import list_deliveries
from crashdb.server.fleet import record_heartbeat


def test_an_alert_fires_once_repeats_by_its_rule_and_resolves(db: Database) -> None:
    config = ServerConfig(
        alerts=AlertRules(silent_seconds=60, repeat_seconds=600),
        webhooks=[WebhookChannel(name="ops", url="http://127.0.0.1:9/hook")],  # type: ignore[arg-type]
    )
    t0 = datetime.now(UTC) - timedelta(hours=1)
    at = [t0 + timedelta(seconds=s) for s in range(0, 2000)]
    record_heartbeat(db, {"bot_id": "quiet", "status": "up"}, None, now=at[0])
    none = {"fired": 0, "repeated": 0, "resolved": 0}
    assert evaluate(db, config, at[30]) == none  # heard from 30 s ago: fine
    assert evaluate(db, config, at[120]) == {**none, "fired": 1}
    assert evaluate(db, config, at[300]) == none  # still silent: not notified again yet
    assert evaluate(db, config, at[725]) == {**none, "repeated": 1}
    record_heartbeat(db, {"bot_id": "quiet", "status": "up"}, None, now=at[900])
    assert evaluate(db, config, at[910]) == {**none, "resolved": 1}
    assert evaluate(db, config, at[920]) == none
    alerts = list_alerts(db)
    assert [(a["rule"], a["subject"], a["state"]) for a in alerts] == [
        ("bot_silent", "quiet", "resolved")
    ]
    events = [(d["event"], d["channel"], d["status"]) for d in reversed(list_deliveries(db))]
    assert events == [
        ("firing", "webhook:ops", "pending"),
        ("repeat", "webhook:ops", "pending"),
        ("resolved", "webhook:ops", "pending"),
    ]
    # a bot that said it stopped is not silent
    record_heartbeat(db, {"bot_id": "done", "status": "stopped"}, None, now=at[0])
    assert evaluate(db, config, at[930]) == none
