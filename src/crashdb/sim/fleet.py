"""A fleet simulation's configuration and results (the engine is :mod:`crashdb.sim.simulate`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from crashdb.analytics.stats import ratio_ci_from_sums, wilson_interval
from crashdb.config import PLATFORMS
from crashdb.sim.backtest import DEFAULT_MIN_STAKE, SessionSummary
from crashdb.sim.games import CrashGame, get_game
from crashdb.sim.strategies import Strategy, make_strategy

__all__ = ["DEFAULT_START", "FleetConfig", "FleetResult", "SessionOutcome", "StrategyRow"]

DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class FleetConfig:
    """What to simulate. Strategy entries are specs (see :func:`crashdb.make_strategy`)."""

    bots: int = 6
    games: Sequence[str] = ("aviator", "aviatrix", "jetx")
    strategies: Sequence[str] = ("compound_1.33x", "martingale", "fixed_stake", "kelly_criterion")
    rounds: int = 100
    seed: int = 0
    bankroll: Decimal = Decimal("100.00")
    base_stake: Decimal = Decimal("1.00")
    max_stake: Decimal = Decimal("50.00")
    min_stake: Decimal = DEFAULT_MIN_STAKE
    rtp: Decimal | None = None
    signal_rate: float = 0.2
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    start: datetime = DEFAULT_START
    bot_prefix: str = "sim_bot"
    platforms: Sequence[str] = tuple(PLATFORMS)
    currency: str = "USD"

    def __post_init__(self) -> None:
        if self.bots < 1 or self.rounds < 1:
            raise ValueError("bots and rounds must be >= 1")
        if not self.games or not self.strategies:
            raise ValueError("need at least one game and one strategy")
        if not 0 <= self.signal_rate <= 1:
            raise ValueError("signal_rate must be in [0, 1]")
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        for g in self.games:
            game = get_game(g, self.rtp)  # unknown game -> KeyError now, not mid-run
            names = [self.strategy(spec, game).name for spec in self.strategies]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(
                    f"several strategies are named {', '.join(dupes)}: give them distinct "
                    "names, e.g. martingale[max_stake=20,name=martingale_20]"
                )

    @property
    def sessions(self) -> int:
        return self.bots * len(self.games) * len(self.strategies)

    @property
    def max_rounds(self) -> int:
        return self.sessions * self.rounds

    def game(self, name: str) -> CrashGame:
        return get_game(name, self.rtp)

    def strategy(self, spec: str, game: CrashGame) -> Strategy:
        return make_strategy(
            spec,
            base_stake=self.base_stake,
            max_stake=self.max_stake,
            rtp=game.rtp,
            stop_loss=self.stop_loss,
            take_profit=self.take_profit,
        )

    def bot_id(self, index: int) -> str:
        return f"{self.bot_prefix}_{index + 1:03d}"


@dataclass(slots=True)
class SessionOutcome:
    """One simulated session."""

    bot_id: str
    session_id: str
    game: str
    platform: str
    strategy: str
    rtp: Decimal
    summary: SessionSummary
    signals: int = 0
    signal_hits: int = 0
    signal_expected_hits: float = 0.0  # sum of P(crash >= target) = RTP / target


@dataclass(slots=True)
class StrategyRow:
    """A strategy's totals over every session of the fleet."""

    strategy: str
    sessions: int
    rounds: int
    bets: int
    wins: int
    staked: Decimal
    profit: Decimal
    final_balance_total: Decimal
    initial_balance_total: Decimal
    ruined: int
    expected_roi: float
    roi_ci: tuple[float, float] | None
    note: str = ""

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.bets if self.bets else None

    @property
    def win_rate_ci(self) -> tuple[float, float] | None:
        return wilson_interval(self.wins, self.bets) if self.bets else None

    @property
    def roi(self) -> float | None:
        return float(self.profit / self.staked) if self.staked else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "sessions": self.sessions,
            "rounds": self.rounds,
            "bets": self.bets,
            "wins": self.wins,
            "win_rate": self.win_rate,
            "win_rate_ci95": list(self.win_rate_ci) if self.win_rate_ci else None,
            "staked": str(self.staked),
            "profit": str(self.profit),
            "roi": self.roi,
            "roi_ci95": list(self.roi_ci) if self.roi_ci else None,
            "expected_roi": self.expected_roi,
            "initial_balance_total": str(self.initial_balance_total),
            "final_balance_total": str(self.final_balance_total),
            "ruined_sessions": self.ruined,
            "note": self.note,
        }


@dataclass(slots=True)
class FleetResult:
    """Every session of a fleet run, and aggregates."""

    config: FleetConfig
    sessions: list[SessionOutcome] = field(default_factory=list)
    digest: str = ""
    records: int = 0  # records logged (rounds, analytics rows, session start/end)

    @property
    def rounds(self) -> int:
        return sum(s.summary.rounds for s in self.sessions)

    @property
    def signals(self) -> tuple[int, int]:
        return sum(s.signals for s in self.sessions), sum(s.signal_hits for s in self.sessions)

    @property
    def signal_expected_hits(self) -> float:
        """Hits that chance alone predicts for the logged signals (sum of RTP / target)."""
        return sum(s.signal_expected_hits for s in self.sessions)

    def by_strategy(self) -> list[StrategyRow]:
        groups: dict[str, list[SessionOutcome]] = {}
        for s in self.sessions:
            groups.setdefault(s.strategy, []).append(s)
        rows = []
        for name, group in groups.items():
            sums = [g.summary for g in group]
            staked = sum((s.staked for s in sums), Decimal(0))
            profit = sum((s.profit for s in sums), Decimal(0))
            rtp = group[0].rtp
            rows.append(
                StrategyRow(
                    strategy=name,
                    sessions=len(group),
                    rounds=sum(s.rounds for s in sums),
                    bets=sum(s.bets for s in sums),
                    wins=sum(s.wins for s in sums),
                    staked=staked,
                    profit=profit,
                    final_balance_total=sum((s.final_balance for s in sums), Decimal(0)),
                    initial_balance_total=sum((s.initial_balance for s in sums), Decimal(0)),
                    ruined=sum(s.ruined for s in sums),
                    expected_roi=float(rtp) - 1.0,
                    roi_ci=_ratio_ci(
                        [float(s.profit) for s in sums], [float(s.staked) for s in sums]
                    ),
                    note="placed no bets" if all(s.bets == 0 for s in sums) else "",
                )
            )
        return rows


def _ratio_ci(profits: list[float], stakes: list[float]) -> tuple[float, float] | None:
    """95% interval of sum(profit) / sum(staked) from the spread across sessions."""
    _, ci = ratio_ci_from_sums(
        len(stakes),
        sum(profits),
        sum(stakes),
        sum(p * p for p in profits),
        sum(s * s for s in stakes),
        sum(p * s for p, s in zip(profits, stakes, strict=True)),
    )
    return ci
