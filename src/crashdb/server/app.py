"""The ASGI application of ``crashdb serve`` (FastAPI): wiring, auth, limits, errors.

Every endpoint but ``GET /api/v1/health`` and the dashboard's static files needs
``Authorization: Bearer <token>`` (401 without, or with an unknown or revoked token; 403 when
the token's role may not do that). Requests over ``max_body_bytes`` get 413, a token over its
rate 429 with ``Retry-After``. Errors in input are 422 with the body::

    {"detail": "...", "kind": "request", "errors": [{"field": ..., "reason": ..., "row": ...}]}

the same field/reason/row list as :class:`crashdb.InvalidRecord`; a record whose key is
stored with other content is 409 with ``"conflict": {"kind", "key", "differing", "row"}``.
The database being unreachable is 503 with ``Retry-After`` (a remote writer spools then).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from crashdb.db.engine import Database
from crashdb.exceptions import ConflictingRecord, FieldError, InvalidRecord
from crashdb.server.auth import RateLimiter, TokenCache
from crashdb.server.config import ServerConfig, load_config
from crashdb.server.ingest import Forbidden, GroupCommitter
from crashdb.server.routes import dashboard_router, router
from crashdb.server.stream import AlertLoop, Broadcaster
from crashdb.writer.sink import is_unavailable_error

__all__ = ["API_PREFIX", "CONFIG_ENV", "app_from_environment", "create_app"]

log = logging.getLogger("crashdb.server")
API_PREFIX = "/api/v1"
CONFIG_ENV = "CRASHDB_SERVE_CONFIG"  # JSON of the ServerConfig, for worker processes
STATIC = resources.files("crashdb.server") / "static"

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 (read up front, so a handler
    never sees more), and add security headers to every answer."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def _too_large(self, send: Send) -> None:
        body = (
            b'{"detail":"request body too large: at most %d bytes","kind":"request",'
            b'"errors":[{"field":"body","reason":"too large","row":null}]}' % self.limit
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), *SECURITY_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._too_large(send)
            return
        if scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
            await self.app(scope, receive, send_with_headers)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_headers)


def _errors(errors: list[FieldError]) -> list[dict[str, Any]]:
    return [{"field": e.field, "reason": e.reason, "row": e.row} for e in errors]


def _invalid(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidRecord)
    body: dict[str, Any] = {"detail": str(exc), "kind": exc.kind, "errors": _errors(exc.errors)}
    if isinstance(exc, ConflictingRecord):
        body["conflict"] = {
            "kind": exc.kind,
            "key": {k: str(v) for k, v in exc.key.items()},
            "differing": exc.differing,
            "row": exc.row,
        }
        return JSONResponse(body, status_code=409)
    return JSONResponse(body, status_code=422)


def _forbidden(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, Forbidden)
    body = {
        "detail": str(exc),
        "code": "forbidden_bot",
        "kind": "request",
        "errors": _errors(exc.errors),
    }
    return JSONResponse(body, status_code=403)


def _request_invalid(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(
            ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path"))
            or "request",
            str(e.get("msg", "invalid")),
        )
        for e in exc.errors()
    ]
    return _invalid(_, InvalidRecord(errors, "request"))


def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        {"detail": exc.detail}, status_code=exc.status_code, headers=dict(exc.headers or {})
    )


def _unexpected(_: Request, exc: Exception) -> Response:
    if is_unavailable_error(exc):
        log.warning("database unavailable: %s", type(exc).__name__)
        return JSONResponse(
            {"detail": "database unavailable, retry later"},
            status_code=503,
            headers={"Retry-After": "2"},
        )
    log.error("unexpected error", exc_info=exc)
    return JSONResponse({"detail": "internal error"}, status_code=500)


def create_app(config: ServerConfig | None = None, db: Database | None = None) -> FastAPI:
    """The application over ``db`` (default: ``config.db_url``, else the configured database)."""
    config = config or ServerConfig()
    database = db or Database(config.db_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        broadcaster: Broadcaster = app.state.broadcaster
        broadcaster.start()
        loop = AlertLoop(database, config, on_change=broadcaster.poke)
        loop.start()
        try:
            yield
        finally:
            loop.stop()
            await broadcaster.stop()
            app.state.committer.close()
            if db is None:
                database.dispose()

    app = FastAPI(
        title="crashdb fleet service",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.db = database
    app.state.tokens = TokenCache(database, config.token_cache_seconds)
    app.state.limiter = RateLimiter(config.rate_limit, config.rate_burst)
    threads = config.commit_threads if database.backend == "postgresql" else 1
    app.state.committer = GroupCommitter(database, config.group_commit_records, threads)
    app.state.broadcaster = Broadcaster(database, config)
    app.add_exception_handler(InvalidRecord, _invalid)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.include_router(router, prefix=API_PREFIX)
    app.include_router(dashboard_router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_middleware(BodyLimit, limit=config.max_body_bytes)
    return app


def app_from_environment() -> FastAPI:
    """The application for a uvicorn worker process (``crashdb serve --workers N``)."""
    raw = os.environ.get(CONFIG_ENV)
    config = ServerConfig.model_validate_json(raw) if raw else load_config()
    return create_app(config)
