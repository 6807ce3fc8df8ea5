"""``crashdb list bots|sessions|strategies|games``: find your ids; and the check that an id
given to ``stats``, ``report`` or ``export`` exists, suggesting the closest ones if not.

Bots are listed in natural order (``bot_2`` before ``bot_10``), with their rounds, first and
last round and profit; registered bots and opened sessions without rounds are listed too.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import UTC
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text
from sqlalchemy import ColumnElement, func, literal, select, union
from sqlalchemy.engine import Connection

from crashdb.cli._app import DbUrl, JsonFlag, app, console, open_db, print_json
from crashdb.cli._errors import CliError
from crashdb.cli._text import add_row, plain
from crashdb.db.engine import Database
from crashdb.db.models import BotVMRegistration, CrashGameRound, GamePlatformConfig, SessionLog
from crashdb.report.text import human_time, natural_key, shown_id

__all__ = ["Kind", "list_rows", "require_known"]

R = CrashGameRound.__table__.c
BOTS = BotVMRegistration.__table__.c
SESSIONS = SessionLog.__table__.c
CATALOG = GamePlatformConfig.__table__.c
MONEY_Q = Decimal("0.0001")
MAX_CANDIDATES = 200_000  # ids compared for "did you mean"


class Kind(StrEnum):
    bots = "bots"
    sessions = "sessions"
    strategies = "strategies"
    games = "games"


def _money(value: Any) -> str:
    return str(Decimal(str(value or 0)).quantize(MONEY_Q))


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.astimezone(UTC).isoformat())


# ------------------------------------------------------------------------------ listing

_KEYS: dict[Kind, tuple[ColumnElement[Any], ...]] = {
    Kind.bots: (R.bot_id,),
    Kind.sessions: (R.bot_id, R.session_id),
    Kind.strategies: (R.strategy_name,),
    Kind.games: (R.game_name,),
}


def list_rows(conn: Connection, kind: Kind, bot: str | None) -> list[dict[str, Any]]:
    """One dict per bot, session, strategy or game, in natural order."""
    keys = _KEYS[kind]
    where = [R.bot_id == bot] if bot is not None else []
    extra: list[Any] = []
    if kind is not Kind.sessions:
        extra.append(func.count(func.distinct(R.session_id)).label("sessions"))
    if kind in (Kind.strategies, Kind.games):
        extra.append(func.count(func.distinct(R.bot_id)).label("bots"))
    if kind is Kind.sessions:
        extra += [func.min(R.game_name).label("game"), func.min(R.strategy_name).label("strategy")]
    stmt = (
        select(
            *(k.label(k.name) for k in keys),
            func.count().label("rounds"),
            *extra,
            func.min(R.round_start_timestamp).label("first_round_at"),
            func.max(R.round_start_timestamp).label("last_round_at"),
            func.sum(R.profit_loss).label("profit"),
        )
        .where(*where)
        .group_by(*keys)
    )
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in conn.execute(stmt).mappings():
        item = dict(r)
        item["profit"] = _money(item["profit"])
        item["first_round_at"] = _iso(item["first_round_at"])
        item["last_round_at"] = _iso(item["last_round_at"])
        rows[tuple(item[k.name] for k in keys)] = item
    for key, item in _without_rounds(conn, kind, bot):
        rows.setdefault(key, item)
    return sorted(rows.values(), key=lambda d: tuple(natural_key(d[k.name]) for k in keys))


def _without_rounds(
    conn: Connection, kind: Kind, bot: str | None
) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Registered bots and opened sessions (they may have no rounds yet)."""
    empty = {"rounds": 0, "first_round_at": None, "last_round_at": None, "profit": _money(0)}
    if kind is Kind.bots:
        q = select(BOTS.bot_id)
        if bot is not None:
            q = q.where(BOTS.bot_id == bot)
        return [((b,), {"bot_id": b, **empty, "sessions": 0}) for b in conn.execute(q).scalars()]
    if kind is Kind.sessions:
        q2 = select(
            SESSIONS.bot_id, SESSIONS.session_id, SESSIONS.game_name, SESSIONS.strategy_name
        )
        if bot is not None:
            q2 = q2.where(SESSIONS.bot_id == bot)
        return [
            ((b, s), {"bot_id": b, "session_id": s, "game": g, "strategy": st, **empty})
            for b, s, g, st in conn.execute(q2).all()
        ]
    return []


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


# ------------------------------------------------------------------------------ known ids

_WHERE: dict[str, tuple[ColumnElement[Any], ...]] = {
    "bot": (R.bot_id, BOTS.bot_id),
    "session": (R.session_id, SESSIONS.session_id),
    "strategy": (R.strategy_name, BOTS.strategy_name),
    "game": (R.game_name, CATALOG.game_name),
}


def _exists(conn: Connection, column: ColumnElement[Any], ident: str) -> bool:
    return conn.execute(select(literal(1)).where(column == ident).limit(1)).first() is not None


def known_ids(conn: Connection, kind: str) -> list[str]:
    """Distinct ids of ``kind`` ("bot", "session", "strategy", "game"), at most a few 100k."""
    a, b = _WHERE[kind]
    q = union(select(a.label("v")).distinct(), select(b.label("v")).distinct()).subquery()
    values = conn.execute(select(q.c.v).where(q.c.v.is_not(None)).limit(MAX_CANDIDATES))
    return [str(v) for v in values.scalars()]


def closest(ident: str, candidates: Sequence[str], n: int = 3) -> list[str]:
    """Up to ``n`` candidates most like ``ident``: same letters ignoring case, then
    containing it, then similar (difflib)."""
    folded = ident.casefold()
    out = [c for c in candidates if c.casefold() == folded]
    if folded:
        out += sorted((c for c in candidates if folded in c.casefold()), key=len)
    out += difflib.get_close_matches(ident, candidates, n=n, cutoff=0.6)
    return list(dict.fromkeys(out))[:n]


def require_known(
    db: Database, kind: str, ident: str | None, *, conn: Connection | None = None
) -> None:
    """Raise a :class:`CliError` suggesting the closest ids when no ``kind`` is ``ident``."""
    if ident is None:
        return
    if conn is None:
        with db.engine.connect() as c:
            return require_known(db, kind, ident, conn=c)
    if any(_exists(conn, col, ident) for col in _WHERE[kind]):
        return
    plural = {"bot": "bots", "session": "sessions", "strategy": "strategies", "game": "games"}
    near = closest(ident, known_ids(conn, kind))
    listing = f"`crashdb list {plural[kind]}` lists them"
    hint = f"did you mean {', '.join(repr(plain(x)) for x in near)}? {listing}" if near else listing
    raise CliError(f"no {kind} {ident!r} in the database", hint)
