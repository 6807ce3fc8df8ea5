"""CLI commands: stats, distribution, signals, export, cleanup, size, refresh.

Every command prints Rich tables, or the function's JSON dict with ``--json``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from crashdb.analytics import (
    get_bot_statistics,
    get_game_statistics,
    get_multiplier_distribution,
    get_session_summary,
    get_signal_effectiveness,
    get_strategy_performance,
)
from crashdb.analytics.export import EXPORT_FORMATS, export_multipliers, export_rounds
from crashdb.analytics.maintenance import cleanup_old_records, get_database_size
from crashdb.cli._app import DbUrl, JsonFlag, app, console, err_console, open_db, print_json
from crashdb.db.models import CrashGameRound


class Subject(StrEnum):
    bot = "bot"
    session = "session"
    game = "game"
    strategy = "strategy"


class ExportKind(StrEnum):
    rounds = "rounds"
    multipliers = "multipliers"


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return (
            f"{value:.6g}"
            if abs(value) < 1e-3 and value != 0
            else f"{value:,.4f}".rstrip("0").rstrip(".")
        )
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, float) for v in value):
        return f"[{_fmt(value[0])}, {_fmt(value[1])}]"
    return str(value)


def _kv_table(title: str, data: dict[str, Any]) -> Table:
    """Scalars as rows; each X next to its X_ci95."""
    table = Table("metric", "value", "95% CI", title=title, title_justify="left")
    for key, value in data.items():
        if key.endswith("_ci95") or isinstance(value, dict):
            continue
        if isinstance(value, list):
            if value and not isinstance(value[0], dict):
                table.add_row(key, ", ".join(map(str, value)), "")
            continue
        table.add_row(key, _fmt(value), _fmt(data.get(f"{key}_ci95")))
    return table


def _not_found(kind: str, ident: str) -> None:
    console.print(f"[yellow]No {kind} {ident!r} in the database (empty result).[/yellow]")


@app.command()
def stats(
    subject: Annotated[Subject, typer.Argument(help="bot | session | game | strategy")],
    ident: Annotated[str, typer.Argument(help="bot id, session id, game name or strategy name")],
    platform: Annotated[str | None, typer.Option(help="game only: one platform")] = None,
    start: Annotated[str | None, typer.Option(help="from this date/ISO time (UTC)")] = None,
    end: Annotated[str | None, typer.Option(help="up to this date (inclusive) / ISO time")] = None,
    db_url: DbUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Statistics with confidence intervals for a bot, session, game or strategy."""
    db = open_db(db_url)
    if subject is Subject.bot:
        result = get_bot_statistics(ident, start, end, db=db)
    elif subject is Subject.session:
        result = get_session_summary(ident, db=db)
    elif subject is Subject.game:
        result = get_game_statistics(ident, platform, start, end, db=db)
    else:
        result = get_strategy_performance(ident, start, end, db=db)
    if as_json:
        print_json(result)
        return
    if not result["found"]:
        _not_found(subject.value, ident)
    console.print(_kv_table(f"{subject.value} {ident}", result))
    if subject is Subject.game and result["found"]:
        by_target = Table(
            "target",
            "hits",
            "hit rate %",
            "95% CI",
            "chance RTP/x %",
            "return / unit",
            "95% CI",
            title="Fixed targets: every one returns ~RTP per unit staked",
        )
        for row in result["rtp_by_target"]:
            by_target.add_row(
                _fmt(row["target"]),
                str(row["hits"]),
                _fmt(row["hit_rate_percent"]),
                _fmt(row["hit_rate_percent_ci95"]),
                _fmt(row["expected_hit_rate_percent"]),
                _fmt(row["return_per_unit"]),
                _fmt(row["return_per_unit_ci95"]),
            )
        console.print(by_target)
    if "verdict" in result:
        console.print(f"[bold]{result['verdict']}[/bold]")


