"""The endpoints under ``/api/v1`` (see ``docs/fleet.md`` for examples)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from crashdb.db.engine import Database
from crashdb.exceptions import FieldError, InvalidRecord
from crashdb.ingest.validate import RECORD_KINDS
from crashdb.server.alerts import list_alerts
from crashdb.server.auth import Principal, create_token, list_tokens, revoke_token
from crashdb.server.delivery import list_deliveries
from crashdb.server.fleet import equity_curves, fleet_overview, record_heartbeat, round_event
from crashdb.server.ingest import build_request, parse_records

__all__ = ["dashboard_router", "router"]


def _no_nul(request: Request) -> None:
    """No text in a path or query may hold a NUL (PostgreSQL text cannot)."""
    for where, params in (("path", request.path_params), ("query", request.query_params)):
        for name, value in params.items():
            if "\x00" in str(value):
                raise InvalidRecord(
                    [FieldError(name, f"contains a NUL character ({where})")], "request"
                )


router = APIRouter()
dashboard_router = APIRouter()

_RECORD_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["kind"],
        "properties": {
            "kind": {"type": "string", "enum": list(RECORD_KINDS)},
            "id": {"type": "string", "format": "uuid"},
        },
        "additionalProperties": True,
        "description": "The keyword arguments of the matching log_* function.",
    },
}
_HEARTBEAT_SCHEMA = {
    "type": "object",
    "properties": {
        "bot_id": {"type": "string", "maxLength": 64},
        "session_id": {"type": "string", "maxLength": 128},
        "status": {"type": "string", "maxLength": 256},
        "balance": {"type": "string", "description": "a decimal number"},
        "ocr_health": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "additionalProperties": False,
}
_ERROR_BODY = {
    "description": "invalid input: the field/reason/row list of InvalidRecord",
    "content": {"application/json": {"schema": {"type": "object"}}},
}


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def principal(request: Request) -> Principal:
    """The caller, from ``Authorization: Bearer <token>`` (401 otherwise, 429 over rate)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("a bearer token is required")
    token = token.strip()
    who: Principal | None
    cache = request.app.state.tokens
    try:
        known, who = cache.cached(token)  # no thread hop for a remembered token
        if not known:
            who = await run_in_threadpool(cache.get, token)
    except UnicodeError:
        who = None
    if who is None:
        raise _unauthorized("unknown or revoked token")
    wait = request.app.state.limiter.take(who.token_id)
    if wait:
        raise HTTPException(429, "rate limit exceeded", headers={"Retry-After": str(int(wait))})
    _no_nul(request)
    return who


def _role(check: Callable[[Principal], bool], what: str) -> Any:
    async def dep(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if not check(who):
            raise HTTPException(403, f"a {who.role} token may not {what}")
        return who

    return dep


Reader = Annotated[Principal, Depends(_role(Principal.can_read, "read"))]
Writer = Annotated[Principal, Depends(_role(Principal.can_write, "write records"))]
Admin = Annotated[Principal, Depends(_role(lambda p: p.role == "admin", "do that"))]
BotId = Annotated[str, Path(min_length=1, max_length=64)]
Name = Annotated[str, Path(min_length=1, max_length=128)]
DateQ = Annotated[str | None, Query(max_length=40, description="ISO 8601 date or time")]


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


async def _read(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> JSONResponse:
    try:
        return _json(await run_in_threadpool(fn, *args, **kwargs))
    except InvalidRecord:
        raise
    except ValueError as exc:  # a bad date or limit
        raise InvalidRecord([FieldError("query", str(exc)[:300])], "request") from None


# --------------------------------------------------------------------------- write


@router.get("/health", tags=["service"])
async def health(request: Request) -> JSONResponse:
    """Liveness, without a token: is the database reachable?"""
    ok = await run_in_threadpool(_db(request).test_connection)
    return _json({"status": "ok" if ok else "degraded", "database": ok}, 200 if ok else 503)


@router.post(
    "/records",
    tags=["ingest"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _RECORD_SCHEMA}},
        }
    },
    responses={
        403: {"description": "a record of another bot"},
        409: {"description": "a record whose key is stored with other content"},
        413: {"description": "body too large"},
        422: _ERROR_BODY,
        503: {"description": "database unavailable: retry"},
    },
)
async def post_records(request: Request, who: Writer) -> JSONResponse:
    """Store a JSON array of records, all or nothing; returns their ids in order.

    Each record is ``{"kind": ..., <the keyword arguments of the matching log_* function>}``
    (kinds: round, multiplier, signal, outcome, error, ocr, session, session_update), and may
    carry its ``id``. A retried request stores nothing twice and returns the same ids."""
    state = request.app.state
    items = parse_records(await request.body(), state.config.max_records)
    if who.role == "bot" and any(item.get("round_id") is not None for item in items):
        records = await run_in_threadpool(build_request, state.db, items, who)  # reads owners
    else:
        records = build_request(state.db, items, who)
    await asyncio.wrap_future(state.committer.submit(records))
    rounds = [round_event(r) for r in records if r.kind == "round"]
    for event in rounds:
        state.broadcaster.publish("round", event)
    return _json({"ids": [str(r.id) for r in records], "count": len(records)})


