"""The nine tables of the seed, as SQLAlchemy 2 typed declarative models.

Only table classes live here; validation of incoming records is in :mod:`crashdb.ingest`,
and the schema itself is created by the Alembic migration in ``crashdb/db/migrations`` (a test
fails when these models and the migration drift apart). Money and multiplier bounds in CHECK
constraints are rendered per dialect (SQLite stores scaled integers, see
:mod:`crashdb.db.types`).

Identity and idempotency:

* A round's primary key is a UUID derived from its natural key
  ``(bot_id, session_id, round_number, bet_slot)`` (:func:`crashdb.ingest.round_uuid`), so
  logging the same round twice, or replaying it from a spool, lands on the same row.
* Analytics rows are unique per round and kind (multiplier kind, signal type, one outcome).
* Error and OCR logs get a UUID when they are logged, so a replay cannot duplicate them.

The JSON column is called ``metadata`` in the database, as in the seed; on the classes the
attribute is ``round_metadata`` / ``bot_metadata`` / ... because ``metadata`` is reserved by
SQLAlchemy's declarative base.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    and_,
    column,
    func,
    literal,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crashdb.db.base import Base, BigId
from crashdb.db.server_models import AlertDelivery, ApiToken, BotHeartbeat, FleetAlert
from crashdb.db.summaries import FoldState, GameRoundSummary, RunSummary
from crashdb.db.types import (
    CODE,
    CONFIDENCE,
    ID,
    MONEY,
    MONEY_SUM,
    MULTIPLIER,
    NAME,
    PERCENT,
    ExactDecimal,
    JSONType,
    UTCDateTime,
)

__all__ = [
    "OUTCOMES",
    "SERVER_FILLED",
    "AlertDelivery",
    "AnalyticsRoundMultiplier",
    "AnalyticsRoundOutcome",
    "AnalyticsRoundSignal",
    "ApiToken",
    "Base",
    "BotHeartbeat",
    "BotVMRegistration",
    "CrashGameRound",
    "ErrorLog",
    "FleetAlert",
    "FoldState",
    "GamePlatformConfig",
    "GameRoundSummary",
    "OCRValidationLog",
    "RunSummary",
    "SessionLog",
]

OUTCOMES = ("WIN", "LOSS", "SKIP", "ERROR")
# Columns the database fills when a row is stored (never written by crashdb's write path).
SERVER_FILLED = frozenset({"created_at", "updated_at"})
_OUTCOME_SQL = "('WIN', 'LOSS', 'SKIP', 'ERROR')"
# Rounds that cannot be matched with other bots' reports of the same game round.
OWN_ROUNDS = "round_external_id IS NULL OR platform_code IS NULL"


def _created() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), server_default=func.now(), nullable=False)


def _updated() -> Mapped[datetime]:
    return mapped_column(
        UTCDateTime(), server_default=func.now(), onupdate=func.now(), nullable=False
    )


def _within(name: str, type_: ExactDecimal, low: str, high: str | None = None) -> CheckConstraint:
    """``name IS NULL OR name >= low [AND name <= high]``, the bounds rendered for the dialect
    (scaled integers on SQLite, see :mod:`crashdb.db.types`)."""
    col = column(name, type_)
    cond = col >= literal(Decimal(low), type_)
    if high is not None:
        cond = and_(cond, col <= literal(Decimal(high), type_))
    return CheckConstraint(or_(col.is_(None), cond), name=name)


def _confidence_check(name: str) -> CheckConstraint:
    return _within(name, CONFIDENCE, "0", "1")


def _multiplier_check(name: str) -> CheckConstraint:
    return _within(name, MULTIPLIER, "1.00")


class BotVMRegistration(Base):
    """One row per bot: where it runs and how it is configured."""

    __tablename__ = "bot_vm_registration"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[str] = mapped_column(ID, unique=True)
    bot_name: Mapped[str | None] = mapped_column(NAME)
    vm_name: Mapped[str | None] = mapped_column(NAME)
    vm_provider: Mapped[str | None] = mapped_column(CODE)
    region: Mapped[str | None] = mapped_column(CODE)
    session_id: Mapped[str | None] = mapped_column(NAME, comment="the bot's current session")
    strategy_name: Mapped[str | None] = mapped_column(String(64))
    game_name: Mapped[str | None] = mapped_column(CODE)
    platform_code: Mapped[str | None] = mapped_column(CODE)
    initial_balance: Mapped[Decimal | None] = mapped_column(MONEY)
    base_stake: Mapped[Decimal | None] = mapped_column(MONEY)
    max_stake: Mapped[Decimal | None] = mapped_column(MONEY)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    auto_registered: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    bot_metadata: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONType)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        CheckConstraint("initial_balance IS NULL OR initial_balance >= 0", name="initial_balance"),
        CheckConstraint("base_stake IS NULL OR base_stake >= 0", name="base_stake"),
        CheckConstraint("max_stake IS NULL OR max_stake >= 0", name="max_stake"),
    )


class GamePlatformConfig(Base):
    """A game as offered on one platform: published RTP, multiplier and stake limits."""

    __tablename__ = "game_platform_config"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    game_name: Mapped[str] = mapped_column(CODE)
    platform_code: Mapped[str] = mapped_column(CODE)
    game_provider: Mapped[str | None] = mapped_column(NAME)
    display_name: Mapped[str | None] = mapped_column(NAME)
    rtp_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    min_multiplier: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    max_multiplier: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    min_stake: Mapped[Decimal | None] = mapped_column(MONEY)
    max_stake: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str | None] = mapped_column(String(8))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    config: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        UniqueConstraint("game_name", "platform_code"),
        CheckConstraint(
            or_(
                column("rtp_percent").is_(None),
                and_(
                    column("rtp_percent", PERCENT) > 0,
                    column("rtp_percent", PERCENT) <= literal(Decimal(100), PERCENT),
                ),
            ),
            name="rtp_percent",
        ),
    )


class SessionLog(Base):
    """A bot's session. The ``total_*`` columns, ``current_balance`` and ``last_round_number``
    are kept by the database from the session's run summaries (:mod:`crashdb.db.summaries`)."""

    __tablename__ = "session_logs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bot_id: Mapped[str] = mapped_column(ID, ForeignKey("bot_vm_registration.bot_id"))
    session_id: Mapped[str] = mapped_column(NAME)
    game_name: Mapped[str | None] = mapped_column(CODE)
    platform_code: Mapped[str | None] = mapped_column(CODE)
    strategy_name: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(CODE, default="active", server_default="active")
    start_timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    end_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime())
    initial_balance: Mapped[Decimal | None] = mapped_column(MONEY)
    final_balance: Mapped[Decimal | None] = mapped_column(MONEY)
    current_balance: Mapped[Decimal | None] = mapped_column(MONEY)
    total_rounds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    total_wins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    total_losses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    total_profit: Mapped[Decimal] = mapped_column(MONEY_SUM, default=Decimal(0), server_default="0")
    last_round_number: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite")
    )
    notes: Mapped[str | None] = mapped_column(Text)
    session_metadata: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONType)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        UniqueConstraint("bot_id", "session_id"),
        CheckConstraint("initial_balance IS NULL OR initial_balance >= 0", name="initial_balance"),
        CheckConstraint("final_balance IS NULL OR final_balance >= 0", name="final_balance"),
        Index("idx_session_logs_session", "session_id"),
    )


