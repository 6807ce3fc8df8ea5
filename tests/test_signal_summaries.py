"""The signal summaries the database keeps equal a direct judgement of every signal, on both
backends, however the signals arrive and whatever happens to them and their rounds later."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select, update

from crashdb import Database
from crashdb.analytics import get_signal_effectiveness
from crashdb.db.models import AnalyticsRoundSignal, CrashGameRound
from crashdb.db.summaries import SignalSummary
from summary_reference import random_rounds
from test_summaries import _parents

T0 = datetime(2026, 3, 1, tzinfo=UTC)
Cell = tuple[str, str, str, Decimal, int]


def _random_signals(rng: random.Random, rounds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    used: set[tuple[Any, str]] = set()  # one signal per round and type
    for k in range(600):
        kind = rng.choice(["pattern", "streak", "ml"])
        rnd = rng.choice(rounds) if rng.random() < 0.85 else None
        if rnd is not None and (rnd["id"], kind) in used:
            rnd = None
        if rnd is not None:
            used.add((rnd["id"], kind))
        conf = None if rng.random() < 0.2 else Decimal(rng.randint(0, 10000)).scaleb(-4)
        out.append(
            {
                "id": uuid.uuid4(),
                "round_id": rnd["id"] if rnd else None,
                "bot_id": (rnd["bot_id"] if rnd else rng.choice(["bot_0", "bot_9"]))
                if rng.random() < 0.95
                else None,
                "game_name": rng.choice([None, None, "aviator", "jetx"]),
                "signal_type": kind,
                "confidence_score": conf,
                "target_multiplier": rng.choice([None, Decimal("1.50"), Decimal("2.00")]),
                "actual_multiplier": rng.choice([None, None, Decimal("1.00"), Decimal("2.37")]),
                "signal_correctness": rng.choice([None, True, False]),
                "timestamp": T0 + timedelta(seconds=k),
                "date_bucket": T0.date(),
            }
        )
    return out


def _judged(db: Database) -> Counter[tuple[Cell, str]]:
    """Every signal judged from the definitions (its own actual multiplier and game, else its
    round's), added up per cell: the reference the summaries must equal."""
    sig = AnalyticsRoundSignal.__table__.c
    rnd = CrashGameRound.__table__.c
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(
                sig.bot_id,
                sig.signal_type,
                sig.game_name,
                sig.target_multiplier,
                sig.confidence_score,
                sig.actual_multiplier,
                sig.signal_correctness,
                rnd.crash_multiplier,
                rnd.game_name.label("round_game"),
            ).select_from(
                AnalyticsRoundSignal.__table__.outerjoin(
                    CrashGameRound.__table__, sig.round_id == rnd.id
                )
            )
        ).all()
    cells: Counter[tuple[Cell, str]] = Counter()
    for r in rows:
        actual = r.actual_multiplier if r.actual_multiplier is not None else r.crash_multiplier
        game = r.game_name if r.game_name is not None else r.round_game
        target = r.target_multiplier
        if target is not None:
            resolved, hit = actual is not None, actual is not None and actual >= target
        else:
            resolved, hit = r.signal_correctness is not None, r.signal_correctness is True
        hit = hit and resolved
        conf = r.confidence_score
        has_conf = resolved and conf is not None
        bin_ = min(int(conf * 10), 9) if has_conf else -1
        key: Cell = (r.bot_id or "", r.signal_type, game or "", target or Decimal(0), bin_)
        units = int(conf * 10000) if has_conf else 0
        for name, value in (
            ("signals", 1),
            ("resolved", int(resolved)),
            ("hits", int(hit)),
            ("with_confidence", int(has_conf)),
            ("hits_with_confidence", int(has_conf and hit)),
            ("confidence_units", units),
            ("brier_units", (units - 10000 * int(hit)) ** 2 if has_conf else 0),
        ):
            cells[(key, name)] += value
    return +cells  # zero counts dropped


def _stored(db: Database) -> Counter[tuple[Cell, str]]:
    names = (
        "signals",
        "resolved",
        "hits",
        "with_confidence",
        "hits_with_confidence",
        "confidence_units",
        "brier_units",
    )
    cells: Counter[tuple[Cell, str]] = Counter()
    with db.engine.connect() as conn:
        for r in conn.execute(select(SignalSummary.__table__)).mappings():
            key: Cell = (
                r["bot_id"],
                r["signal_type"],
                r["game_name"],
                r["target_multiplier"],
                r["confidence_bin"],
            )
            assert r["signals"] > 0  # emptied cells are dropped
            for name in names:
                cells[(key, name)] += r[name]
    return +cells


def test_signal_summaries_equal_a_direct_judgement(db: Database) -> None:
    rng = random.Random(23)
    rounds = random_rounds(rng, n_runs=8, max_rounds=30)
    _parents(db, rounds)
    with db.engine.begin() as conn:
        conn.execute(insert(CrashGameRound), rounds)
    signals = _random_signals(rng, rounds)
    k = 0
    while k < len(signals):  # statements of 1 to 80 signals
        n = rng.choice((1, 3, 80))
        with db.engine.begin() as conn:
            conn.execute(insert(AnalyticsRoundSignal), signals[k : k + n])
        k += n
    assert _stored(db) == _judged(db)

    sig = AnalyticsRoundSignal.__table__.c
    with db.engine.begin() as conn:
        gone = [s["id"] for s in rng.sample(signals, 120)]
        conn.execute(delete(AnalyticsRoundSignal).where(sig.id.in_(gone)))
        for k, s in enumerate(rng.sample(signals, 150)):
            conn.execute(
                update(AnalyticsRoundSignal)
                .where(sig.id == s["id"])
                .values(
                    target_multiplier=rng.choice([None, Decimal("3.00")]),
                    confidence_score=Decimal(rng.randint(0, 10000)).scaleb(-4),
                    signal_correctness=rng.choice([None, True]),
                    signal_type=f"late_{k % 4}" if s["round_id"] is None else s["signal_type"],
                )
            )
    assert _stored(db) == _judged(db)

    # Rounds that get their crash point (or another game) later pass it on to their signals.
    rnd = CrashGameRound.__table__.c
    with db.engine.begin() as conn:
        for r in rng.sample(rounds, 40):
            conn.execute(
                update(CrashGameRound)
                .where(rnd.id == r["id"])
                .values(crash_multiplier=Decimal("1.75"), game_name="aviatrix")
            )
    assert _stored(db) == _judged(db)

    # What the reader makes of them: the totals of the cells.
    judged = _judged(db)
    result = get_signal_effectiveness(db=db)
    assert result["total_signals"] == sum(v for (_, n), v in judged.items() if n == "signals")
    assert result["hits"] == sum(v for (_, n), v in judged.items() if n == "hits")
    one_bot = get_signal_effectiveness("bot_1", db=db)
    assert one_bot["total_signals"] == sum(
        v for ((bot, *_), n), v in judged.items() if n == "signals" and bot == "bot_1"
    )

    with db.engine.begin() as conn:
        conn.execute(delete(AnalyticsRoundSignal))
    assert _stored(db) == Counter()
