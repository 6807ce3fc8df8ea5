"""The tables the write path fills, and the columns it writes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from crashdb.db.models import (
    AnalyticsRoundMultiplier,
    AnalyticsRoundOutcome,
    AnalyticsRoundSignal,
    BotVMRegistration,
    CrashGameRound,
    ErrorLog,
    OCRValidationLog,
    SessionLog,
)

__all__ = ["BOTS", "ROUNDS", "ROUND_COLUMNS", "SESSIONS", "TABLE_OF"]


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


ROUNDS = _table(CrashGameRound)
BOTS = _table(BotVMRegistration)
SESSIONS = _table(SessionLog)
_SERVER_FILLED = frozenset({"created_at", "updated_at"})
ROUND_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in ROUNDS.columns if c.name not in _SERVER_FILLED
)

TABLE_OF: dict[str, Table] = {
    "multiplier": _table(AnalyticsRoundMultiplier),
    "signal": _table(AnalyticsRoundSignal),
    "outcome": _table(AnalyticsRoundOutcome),
    "error": _table(ErrorLog),
    "ocr": _table(OCRValidationLog),
}