@router.post(
    "/heartbeat",
    tags=["ingest"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _HEARTBEAT_SCHEMA}},
        }
    },
    responses={403: {"description": "another bot"}, 422: _ERROR_BODY},
)
async def post_heartbeat(request: Request, who: Writer) -> JSONResponse:
    """A bot is alive: bot id (default: the token's bot), session id, status text, and
    optionally its balance and OCR health (share of good readings, 0 to 1)."""
    try:
        data = json.loads(await request.body(), parse_float=Decimal)
    except (ValueError, RecursionError):
        raise InvalidRecord([FieldError("body", "not a JSON document")], "heartbeat") from None
    if not isinstance(data, dict):
        raise InvalidRecord([FieldError("body", "expected a JSON object")], "heartbeat")
    own = who.bot_id if who.role == "bot" else None
    try:
        stored = await run_in_threadpool(record_heartbeat, _db(request), data, own)
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None
    request.app.state.broadcaster.poke()
    return _json(stored)


# --------------------------------------------------------------------------- fleet


@router.get("/bots", tags=["fleet"])
async def get_bots(request: Request, who: Reader) -> JSONResponse:
    """Every bot: state (live / stale / offline), last round and heartbeat, session profit
    with its 95% interval, balance, rounds per minute, OCR rejection rate, errors."""
    cfg = request.app.state.config
    return await _read(
        fleet_overview,
        _db(request),
        live_seconds=cfg.live_seconds,
        offline_seconds=cfg.offline_seconds,
    )


@router.get("/equity", tags=["fleet"])
async def get_equity(
    request: Request, who: Reader, points: Annotated[int, Query(ge=2, le=1000)] = 60
) -> JSONResponse:
    """Per bot, the cumulative profit of its latest session over its last ``points`` rounds."""
    return await _read(equity_curves, _db(request), points)


@router.get("/alerts", tags=["alerts"])
async def get_alerts(
    request: Request,
    who: Reader,
    state: Annotated[str | None, Query(pattern="^(firing|resolved)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> JSONResponse:
    """Alerts, newest change first."""
    return await _read(list_alerts, _db(request), state, limit)


@router.get("/alerts/deliveries", tags=["alerts"])
async def get_deliveries(
    request: Request, who: Reader, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> JSONResponse:
    """The delivery log of alert notifications (webhooks, Telegram), newest first."""
    return await _read(list_deliveries, _db(request), limit)


@router.get("/stream", tags=["fleet"])
async def stream(request: Request, who: Reader) -> StreamingResponse:
    """Server-sent events: ``bots`` (the overview), ``round`` (each stored round), ``alerts``."""
    return StreamingResponse(
        request.app.state.broadcaster.subscribe(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# --------------------------------------------------------------------------- seed analytics


def _analytics() -> Any:
    import crashdb.analytics as analytics

    return analytics


@router.get("/bots/{bot_id}/statistics", tags=["analytics"])
async def bot_statistics(
    request: Request, who: Reader, bot_id: BotId, start_date: DateQ = None, end_date: DateQ = None
) -> JSONResponse:
    """``get_bot_statistics``."""
    fn = _analytics().get_bot_statistics
    return await _read(fn, bot_id, start_date, end_date, db=_db(request))


@router.get("/bots/{bot_id}/rounds", tags=["analytics"])
async def bot_rounds(
    request: Request,
    who: Reader,
    bot_id: BotId,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> JSONResponse:
    """``export_rounds_to_json``."""
    fn = _analytics().export_rounds_to_json
    return await _read(fn, bot_id, limit, db=_db(request))


@router.get("/sessions/{session_id}/summary", tags=["analytics"])
async def session_summary(request: Request, who: Reader, session_id: Name) -> JSONResponse:
    """``get_session_summary``."""
    return await _read(_analytics().get_session_summary, session_id, db=_db(request))


@router.get("/games/{game_name}/statistics", tags=["analytics"])
async def game_statistics(
    request: Request,
    who: Reader,
    game_name: Name,
    platform_code: Annotated[str | None, Query(max_length=32)] = None,
    start_date: DateQ = None,
    end_date: DateQ = None,
) -> JSONResponse:
    """``get_game_statistics``."""
    fn = _analytics().get_game_statistics
    return await _read(fn, game_name, platform_code, start_date, end_date, db=_db(request))


@router.get("/games/{game_name}/multiplier-distribution", tags=["analytics"])
async def multiplier_distribution(
    request: Request,
    who: Reader,
    game_name: Name,
    limit: Annotated[int, Query(ge=1, le=1_000_000)] = 10000,
    platform_code: Annotated[str | None, Query(max_length=32)] = None,
) -> JSONResponse:
    """``get_multiplier_distribution``."""
    fn = _analytics().get_multiplier_distribution
    return await _read(fn, game_name, limit, platform_code, db=_db(request))


@router.get("/games/{game_name}/multipliers", tags=["analytics"])
async def multipliers_for_ml(
    request: Request,
    who: Reader,
    game_name: Name,
    bot_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1_000_000)] = 10000,
) -> JSONResponse:
    """``export_multipliers_for_ml``."""
    fn = _analytics().export_multipliers_for_ml
    return await _read(fn, game_name, bot_id, limit, db=_db(request))


@router.get("/strategies/{strategy_name}/performance", tags=["analytics"])
async def strategy_performance(
    request: Request,
    who: Reader,
    strategy_name: Name,
    start_date: DateQ = None,
    end_date: DateQ = None,
) -> JSONResponse:
    """``get_strategy_performance``."""
    fn = _analytics().get_strategy_performance
    return await _read(fn, strategy_name, start_date, end_date, db=_db(request))


@router.get("/signals/effectiveness", tags=["analytics"])
async def signal_effectiveness(
    request: Request,
    who: Reader,
    bot_id: Annotated[str | None, Query(max_length=64)] = None,
    signal_type: Annotated[str | None, Query(max_length=64)] = None,
    game_name: Annotated[str | None, Query(max_length=32)] = None,
) -> JSONResponse:
    """``get_signal_effectiveness``."""
    fn = _analytics().get_signal_effectiveness
    return await _read(fn, bot_id, signal_type, game_name, db=_db(request))


@router.get("/database/size", tags=["analytics"])
async def database_size(request: Request, who: Reader) -> JSONResponse:
    """``get_database_size``."""
    return await _read(_analytics().get_database_size, db=_db(request))


# --------------------------------------------------------------------------- admin


@router.post(
    "/maintenance/cleanup",
    tags=["admin"],
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "days_old": {"type": "integer", "minimum": 1, "maximum": 36500},
                            "dry_run": {"type": "boolean"},
                        },
                        "additionalProperties": False,
                    }
                }
            }
        }
    },
)
async def cleanup(request: Request, who: Admin) -> JSONResponse:
    """``cleanup_old_records`` (a dry run unless ``"dry_run": false``)."""
    raw = await request.body()
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = None
    if not isinstance(data, dict) or set(data) - {"days_old", "dry_run"}:
        raise InvalidRecord([FieldError("body", "expected {days_old, dry_run}")], "request")
    days, dry = data.get("days_old", 90), data.get("dry_run", True)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 36500:
        raise InvalidRecord([FieldError("days_old", "an integer from 1 to 36500")], "request")
    if not isinstance(dry, bool):
        raise InvalidRecord([FieldError("dry_run", "true or false")], "request")
    return await _read(_analytics().cleanup_old_records, days, dry, db=_db(request))


