"""``crashdb simulate``, ``montecarlo``, ``backtest`` and ``demo`` (``verify``: :mod:`._verify`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from crashdb.cli import _verify  # noqa: F401  (registers ``crashdb verify``)
from crashdb.cli._app import DbUrl, JsonFlag, app, console, err_console, open_db, print_json
from crashdb.cli._errors import CliError
from crashdb.cli._sim_output import (
    bot_table,
    compact_table,
    mc_tables,
    new_bar,
    pct,
    print_fleet,
    progress_bar,
)
from crashdb.cli._text import add_row, markup, plain

if TYPE_CHECKING:  # the simulator imports NumPy: loaded when a command runs
    from crashdb.db.engine import Database
    from crashdb.sim.fleet import FleetConfig, FleetResult
    from crashdb.sim.montecarlo import MonteCarloResult
    from crashdb.sim.strategies import Strategy

DEFAULT_GAMES = ["aviator", "aviatrix", "jetx"]


def _default_strategies() -> list[str]:
    from crashdb.sim.strategies import BUILTIN_STRATEGIES

    return list(BUILTIN_STRATEGIES)


StrategyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--strategy",
        "-s",
        help="Strategy spec, repeatable: compound_1.33x, martingale\\[max_stake=50], "
        "fixed_stake, kelly_criterion\\[edge=0.02], path/to/file.py:ClassName (add "
        "name=... to tell two of a kind apart). Default: the four built-ins.",
    ),
]
GameOpt = Annotated[
    list[str] | None,
    typer.Option("--game", "-g", help="Game, repeatable (aviator, aviatrix, jetx)."),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed: same seed, same result.")]
BankrollOpt = Annotated[str, typer.Option("--bankroll", help="Starting balance per session.")]
BaseStakeOpt = Annotated[str, typer.Option("--base-stake", help="Base stake of the strategies.")]
MaxStakeOpt = Annotated[
    str, typer.Option("--max-stake", help="Table limit (martingale, compound).")
]
RtpOpt = Annotated[
    str | None, typer.Option("--rtp", help="Override the games' published RTP (e.g. 0.97).")
]
StopLossOpt = Annotated[
    str | None, typer.Option("--stop-loss", help="End a session after losing this much.")
]
StartOpt = Annotated[
    datetime | None,
    typer.Option(
        "--start",
        formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"],
        help="UTC time of the first simulated round (default 2025-01-01; fixed, so the same "
        "seed gives identical rows).",
    ),
]
TakeProfitOpt = Annotated[
    str | None, typer.Option("--take-profit", help="End a session after winning this much.")
]


def _dec(value: str | None, option: str) -> Decimal | None:
    if value is None:
        return None
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise typer.BadParameter(f"{value!r} is not a number", param_hint=option) from None
    if not d.is_finite():
        raise typer.BadParameter(f"{value!r} is not finite", param_hint=option)
    return d


def _utc(value: datetime | None) -> datetime:
    if value is None:
        from crashdb.sim.simulate import DEFAULT_START

        return DEFAULT_START
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _req_dec(value: str, option: str) -> Decimal:
    d = _dec(value, option)
    assert d is not None
    return d


def _run_fleet_with_progress(db: Database, config: FleetConfig) -> FleetResult:
    """Simulate with one bar for the rounds played and one for the records committed."""
    from crashdb.sim.simulate import run_fleet

    with new_bar() as bar:
        play = bar.add_task(f"Simulating {config.sessions} sessions", total=config.max_rounds)
        commit = bar.add_task("Committing (RoundWriter)", total=None)

        def committed(done: int, total: int) -> None:
            bar.update(commit, completed=done, total=total)

        try:
            return run_fleet(
                db,
                config,
                progress=lambda n: bar.advance(play, n),
                commit_progress=committed,
            )
        except RuntimeError as exc:
            raise CliError(str(exc), "see `crashdb simulate --help`") from None


def _strategies(specs: Sequence[str] | None, game_rtp: Decimal, **kw: Any) -> list[Strategy]:
    from crashdb.sim.strategies import make_strategy

    try:
        return [make_strategy(s, rtp=game_rtp, **kw) for s in (specs or _default_strategies())]
    except (ValueError, TypeError, ImportError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--strategy") from None


def _check_games(games: Sequence[str]) -> None:
    from crashdb.sim.games import get_game

    for g in games:
        try:
            get_game(g)
        except KeyError as exc:
            raise typer.BadParameter(str(exc.args[0]), param_hint="--game") from None


# ------------------------------------------------------------------------------ commands


@app.command()
def simulate(
    db_url: DbUrl = None,
    bots: Annotated[int, typer.Option("--bots", min=1, help="Number of bots.")] = 6,
    games: GameOpt = None,
    strategies: StrategyOpt = None,
    rounds: Annotated[int, typer.Option("--rounds", min=1, help="Rounds per session.")] = 100,
    seed: SeedOpt = 0,
    start: StartOpt = None,
    bankroll: BankrollOpt = "100.00",
    base_stake: BaseStakeOpt = "1.00",
    max_stake: MaxStakeOpt = "50.00",
    rtp: RtpOpt = None,
    signal_rate: Annotated[
        float,
        typer.Option(
            "--signal-rate", min=0.0, max=1.0, help="Share of rounds with a chance-level signal."
        ),
    ] = 0.2,
    stop_loss: StopLossOpt = None,
    take_profit: TakeProfitOpt = None,
    monte_carlo_sessions: Annotated[
        int | None,
        typer.Option(
            "--monte-carlo",
            min=2,
            help="Instead: K Monte Carlo sessions per strategy and game (NumPy, nothing written).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Simulate a fleet (bots x games x strategies x rounds), logging every round."""
    from crashdb.sim.fleet import FleetConfig

    game_list = list(games or DEFAULT_GAMES)
    _check_games(game_list)
    if monte_carlo_sessions is not None:
        _run_monte_carlo(
            game_list,
            strategies,
            monte_carlo_sessions,
            rounds,
            seed,
            bankroll,
            base_stake,
            max_stake,
            rtp,
            stop_loss,
            take_profit,
            as_json,
        )
        return
    rtp_d = _dec(rtp, "--rtp")
    specs = list(strategies or _default_strategies())
    _strategies(specs, rtp_d or Decimal("0.97"), base_stake=base_stake, max_stake=max_stake)
    try:
        config = FleetConfig(
            bots=bots,
            games=game_list,
            strategies=specs,
            rounds=rounds,
            seed=seed,
            bankroll=_req_dec(bankroll, "--bankroll"),
            base_stake=_req_dec(base_stake, "--base-stake"),
            max_stake=_req_dec(max_stake, "--max-stake"),
            rtp=rtp_d,
            signal_rate=signal_rate,
            start=_utc(start),
            stop_loss=_dec(stop_loss, "--stop-loss"),
            take_profit=_dec(take_profit, "--take-profit"),
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--strategy") from None
    db = open_db(db_url)
    started = time.perf_counter()
    result = _run_fleet_with_progress(db, config)
    print_fleet(result, time.perf_counter() - started, as_json)


def _run_monte_carlo(
    games: Sequence[str],
    specs: Sequence[str] | None,
    sessions: int,
    rounds: int,
    seed: int,
    bankroll: str,
    base_stake: str,
    max_stake: str,
    rtp: str | None,
    stop_loss: str | None,
    take_profit: str | None,
    as_json: bool,
) -> None:
    from crashdb.sim.games import get_game
    from crashdb.sim.montecarlo import monte_carlo
    from crashdb.sim.strategies import KellyCriterion

    rtp_d = _dec(rtp, "--rtp")
    results: list[MonteCarloResult] = []
    kellys: list[str] = []
    for g, name in enumerate(games):
        game = get_game(name, rtp_d)
        strats = _strategies(
            specs,
            game.rtp,
            base_stake=base_stake,
            max_stake=max_stake,
            stop_loss=_dec(stop_loss, "--stop-loss"),
            take_profit=_dec(take_profit, "--take-profit"),
        )
        with progress_bar(f"Monte Carlo on {name}", sessions * rounds * len(strats)) as advance:
            for i, strat in enumerate(strats):
                r = monte_carlo(
                    strat,
                    game,
                    sessions=sessions,
                    rounds=rounds,
                    bankroll=_req_dec(bankroll, "--bankroll"),
                    seed=seed + 1000 * g + i,
                    progress=advance,
                )
                r.strategy = f"{strat.name} @ {name}" if len(games) > 1 else strat.name
                results.append(r)
                if isinstance(strat, KellyCriterion) and g == 0:
                    kellys.append(strat.explain())
    if as_json:
        print_json([r.as_dict() for r in results])
        return
    for table in mc_tables(results):
        console.print(table)
    for line in kellys:
        console.print(plain(line), style="dim")


@app.command("montecarlo")
def montecarlo_command(
    game: Annotated[str, typer.Option("--game", "-g", help="Game.")] = "aviator",
    strategies: StrategyOpt = None,
    sessions: Annotated[int, typer.Option("--sessions", "-k", min=2, help="Sessions (K).")] = 2000,
    rounds: Annotated[
        int, typer.Option("--rounds", "-m", min=1, help="Rounds per session.")
    ] = 1000,
    seed: SeedOpt = 0,
    bankroll: BankrollOpt = "100.00",
    base_stake: BaseStakeOpt = "1.00",
    max_stake: MaxStakeOpt = "50.00",
    rtp: RtpOpt = None,
    stop_loss: StopLossOpt = None,
    take_profit: TakeProfitOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Monte Carlo: K sessions per strategy; final balances, P(ruin), ROI vs RTP-1."""
    _check_games([game])
    _run_monte_carlo(
        [game],
        strategies,
        sessions,
        rounds,
        seed,
        bankroll,
        base_stake,
        max_stake,
        rtp,
        stop_loss,
        take_profit,
        as_json,
    )


@app.command("backtest")
def backtest_command(
    db_url: DbUrl = None,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv", exists=True, dir_okay=False, help="CSV with a crash_multiplier column."
        ),
    ] = None,
    column: Annotated[str, typer.Option("--column", help="CSV column.")] = "crash_multiplier",
    game: Annotated[str | None, typer.Option("--game", "-g", help="Recorded game.")] = None,
    platform: Annotated[str | None, typer.Option("--platform", "-p", help="Platform.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most N rounds.")] = None,
    strategies: StrategyOpt = None,
    bankroll: BankrollOpt = "100.00",
    base_stake: BaseStakeOpt = "1.00",
    max_stake: MaxStakeOpt = "50.00",
    rtp: RtpOpt = None,
    stop_loss: StopLossOpt = None,
    take_profit: TakeProfitOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Replay recorded multipliers (database or CSV) through strategies and compare them."""
    from crashdb.sim.backtest import backtest, load_multipliers_csv, load_multipliers_db
    from crashdb.sim.games import get_game

    if csv_file is not None:
        try:
            crashes = load_multipliers_csv(csv_file, column)
        except ValueError as exc:
            raise CliError(str(exc), "check the file and --column") from None
        if limit:
            crashes = crashes[:limit]
        source = str(csv_file)
    else:
        db = open_db(db_url)
        if game is not None:
            from crashdb.cli.listing import require_known

            require_known(db, "game", game)
        crashes = load_multipliers_db(db, game_name=game, platform_code=platform, limit=limit)
        source = f"{game or 'all games'} on {platform or 'all platforms'}"
    if not crashes:
        raise CliError(
            f"no recorded multipliers in {source}", "record rounds first, or pass --csv FILE"
        )
    rtp_d = _dec(rtp, "--rtp") or (get_game(game).rtp if game else Decimal("0.97"))
    strats = _strategies(
        strategies,
        rtp_d,
        base_stake=base_stake,
        max_stake=max_stake,
        stop_loss=_dec(stop_loss, "--stop-loss"),
        take_profit=_dec(take_profit, "--take-profit"),
    )
    start = _req_dec(bankroll, "--bankroll")
    with progress_bar(
        f"Backtesting {len(crashes):,} rounds", len(crashes) * len(strats)
    ) as advance:
        summaries = backtest(strats, crashes, start, progress=advance)
    mean = sum(crashes, Decimal(0)) / len(crashes)
    if as_json:
        print_json(
            {
                "source": source,
                "rounds": len(crashes),
                "rtp": str(rtp_d),
                "expected_roi": float(rtp_d) - 1,
                "strategies": [s.as_dict() for s in summaries],
            }
        )
        return
    table = compact_table(plain(f"Backtest: {len(crashes):,} rounds from {source}"))
    table.add_column("strategy", no_wrap=True)
    for col in ("rounds", "win%", "profit", "ROI%", "final", "max DD"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("ended")
    for s in summaries:
        add_row(
            table,
            s.strategy,
            f"{s.rounds:,}",
            "-" if s.win_rate is None else f"{s.win_rate * 100:.1f}",
            f"{s.profit:+,.2f}",
            pct(s.roi).rstrip("%"),
            f"{s.final_balance:,.2f}",
            f"{s.max_drawdown:,.2f}",
            "busted" if s.ruined else (s.stop_reason or "all rounds").split(":")[0],
        )
    table.caption = (
        f"Expected ROI of every strategy: RTP-1 = {pct(float(rtp_d) - 1)}. "
        f"Mean multiplier {mean:.2f}; starting balance {start}."
    )
    console.print(table)


@app.command()
def demo(
    db_url: DbUrl = None,
    bots: Annotated[int, typer.Option("--bots", min=1, help="Number of bots.")] = 6,
    rounds: Annotated[int, typer.Option("--rounds", min=1, help="Rounds per session.")] = 60,
    seed: SeedOpt = 2025,
    start: StartOpt = None,
    out: Annotated[Path, typer.Option("--out", help="Where to write the HTML report.")] = Path(
        "report.html"
    ),
) -> None:
    """The main job: initialize, simulate a small fleet, summarize, write report.html."""
    from crashdb.sim.fairness import verify_recorded_rounds
    from crashdb.sim.fleet import FleetConfig
    from crashdb.sim.games import get_game

    started = time.perf_counter()
    db = open_db(db_url, create=True, schema=False)
    target = db.url.render_as_string(hide_password=True)
    console.rule(Text("crashdb demo", style="bold"))
    db.init_db()
    console.print(markup("[green]1.[/green] Schema ready in {}", target))
    config = FleetConfig(bots=bots, rounds=rounds, seed=seed, start=_utc(start))
    console.print(
        markup(
            "[green]2.[/green] Simulating {} bots x {} games x {} strategies x {} rounds "
            "(RTP {}), logging every round through the RoundWriter",
            config.bots,
            len(config.games),
            len(config.strategies),
            config.rounds,
            ", ".join(f"{g} {get_game(g).rtp}" for g in config.games),
        )
    )
    sim_start = time.perf_counter()
    result = _run_fleet_with_progress(db, config)
    sim_elapsed = time.perf_counter() - sim_start
    console.print(markup("[green]3.[/green] Summary"))
    print_fleet(result, sim_elapsed, as_json=False)
    console.print(bot_table(result))
    checks = verify_recorded_rounds(db, game_name="aviator", limit=2000)
    console.print(
        markup(
            "[green]4.[/green] Provably fair: {} of {} Aviator rounds' seed commitments verify "
            "(`crashdb verify`).",
            f"{sum(c.ok for c in checks):,}",
            f"{len(checks):,}",
        )
    )
    _write_report(db, out)
    console.print(f"Done in {time.perf_counter() - started:.1f} s.", style="bold")


def _write_report(db: Database, out: Path) -> None:
    """The demo's report step; a failure here is loud (a broken Plotly must not pass quietly)."""
    from crashdb.report.html import write_report

    with err_console.status("Writing the report") as status:
        path = write_report(
            out, db=db, progress=lambda text: status.update(plain(f"Report: {text}"))
        )
    console.print(markup("[green]5.[/green] Report written to {}", path))
