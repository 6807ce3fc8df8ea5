"""Conflicts are never silent: an identical re-log returns the same id, a re-log of the same key
with other content raises ``ConflictingRecord`` naming the key and the differing fields, and
nothing is written (single calls, batches small and COPY-sized, imports, the writer)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crashdb import (
    ConflictingRecord,
    Database,
    InvalidRecord,
    RoundWriter,
    log_batch_rounds,
    log_crash_round,
    log_round_multiplier_analytics,
    log_round_outcome,
    log_round_signal,
)
from crashdb.db.models import CrashGameRound
from crashdb.ingest.files import import_rounds
from crashdb.writer.spool import DEAD_LETTER_DIR

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def kw(n: int, **over: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "bot_id": "c_bot",
        "session_id": "c_session",
        "game_name": "aviator",
        "platform_code": "dafabet",
        "round_number": n,
        "stake_value": Decimal("10.00"),
        "crash_multiplier": Decimal("2.45"),
        "cashout_multiplier": Decimal("1.33"),
        "round_outcome": "WIN",
        "round_start_timestamp": T0 + timedelta(seconds=10 * n),
        "metadata": {"n": n, "x": 1.5e300},
    }
    out.update(over)
    return out


def rounds(db: Database) -> list[tuple[Any, ...]]:
    c = CrashGameRound.__table__.c
    q = select(c.round_number, c.bet_slot, c.stake_value, c.round_outcome).order_by(
        c.round_number, c.bet_slot
    )
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(q)]


def test_identical_relog_returns_the_same_id(db: Database) -> None:
    first = log_crash_round(**kw(1))
    assert log_crash_round(**kw(1)) == first
    # a bot that leaves the time to crashdb re-logs "the same" round a moment later
    bare = {k: v for k, v in kw(2).items() if k != "round_start_timestamp"}
    assert log_crash_round(**bare) == log_crash_round(**bare)
    m = log_round_multiplier_analytics(round_id=first, multiplier="2.45", is_crash=True)
    assert log_round_multiplier_analytics(round_id=first, multiplier="2.45", is_crash=True) == m
    o = log_round_outcome(round_id=first)
    assert log_round_outcome(round_id=first, outcome="WIN", profit_loss="3.30") == o
    assert len(rounds(db)) == 2


def test_conflicting_relog_names_the_key_and_the_fields(db: Database) -> None:
    rid = log_crash_round(**kw(1))
    with pytest.raises(ConflictingRecord) as exc:
        log_crash_round(
            **kw(1, crash_multiplier=Decimal("1.10"), cashout_multiplier=None, round_outcome="LOSS")
        )
    err = exc.value
    assert err.key == {
        "bot_id": "c_bot",
        "session_id": "c_session",
        "round_number": 1,
        "bet_slot": 1,
    }
    # cashout_multiplier is left out (None) by the second call: not compared
    assert set(err.differing) == {"crash_multiplier", "round_outcome", "profit_loss", "roi_percent"}
    assert isinstance(err, InvalidRecord) and err.errors[0].field == "key"
    assert rounds(db) == [(1, 1, Decimal("10.0000"), "WIN")]
    # analytics keyed by their round
    log_round_multiplier_analytics(round_id=rid, multiplier="2.45", is_crash=True)
    with pytest.raises(ConflictingRecord) as exc:
        log_round_multiplier_analytics(round_id=rid, multiplier="2.40", is_crash=True)
    assert exc.value.differing == ["multiplier"]
    log_round_signal(round_id=rid, signal_type="early", confidence_score=0.9)
    with pytest.raises(ConflictingRecord, match="confidence_score"):
        log_round_signal(round_id=rid, signal_type="early", confidence_score=0.8)


def test_restarted_round_counter_uses_a_new_session_or_slot(db: Database) -> None:
    """What docs/integration.md tells a bot that restarts its counter: a new session id (or
    another bet slot) keeps the new rounds apart from the old ones."""
    log_crash_round(**kw(1))
    with pytest.raises(ConflictingRecord):
        log_crash_round(**kw(1, stake_value=Decimal("20.00")))
    log_crash_round(**kw(1, stake_value=Decimal("20.00"), session_id="c_session_2"))
    log_crash_round(**kw(1, stake_value=Decimal("20.00"), bet_slot=2))
    assert sorted(rounds(db)) == [
        (1, 1, Decimal("10.0000"), "WIN"),
        (1, 1, Decimal("20.0000"), "WIN"),
        (1, 2, Decimal("20.0000"), "WIN"),
    ]


@pytest.mark.parametrize("size", [5, 300])
def test_batch_conflict_names_the_row_and_writes_nothing(db: Database, size: int) -> None:
    log_batch_rounds([kw(n) for n in range(1, 11)])
    before = rounds(db)
    batch = [kw(n) for n in range(5, 5 + size)]
    batch[2] = kw(7, stake_value=Decimal("11.00"))  # round 7 is stored with a stake of 10
    with pytest.raises(ConflictingRecord) as exc:
        log_batch_rounds(batch)
    assert exc.value.row == 2
    assert exc.value.key["round_number"] == 7
    assert "stake_value" in exc.value.differing
    assert rounds(db) == before
    # the same batch without the conflict loads, replayed rounds and all
    batch[2] = kw(7)
    assert len(log_batch_rounds(batch)) == size


@pytest.mark.parametrize("size", [4, 250])
def test_a_key_twice_in_one_batch_must_say_the_same(db: Database, size: int) -> None:
    batch = [kw(n) for n in range(1, size + 1)]
    assert len(set(log_batch_rounds([*batch, kw(1)]))) == size  # a repeat is not a conflict
    with pytest.raises(ConflictingRecord) as exc:
        log_batch_rounds([*batch, kw(size + 1), kw(size + 1, stake_value=Decimal("1.00"))])
    assert exc.value.row == size + 1
    assert len(rounds(db)) == size


def test_import_with_a_conflicting_row_writes_nothing(db: Database, tmp_path: Path) -> None:
    log_crash_round(**kw(3))
    path = tmp_path / "rounds.jsonl"
    rows = [kw(n) for n in range(1, 6)]
    rows[2] = kw(3, round_outcome="LOSS", cashout_multiplier=None)
    path.write_text("".join(json.dumps(r, default=str) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(ConflictingRecord) as exc:
        import_rounds(db, path)
    assert exc.value.row == 3  # rows of a file are numbered from 1
    assert len(rounds(db)) == 1


def test_the_writer_dead_letters_a_conflict(db: Database, tmp_path: Path) -> None:
    log_crash_round(**kw(1))
    spool = tmp_path / "spool"
    with RoundWriter(spool, db=db, flush_interval=60) as w:
        w.log_crash_round(**kw(1, stake_value=Decimal("12.00")))
        w.log_crash_round(**kw(2))
        assert w.flush(30)
        assert w.stats.conflicts == 1
        assert w.stats.dead_lettered_records == 1
    assert rounds(db) == [(1, 1, Decimal("10.0000"), "WIN"), (2, 1, Decimal("10.0000"), "WIN")]
    (errors,) = (spool / DEAD_LETTER_DIR).glob("*.errors.json")
    assert "stake_value" in json.loads(errors.read_text())[0]["reason"]
