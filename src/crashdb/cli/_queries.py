"""The queries behind ``crashdb list`` and the "no such id, did you mean ..." check: imported
by the commands when they run (``crashdb --help`` does not load SQLAlchemy)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import UTC
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select, union
from sqlalchemy.engine import Connection

from crashdb.cli._errors import CliError
from crashdb.cli._kinds import Kind
from crashdb.cli._text import plain
from crashdb.db.engine import Database
from crashdb.db.models import BotVMRegistration, CrashGameRound, GamePlatformConfig, SessionLog
from crashdb.report.text import natural_key

__all__ = ["closest", "known_ids", "list_rows", "require_known"]

R = CrashGameRound.__table__.c
BOTS = BotVMRegistration.__table__.c
SESSIONS = SessionLog.__table__.c
CATALOG = GamePlatformConfig.__table__.c
MONEY_Q = Decimal("0.0001")
MAX_CANDIDATES = 200_000  # ids compared for "did you mean"


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
