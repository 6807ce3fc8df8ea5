"""Helpers of the fleet-service tests: a real ``crashdb serve`` process on a free port, a
database per server on each backend, tokens, and small HTTP receivers (webhook, Telegram)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from crashdb import Database
from crashdb.server.auth import create_token

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# Fast settings for tests: no token cache (revocations at once), quick alert loop.
TEST_CONFIG = """
token_cache_seconds = 0
stream_seconds = 0.3
rate_limit = 1000
rate_burst = 1000
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """``crashdb serve`` in a subprocess (the real CLI, uvicorn and all)."""

    def __init__(
        self,
        db_url: str,
        workdir: Path,
        config: str = TEST_CONFIG,
        *extra: str,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.db_url = db_url
        self.verify = verify  # how the test's clients check the server's certificate (HTTPS)
        self.workdir = workdir
        self.config_path = workdir / f"fleet-{uuid.uuid4().hex[:6]}.toml"
        self.config_path.write_text(config, encoding="utf-8")
        self.port = free_port()
        scheme = "https" if "--ssl-certfile" in extra else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"serve-{self.port}.log"
        self.extra = list(extra)

    def start(self, timeout: float = 60.0) -> Served:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRASHDB_")}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "crashdb",
                    "serve",
                    "--db-url",
                    self.db_url,
                    "--port",
                    str(self.port),
                    "--config",
                    str(self.config_path),
                    "--log-level",
                    "warning",
                    *self.extra,
                ],
                cwd=self.workdir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"crashdb serve exited: {self.log.read_text()}")
            try:
                health = httpx.get(f"{self.url}/api/v1/health", timeout=1, verify=self.verify)
                if health.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"crashdb serve did not start: {self.log.read_text()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def token(self, role: str, bot: str | None = None) -> str:
        db = Database(self.db_url)
        try:
            return create_token(db, role, bot, f"test {role}")[1]
        finally:
            db.dispose()

    def client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, verify=self.verify)


def new_database(request: pytest.FixtureRequest, backend: str, tmp: Path) -> Iterator[str]:
    """A migrated database of its own on ``backend`` (for a module-scoped server)."""
    if backend == "sqlite":
        path = tmp / f"fleet-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template")
    name = server.create(f"f{uuid.uuid4().hex[:8]}", template=template)
    yield server.url(name)
    server.drop(name)


def serve(
    request: pytest.FixtureRequest,
    backend: str,
    tmp: Path,
    config: str = TEST_CONFIG,
    *extra: str,
    verify: ssl.SSLContext | bool = True,
) -> Iterator[Served]:
    """For a fixture: ``crashdb serve`` on a database of its own, stopped and dropped after."""
    databases = new_database(request, backend, tmp)
    server = Served(next(databases), tmp, config, *extra, verify=verify).start()
    yield server
    server.stop()
    with contextlib.suppress(StopIteration):
        next(databases)


def round_fields(bot: str, n: int, session: str = "s1", **over: Any) -> dict[str, Any]:
    """``log_crash_round`` keywords of a plausible round (explicit times: comparable rows)."""
    win = n % 3 == 0
    kw: dict[str, Any] = {
        "bot_id": bot,
        "session_id": session,
        "game_name": "aviator",
        "platform_code": "dafabet",
        "round_number": n,
        "stake_value": "10.00",
        "crash_multiplier": "2.45" if win else "1.10",
        "cashout_multiplier": "1.33" if win else None,
        "round_outcome": "WIN" if win else "LOSS",
        "round_start_timestamp": (T0 + timedelta(seconds=n)).isoformat(),
    }
    kw.update(over)
    return {k: v for k, v in kw.items() if v is not None}


def wire(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, **{k: _jsonable(v) for k, v in fields.items()}}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class Receiver:
    """A local HTTP server recording every JSON POST (a webhook target or a fake Telegram
    API); answers ``fail_first`` requests with 500 first."""

    def __init__(self, fail_first: int = 0, telegram: bool = False) -> None:
        self.received: list[tuple[str, Any]] = []
        self.fail_first = fail_first
        self.calls = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                outer.calls += 1
                if outer.calls <= outer.fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                outer.received.append((self.path, body))
                answer = json.dumps({"ok": True, "result": {}} if telegram else {}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_for(predicate: Any, timeout: float = 30.0, every: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy (or fail after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(every)
