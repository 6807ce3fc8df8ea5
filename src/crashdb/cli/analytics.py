"""CLI commands: stats, distribution, signals, export, cleanup, size, refresh.

Every command prints Rich tables, or the function's JSON dict with ``--json``. The analytics
(SciPy) and the exports (pyarrow) are imported when a command runs, not at start-up.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from crashdb.cli._app import DbUrl, JsonFlag, app, console, err_console, open_db, print_json
from crashdb.cli._errors import CliError
from crashdb.cli._text import add_row, markup, plain
from crashdb.cli.listing import require_known


class Subject(StrEnum):
    bot = "bot"
    session = "session"
    game = "game"
    strategy = "strategy"


class ExportKind(StrEnum):
    rounds = "rounds"
    multipliers = "multipliers"


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


def _when(value: str | None) -> str | None:
    """A ``--start`` / ``--end`` value: a date (YYYY-MM-DD) or an ISO-8601 time."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD) or an ISO-8601 time (2026-03-01T12:00:00)"
        ) from None
    return value


StartOpt = Annotated[
    str | None,
    typer.Option(
        "--start", callback=_when, help="From this date or ISO time (UTC), e.g. 2026-03-01."
    ),
]
EndOpt = Annotated[
    str | None,
    typer.Option(
        "--end", callback=_when, help="Up to this date (inclusive) or ISO time (exclusive)."
    ),
]


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
    table = Table("metric", "value", "95% CI", title=plain(title), title_justify="left")
    for key, value in data.items():
        if key.endswith("_ci95") or isinstance(value, dict):
            continue
        if isinstance(value, list):
            if value and not isinstance(value[0], dict):
                add_row(table, key, ", ".join(map(str, value)), "")
            continue
        add_row(table, key, _fmt(value), _fmt(data.get(f"{key}_ci95")))
    return table


