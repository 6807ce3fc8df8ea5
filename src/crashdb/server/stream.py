"""The live stream (``GET /api/v1/stream``, server-sent events) and the server's background
work: alert evaluation and delivery.

Events: ``bots`` (the fleet overview, on connect and whenever it may have changed),
``round`` (a round this server stored: bot, number, outcome, profit, balance), ``alerts``
(the alert list, whenever an alert fired, repeated or resolved). Every few seconds without
events a comment line keeps proxies from closing the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import text

from crashdb.db.engine import Database
from crashdb.server.alerts import alerts_version, evaluate, list_alerts
from crashdb.server.config import ServerConfig
from crashdb.server.delivery import deliver_pending
from crashdb.server.fleet import fleet_overview

__all__ = ["AlertLoop", "Broadcaster", "sse"]

log = logging.getLogger("crashdb.server")
DELIVERY_LOCK = zlib.crc32(b"crashdb.server.delivery")


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"


class Broadcaster:
    """Fans events out to the connected streams (thread-safe ``publish``)."""

    def __init__(self, db: Database, config: ServerConfig) -> None:
        self.db = db
        self.config = config
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: set[asyncio.Queue[str]] = set()
        self._dirty = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self._alerts_version: tuple[Any, ...] | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _put(self, message: str) -> None:
        for queue in list(self._subscribers):
            if queue.qsize() < 1000:  # a reader that stopped reading loses events, not memory
                queue.put_nowait(message)

    def publish(self, event: str, data: Any) -> None:
        """Send an event to every stream (from any thread)."""
        if self._loop is None or not self._subscribers:
            return
        self._dirty.set()
        self._loop.call_soon_threadsafe(self._put, sse(event, data))

    def poke(self) -> None:
        """Something changed: refresh the overview and alerts at the next tick."""
        self._dirty.set()

    def _overview(self) -> list[dict[str, Any]]:
        return fleet_overview(
            self.db,
            live_seconds=self.config.live_seconds,
            offline_seconds=self.config.offline_seconds,
        )

    async def _watch(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(self.config.stream_seconds)
            ticks += 1
            if not self._subscribers:
                continue
            try:
                version = await asyncio.to_thread(alerts_version, self.db)
                if version != self._alerts_version:
                    self._alerts_version = version
                    alerts = await asyncio.to_thread(list_alerts, self.db)
                    self._put(sse("alerts", alerts))
                if self._dirty.is_set() or ticks % 5 == 0:
                    self._dirty.clear()
                    self._put(sse("bots", await asyncio.to_thread(self._overview)))
            except Exception:
                log.exception("live stream: refresh failed")

    async def subscribe(self) -> AsyncIterator[str]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            yield sse("bots", await asyncio.to_thread(self._overview))
            yield sse("alerts", await asyncio.to_thread(list_alerts, self.db))
            while True:
                try:
                    yield await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
        finally:
            self._subscribers.discard(queue)


class AlertLoop:
    """A thread that evaluates the alert rules every ``evaluate_seconds`` and sends due
    notifications every second (one server process at a time does the sending)."""

    def __init__(self, db: Database, config: ServerConfig, on_change: Any = None) -> None:
        self.db = db
        self.config = config
        self.on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="crashdb-alerts", daemon=True)
        self._client = httpx.Client(timeout=config.delivery_timeout_seconds)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._client.close()

    def _deliver(self) -> None:
        if self.db.backend != "postgresql":
            deliver_pending(self.db, self.config, self._client)
            return
        with self.db.engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": DELIVERY_LOCK})
            if not got.scalar_one():
                return
            try:
                deliver_pending(self.db, self.config, self._client)
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": DELIVERY_LOCK})
                conn.commit()

    def _run(self) -> None:
        every = self.config.alerts.evaluate_seconds
        tick = min(1.0, every)
        due = time.monotonic()
        while not self._stop.wait(tick):
            try:
                if time.monotonic() >= due:
                    due = time.monotonic() + every
                    counts = evaluate(self.db, self.config)
                    if any(counts.values()) and self.on_change is not None:
                        self.on_change()
                self._deliver()
            except Exception:
                log.exception("alerts: evaluation or delivery failed; retrying")
