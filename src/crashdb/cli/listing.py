"""``crashdb list bots|sessions|strategies|games``: find your ids; and the check that an id
given to ``stats``, ``report`` or ``export`` exists, suggesting the closest ones if not.

Bots are listed in natural order (``bot_2`` before ``bot_10``), with their rounds, first and
last round and profit; registered bots and opened sessions without rounds are listed too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from crashdb.cli._app import DbUrl, JsonFlag, app, console, open_db, print_json
from crashdb.cli._kinds import Kind
from crashdb.cli._text import add_row
from crashdb.report.text import human_time, shown_id

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from crashdb.db.engine import Database

__all__ = ["Kind", "require_known"]


_COLUMNS: dict[Kind, tuple[str, ...]] = {
    Kind.bots: ("bot_id", "sessions", "rounds"),
    Kind.sessions: ("session_id", "bot_id", "game", "rounds"),
    Kind.strategies: ("strategy_name", "bots", "rounds"),
    Kind.games: ("game_name", "bots", "rounds"),
}


@app.command("list")
def list_command(
    kind: Annotated[Kind, typer.Argument(help="What to list: bots, sessions, strategies, games.")],
    bot: Annotated[str | None, typer.Option("--bot", help="Only what this bot recorded.")] = None,
    db_url: DbUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """List bots, sessions, strategies or games: rounds, first and last round, profit."""
    from crashdb.cli._queries import list_rows

    db = open_db(db_url)
    with db.engine.connect() as conn:
        if bot is not None:
            require_known(db, "bot", bot, conn=conn)
        rows = list_rows(conn, kind, bot)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(f"No {kind.value} recorded yet.")
        return
    cols = _COLUMNS[kind]
    table = Table(
        box=box.SIMPLE_HEAD,
        title=f"{kind.value} (times in UTC)",
        pad_edge=False,
        collapse_padding=True,
        show_edge=False,
    )
    for c in cols:
        number = c in ("sessions", "rounds", "bots")
        header = c.removesuffix("_id").removesuffix("_name")
        table.add_column(
            header, justify="right" if number else "left", no_wrap=number, overflow="fold"
        )  # ids wrap, never cut short
    first = kind is not Kind.sessions  # (a session's first round: --json)
    if first:
        table.add_column("first round", no_wrap=True)
    table.add_column("last round", no_wrap=True)
    table.add_column("profit", justify="right", no_wrap=True)
    for r in rows:
        add_row(
            table,
            *(_shown(r[c]) for c in cols),
            *([human_time(r["first_round_at"])[:16]] if first else []),
            human_time(r["last_round_at"])[:16],
            f"{Decimal(r['profit']):+,.2f}",
        )
    console.print(table)
    console.print(f"{len(rows):,} {kind.value}", style="dim")


def _shown(value: Any) -> Any:
    if value is None:
        return Text("(none)", style="dim")
    if isinstance(value, int):
        return f"{value:,}"
    return Text(shown_id(value), style="dim") if value == "" else value


def require_known(
    db: Database, kind: str, ident: str | None, *, conn: Connection | None = None
) -> None:
    """Raise a :class:`~crashdb.cli._errors.CliError` suggesting the closest ids when no
    ``kind`` is ``ident`` (see :func:`crashdb.cli._queries.require_known`)."""
    from crashdb.cli._queries import require_known as check

    check(db, kind, ident, conn=conn)
