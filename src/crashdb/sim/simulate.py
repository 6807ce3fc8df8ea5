"""Simulate a bot fleet and log every round through the real logging API.

A fleet is N bots x games x strategies: every (bot, game, strategy) is one session of up to
M rounds at its own table (its own stream of crash points, drawn with the game's RTP by
:mod:`crashdb.sim.games`). Each round is logged exactly as a bot would log it, through a *sink*
with the seed's ``log_*`` methods, by default a :class:`crashdb.RoundWriter` (buffered group
commits into the configured database)::

    db = Database("sqlite:///crashdb.sqlite3"); db.init_db()
    result = run_fleet(db, FleetConfig(bots=6, rounds=100, seed=7))
    for row in result.by_strategy(): print(row)

Per round the simulator logs the round (``log_crash_round``), the crash multiplier
(``log_round_multiplier_analytics``), the outcome (``log_round_outcome``) and, on a fraction
``signal_rate`` of rounds, a *chance-level* signal (``log_round_signal``): a random cash-out
target with a confidence score that is pure noise. Its hit rate is ``RTP / target`` by
construction, which is what an honest signal analysis should report for it. Aviator rounds
carry commit-reveal fairness metadata (see :mod:`crashdb.sim.fairness`), so ``crashdb verify``
has something to check; the multiplier itself is not derived from those seeds.

Everything is a function of ``seed``: the same configuration and seed give identical rows
(ids, timestamps, amounts; only the database's own ``created_at``/``updated_at`` differ).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from sqlalchemy import Table

from crashdb.db.models import BotVMRegistration
from crashdb.db.reference import insert_ignoring_conflicts
from crashdb.sim.backtest import (
    SessionSummary,
    _accumulate,
    _finish,
    backtest,
    load_multipliers_csv,
    load_multipliers_db,
    play_session,
    run_session,
    settle,
)
from crashdb.sim.fairness import aviator_fairness_metadata
from crashdb.sim.fleet import DEFAULT_START, FleetConfig, FleetResult, SessionOutcome, StrategyRow
from crashdb.sim.games import CrashGame, cents_to_decimal
from crashdb.sim.montecarlo import MonteCarloResult, monte_carlo
from crashdb.sim.strategies import KellyCriterion, RoundResult

if TYPE_CHECKING:
    import uuid

    from crashdb.db.engine import Database

__all__ = [
    "DEFAULT_START",
    "FleetConfig",
    "FleetResult",
    "LogSink",
    "MonteCarloResult",
    "SessionOutcome",
    "SessionSummary",
    "StrategyRow",
    "backtest",
    "load_multipliers_csv",
    "load_multipliers_db",
    "monte_carlo",
    "play_session",
    "register_fleet_bots",
    "run_fleet",
    "run_session",
    "settle",
    "simulate_fleet",
]

SIGNAL_TYPE = "chance_baseline"
SIGNAL_TARGETS = (Decimal("1.50"), Decimal("2.00"), Decimal("3.00"), Decimal("5.00"))
BETTING_PHASE_MS = 5_000
GROWTH_PER_SECOND = 0.06  # m(t) = exp(0.06 t): 2x after ~11.6 s
MAX_FLIGHT_MS = 600_000
ANALYTICS_CHUNK = 250  # rounds whose analytics rows are logged together


class LogSink(Protocol):
    """Where simulated rounds go: the seed's logging API (``RoundWriter`` has all of it)."""

    def log_crash_round(self, **kwargs: Any) -> uuid.UUID: ...
    def log_round_multiplier_analytics(self, **kwargs: Any) -> uuid.UUID: ...
    def log_round_signal(self, **kwargs: Any) -> uuid.UUID: ...
    def log_round_outcome(self, **kwargs: Any) -> uuid.UUID: ...
    def create_session_log(self, **kwargs: Any) -> str: ...
    def update_session_log(self, **kwargs: Any) -> bool: ...


def _rng(*key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(list(key))))


