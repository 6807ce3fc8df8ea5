"""A corpus of good and bad record batches for the HTTP parity test, and the library side.

Every entry point must store, or refuse, a batch exactly as the library does. The cases
below (requests of several records, a bot's and another's) come first, then every entry of
the write path's shared parity corpus (``tests/parity_corpus.py``) that a JSON client can
send, one request each.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

import parity_corpus
from crashdb import Database, InvalidRecord
from crashdb.ingest.records import round_uuid
from crashdb.ingest.store import write_records
from crashdb.ingest.validate import build_record
from server_support import T0, round_fields

Case = tuple[str, list[tuple[str, dict[str, Any]]]]


def _rid(bot: str, n: int, session: str = "s1") -> str:
    return str(round_uuid(bot, session, n, 1))


def _ts(seconds: int) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


CORPUS: list[Case] = [
    (
        "a session with rounds and their analytics",
        [
            (
                "session",
                {
                    "bot_id": "p1",
                    "session_id": "s1",
                    "game_name": "aviator",
                    "initial_balance": "100.00",
                    "start_timestamp": _ts(0),
                },
            ),
            ("round", round_fields("p1", 1, running_balance_before="100.00")),
            ("round", round_fields("p1", 3, running_balance_before="90.00")),
            (
                "multiplier",
                {
                    "round_id": _rid("p1", 1),
                    "multiplier": "1.10",
                    "is_crash": True,
                    "timestamp": _ts(1),
                },
            ),
            ("outcome", {"round_id": _rid("p1", 3), "outcome": "WIN", "timestamp": _ts(3)}),
            (
                "signal",
                {
                    "round_id": _rid("p1", 3),
                    "signal_type": "trend",
                    "target_multiplier": "1.33",
                    "confidence_score": 0.71,
                    "timestamp": _ts(3),
                },
            ),
            (
                "ocr",
                {
                    "round_id": _rid("p1", 3),
                    "raw_ocr_text": "2.45x",
                    "cleaned_value": "2.45",
                    "confidence": "0.93",
                    "validation_status": "valid",
                    "timestamp": _ts(3),
                },
            ),
            (
                "error",
                {
                    "bot_id": "p1",
                    "session_id": "s1",
                    "error_type": "ocr_timeout",
                    "error_message": "no digits <b>",
                    "timestamp": _ts(4),
                },
            ),
            (
                "session_update",
                {
                    "session_id": "s1",
                    "bot_id": "p1",
                    "status": "completed",
                    "final_balance": "93.30",
                    "end_timestamp": _ts(10),
                },
            ),
        ],
    ),
    (
        "a replay of stored rounds",
        [("round", round_fields("p1", 1, running_balance_before="100.00"))],
    ),
    (
        "one bad round refuses the batch",
        [("round", round_fields("p2", 1)), ("round", round_fields("p2", 2, stake_value="ten"))],
    ),
    ("a WIN above the crash point", [("round", round_fields("p2", 3, cashout_multiplier="5.00"))]),
    ("money with too many decimals", [("round", round_fields("p2", 4, stake_value="1.00001"))]),
    ("a profit that does not add up", [("round", round_fields("p2", 5, profit_loss="99"))]),
    ("an unknown field", [("round", round_fields("p2", 6, stake="1"))]),
    ("an unknown kind", [("bet", {"bot_id": "p2"})]),
    (
        "analytics of a missing round",
        [
            (
                "outcome",
                {
                    "round_id": _rid("p2", 99),
                    "outcome": "WIN",
                    "profit_loss": "1",
                    "timestamp": _ts(1),
                },
            )
        ],
    ),
    ("a NUL in text", [("round", round_fields("p2", 7, vm_name="bad\x00name"))]),
    ("a huge round number", [("round", round_fields("p2", 8, round_number=2**70))]),
    ("a negative stake", [("round", round_fields("p2", 9, stake_value="-1"))]),
    (
        "rounds of two sessions, two slots",
        [
            ("round", round_fields("p3", 1)),
            ("round", round_fields("p3", 1, bet_slot=2)),
            (
                "round",
                round_fields(
                    "p3", 1, session="s2", metadata={"note": "é ✓", "ratio": 0.1, "n": [1, 2.5]}
                ),
            ),
        ],
    ),
]


def _strict_json(line: str) -> bool:
    """Whether a line is JSON an HTTP client can send (no NaN or Infinity)."""
    try:
        json.loads(line, parse_constant=_refuse)
    except ValueError:
        return False
    return True


def _refuse(name: str) -> Any:
    raise ValueError(name)


# The write path's shared corpus (tests/parity_corpus.py) after the cases above: every entry a
# JSON client can send, one request each.
CORPUS += [
    (f"shared entry {i} ({kind})", [(kind, json.loads(line))])
    for i, (kind, f) in enumerate(parity_corpus.CORPUS)
    if _strict_json(line := parity_corpus.to_json_line(parity_corpus.resolve(f)))
]


def build_all(items: list[tuple[str, dict[str, Any]]]) -> tuple[list[Any], list[tuple[Any, ...]]]:
    """Build a batch as one request would: errors numbered by their row."""
    records: list[Any] = []
    errors: list[tuple[Any, ...]] = []
    for row, (kind, fields) in enumerate(items):
        try:
            records.append(build_record(kind, dict(fields)))
        except InvalidRecord as exc:
            errors.extend((e.field, e.reason, row) for e in exc.errors)
    return records, errors


def library_apply(db: Database, items: list[tuple[str, dict[str, Any]]]) -> list[tuple[Any, ...]]:
    """The library's answer: [] when stored, else the (field, reason, row) list."""
    records, errors = build_all(items)
    if errors:
        return errors
    try:
        write_records(db, records)
    except InvalidRecord as exc:  # a ConflictingRecord too: its error names the key
        return [(e.field, e.reason, e.row) for e in exc.errors]
    return []


_VOLATILE = {"created_at", "updated_at"}
_RANDOM_ID = {"error_logs", "ocr_validation_logs", "session_logs", "bot_vm_registration"}
TABLES = (
    "bot_vm_registration",
    "session_logs",
    "crash_game_rounds",
    "analytics_round_multipliers",
    "analytics_round_outcomes",
    "analytics_round_signals",
    "error_logs",
    "ocr_validation_logs",
)


def dump(db: Database) -> dict[str, list[str]]:
    """Every row of the seed's data tables, without insert times and drawn ids."""
    from crashdb.db.models import Base

    out: dict[str, list[str]] = {}
    with db.engine.connect() as conn:
        for name in TABLES:
            table = Base.metadata.tables[name]
            cols = [
                c
                for c in table.columns
                if c.name not in _VOLATILE and not (c.name == "id" and name in _RANDOM_ID)
            ]
            rows = conn.execute(select(*cols)).all()
            out[name] = sorted(repr(tuple(r)) for r in rows)
    return out
