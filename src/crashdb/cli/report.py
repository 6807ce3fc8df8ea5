"""CLI command: ``crashdb report``, the self-contained HTML report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crashdb.cli._app import DbUrl, app, console, open_db
from crashdb.cli._errors import CliError
from crashdb.cli._text import markup, plain
from crashdb.cli.listing import require_known

if TYPE_CHECKING:
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
    """Write the report with a Rich status line naming each step."""
    from crashdb.report.html import write_report

    with console.status("Building the report", spinner="dots") as status:

        def progress(step: str) -> None:
            status.update(plain(f"Building the report: {step}"))

        return write_report(
            out,
            db=db,
            bot_id=bot_id,
            session_id=session_id,
            strategy_name=strategy_name,
            game_name=game_name,
            progress=progress,
        )


def _rounds_in_scope(
    db: Database,
    bot: str | None,
    session: str | None,
    strategy: str | None,
    game: str | None,
) -> int:
    from sqlalchemy import func, select

    from crashdb.db.models import CrashGameRound

    r = CrashGameRound.__table__.c
    where = [
        col == value
        for col, value in (
            (r.bot_id, bot),
            (r.session_id, session),
            (r.strategy_name, strategy),
            (r.game_name, game),
        )
        if value is not None
    ]
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(CrashGameRound).where(*where)
            ).scalar_one()
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
    An unknown id, or filters that together match no round, is an error: nothing is written.
    """
    db = open_db(db_url)
    for kind, ident in (("bot", bot), ("session", session), ("strategy", strategy), ("game", game)):
        require_known(db, kind, ident)
    if _rounds_in_scope(db, bot, session, strategy, game) == 0:
        given = [
            f"--{k} {v}"
            for k, v in (("bot", bot), ("session", session), ("strategy", strategy), ("game", game))
            if v is not None
        ]
        if given:
            raise CliError(
                f"no recorded round matches {' '.join(given)}: no report written",
                "`crashdb list sessions --bot BOT` shows what a bot played; drop a filter",
            )
        raise CliError(
            "the database holds no rounds yet: no report written",
            "log rounds first (or try `crashdb demo`)",
        )
    started = time.perf_counter()
    path = build_report(
        db, out, bot_id=bot, session_id=session, strategy_name=strategy, game_name=game
    )
    size = path.stat().st_size / 1e6
    console.print(
        markup(
            "[green]Report written to {}[/green] ({} MB, {} s). It is self-contained: open it "
            "in any browser, offline.",
            path,
            f"{size:.1f}",
            f"{time.perf_counter() - started:.1f}",
        )
    )