@app.command()
def distribution(
    game: Annotated[str, typer.Argument(help="game name, e.g. aviator")],
    limit: Annotated[int, typer.Option(help="most recent game rounds to analyse")] = 10000,
    platform: Annotated[str | None, typer.Option(help="one platform only")] = None,
    db_url: DbUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Crash multiplier histogram against the theoretical P(crash >= x) = RTP/x."""
    db = open_db(db_url)
    result = get_multiplier_distribution(game, limit=limit, platform_code=platform, db=db)
    if as_json:
        print_json(result)
        return
    if not result["found"]:
        _not_found("game", game)
        return
    table = Table(
        "from",
        "to",
        "rounds",
        "observed %",
        "expected %",
        title=(
            f"{game}: last {result['rounds_analyzed']:,} game rounds "
            f"(RTP {result['published_rtp']})"
        ),
    )
    for b in result["bins"]:
        table.add_row(
            _fmt(b["low"]),
            _fmt(b["high"]) if b["high"] else "inf",
            f"{b['count']:,}",
            _fmt(b["percent"]),
            _fmt(b["expected_percent"]),
        )
    console.print(table)
    gof = result["goodness_of_fit"]
    if gof and gof["p_value"] is not None:
        console.print(
            f"Chi-square fit: statistic {gof['statistic']:.2f}, df {gof['df']}, "
            f"p = {gof['p_value']:.3g}"
        )


@app.command()
def signals(
    bot: Annotated[str | None, typer.Option(help="one bot only")] = None,
    signal_type: Annotated[str | None, typer.Option("--type", help="one signal type only")] = None,
    game: Annotated[str | None, typer.Option(help="one game only")] = None,
    db_url: DbUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Signal hit rates against chance (RTP/target), with p-values and calibration."""
    db = open_db(db_url)
    result = get_signal_effectiveness(bot, signal_type, game, db=db)
    if as_json:
        print_json(result)
        return
    if not result["found"]:
        console.print("[yellow]No signals match (empty result).[/yellow]")
        return
    table = Table(
        "signal type",
        "resolved",
        "hit rate %",
        "95% CI",
        "chance %",
        "p-value",
        "significant",
        "Brier",
        "chance Brier",
        title="Signals vs chance",
    )
    for t in result["signal_types"]:
        table.add_row(
            t["signal_type"],
            f"{t['resolved_signals']:,}",
            _fmt(t["hit_rate_percent"]),
            _fmt(t["hit_rate_percent_ci95"]),
            _fmt(t["baseline_hit_rate_percent"]),
            _fmt(t["p_value"]),
            _fmt(t["significant"]),
            _fmt(t["brier_score"]),
            _fmt(t["baseline_brier_score"]),
        )
    console.print(table)
    for t in result["signal_types"]:
        console.print(f"[bold]{t['signal_type']}[/bold]: {t['verdict']}")


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Argument(help="output file (.jsonl, .csv or .parquet)")],
    kind: Annotated[
        ExportKind, typer.Option("--what", help="rounds or multipliers")
    ] = ExportKind.rounds,
    fmt: Annotated[str | None, typer.Option("--format", help=f"one of {EXPORT_FORMATS}")] = None,
    bot: Annotated[str | None, typer.Option(help="filter: bot id")] = None,
    game: Annotated[str | None, typer.Option(help="filter: game name")] = None,
    platform: Annotated[str | None, typer.Option(help="filter: platform code")] = None,
    start: Annotated[str | None, typer.Option(help="filter: from date/ISO time (UTC)")] = None,
    end: Annotated[str | None, typer.Option(help="filter: to date (inclusive)/ISO time")] = None,
    chunk_size: Annotated[int, typer.Option(help="rows per chunk")] = 10_000,
    db_url: DbUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Stream rounds or multipliers to JSON Lines, CSV or Parquet, with a progress bar."""
    db = open_db(db_url)
    total = None
    if kind is ExportKind.rounds:
        from crashdb.analytics.export import round_filters

        where = round_filters(bot, game, platform, start, end)
        with db.engine.connect() as conn:
            total = conn.execute(
                select(func.count()).select_from(CrashGameRound).where(*where)
            ).scalar_one()
    fn = export_rounds if kind is ExportKind.rounds else export_multipliers
    progress = Progress(
        TextColumn("[bold]exporting {task.fields[what]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=as_json,
    )
    try:
        with progress:
            task = progress.add_task("export", total=total, what=kind.value)
            result = fn(
                out,
                fmt,
                bot_id=bot,
                game_name=game,
                platform_code=platform,
                start_date=start,
                end_date=end,
                chunk_size=chunk_size,
                db=db,
                progress=lambda n: progress.advance(task, n),
            )
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if as_json:
        print_json(result)
    else:
        console.print(
            f"[green]Wrote {result['rows']:,} {kind.value} to {result['path']}[/green] "
            f"({result['format']}, {result['bytes']:,} bytes)"
        )


@app.command()
def cleanup(
    older_than: Annotated[int, typer.Option("--older-than", help="days to keep")] = 90,
    apply: Annotated[
        bool, typer.Option("--apply", help="really delete (default: dry run)")
    ] = False,
    batch_size: Annotated[int, typer.Option(help="rounds per delete batch")] = 10_000,
    db_url: DbUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Delete rounds older than N days and the rows that point at them (dry run by default)."""
    db = open_db(db_url)
    result = cleanup_old_records(older_than, dry_run=not apply, batch_size=batch_size, db=db)
    if as_json:
        print_json(result)
        return
    verb = "Would delete" if result["dry_run"] else "Deleted"
    table = Table("table", "rows", title=f"{verb} rows older than {result['cutoff']}")
    for name, count in result["tables"].items():
        table.add_row(name, f"{count:,}")
    table.add_row("[bold]total[/bold]", f"[bold]{result['total_records']:,}[/bold]")
    console.print(table)
    if result["dry_run"]:
        console.print("Dry run: nothing deleted. Add --apply to delete.")


@app.command()
def size(db_url: DbUrl = None, as_json: JsonFlag = False) -> None:
    """Rows per table and bytes on disk."""
    db = open_db(db_url)
    result = get_database_size(db=db)
    if as_json:
        print_json(result)
        return
    table = Table("table", "rows", "bytes", title=f"Database size: {result['bytes']:,} bytes")
    for name, count in result["tables"].items():
        size_bytes = (result["table_bytes"] or {}).get(name)
        table.add_row(name, f"{count:,}", f"{size_bytes:,}" if size_bytes is not None else "-")
    table.add_row("[bold]total[/bold]", f"[bold]{result['total_records']:,}[/bold]", "")
    console.print(table)


@app.command()
def refresh(
    db_url: DbUrl = None,
    as_json: JsonFlag = False,
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild every summary from the rounds.")
    ] = False,
) -> None:
    """Bring the analytics summaries up to date (rounds written into a SQLite file by another
    program), or rebuild them from the rounds with --full."""
    from crashdb.db.folds import refresh as refresh_summaries

    db = open_db(db_url)
    result = refresh_summaries(db.engine, full=full)
    if as_json:
        print_json(result)
    else:
        what = "Rebuilt" if full else "Refreshed"
        console.print(f"[green]{what} the summaries[/green] ({result['folded']:,} rounds folded)")