def _timeline(crash_cents: np.ndarray[Any, Any], start: datetime) -> list[tuple[datetime, int]]:
    """(start time, flight duration ms) of each round: a betting phase, then the flight."""
    flight = np.minimum(
        np.log(crash_cents / 100.0) / GROWTH_PER_SECOND * 1000.0, MAX_FLIGHT_MS
    ).astype(np.int64)
    offsets = np.concatenate(([0], np.cumsum(flight + BETTING_PHASE_MS)[:-1]))
    return [
        (start + timedelta(milliseconds=int(o)), int(f))
        for o, f in zip(offsets.tolist(), flight.tolist(), strict=True)
    ]


def simulate_fleet(
    config: FleetConfig,
    sink: LogSink,
    *,
    progress: Callable[[int], None] | None = None,
) -> FleetResult:
    """Play every session of the fleet and log each round through ``sink``.

    ``progress`` is called with the number of rounds played since its last call.
    """
    result = FleetResult(config)
    digest = hashlib.sha256()
    platforms = list(config.platforms) or ["sim"]
    for b in range(config.bots):
        bot_id = config.bot_id(b)
        platform = platforms[b % len(platforms)]
        for g, game_name in enumerate(config.games):
            game = config.game(game_name)
            for s, spec in enumerate(config.strategies):
                outcome = _simulate_session(config, sink, (b, g, s), bot_id, platform, game, spec)
                result.sessions.append(outcome)
                result.records += 3 * outcome.summary.rounds + outcome.signals + 2
                digest.update(
                    f"{outcome.session_id}:{outcome.summary.rounds}:"
                    f"{outcome.summary.final_balance}:{outcome.signal_hits}".encode()
                )
                if progress is not None:
                    progress(config.rounds)
    result.digest = digest.hexdigest()[:16]
    return result


