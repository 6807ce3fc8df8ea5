"""Rich output shared by the simulation commands: progress bars and compact tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich import box
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from crashdb.cli._app import console, err_console, print_json
from crashdb.cli._text import add_row, plain

if TYPE_CHECKING:  # the simulator imports NumPy: loaded when a command runs
    from crashdb.sim.montecarlo import MonteCarloResult
    from crashdb.sim.simulate import FleetResult, StrategyRow

__all__ = [
    "bot_table",
    "ci_text",
    "compact_table",
    "mc_tables",
    "new_bar",
    "pct",
    "print_fleet",
    "progress_bar",
    "strategy_table",
]


def new_bar() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", style="progress.description", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    with new_bar() as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


def pct(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x * 100:+.{digits}f}%"


def ci_text(ci: tuple[float, float] | None, digits: int = 2) -> str:
    return "-" if ci is None else f"{ci[0] * 100:+.{digits}f}..{ci[1] * 100:+.{digits}f}%"


def strategy_table(rows: Sequence[StrategyRow], title: str) -> Table:
    """Per strategy: rounds, bets, win rate, ROI with its CI next to RTP-1, balances."""
    table = compact_table(title)
    table.add_column("strategy", no_wrap=True)
    for col in ("rounds", "bets", "win%", "ROI%", "95% CI", "RTP-1", "end bal", "bust"):
        table.add_column(col, justify="right", no_wrap=True)
    notes = []
    for r in rows:
        add_row(
            table,
            r.strategy,
            f"{r.rounds:,}",
            f"{r.bets:,}",
            "-" if r.win_rate is None else f"{r.win_rate * 100:.1f}",
            pct(r.roi, 1).rstrip("%"),
            ci_text(r.roi_ci, 1).rstrip("%"),
            pct(r.expected_roi, 1).rstrip("%"),
            f"{r.final_balance_total / r.sessions:,.2f}",
            f"{r.ruined}/{r.sessions}",
        )
        if r.note:
            notes.append(f"{r.strategy}: {r.note}")
    if rows:
        start = rows[0].initial_balance_total / rows[0].sessions
        notes.append(f"end bal: mean final balance per session (start {start:,.2f})")
    table.caption = plain("; ".join(notes))
    return table


def bot_table(result: FleetResult) -> Table:
    """Per bot: its platform, sessions, rounds, bets, profit and final balances."""
    table = compact_table("Bots")
    table.add_column("bot", no_wrap=True)
    table.add_column("platform", no_wrap=True)
    for col in ("sessions", "rounds", "bets", "profit", "final balances", "busted"):
        table.add_column(col, justify="right")
    bots: dict[str, list[Any]] = {}
    for s in result.sessions:
        bots.setdefault(s.bot_id, []).append(s)
    for bot_id, group in bots.items():
        sums = [g.summary for g in group]
        add_row(
            table,
            bot_id,
            group[0].platform,
            f"{len(group)}",
            f"{sum(m.rounds for m in sums):,}",
            f"{sum(m.bets for m in sums):,}",
            f"{sum((m.profit for m in sums), Decimal(0)):+,.2f}",
            f"{sum((m.final_balance for m in sums), Decimal(0)):,.2f}",
            f"{sum(m.ruined for m in sums)}",
        )
    return table


def print_fleet(result: FleetResult, elapsed: float, as_json: bool) -> None:
    from crashdb.sim.strategies import KellyCriterion

    rows = result.by_strategy()
    signals, hits = result.signals
    if as_json:
        print_json(
            {
                "sessions": len(result.sessions),
                "rounds": result.rounds,
                "seed": result.config.seed,
                "digest": result.digest,
                "elapsed_seconds": round(elapsed, 3),
                "signals": {
                    "logged": signals,
                    "hits": hits,
                    "expected_hits_by_chance": round(result.signal_expected_hits, 2),
                },
                "strategies": [r.as_dict() for r in rows],
            }
        )
        return
    console.print(strategy_table(rows, "Strategies over the simulated fleet"))
    console.print(
        f"{len(result.sessions)} sessions, {result.rounds:,} rounds logged in {elapsed:.1f} s "
        f"(seed {result.config.seed}, digest {result.digest}). "
        f"Chance-level signals: {signals:,} logged, {hits:,} hit their target "
        f"(chance alone predicts {result.signal_expected_hits:,.0f})."
    )
    console.print(
        "Every target returns RTP-1 per unit staked in expectation: strategies change "
        "the spread of results, not the mean.",
        style="dim",
    )
    for spec in dict.fromkeys(result.config.strategies):
        game = result.config.game(result.config.games[0])
        strategy = result.config.strategy(spec, game)
        inner = getattr(strategy, "inner", strategy)
        if isinstance(inner, KellyCriterion):
            console.print(plain(inner.explain()), style="dim")


def compact_table(title: str) -> Table:
    return Table(
        title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, show_edge=False
    )


def mc_tables(results: Sequence[MonteCarloResult]) -> list[Table]:
    """Final-balance percentiles; then bets, P(ruin) and ROI with 95% CIs next to RTP-1."""
    first = results[0]
    balances = compact_table(
        f"Monte Carlo: final balances ({first.sessions:,} sessions x {first.rounds:,} rounds, "
        f"start {first.initial_balance:,.2f})"
    )
    balances.add_column("strategy", no_wrap=True)
    for col in ("mean", "p5", "p25", "median", "p75", "p95"):
        balances.add_column(col, justify="right", no_wrap=True)
    risk = compact_table("Monte Carlo: ruin and return")
    risk.add_column("strategy", no_wrap=True)
    for col in ("bets", "P(ruin)%", "95% CI", "ROI%", "95% CI ", "RTP-1"):
        risk.add_column(col, justify="right", no_wrap=True)
    for r in results:
        p = r.percentiles()
        add_row(
            balances,
            r.strategy,
            f"{float(r.final_balances.mean()):,.2f}",
            *(f"{p[q]:,.2f}" for q in (5, 25, 50, 75, 95)),
        )
        lo, hi = r.ruin_ci
        add_row(
            risk,
            r.strategy,
            f"{r.total_bets:,}",
            f"{r.ruin_probability * 100:.1f}",
            f"{lo * 100:.1f}..{hi * 100:.1f}",
            pct(r.roi).rstrip("%"),
            ci_text(r.roi_ci).rstrip("%"),
            pct(r.expected_roi).rstrip("%"),
        )
    return [balances, risk]
