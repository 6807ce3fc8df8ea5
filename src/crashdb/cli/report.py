"""CLI command: ``crashdb report``, the self-contained HTML report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from crashdb.cli._app import DbUrl, app, console, err_console, open_db
from crashdb.db.engine import Database

__all__ = ["build_report"]


def build_report(
    db: Database,
    out: Path,
    *,
    bot_id: str | None = None,
    session_id: str | None = None,
    strategy_name: str | None = None,
    game_name: str | None = None,
) -> Path:
    """Write the report with a Rich status line naming each step (also used by ``demo``)."""
    from crashdb.report.html import write_report

    with console.status("Building the report", spinner="dots") as status:

        def progress(step: str) -> None:
            status.update(f"Building the report: {escape(step)}")

        return write_report(
            out,
            db=db,
            bot_id=bot_id,
            session_id=session_id,
            strategy_name=strategy_name,
            game_name=game_name,
            progress=progress,
        )


BotOpt = Annotated[
    str | None, typer.Option("--bot", help="Only this bot's rounds (curves per session).")
]
SessionOpt = Annotated[
    str | None, typer.Option("--session", help="Only this session's rounds (curves per session).")
]
StrategyOpt = Annotated[
    str | None, typer.Option("--strategy", help="Only rounds played with this strategy.")
]
GameOpt = Annotated[str | None, typer.Option("--game", help="Only this game's rounds.")]
OutOpt = Annotated[Path, typer.Option("--out", help="Where to write the HTML file.")]


@app.command()
def report(
    bot: BotOpt = None,
    session: SessionOpt = None,
    strategy: StrategyOpt = None,
    game: GameOpt = None,
    out: OutOpt = Path("report.html"),
    db_url: DbUrl = None,
) -> None:
    """Write one self-contained HTML report that works offline. Filters combine.

    Equity, drawdown, multipliers vs RTP/x, hit rate by target, strategies with CIs, signals.
    """
    from crashdb.db.migrate import current_revision

    db = open_db(db_url)
    target = db.url.render_as_string(hide_password=True)
    if not db.test_connection():
        err_console.print(f"[red]Cannot connect to {escape(target)}[/red]")
        raise typer.Exit(1)
    if current_revision(db) is None:
        err_console.print("[red]The database has no crashdb schema: run `crashdb init`.[/red]")
        raise typer.Exit(1)
    started = time.perf_counter()
    path = build_report(
        db, out, bot_id=bot, session_id=session, strategy_name=strategy, game_name=game
    )
    size = path.stat().st_size / 1e6
    console.print(
        f"[green]Report written to {escape(str(path))}[/green] ({size:.1f} MB, "
        f"{time.perf_counter() - started:.1f} s). It is self-contained: open it in any browser, "
        "offline."
    )