def _simulate_session(
    config: FleetConfig,
    sink: LogSink,
    key: tuple[int, int, int],
    bot_id: str,
    platform: str,
    game: CrashGame,
    spec: str,
) -> SessionOutcome:
    b, g, s = key
    strategy = config.strategy(spec, game)
    session_id = f"sim{config.seed}_{game.name}_{strategy.name}_{bot_id}"[:128]
    table_rng = _rng(config.seed, b, g, s, 0)
    side_rng = _rng(config.seed, b, g, s, 1)
    cents = game.crash_cents(config.rounds, table_rng)
    crashes = [cents_to_decimal(c) for c in cents.tolist()]
    session_start = config.start + timedelta(minutes=7 * b, seconds=11 * g)
    timeline = _timeline(cents, session_start)
    signal_draws = side_rng.random(config.rounds)
    signal_conf = side_rng.random(config.rounds)
    signal_pick = side_rng.integers(0, len(SIGNAL_TARGETS), config.rounds)
    seed_bytes = side_rng.integers(0, 256, size=(config.rounds, 4 * 16), dtype=np.uint8)

    sink.create_session_log(
        bot_id=bot_id,
        session_id=session_id,
        game_name=game.name,
        platform_code=platform,
        strategy_name=strategy.name,
        initial_balance=config.bankroll,
        start_time=session_start,
        metadata={"simulated": True, "seed": config.seed, "strategy": strategy.describe()},
    )
    summary = SessionSummary(strategy.name, config.bankroll, config.bankroll)
    summary.peak_balance = config.bankroll
    outcome = SessionOutcome(
        bot_id, session_id, game.name, platform, strategy.name, game.rtp, summary
    )
    history: list[RoundResult] = []
    inner: Any = strategy
    while not isinstance(inner, KellyCriterion) and hasattr(inner, "inner"):
        inner = inner.inner
    skip_note = inner.explain() if isinstance(inner, KellyCriterion) else None
    previous: Decimal | None = None
    win_streak = loss_streak = 0
    pending = _PendingAnalytics()
    for r in play_session(
        strategy, crashes, config.bankroll, min_stake=config.min_stake, history=history
    ):
        i = r.round_number - 1
        started, flight_ms = timeline[i]
        ended = started + timedelta(milliseconds=flight_ms)
        bet = r.bet
        if bet is None:
            outcome_code = "SKIP"
        else:
            outcome_code = "WIN" if r.won else "LOSS"
            win_streak = win_streak + 1 if r.won else 0
            loss_streak = 0 if r.won else loss_streak + 1
        metadata: dict[str, Any] = {"simulated": True, "seed": config.seed}
        if game.name == "aviator":
            raw = seed_bytes[i].tobytes()
            metadata.update(
                aviator_fairness_metadata(
                    raw[:16].hex(), [raw[16:32].hex(), raw[32:48].hex(), raw[48:].hex()]
                )
            )
        if bet is None and skip_note:
            metadata["skip_reason"] = skip_note
        round_id = sink.log_crash_round(
            bot_id=bot_id,
            session_id=session_id,
            game_name=game.name,
            game_provider=game.provider or None,
            platform_code=platform,
            round_number=r.round_number,
            round_external_id=f"sim{config.seed}-{b}-{g}-{s}-{r.round_number}",
            currency=config.currency,
            round_start_timestamp=started,
            round_end_timestamp=ended,
            round_duration_ms=flight_ms,
            stake_value=bet.stake if bet else Decimal(0),
            target_multiplier=bet.target if bet else None,
            strategy_name=strategy.name,
            strategy_step=bet.step if bet else None,
            base_stake=config.base_stake,
            auto_cashout=True,
            is_simulated=True,
            crash_multiplier=r.crash,
            cashout_multiplier=bet.target if bet and r.won else None,
            max_multiplier_seen=r.crash,
            previous_crash_multiplier=previous,
            round_outcome=outcome_code,
            profit_loss=r.profit,
            running_balance_before=r.balance_before,
            running_balance_after=r.balance_after,
            session_profit=r.balance_after - config.bankroll,
            detection_method="simulated",
            metadata=metadata,
        )
        identity = {
            "round_id": round_id,
            "round_number": r.round_number,
            "bot_id": bot_id,
            "session_id": session_id,
        }
        pending.multipliers.append(
            dict(
                identity,
                multiplier=r.crash,
                game_name=game.name,
                platform_code=platform,
                is_crash=True,
                data_quality_score=Decimal(1),
                timestamp=ended,
            )
        )
        pending.outcomes.append(
            dict(
                identity,
                game_name=game.name,
                platform_code=platform,
                strategy_name=strategy.name,
                outcome=outcome_code,
                profit_loss=r.profit,
                bet_amount=bet.stake if bet else Decimal(0),
                winnings=bet.stake * bet.target if bet and r.won else Decimal(0),
                loss_amount=bet.stake if bet and not r.won else Decimal(0),
                target_multiplier=bet.target if bet else None,
                actual_multiplier=r.crash,
                hit_target=r.won,
                win_streak=win_streak,
                loss_streak=loss_streak,
                outcome_category=_category(r),
                duration_seconds=Decimal(flight_ms + BETTING_PHASE_MS) / 1000,
                timestamp=ended,
            )
        )
        if signal_draws[i] < config.signal_rate:
            target = SIGNAL_TARGETS[int(signal_pick[i])]
            confidence = Decimal(f"{signal_conf[i]:.4f}")
            hit = r.crash >= target
            pending.signals.append(
                dict(
                    identity,
                    game_name=game.name,
                    platform_code=platform,
                    signal_type=SIGNAL_TYPE,
                    confidence_score=confidence,
                    signal_strength=confidence,
                    target_multiplier=target,
                    pattern_type="none",
                    feature_vector={"noise": float(confidence)},
                    actual_multiplier=r.crash,
                    signal_correctness=hit,
                    timestamp=started,
                )
            )
            outcome.signals += 1
            outcome.signal_hits += hit
            outcome.signal_expected_hits += game.win_probability(target)
        previous = r.crash
        _accumulate(summary, r)
        if len(pending.multipliers) >= ANALYTICS_CHUNK:
            pending.emit(sink)
    pending.emit(sink)
    _finish(summary, strategy, history, config.min_stake)
    end_time = (
        timeline[summary.rounds - 1][0] + timedelta(milliseconds=timeline[summary.rounds - 1][1])
        if summary.rounds
        else session_start
    )
    status = "busted" if summary.ruined else ("stopped" if summary.stop_reason else "completed")
    sink.update_session_log(
        bot_id=bot_id,
        session_id=session_id,
        final_balance=summary.final_balance,
        status=status,
        notes=summary.stop_reason or f"{summary.rounds} rounds simulated",
        end_time=end_time,
    )
    return outcome


