"""Alerts evaluated by a running ``crashdb serve``, delivered to a local webhook receiver
(which fails at first: retries with back-off, the delivery log) and a fake Telegram API;
an alert fires once, and resolves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from server_support import Receiver, Served, round_fields, serve, wait_for, wire

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    hook, telegram = Receiver(fail_first=2), Receiver(telegram=True)
    yield hook, telegram
    hook.close()
    telegram.close()


@pytest.fixture(params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path: Path, receivers: tuple[Receiver, Receiver]
) -> Iterator[Served]:
    hook, telegram = receivers
    config = f"""
token_cache_seconds = 0
delivery_backoff_seconds = 0.2
[alerts]
evaluate_seconds = 0.3
silent_seconds = 1.5
repeat_seconds = 0
error_burst = 3
drawdown_percent = 30
loss_limit = 500
[[webhooks]]
name = "ops"
url = "{hook.url}/hook/secret-path"
[telegram]
chat_id = "-1001"
bot_token = "123:fake-telegram-token"
api_base = "{telegram.url}"
"""
    yield from serve(request, request.param, tmp_path, config)


def _events(receiver: Receiver, rule: str) -> list[str]:
    return [body["event"] for _, body in receiver.received if body["alert"]["rule"] == rule]


@pytest.mark.slow
def test_alerts_fire_once_deliver_with_retries_and_resolve(
    served: Served, receivers: tuple[Receiver, Receiver]
) -> None:
    hook, telegram = receivers
    bot = served.client(served.token("bot", "alert_bot"))
    viewer = served.client(served.token("viewer"))
    now = datetime.now(UTC).isoformat()
    answer = bot.post(
        "/api/v1/records",
        json=[
            wire(
                "round",
                round_fields(
                    "alert_bot",
                    1,
                    session="a1",
                    round_start_timestamp=now,
                    running_balance_before="100.00",
                ),
            ),
            *[wire("error", {"error_type": "ocr_timeout", "session_id": "a1"}) for _ in range(3)],
        ],
    )
    assert answer.status_code == 200, answer.text
    # three errors in the window: an error burst, at once; then the bot goes silent
    wait_for(lambda: "firing" in _events(hook, "error_burst"))
    wait_for(lambda: "firing" in _events(hook, "bot_silent"))
    alerts = {a["rule"]: a for a in viewer.get("/api/v1/alerts?state=firing").json()}
    assert alerts["bot_silent"]["subject"] == "alert_bot"
    assert alerts["error_burst"]["value"] == {"errors": 3}
    # the webhook failed twice first: delivered on the third attempt, and logged
    log = viewer.get("/api/v1/alerts/deliveries").json()
    first = min((d for d in log if d["channel"] == "webhook:ops"), key=lambda d: d["id"])
    assert first["status"] == "delivered" and first["attempts"] == 3
    assert first["last_error"] == "webhook:ops answered 500"
    assert all("secret-path" not in str(d) and "fake-telegram" not in str(d) for d in log)
    # Telegram: plain text to the configured chat, at the bot-token path
    wait_for(lambda: len(telegram.received) >= 2)
    path, message = telegram.received[0]
    assert path == "/bot123:fake-telegram-token/sendMessage"
    assert message["chat_id"] == "-1001" and message["text"].startswith("[crashdb] ALERT")
    # a heartbeat ends the silence: resolved, once; firing was notified once
    assert bot.post("/api/v1/heartbeat", json={"status": "back"}).status_code == 200
    wait_for(lambda: "resolved" in _events(hook, "bot_silent"))
    assert _events(hook, "bot_silent") == ["firing", "resolved"]
    assert _events(hook, "error_burst") == ["firing"]
    resolved = [a for a in viewer.get("/api/v1/alerts").json() if a["rule"] == "bot_silent"]
    assert [a["state"] for a in resolved] == ["resolved"]
    assert not served.client(None).get("/api/v1/alerts").is_success
    assert "fake-telegram-token" not in served.log.read_text()


def test_drawdown_and_account_loss(served: Served, receivers: tuple[Receiver, Receiver]) -> None:
    hook, _ = receivers
    admin = served.client(served.token("admin"))
    now = datetime.now(UTC).isoformat()
    rounds = [
        wire(
            "round",
            round_fields(
                "dd_bot",
                n,
                session="d1",
                round_start_timestamp=now,
                stake_value="400.00",
                running_balance_before=str(1000 - 400 * (n - 1)),
                crash_multiplier="1.01",
                cashout_multiplier=None,
                round_outcome="LOSS",
            ),
        )
        for n in (1, 2)
    ]
    assert admin.post("/api/v1/records", json=rounds).status_code == 200
    assert (
        admin.post("/api/v1/heartbeat", json={"bot_id": "dd_bot", "status": "betting"}).status_code
        == 200
    )
    wait_for(lambda: "firing" in _events(hook, "drawdown"))
    wait_for(lambda: "firing" in _events(hook, "account_loss"))
    alerts = {a["rule"]: a for a in admin.get("/api/v1/alerts?state=firing").json()}
    assert alerts["drawdown"]["value"]["drawdown_percent"] == pytest.approx(80.0)
    assert alerts["account_loss"]["subject"] == "platform:dafabet"
    assert Decimal(alerts["account_loss"]["value"]["loss"]) == Decimal("800.00")
