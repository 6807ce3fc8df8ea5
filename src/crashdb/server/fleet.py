"""Heartbeats and the fleet overview (``GET /api/v1/bots``, the dashboard's table).

A bot's *state* comes from the last time it was heard of (its last round or heartbeat,
whichever is later): ``live`` within ``live_seconds``, ``stale`` within
``offline_seconds``, ``offline`` after that. The figures are those of the bot's latest
session: its profit (exact) with the 95% interval of the expected profit of that many bets
(n times the Student-t interval of the mean profit per bet), balance, its peak (first balance
plus the peak of the cumulative profit, as the drawdown of the analytics), rounds in the last
minute, the share of OCR readings rejected (``validation_status`` other than ``valid``) and
the errors it logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, case, func, select, tuple_, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from crashdb.db.engine import Database
from crashdb.db.models import BotVMRegistration, ErrorLog, OCRValidationLog, SessionLog
from crashdb.db.server_models import BotHeartbeat
from crashdb.db.types import real
from crashdb.exceptions import FieldError, InvalidRecord
from crashdb.ingest.fields import field_name, unknown_reason
from crashdb.ingest.rules import rules_for
from crashdb.ingest.tables import ROUNDS
from crashdb.ingest.values import BadValue

__all__ = ["equity_curves", "fleet_overview", "record_heartbeat", "round_event"]

HB = cast(Table, BotHeartbeat.__table__)
S = SessionLog.__table__.c
R = ROUNDS.c
_HB_RULES = rules_for(HB, frozenset({"received_at"}))


def _f8(col: Any) -> Any:
    """A money column as a double on either backend (SQLite holds scaled integers)."""
    return real(col)


def record_heartbeat(
    db: Database, data: Mapping[str, Any], own_bot: str | None, now: datetime | None = None
) -> dict[str, Any]:
    """Validate and store a heartbeat (the latest per bot). ``own_bot``: a bot token's bot,
    the default and the only bot it may name (PermissionError otherwise)."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for key, raw in data.items():
        rule = _HB_RULES.get(key)
        if rule is None:
            errors.append(FieldError(field_name(key), unknown_reason(key)))
        elif raw is not None:
            try:
                values[key] = rule.convert(raw)
            except BadValue as exc:
                errors.append(FieldError(key, str(exc)))
    if values.get("bot_id") is None and own_bot is not None:
        values["bot_id"] = own_bot
    if values.get("bot_id") is None and "bot_id" not in {e.field for e in errors}:
        errors.append(FieldError("bot_id", "required"))
    if errors:
        raise InvalidRecord(errors, "heartbeat")
    if own_bot is not None and values["bot_id"] != own_bot:
        raise PermissionError(f"this token sends heartbeats only for bot {own_bot!r}")
    values["received_at"] = now or datetime.now(UTC)
    row = {c: values.get(c) for c in ("bot_id", "session_id", "status", "balance", "ocr_health")}
    row["received_at"] = values["received_at"]
    with db.write_connection() as conn:
        insert: Any = (postgresql.insert if db.backend == "postgresql" else sqlite.insert)(HB)
        stmt = insert.values(row).on_conflict_do_update(
            index_elements=["bot_id"], set_={k: v for k, v in row.items() if k != "bot_id"}
        )
        conn.execute(stmt)
    return {"bot_id": row["bot_id"], "received_at": values["received_at"].isoformat()}


def _latest_sessions() -> Any:
    latest = select(S.bot_id, func.max(S.id).label("sid")).group_by(S.bot_id).subquery()
    return (
        select(
            S.bot_id,
            S.session_id,
            S.status,
            S.platform_code,
            S.game_name,
            S.initial_balance,
            S.current_balance,
            S.total_rounds,
            S.total_profit,
            S.start_timestamp,
        )
        .join(latest, S.id == latest.c.sid)
        .subquery("latest")
    )


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def session_figures(conn: Connection, now: datetime) -> dict[str, dict[str, Any]]:
    """Per bot, its latest session and that session's figures: from the run summaries
    (``run_fold.sql``, runs not folded yet from their rounds), plus the rounds of the last
    minute."""
    # imported here: crashdb.analytics loads SciPy, which the server needs only once asked
    from crashdb.analytics.runs import Selection, T, run_states

    latest = _latest_sessions()
    out: dict[str, dict[str, Any]] = {}
    for row in conn.execute(select(latest)).mappings():
        out[row["bot_id"]] = {"session": dict(row)}
    pairs = sorted((bot, fig["session"]["session_id"]) for bot, fig in out.items())
    if not pairs:
        return out
    _, runs = run_states(
        conn,
        Selection(
            summaries=[tuple_(T.bot_id, T.session_id).in_(pairs)],
            rounds=[tuple_(R.bot_id, R.session_id).in_(pairs)],
        ),
    )
    for run in runs:  # one state per session
        peak = None
        if run["first_balance"] is not None and run["peak"] is not None:
            peak = run["first_balance"] + run["peak"]  # first balance + peak cumulative profit
        out[run["bot_id"]]["rounds"] = {
            "n": int(run["rounds"]),
            "bets": int(run["bets"]),
            "s1": float(run["sum_profit"]),
            "s2": float(run["sum_profit_sq"]),
            "last_round_at": run["last_ts"],
            "peak": peak,
        }
    recent = (
        select(R.bot_id, func.count().label("n"))
        .where(
            tuple_(R.bot_id, R.session_id).in_(pairs),
            R.round_start_timestamp >= now - timedelta(seconds=60),
        )
        .group_by(R.bot_id)
    )
    for bot_id, count in conn.execute(recent):
        out[bot_id].setdefault("rounds", {})["recent"] = int(count)
    return out