@dataclass(slots=True)
class _PendingAnalytics:
    """Analytics calls held back until a chunk of rounds has been logged.

    Each round is logged as it is played; its analytics rows follow in chunks, kind by kind,
    so the writer's group commit sees runs of one kind (one multi-row INSERT each) instead of
    alternating kinds (one statement per row). Every call still goes through the sink.
    """

    multipliers: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)

    def emit(self, sink: LogSink) -> None:
        for kw in self.multipliers:
            sink.log_round_multiplier_analytics(**kw)
        for kw in self.outcomes:
            sink.log_round_outcome(**kw)
        for kw in self.signals:
            sink.log_round_signal(**kw)
        self.multipliers.clear()
        self.outcomes.clear()
        self.signals.clear()


def _category(r: RoundResult) -> str:
    if r.bet is None:
        return "skip"
    if not r.won:
        return "instant_crash" if r.crash <= Decimal("1.00") else "loss"
    return "big_win" if r.bet.target >= Decimal("5") else "win"


def register_fleet_bots(db: Database, config: FleetConfig) -> None:
    """Register the fleet's bots (idempotent: existing registrations are left alone)."""
    table = BotVMRegistration.__table__
    assert isinstance(table, Table)
    platforms = list(config.platforms) or ["sim"]
    rows = [
        {
            "bot_id": config.bot_id(b),
            "bot_name": f"Simulated bot {b + 1}",
            "vm_name": f"sim-vm-{b + 1:02d}",
            "vm_provider": "local",
            "region": "sim",
            "strategy_name": config.strategies[0] if len(config.strategies) == 1 else "mixed",
            "platform_code": platforms[b % len(platforms)],
            "initial_balance": config.bankroll,
            "base_stake": config.base_stake,
            "max_stake": config.max_stake,
            "is_active": True,
            "auto_registered": False,
            "bot_metadata": {"simulated": True, "seed": config.seed},
        }
        for b in range(config.bots)
    ]
    stmt = insert_ignoring_conflicts(db.backend, table, "bot_id")
    with db.write_connection() as conn:
        conn.execute(stmt, rows)


def run_fleet(
    db: Database,
    config: FleetConfig,
    *,
    spool_dir: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    sink: LogSink | None = None,
    commit_progress: Callable[[int, int], None] | None = None,
) -> FleetResult:
    """Register the bots, simulate the fleet through a :class:`crashdb.RoundWriter` on ``db``
    (or through ``sink``), and wait until every record is committed.

    ``commit_progress(committed, total)`` is called while the writer catches up after the
    simulation. Raises :class:`RuntimeError` if the writer could not commit everything
    (records left in its spool or dead-lettered).
    """
    from crashdb.writer.round_writer import RoundWriter

    register_fleet_bots(db, config)
    if sink is not None:
        return simulate_fleet(config, sink, progress=progress)
    writer = RoundWriter(spool_dir=spool_dir, db=db, flush_interval=0.25, batch_size=2000)
    try:
        result = simulate_fleet(config, writer, progress=progress)
        while commit_progress is not None and writer.pending:
            commit_progress(writer.stats.committed_records, result.records)
            time.sleep(0.1)
        flushed = writer.flush()
        if commit_progress is not None:
            commit_progress(writer.stats.committed_records, result.records)
    finally:
        writer.close()
    stats = writer.stats
    if not flushed or stats.spooled_records or stats.dead_lettered_units or writer.backlog:
        raise RuntimeError(
            "the writer did not commit every simulated record "
            f"(spooled {stats.spooled_records}, dead-lettered {stats.dead_lettered_units}, "
            f"last error: {stats.last_error}); see {writer.spool_dir}"
        )
    return result
