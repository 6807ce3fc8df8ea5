"""Play strategies over a sequence of crash multipliers: the engine of simulations and backtests.

:func:`play_session` runs one strategy over rounds and yields every :class:`RoundResult`;
:func:`run_session` does the same and returns a :class:`SessionSummary`. :func:`backtest`
replays one recorded sequence of multipliers through several strategies (each from the same
starting bankroll) and :func:`load_multipliers_csv` / :func:`load_multipliers_db` read
recorded sequences. Nothing here writes to a database.

Settlement: a bet wins when ``crash >= target`` (the cash-out was reached) and then earns
``stake * (target - 1)``; otherwise it loses the stake. Stakes larger than the bankroll are
cut to the bankroll; a bankroll below ``min_stake`` ends the session (ruin).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from crashdb.analytics.stats import wilson_interval
from crashdb.db.models import CrashGameRound
from crashdb.sim.games import decimal_to_cents
from crashdb.sim.strategies import MIN_STAKE, Bet, RoundResult, Strategy, quantize_stake

if TYPE_CHECKING:
    from crashdb.db.engine import Database

__all__ = [
    "SessionSummary",
    "backtest",
    "load_multipliers_csv",
    "load_multipliers_db",
    "play_session",
    "run_session",
    "settle",
]

ZERO = Decimal(0)
DEFAULT_MIN_STAKE = MIN_STAKE


def settle(bet: Bet, crash: Decimal) -> tuple[bool, Decimal]:
    """``(won, profit)`` of ``bet`` in a round that crashed at ``crash``."""
    if crash >= bet.target:
        return True, bet.stake * (bet.target - 1)
    return False, -bet.stake


@dataclass(slots=True)
class SessionSummary:
    """What one strategy did over one sequence of rounds."""

    strategy: str
    initial_balance: Decimal
    final_balance: Decimal = ZERO
    rounds: int = 0
    bets: int = 0
    wins: int = 0
    staked: Decimal = ZERO
    profit: Decimal = ZERO
    peak_balance: Decimal = ZERO
    max_drawdown: Decimal = ZERO
    stop_reason: str | None = None
    ruined: bool = False
    results: list[RoundResult] = field(default_factory=list, repr=False)

    @property
    def losses(self) -> int:
        return self.bets - self.wins

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.bets if self.bets else None

    @property
    def roi(self) -> float | None:
        """Profit per unit staked (``RTP - 1`` in expectation)."""
        return float(self.profit / self.staked) if self.staked else None

    def win_rate_ci(self, confidence: float = 0.95) -> tuple[float, float] | None:
        """Wilson score interval of the win rate."""
        return wilson_interval(self.wins, self.bets, confidence) if self.bets else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "rounds": self.rounds,
            "bets": self.bets,
            "wins": self.wins,
            "win_rate": self.win_rate,
            "staked": str(self.staked),
            "profit": str(self.profit),
            "roi": self.roi,
            "initial_balance": str(self.initial_balance),
            "final_balance": str(self.final_balance),
            "max_drawdown": str(self.max_drawdown),
            "stop_reason": self.stop_reason,
            "ruined": self.ruined,
        }


def play_session(
    strategy: Strategy,
    crashes: Iterable[Decimal],
    bankroll: Decimal,
    *,
    min_stake: Decimal = DEFAULT_MIN_STAKE,
    first_round: int = 1,
    history: list[RoundResult] | None = None,
) -> Iterator[RoundResult]:
    """Yield one :class:`RoundResult` per round until the rounds run out or the session ends.

    The session ends when the strategy gives a ``stop_reason`` or the bankroll is below
    ``min_stake``; skipped rounds (no bet) are yielded with ``bet=None``. ``history`` (if
    given) is the list the strategy sees, and is appended to.
    """
    seen: list[RoundResult] = [] if history is None else history
    balance = bankroll
    for number, crash in enumerate(crashes, start=first_round):
        if balance < min_stake or strategy.stop_reason(seen, balance) is not None:
            return
        bet = strategy.decide(seen, balance)
        if bet is not None and bet.stake > balance:
            stake = quantize_stake(balance)
            bet = Bet(stake, bet.target, bet.step) if stake > 0 else None
        if bet is not None and bet.stake < min_stake:
            bet = None
        if bet is None:
            result = RoundResult(number, crash, None, None, ZERO, balance, balance)
        else:
            won, profit = settle(bet, crash)
            after = balance + profit
            result = RoundResult(number, crash, bet, won, profit, balance, after)
            balance = after
        seen.append(result)
        yield result


def run_session(
    strategy: Strategy,
    crashes: Iterable[Decimal],
    bankroll: Decimal,
    *,
    min_stake: Decimal = DEFAULT_MIN_STAKE,
    keep_results: bool = False,
) -> SessionSummary:
    """Play ``strategy`` over ``crashes`` and summarize (keep every round if asked)."""
    summary = SessionSummary(strategy.name, bankroll, bankroll, peak_balance=bankroll)
    history: list[RoundResult] = []
    for r in play_session(strategy, crashes, bankroll, min_stake=min_stake, history=history):
        _accumulate(summary, r)
    _finish(summary, strategy, history, min_stake)
    if keep_results:
        summary.results = history
    return summary


def _accumulate(summary: SessionSummary, r: RoundResult) -> None:
    summary.rounds += 1
    if r.bet is not None:
        summary.bets += 1
        summary.staked += r.bet.stake
        summary.wins += bool(r.won)
        summary.profit += r.profit
    summary.final_balance = r.balance_after
    if r.balance_after > summary.peak_balance:
        summary.peak_balance = r.balance_after
    drawdown = summary.peak_balance - r.balance_after
    if drawdown > summary.max_drawdown:
        summary.max_drawdown = drawdown


def _finish(
    summary: SessionSummary,
    strategy: Strategy,
    history: Sequence[RoundResult],
    min_stake: Decimal,
) -> None:
    if summary.final_balance < min_stake:
        summary.ruined = True
        summary.stop_reason = f"ruin: balance {summary.final_balance} < min stake {min_stake}"
    else:
        summary.stop_reason = strategy.stop_reason(history, summary.final_balance)


def backtest(
    strategies: Sequence[Strategy],
    crashes: Sequence[Decimal],
    bankroll: Decimal,
    *,
    min_stake: Decimal = DEFAULT_MIN_STAKE,
    progress: Callable[[int], None] | None = None,
) -> list[SessionSummary]:
    """Replay the same ``crashes`` through each strategy from the same ``bankroll``."""
    out = []
    for strategy in strategies:
        out.append(run_session(strategy, crashes, bankroll, min_stake=min_stake))
        if progress is not None:
            progress(len(crashes))
    return out


def _parse_multiplier(raw: str, where: str) -> Decimal:
    try:
        value = Decimal(raw.strip().rstrip("xX"))
    except InvalidOperation:
        raise ValueError(f"{where}: crash_multiplier {raw!r} is not a number") from None
    if not value.is_finite() or value < 1:
        raise ValueError(f"{where}: crash_multiplier {raw!r} must be a number >= 1.00")
    return Decimal(decimal_to_cents(value)).scaleb(-2)


def load_multipliers_csv(path: str | Path, column: str = "crash_multiplier") -> list[Decimal]:
    """The ``column`` of a CSV file (with a header row), in file order; blanks are skipped."""
    out: list[Decimal] = []
    with Path(path).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or column not in reader.fieldnames:
            raise ValueError(f"{path}: no {column!r} column (found {reader.fieldnames})")
        for line, row in enumerate(reader, start=2):
            raw = row.get(column) or ""
            if raw.strip():
                out.append(_parse_multiplier(raw, f"{path}:{line}"))
    return out


def load_multipliers_db(
    db: Database,
    *,
    game_name: str | None = None,
    platform_code: str | None = None,
    limit: int | None = None,
) -> list[Decimal]:
    """Recorded crash multipliers in time order, one per game round.

    Several bots (or bet slots) in the same game round record the same crash: rows that share
    ``(game, platform, round_external_id)`` count once. Rows without an external round id
    count once per (bot, session, round number).
    """
    stmt = select(
        CrashGameRound.game_name,
        CrashGameRound.platform_code,
        CrashGameRound.round_external_id,
        CrashGameRound.bot_id,
        CrashGameRound.session_id,
        CrashGameRound.round_number,
        CrashGameRound.crash_multiplier,
    ).where(CrashGameRound.crash_multiplier.is_not(None))
    if game_name:
        stmt = stmt.where(CrashGameRound.game_name == game_name)
    if platform_code:
        stmt = stmt.where(CrashGameRound.platform_code == platform_code)
    stmt = stmt.order_by(
        CrashGameRound.round_start_timestamp, CrashGameRound.round_number, CrashGameRound.id
    )
    seen: set[tuple[Any, ...]] = set()
    out: list[Decimal] = []
    with db.engine.connect() as conn:
        for row in conn.execute(stmt.execution_options(yield_per=5000)):
            key: tuple[Any, ...] = (
                (row.game_name, row.platform_code, row.round_external_id)
                if row.round_external_id
                else (row.bot_id, row.session_id, row.round_number)
            )
            if key in seen:
                continue
            seen.add(key)
            out.append(row.crash_multiplier)
            if limit is not None and len(out) >= limit:
                break
    return out
