"""One corpus of records, good and bad, that every entry point must treat identically.

Each entry is ``(kind, fields)``: ``fields`` are the keyword arguments of the matching seed
``log_*`` function (``kind`` as ``crashdb.ingest.validate.build_record`` names it). The corpus
is played in order; later entries refer to earlier rounds by their ids (``ROUND_REF``
placeholders resolved by :func:`resolve`). Every timestamp is explicit, so that two plays
store identical rows.

Every entry survives a trip through a JSON Lines file (what ``crashdb import`` and the HTTP
collector receive): :func:`to_json_line` / :func:`from_json_line`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from crashdb.ingest.records import round_uuid

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
KINDS = ("round", "multiplier", "signal", "outcome", "error", "ocr", "session", "session_update")


class RoundRef:
    """The id of the corpus round (bot, session, round number, slot)."""

    def __init__(self, bot: str, session: str, n: int, slot: int = 1) -> None:
        self.key = (bot, session, n, slot)

    @property
    def id(self) -> uuid.UUID:
        return round_uuid(*self.key)


def resolve(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.id if isinstance(v, RoundRef) else v for k, v in fields.items()}


def _round(bot: str, session: str, n: int, **over: Any) -> dict[str, Any]:
    crash = Decimal("1.05") + Decimal(n % 17) / 4
    target = Decimal("1.50")
    win = crash >= target
    meta = {"n": n, "tags": ["a", "é", "🚀"], "big": 1.5e300, "deep": {"x": None}}
    fields: dict[str, Any] = {
        "bot_id": bot,
        "session_id": session,
        "game_name": ("aviator", "aviatrix", "jetx")[n % 3],
        "platform_code": "dafabet",
        "round_number": n,
        "round_external_id": f"ext-{n}",
        "stake_value": Decimal("10.00") + n % 5,
        "target_multiplier": target,
        "crash_multiplier": crash,
        "cashout_multiplier": target if win else None,
        "round_outcome": "WIN" if win else "LOSS",
        "running_balance_before": Decimal("1000.00") + n,
        "round_start_timestamp": T0 + timedelta(seconds=9 * n),
        "round_end_timestamp": T0 + timedelta(seconds=9 * n + 7),
        "ocr_text": f"{crash}x",
        "ocr_confidence": 0.95,
        "metadata": None if n % 5 == 0 else meta,
        "strategy_name": None if n % 4 else "martingale",
    }
    fields.update(over)
    return fields


GOOD_ROUNDS = [
    _round(f"parity_bot_{b}", f"parity_session_{b}", n) for b in range(3) for n in range(1, 91)
]  # 270 rounds: a batch of them takes the COPY path on PostgreSQL


def _deep(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"d": value}
    return value


B, S = "parity_bot_0", "parity_session_0"
R1 = RoundRef(B, S, 1)
R2 = RoundRef(B, S, 2)
R7 = RoundRef(B, S, 7)

BAD_ROUNDS: list[dict[str, Any]] = [
    _round(B, S, 500, stake_value=Decimal("-5")),
    _round(B, S, 501, ocr_text="2.45\ud800x"),
    _round(B, S, 502, bot_id=""),
    _round(B, S, 503, bot_id="  padded "),
    _round(B, S, 504, session_id="line\nbreak"),
    _round(
        B,
        S,
        505,
        crash_multiplier=Decimal("1.20"),
        cashout_multiplier=Decimal("1.33"),
        round_outcome="WIN",
    ),
    _round(B, S, 506, profit_loss=Decimal("99.00")),
    _round(
        B,
        S,
        507,
        crash_multiplier=Decimal("1000002.00"),
        cashout_multiplier=Decimal("1000001.00"),
        round_outcome="WIN",
        target_multiplier=None,
    ),
    _round(
        B,
        S,
        508,
        stake_value=Decimal("99999999999999.9999"),
        crash_multiplier=Decimal("9.00"),
        cashout_multiplier=Decimal("9.00"),
        round_outcome="WIN",
    ),
    _round(B, S, 509, not_a_column=1),
    _round(B, S, 510, round_start_timestamp="2026-05-01T12:00:00"),
    _round(B, S, 511, round_start_timestamp="0001-01-01T00:00:00+14:00"),
    _round(B, S, 512, round_number="²"),
    _round(B, S, 513, metadata=_deep(40)),
    _round(B, S, 514, metadata={"x": "a" * 70_000}),
    _round(B, S, 515, round_outcome="MAYBE"),
    _round(B, S, 516, ocr_confidence=float("nan")),
    _round(B, S, 517, stake_value="1e999999"),
    _round(B, S, 518, round_end_timestamp=T0 - timedelta(days=1)),
    _round(B, S, 519, metadata={"nul": "a\x00b"}),
    _round(B, S, 520, id=str(uuid.UUID(int=5))),
]

CORPUS: list[tuple[str, dict[str, Any]]] = [
    (
        "session",
        {
            "bot_id": B,
            "session_id": S,
            "game_name": "aviator",
            "initial_balance": Decimal("1000.00"),
            "start_timestamp": T0,
            "notes": "parity session",
            "metadata": {"vm": "runpod"},
        },
    ),
    *(("round", r) for r in GOOD_ROUNDS),
    ("round", _round(B, S, 95, stake_value=Decimal("5000.00"))),  # a WIN of 2,500
    ("round", GOOD_ROUNDS[0]),  # an identical re-log: the same id, nothing new
    ("round", _round(B, S, 1, stake_value=Decimal("12.00"))),  # a conflicting re-log
    *(("round", r) for r in BAD_ROUNDS),
    (
        "multiplier",
        {
            "round_id": R1,
            "multiplier": Decimal("2.45"),
            "is_crash": True,
            "ocr_confidence": 0.9,
            "timestamp": T0,
        },
    ),
    (
        "multiplier",
        {"round_id": R1, "multiplier": Decimal("2.40"), "is_crash": True, "timestamp": T0},
    ),  # conflict
    ("multiplier", {"multiplier": Decimal("2.00"), "timestamp": T0}),  # no round_id
    (
        "multiplier",
        {"round_id": RoundRef(B, S, 9999), "multiplier": Decimal("2.0"), "timestamp": T0},
    ),  # unknown round
    ("multiplier", {"round_id": R2, "multiplier": Decimal("0.5"), "timestamp": T0}),
    (
        "signal",
        {
            "round_id": R1,
            "round_number": 1,
            "bot_id": B,
            "signal_type": "early_flight",
            "confidence_score": 0.92,
            "pattern_type": "exponential",
            "feature_vector": {"volatility": 0.65, "momentum": 0.78},
            "target_multiplier": Decimal("1.50"),
            "actual_multiplier": Decimal("2.45"),
        },
    ),
    ("signal", {"round_id": R2, "bot_id": "parity_bot_1", "signal_type": "x"}),  # not its bot
    (
        "signal",
        {
            "bot_id": B,
            "session_id": S,
            "round_number": 3000,
            "signal_type": "late",
            "timestamp": T0,
            "feature_vector": [0.1, 0.2, 0.3],
        },
    ),
    ("signal", {"round_id": R7, "signal_type": "early", "confidence_score": 1.5}),
    ("outcome", {"round_id": R1}),  # everything from the round
    ("outcome", {"round_id": R2, "outcome": "WIN", "profit_loss": Decimal("5.00")}),  # contradicts
    ("outcome", {"round_id": RoundRef(B, S, 95), "bet_amount": Decimal("0.0001")}),  # ROI too big
    ("outcome", {"round_id": RoundRef(B, S, 9999)}),
    (
        "error",
        {
            "error_type": "ocr_failure",
            "error_message": "unreadable \x1b[31m",
            "round_id": R1,
            "timestamp": T0,
            "context": {"screen": 3},
        },
    ),
    ("error", {"error_type": "", "timestamp": T0}),
    ("error", {"error_type": "net", "round_id": R1, "bot_id": "parity_bot_2", "timestamp": T0}),
    (
        "ocr",
        {
            "raw_ocr_text": "2.45x",
            "cleaned_value": "2.45",
            "confidence": 0.93,
            "validation_status": "valid",
            "bot_id": B,
            "timestamp": T0,
        },
    ),
    ("ocr", {"raw_ocr_text": "?", "cleaned_value": "abc", "timestamp": T0}),
    (
        "session_update",
        {
            "session_id": S,
            "bot_id": B,
            "final_balance": Decimal("1010.00"),
            "status": "completed",
            "end_timestamp": T0 + timedelta(hours=1),
        },
    ),
    ("session_update", {"session_id": S, "final_balance": Decimal("-1")}),
    (
        "round",
        _round(
            B,
            S,
            700,
            round_start_timestamp=datetime(2026, 5, 2, 3, tzinfo=timezone(timedelta(hours=-5))),
            round_end_timestamp=None,
        ),
    ),
]


def _json_default(value: Any) -> Any:
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, RoundRef):
        return str(value.id)
    raise TypeError(type(value).__name__)


def to_json_line(fields: Mapping[str, Any]) -> str:
    """An entry's fields as one line of JSON (Decimals as text, times as ISO 8601)."""
    return json.dumps(dict(fields), default=_json_default) + "\n"