def _counts(conn: Connection, since: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    o = OCRValidationLog.__table__.c
    e = ErrorLog.__table__.c
    ocr = select(
        o.bot_id,
        func.count().label("n"),
        func.sum(case((func.lower(o.validation_status) == "valid", 0), else_=1)).label("rej"),
    ).where(o.timestamp >= since, o.bot_id.is_not(None))
    errors = select(e.bot_id, func.count().label("n")).where(
        e.timestamp >= since, e.bot_id.is_not(None)
    )
    ocr_rows = {r.bot_id: r for r in conn.execute(ocr.group_by(o.bot_id))}
    err_rows = {r.bot_id: r.n for r in conn.execute(errors.group_by(e.bot_id))}
    return ocr_rows, err_rows


def _interval(n: int, s1: float | None, s2: float | None) -> list[float] | None:
    from crashdb.analytics.stats import mean_ci_from_sums

    if n < 2 or s1 is None or s2 is None:
        return None
    _, _, ci = mean_ci_from_sums(n, s1, s2)
    return None if ci is None else [round(ci[0] * n, 4), round(ci[1] * n, 4)]


def fleet_overview(
    db: Database,
    *,
    live_seconds: float,
    offline_seconds: float,
    window_seconds: float = 3600.0,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Every bot the database knows (registered or heartbeating), sorted by bot id."""
    now = now or datetime.now(UTC)
    reg = BotVMRegistration.__table__.c
    h = HB.c
    with db.engine.connect() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                union(select(reg.bot_id.label("bot_id")), select(h.bot_id.label("bot_id")))
            )
        ]
        figures = session_figures(conn, now)
        beats = {r.bot_id: r for r in conn.execute(select(HB))}
        ocr, errors = _counts(conn, now - timedelta(seconds=window_seconds))
    bots = []
    for bot_id in sorted(ids):
        fig = figures.get(bot_id, {})
        sess = fig.get("session") or {}
        rounds = fig.get("rounds") or {}
        beat = beats.get(bot_id)
        last_round = rounds.get("last_round_at")
        last_beat = beat.received_at if beat is not None else None
        seen = max((t for t in (last_round, last_beat) if t is not None), default=None)
        age = (now - seen).total_seconds() if seen is not None else None
        if age is not None and age <= live_seconds:
            state = "live"
        elif age is not None and age <= offline_seconds:
            state = "stale"
        else:
            state = "offline"
        balance = sess.get("current_balance")
        if (
            beat is not None
            and beat.balance is not None
            and (balance is None or last_round is None or last_beat > last_round)
        ):
            balance = beat.balance
        peak = max(
            (b for b in (sess.get("initial_balance"), rounds.get("peak")) if b is not None),
            default=None,
        )
        n_ocr = ocr.get(bot_id)
        n = int(rounds.get("n") or 0)
        bets = int(rounds.get("bets") or 0)
        bots.append(
            {
                "bot_id": bot_id,
                "state": state,
                "last_seen_at": _iso(seen),
                "last_round_at": _iso(last_round),
                "last_heartbeat_at": _iso(last_beat),
                "status": beat.status if beat is not None else None,
                "session_id": sess.get("session_id"),
                "session_status": sess.get("status"),
                "platform_code": sess.get("platform_code"),
                "game_name": sess.get("game_name"),
                "session_rounds": n,
                "session_profit": _money(sess.get("total_profit")) if sess else None,
                "session_profit_ci95": _interval(bets, rounds.get("s1"), rounds.get("s2")),
                "balance": _money(balance),
                "peak_balance": _money(peak),
                "rounds_per_minute": int(rounds.get("recent") or 0),
                "ocr_readings": int(n_ocr.n) if n_ocr is not None else 0,
                "ocr_rejection_rate": (
                    round(int(n_ocr.rej) / int(n_ocr.n), 4) if n_ocr is not None else None
                ),
                "ocr_health": float(beat.ocr_health)
                if beat is not None and beat.ocr_health is not None
                else None,
                "error_count": int(errors.get(bot_id, 0)),
            }
        )
    return bots


def equity_curves(db: Database, points: int = 60) -> dict[str, list[float]]:
    """Per bot, the cumulative profit of its latest session after each of its last
    ``points`` rounds (for sparklines)."""
    latest = _latest_sessions()
    ranked = (
        select(
            R.bot_id,
            R.round_number,
            R.bet_slot,
            _f8(R.profit_loss).label("p"),
            func.row_number()
            .over(
                partition_by=R.bot_id,
                order_by=(R.round_start_timestamp.desc(), R.round_number.desc(), R.bet_slot.desc()),
            )
            .label("k"),
            _f8(latest.c.total_profit).label("total"),
        )
        .join(latest, (R.bot_id == latest.c.bot_id) & (R.session_id == latest.c.session_id))
        .subquery()
    )
    q = select(ranked.c.bot_id, ranked.c.p, ranked.c.total).where(ranked.c.k <= points)
    q = q.order_by(ranked.c.bot_id, ranked.c.k)
    curves: dict[str, list[float]] = {}
    with db.engine.connect() as conn:
        for bot_id, p, total in conn.execute(q):
            curve = curves.setdefault(bot_id, [total or 0.0])
            curve.append(curve[-1] - (p or 0.0))  # walking back from the newest
    return {bot: [round(v, 4) for v in reversed(c[:-1])] for bot, c in curves.items()}


def round_event(rec: Any) -> dict[str, Any]:
    """What the live stream says about a stored round."""
    return {
        "bot_id": rec.bot_id,
        "session_id": rec.session_id,
        "round_number": rec.round_number,
        "outcome": rec.round_outcome,
        "profit_loss": _money(rec.profit_loss),
        "balance": _money(rec.running_balance_after),
        "at": _iso(rec.round_start_timestamp),
    }