class CrashGameRound(Base):
    """The main table: one row per bet a bot placed (or skipped) in one game round."""

    __tablename__ = "crash_game_rounds"

    # --- Section 1: bot / VM identification
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    bot_id: Mapped[str] = mapped_column(ID)
    session_id: Mapped[str] = mapped_column(NAME)
    vm_name: Mapped[str | None] = mapped_column(NAME)
    vm_provider: Mapped[str | None] = mapped_column(CODE)
    vm_region: Mapped[str | None] = mapped_column(CODE)
    bot_version: Mapped[str | None] = mapped_column(CODE)
    # --- Section 2: platform & game
    game_name: Mapped[str] = mapped_column(CODE)
    game_provider: Mapped[str | None] = mapped_column(NAME)
    platform_code: Mapped[str | None] = mapped_column(CODE)
    round_external_id: Mapped[str | None] = mapped_column(NAME)
    currency: Mapped[str | None] = mapped_column(String(8))
    # --- Section 3: round timing
    round_number: Mapped[int] = mapped_column(BigInteger)
    bet_slot: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    round_start_timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    round_end_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime())
    round_duration_ms: Mapped[int | None] = mapped_column(Integer)
    # --- Section 4: stake & strategy
    stake_value: Mapped[Decimal] = mapped_column(MONEY)
    target_multiplier: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    strategy_name: Mapped[str | None] = mapped_column(String(64))
    strategy_step: Mapped[int | None] = mapped_column(Integer)
    base_stake: Mapped[Decimal | None] = mapped_column(MONEY)
    auto_cashout: Mapped[bool | None] = mapped_column(Boolean)
    is_simulated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # --- Section 5: multipliers
    crash_multiplier: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    cashout_multiplier: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    max_multiplier_seen: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    previous_crash_multiplier: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    # --- Section 6: financials
    profit_loss: Mapped[Decimal] = mapped_column(MONEY)
    payout_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    roi_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    running_balance_before: Mapped[Decimal | None] = mapped_column(MONEY)
    running_balance_after: Mapped[Decimal | None] = mapped_column(MONEY)
    session_profit: Mapped[Decimal | None] = mapped_column(MONEY)
    fee_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    # --- Section 7: OCR / detection
    ocr_text: Mapped[str | None] = mapped_column(String(256))
    ocr_confidence: Mapped[Decimal | None] = mapped_column(CONFIDENCE)
    ocr_engine: Mapped[str | None] = mapped_column(CODE)
    detection_method: Mapped[str | None] = mapped_column(CODE)
    detection_latency_ms: Mapped[int | None] = mapped_column(Integer)
    screenshot_path: Mapped[str | None] = mapped_column(String(512))
    # --- Section 8: outcome & errors
    round_outcome: Mapped[str] = mapped_column(String(8))
    error_type: Mapped[str | None] = mapped_column(String(64))
    error_description: Mapped[str | None] = mapped_column(Text)
    retry_count: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    is_valid: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # --- Section 9: metadata
    round_metadata: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONType)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        UniqueConstraint(
            "bot_id", "session_id", "round_number", "bet_slot", name="uq_crash_rounds_natural_key"
        ),
        ForeignKeyConstraint(["bot_id"], ["bot_vm_registration.bot_id"]),
        ForeignKeyConstraint(
            ["bot_id", "session_id"],
            ["session_logs.bot_id", "session_logs.session_id"],
            name="fk_crash_game_rounds_session_session_logs",
        ),
        _multiplier_check("crash_multiplier"),
        _multiplier_check("cashout_multiplier"),
        _multiplier_check("target_multiplier"),
        CheckConstraint("stake_value >= 0", name="stake_value"),
        CheckConstraint(
            "running_balance_before IS NULL OR running_balance_before >= 0",
            name="running_balance_before",
        ),
        CheckConstraint(
            "running_balance_after IS NULL OR running_balance_after >= 0",
            name="running_balance_after",
        ),
        CheckConstraint(f"round_outcome IN {_OUTCOME_SQL}", name="round_outcome"),
        CheckConstraint("round_number >= 0", name="round_number"),
        CheckConstraint("bet_slot >= 1", name="bet_slot"),
        _confidence_check("ocr_confidence"),
        Index("idx_crash_rounds_start_ts", text("round_start_timestamp DESC")),
        Index("idx_crash_rounds_end_ts", text("round_end_timestamp DESC")),
        Index("idx_crash_rounds_bot_session", "bot_id", "session_id", "round_number"),
        Index("idx_crash_rounds_game_platform", "game_name", "platform_code"),
        Index("idx_crash_rounds_strategy_outcome", "strategy_name", "round_outcome"),
        Index(
            "idx_crash_rounds_analytics",
            "bot_id",
            text("round_start_timestamp DESC"),
            "round_outcome",
            "profit_loss",
        ),
        Index(
            "idx_crash_rounds_metadata",
            "metadata",
            postgresql_using="gin",
            postgresql_ops={"metadata": "jsonb_path_ops"},
        ).ddl_if(dialect="postgresql"),
        # Not in the seed: a game round's reports (deduplication), a game in time order, and
        # the rounds nobody can match across bots (no platform or no external id).
        Index("idx_crash_rounds_game_round", "game_name", "platform_code", "round_external_id"),
        Index("idx_crash_rounds_game_ts", "game_name", "round_start_timestamp"),
        Index(
            "idx_crash_rounds_game_own",
            "game_name",
            "bot_id",
            "session_id",
            postgresql_include=[
                "crash_multiplier",
                "round_start_timestamp",
                "round_number",
                "is_valid",
            ],
            postgresql_where=text(OWN_ROUNDS),
            sqlite_where=text(OWN_ROUNDS),
        ),
    )


