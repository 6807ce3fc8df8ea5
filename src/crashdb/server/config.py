"""Settings of ``crashdb serve``: limits, fleet states, alert rules and delivery channels.

Everything has a default; a TOML file (``crashdb serve --config fleet.toml``) overrides any
of it::

    [server]
    rate_limit = 50            # requests per second per token (burst: rate_burst)

    [alerts]
    silent_seconds = 120       # no round and no heartbeat for longer: "bot silent"
    drawdown_percent = 20      # balance this far below the session's peak: "drawdown"

    [alerts.accounts]          # platform accounts shared by several bots
    "dafabet-main" = ["bot_1", "bot_2"]

    [[webhooks]]
    name = "ops"
    url = "https://hooks.example.org/crashdb"

    [telegram]
    chat_id = "-100123"        # bot token: here as bot_token, or CRASHDB_TELEGRAM_BOT_TOKEN

Unknown keys are refused, so that a typo does not silently keep a default.
"""

from __future__ import annotations

import json
import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

__all__ = [
    "AlertRules",
    "ServerConfig",
    "TelegramChannel",
    "WebhookChannel",
    "config_to_json",
    "load_config",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertRules(_Strict):
    """When the server raises an alert (evaluated every ``evaluate_seconds``)."""

    evaluate_seconds: float = Field(default=10.0, gt=0)
    repeat_seconds: float = Field(default=3600.0, ge=0, description="0: notify once")
    silent_seconds: float = Field(default=120.0, gt=0)
    forget_seconds: float = Field(
        default=86400.0, gt=0, description="bots silent for longer are offline, not alerted"
    )
    drawdown_percent: float = Field(default=20.0, gt=0, le=100)
    loss_window_seconds: float = Field(default=3600.0, gt=0)
    loss_limit: Decimal = Field(default=Decimal(1000), gt=0)
    ocr_confidence: float = Field(default=0.8, ge=0, le=1)
    ocr_max_share: float = Field(default=0.2, ge=0, le=1)
    ocr_window_seconds: float = Field(default=600.0, gt=0)
    ocr_min_readings: int = Field(default=10, ge=1)
    error_window_seconds: float = Field(default=300.0, gt=0)
    error_burst: int = Field(default=10, ge=1)
    accounts: dict[str, list[str]] = Field(default_factory=dict)


class WebhookChannel(_Strict):
    name: str = Field(min_length=1, max_length=64)
    url: SecretStr  # may carry a secret path (chat services do): never logged


class TelegramChannel(_Strict):
    chat_id: str = Field(min_length=1, max_length=64)
    bot_token: SecretStr | None = None
    api_base: str = "https://api.telegram.org"


class ServerConfig(_Strict):
    """The server's settings (see the module doc for the file format)."""

    db_url: str | None = None
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_records: int = Field(default=10_000, ge=1)
    rate_limit: float = Field(default=50.0, gt=0)
    rate_burst: float = Field(default=200.0, ge=1)
    token_cache_seconds: float = Field(default=5.0, ge=0)
    live_seconds: float = Field(default=60.0, gt=0)
    offline_seconds: float = Field(default=300.0, gt=0)
    stream_seconds: float = Field(default=1.0, gt=0)
    group_commit_records: int = Field(default=5000, ge=1)
    commit_threads: int = Field(
        default=4, ge=1, le=64, description="concurrent write transactions (1 on SQLite)"
    )
    delivery_attempts: int = Field(default=8, ge=1)
    delivery_backoff_seconds: float = Field(default=1.0, gt=0)
    delivery_backoff_max_seconds: float = Field(default=300.0, gt=0)
    delivery_timeout_seconds: float = Field(default=10.0, gt=0)
    alerts: AlertRules = Field(default_factory=AlertRules)
    webhooks: list[WebhookChannel] = Field(default_factory=list)
    telegram: TelegramChannel | None = None

    def telegram_token(self) -> str | None:
        """The Telegram bot token: from the file, else ``CRASHDB_TELEGRAM_BOT_TOKEN``."""
        if self.telegram is None:
            return None
        if self.telegram.bot_token is not None:
            return self.telegram.bot_token.get_secret_value()
        return os.environ.get("CRASHDB_TELEGRAM_BOT_TOKEN") or None


def load_config(path: str | Path | None = None, **overrides: Any) -> ServerConfig:
    """The defaults, then the TOML file at ``path`` (sections ``[server]``, ``[alerts]``,
    ``[[webhooks]]``, ``[telegram]``), then ``overrides`` (None values are ignored).

    Raises ``ValueError`` naming the offending keys when the file is invalid.
    """
    data: dict[str, Any] = {}
    if path is not None:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
        data.update(raw.pop("server", {}))
        data.update(raw)
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return ServerConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(f"invalid server configuration: {problems}") from None


def config_to_json(config: ServerConfig) -> str:
    """The configuration with its secrets, for handing to worker processes (environment)."""

    def reveal(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        return str(value)

    return json.dumps(config.model_dump(), default=reveal)