@app.command()
def stats(
    subject: Annotated[Subject, typer.Argument(help="bot | session | game | strategy")],
    ident: Annotated[str, typer.Argument(help="bot id, session id, game name or strategy name")],
    platform: Annotated[str | None, typer.Option(help="game only: one platform")] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    db_url: DbUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Statistics with confidence intervals for a bot, session, game or strategy."""
    import crashdb.analytics as analytics

    db = open_db(db_url)
    require_known(db, subject.value, ident)
    if subject is Subject.bot:
        result = analytics.get_bot_statistics(ident, start, end, db=db)
    elif subject is Subject.session:
        result = analytics.get_session_summary(ident, db=db)
    elif subject is Subject.game:
        result = analytics.get_game_statistics(ident, platform, start, end, db=db)
    else:
        result = analytics.get_strategy_performance(ident, start, end, db=db)
    if as_json:
        print_json(result)
        return
    console.print(_kv_table(f"{subject.value} {ident}", result))
    if subject is Subject.game and result.get("rtp_by_target"):
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
            add_row(
                by_target,
                _fmt(row["target"]),
                str(row["hits"]),
                _fmt(row["hit_rate_percent"]),
                _fmt(row["hit_rate_percent_ci95"]),
                _fmt(row["expected_hit_rate_percent"]),
                _fmt(row["return_per_unit"]),
                _fmt(row["return_per_unit_ci95"]),
            )
        console.print(by_target)
    if result.get("verdict"):
        console.print(Text(plain(result["verdict"]), style="bold"))


@app.command()
def distribution(
    game: Annotated[str, typer.Argument(help="game name, e.g. aviator")],
    limit: Annotated[int, typer.Option(min=1, help="most recent game rounds to analyse")] = 10000,
    platform: Annotated[str | None, typer.Option(help="one platform only")] = None,
    db_url: DbUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Crash multiplier histogram against the theoretical P(crash >= x) = RTP/x."""
    from crashdb.analytics import get_multiplier_distribution

    db = open_db(db_url)
    require_known(db, "game", game)
    result = get_multiplier_distribution(game, limit=limit, platform_code=platform, db=db)
    if as_json:
        print_json(result)
        return
    if not result.get("found", True) or not result.get("bins"):
        console.print(markup("No crash multipliers recorded for {} yet.", game), style="yellow")
        return
    table = Table(
        "from",
        "to",
        "rounds",
        "observed %",
        "expected %",
        title=plain(
            f"{game}: last {result['rounds_analyzed']:,} game rounds "
            f"(RTP {result['published_rtp']})"
        ),
    )
    for b in result["bins"]:
        add_row(
            table,
            _fmt(b["low"]),
            _fmt(b["high"]) if b["high"] else "inf",
            f"{b['count']:,}",
            _fmt(b["percent"]),
            _fmt(b["expected_percent"]),
        )
    console.print(table)
    gof = result.get("goodness_of_fit")
    if gof and gof.get("p_value") is not None:
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
    from crashdb.analytics import get_signal_effectiveness

    db = open_db(db_url)
    require_known(db, "bot", bot)
    require_known(db, "game", game)
    result = get_signal_effectiveness(bot, signal_type, game, db=db)
    if as_json:
        print_json(result)
        return
    types = result.get("signal_types") or []
    if not types:
        console.print("No signals match (empty result).", style="yellow")
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
    for t in types:
        add_row(
            table,
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
    for t in types:
        console.print(markup("[bold]{}[/bold]: {}", t["signal_type"], t["verdict"]))


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Argument(help="Output file (.jsonl or .json, .csv, .parquet).")],
    kind: Annotated[
        ExportKind, typer.Option("--what", help="rounds or multipliers")
    ] = ExportKind.rounds,
    fmt: Annotated[
        ExportFormat | None,
        typer.Option("--format", help="Default: from the suffix (.json means JSON Lines)."),
    ] = None,
    bot: Annotated[str | None, typer.Option(help="filter: bot id")] = None,
    game: Annotated[str | None, typer.Option(help="filter: game name")] = None,
    platform: Annotated[str | None, typer.Option(help="filter: platform code")] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    chunk_size: Annotated[int, typer.Option(min=1, help="rows per chunk")] = 10_000,
    db_url: DbUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Stream rounds or multipliers to JSON Lines, CSV or Parquet, with a progress bar.

    A round export loads back with `crashdb import`. In CSV, a text cell that a spreadsheet
    would run as a formula (starting with = + - @, a tab or a carriage return) is written with
    a leading apostrophe; `crashdb import` removes it again.
    """
    from crashdb.analytics.export import export_multipliers, export_rounds, format_of, row_count

    try:
        kind_format = format_of(out, fmt.value if fmt else None)
    except ValueError as exc:
        raise CliError(
            str(exc), "pass --format jsonl, --format csv or --format parquet", 2
        ) from None
    db = open_db(db_url)
    require_known(db, "bot", bot)
    require_known(db, "game", game)
    filters: dict[str, Any] = {
        "bot_id": bot,
        "game_name": game,
        "platform_code": platform,
        "start_date": start,
        "end_date": end,
    }
    total = row_count(db, **filters) if kind is ExportKind.rounds else None
    fn = export_rounds if kind is ExportKind.rounds else export_multipliers
    progress = Progress(
        TextColumn("exporting {task.fields[what]}", style="bold", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=as_json,
    )
    with progress:
        task = progress.add_task("export", total=total, what=kind.value)
        result = fn(
            out,
            kind_format,
            **filters,
            chunk_size=chunk_size,
            db=db,
            progress=lambda n: progress.advance(task, n),
        )
    if as_json:
        print_json(result)
    else:
        console.print(
            markup(
                "[green]Wrote {} {} to {}[/green] ({}, {} bytes)",
                f"{result['rows']:,}",
                kind.value,
                result["path"],
                result["format"],
                f"{result['bytes']:,}",
            )
        )


@app.command()
def cleanup(
    older_than: Annotated[
        int, typer.Option("--older-than", min=0, help="Delete rounds older than this many days.")
    ] = 90,
    apply: Annotated[
        bool, typer.Option("--apply", help="Really delete (default: a dry run that only counts).")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Rounds per delete batch.")] = 10_000,
    db_url: DbUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Delete rounds older than N days and the rows that point at them (dry run by default)."""
    from crashdb.analytics.maintenance import cleanup_old_records

    db = open_db(db_url)
    result = cleanup_old_records(older_than, dry_run=not apply, batch_size=batch_size, db=db)
    if as_json:
        print_json(result)
        return
    verb = "Would delete" if result["dry_run"] else "Deleted"
    table = Table("table", "rows", title=f"{verb} rows older than {result['cutoff_date']}")
    for name, count in result["tables"].items():
        add_row(table, name, f"{count:,}")
    add_row(table, Text("total", style="bold"), Text(f"{result['total_records']:,}", "bold"))
    console.print(table)
    if result["dry_run"]:
        console.print("Dry run: nothing deleted. Add --apply to delete.")


@app.command()
def size(db_url: DbUrl = None, as_json: JsonFlag = False) -> None:
    """Rows per table and bytes on disk."""
    from crashdb.analytics.maintenance import get_database_size

    db = open_db(db_url)
    result = get_database_size(db=db)
    if as_json:
        print_json(result)
        return
    table = Table("table", "rows", "bytes", title=f"Database size: {result['bytes']:,} bytes")
    for name, count in result["tables"].items():
        size_bytes = (result["table_bytes"] or {}).get(name)
        add_row(table, name, f"{count:,}", f"{size_bytes:,}" if size_bytes is not None else "-")
    add_row(table, Text("total", style="bold"), Text(f"{result['total_records']:,}", "bold"), "")
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
        console.print(
            markup(
                "[green]{} the summaries[/green] ({} rounds folded)", what, f"{result['folded']:,}"
            )
        )