class AnalyticsRoundMultiplier(Base):
    """Analytics 1: multipliers observed in a round, the training data for models."""

    __tablename__ = "analytics_round_multipliers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    round_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("crash_game_rounds.id"))
    round_number: Mapped[int | None] = mapped_column(BigInteger)
    bot_id: Mapped[str | None] = mapped_column(ID)
    session_id: Mapped[str | None] = mapped_column(NAME)
    game_name: Mapped[str | None] = mapped_column(CODE)
    platform_code: Mapped[str | None] = mapped_column(CODE)
    multiplier: Mapped[Decimal] = mapped_column(MULTIPLIER)
    multiplier_kind: Mapped[str] = mapped_column(String(16), comment="crash|cashout|max|observed")
    is_crash: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    is_cashout: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    is_max: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    ocr_confidence: Mapped[Decimal | None] = mapped_column(CONFIDENCE)
    data_quality_score: Mapped[Decimal | None] = mapped_column(CONFIDENCE)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    date_bucket: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = _created()

    __table_args__ = (
        UniqueConstraint("round_id", "multiplier_kind"),
        CheckConstraint(
            column("multiplier", MULTIPLIER) >= literal(Decimal("1.00"), MULTIPLIER),
            name="multiplier",
        ),
        _confidence_check("ocr_confidence"),
        _confidence_check("data_quality_score"),
        Index("idx_analytics_multipliers_round", "round_id"),
        Index("idx_analytics_multipliers_timestamp", text("timestamp DESC")),
        Index("idx_analytics_multipliers_bot_game", "bot_id", "game_name"),
        Index("idx_analytics_multipliers_date", text("date_bucket DESC")),
        Index("idx_analytics_multipliers_value", "multiplier"),
    )