@router.get("/tokens", tags=["admin"])
async def get_tokens(request: Request, who: Admin) -> JSONResponse:
    """Every token (never its secret)."""
    return await _read(list_tokens, _db(request))


@router.post(
    "/tokens",
    tags=["admin"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["role"],
                        "properties": {
                            "role": {"type": "string", "enum": ["bot", "viewer", "admin"]},
                            "bot_id": {"type": "string", "maxLength": 64},
                            "name": {"type": "string", "maxLength": 128},
                        },
                        "additionalProperties": False,
                    }
                }
            },
        }
    },
)
async def post_token(request: Request, who: Admin) -> JSONResponse:
    """A new token: ``{"id", "token"}`` (the token is shown this once)."""
    try:
        data = json.loads(await request.body())
    except ValueError:
        data = None
    if not isinstance(data, dict) or set(data) - {"role", "bot_id", "name"}:
        raise InvalidRecord([FieldError("body", "expected {role, bot_id, name}")], "token")
    values = {k: data.get(k) for k in ("role", "bot_id", "name")}
    bad = [k for k, v in values.items() if v is not None and not isinstance(v, str)]
    if bad or values["role"] is None:
        raise InvalidRecord([FieldError(k, "expected a string") for k in bad or ["role"]], "token")
    token_id, token = await run_in_threadpool(
        create_token, _db(request), values["role"], values["bot_id"], values["name"]
    )
    return _json({"id": token_id, "token": token}, 201)


@router.delete("/tokens/{token_id}", tags=["admin"])
async def delete_token(
    request: Request, who: Admin, token_id: Annotated[str, Path(max_length=32)]
) -> JSONResponse:
    """Revoke a token (404 when no active token has that id)."""
    if not await run_in_threadpool(revoke_token, _db(request), token_id):
        raise HTTPException(404, "no active token with that id")
    request.app.state.tokens.forget(token_id)
    return _json({"id": token_id, "revoked_at": datetime.now(UTC).isoformat()})


# --------------------------------------------------------------------------- dashboard


@dashboard_router.get("/", include_in_schema=False)
async def dashboard() -> HTMLResponse:
    page = (resources.files("crashdb.server") / "static" / "index.html").read_text("utf-8")
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})