class AnalyticsRoundSignal(Base):
    """Analytics 2: a signal (prediction) and, once the round is over, whether it was right."""

    __tablename__ = "analytics_round_signals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    round_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("crash_game_rounds.id"))
    round_number: Mapped[int | None] = mapped_column(BigInteger)
    bot_id: Mapped[str | None] = mapped_column(ID)
    session_id: Mapped[str | None] = mapped_column(NAME)
    game_name: Mapped[str | None] = mapped_column(CODE)
    platform_code: Mapped[str | None] = mapped_column(CODE)
    signal_type: Mapped[str] = mapped_column(String(64))
    confidence_score: Mapped[Decimal | None] = mapped_column(CONFIDENCE)
    signal_strength: Mapped[Decimal | None] = mapped_column(CONFIDENCE)
    target_multiplier: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    time_to_crash_ms: Mapped[int | None] = mapped_column(Integer)
    volatility: Mapped[Decimal | None] = mapped_column(PERCENT)
    momentum: Mapped[Decimal | None] = mapped_column(PERCENT)
    pattern_match_type: Mapped[str | None] = mapped_column(String(64))
    similar_rounds: Mapped[int | None] = mapped_column(Integer)
    feature_vector: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    actual_multiplier: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    signal_correctness: Mapped[bool | None] = mapped_column(Boolean)
    prediction_error: Mapped[Decimal | None] = mapped_column(PERCENT)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    date_bucket: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        UniqueConstraint("round_id", "signal_type"),
        _confidence_check("confidence_score"),
        _confidence_check("signal_strength"),
        _multiplier_check("target_multiplier"),
        _multiplier_check("actual_multiplier"),
        Index("idx_analytics_signals_round", "round_id"),
        Index("idx_analytics_signals_timestamp", text("timestamp DESC")),
        Index("idx_analytics_signals_bot_game", "bot_id", "game_name"),
        Index("idx_analytics_signals_type", "signal_type"),
        Index("idx_analytics_signals_confidence", text("confidence_score DESC")),
        Index("idx_analytics_signals_pattern", "pattern_match_type"),
    )


class AnalyticsRoundOutcome(Base):
    """Analytics 3: the outcome of a bet, denormalized for reporting."""

    __tablename__ = "analytics_round_outcomes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    round_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("crash_game_rounds.id"), unique=True
    )
    round_number: Mapped[int | None] = mapped_column(BigInteger)
    bot_id: Mapped[str | None] = mapped_column(ID)
    session_id: Mapped[str | None] = mapped_column(NAME)
    game_name: Mapped[str | None] = mapped_column(CODE)
    platform_code: Mapped[str | None] = mapped_column(CODE)
    strategy_name: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(8))
    profit_loss: Mapped[Decimal] = mapped_column(MONEY)
    roi_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    bet_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    winnings: Mapped[Decimal | None] = mapped_column(MONEY)
    loss_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    target_multiplier: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    actual_multiplier: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    hit_target: Mapped[bool | None] = mapped_column(Boolean)
    win_streak: Mapped[int | None] = mapped_column(Integer)
    loss_streak: Mapped[int | None] = mapped_column(Integer)
    outcome_category: Mapped[str | None] = mapped_column(String(32))
    duration_seconds: Mapped[Decimal | None] = mapped_column(PERCENT)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    date_bucket: Mapped[date] = mapped_column(Date)
    hour_bucket: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = _created()

    __table_args__ = (
        CheckConstraint(f"outcome IN {_OUTCOME_SQL}", name="outcome"),
        CheckConstraint("bet_amount IS NULL OR bet_amount >= 0", name="bet_amount"),
        CheckConstraint("hour_bucket >= 0 AND hour_bucket <= 23", name="hour_bucket"),
        _multiplier_check("target_multiplier"),
        _multiplier_check("actual_multiplier"),
        Index("idx_analytics_outcomes_round", "round_id"),
        Index("idx_analytics_outcomes_timestamp", text("timestamp DESC")),
        Index("idx_analytics_outcomes_bot_game", "bot_id", "game_name"),
        Index("idx_analytics_outcomes_outcome", "outcome"),
        Index("idx_analytics_outcomes_date", text("date_bucket DESC"), "bot_id"),
        Index("idx_analytics_outcomes_strategy", "strategy_name", "outcome"),
    )


class SupportLogMixin:
    """Columns shared by the error and OCR logs."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    bot_id: Mapped[str | None] = mapped_column(ID)
    session_id: Mapped[str | None] = mapped_column(NAME)
    round_number: Mapped[int | None] = mapped_column(BigInteger)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = _created()


class ErrorLog(SupportLogMixin, Base):
    """An error a bot hit (OCR failure, network, betting rejected...) and how it recovered."""

    __tablename__ = "error_logs"

    round_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("crash_game_rounds.id"))
    error_type: Mapped[str] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_trace: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(CODE, default="error", server_default="error")
    recovery_action: Mapped[str | None] = mapped_column(String(256))
    resolved: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    __table_args__ = (
        Index("idx_error_logs_bot_ts", "bot_id", text("timestamp DESC")),
        Index("idx_error_logs_type", "error_type"),
    )


class OCRValidationLog(SupportLogMixin, Base):
    """What the OCR read off the screen, what it was cleaned to, and whether it passed."""

    __tablename__ = "ocr_validation_logs"

    round_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("crash_game_rounds.id"))
    raw_ocr_text: Mapped[str | None] = mapped_column(String(256))
    cleaned_value: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    expected_value: Mapped[Decimal | None] = mapped_column(MULTIPLIER)
    confidence: Mapped[Decimal | None] = mapped_column(CONFIDENCE)
    validation_status: Mapped[str] = mapped_column(CODE)
    ocr_engine: Mapped[str | None] = mapped_column(CODE)
    screenshot_path: Mapped[str | None] = mapped_column(String(512))
    processing_time_ms: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        _confidence_check("confidence"),
        Index("idx_ocr_validation_bot_ts", "bot_id", text("timestamp DESC")),
        Index("idx_ocr_validation_status", "validation_status"),
    )
