"""A private, throw-away PostgreSQL 15 cluster that a test may stop and start at will.

The shared server on port 5432 must never be stopped (other tests use it), so the outage
test runs its own cluster: ``initdb`` into a temporary directory, a free port, the Unix
socket in that directory. PostgreSQL refuses to run as root; as root the binaries run as the
``postgres`` OS user (``runuser``).

Binaries: ``CRASHDB_PG_BIN`` or ``/usr/lib/postgresql/15/bin``. Missing binaries skip the
tests with a loud reason, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

PG_BIN = Path(os.environ.get("CRASHDB_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unavailable(reason: str) -> None:
    """Fail under CI=true, else skip loudly."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true requires the private PostgreSQL cluster: {reason}")
    pytest.skip(f"!!! SKIPPING PRIVATE-POSTGRESQL OUTAGE TEST !!! {reason}")


class PrivatePostgres:
    """One cluster: ``start()``, ``stop(mode)``, ``url(dbname)``, ``create_database(name)``."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
            unavailable(f"initdb/pg_ctl not found in {PG_BIN}")
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            try:
                self._pw = pwd.getpwnam("postgres")
            except KeyError:
                unavailable("running as root and there is no 'postgres' OS user")
            if shutil.which("runuser") is None:
                unavailable("running as root and runuser is not installed")
        # /tmp, not pytest's tmp_path: the postgres user must be able to reach the directory
        self.base = Path(tempfile.mkdtemp(prefix="crashdb-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.port = _free_port()
        if self.as_postgres:
            os.chown(self.base, self._pw.pw_uid, self._pw.pw_gid)
        os.chmod(self.base, 0o700)
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = ["runuser", "-u", "postgres", "--", *args] if self.as_postgres else list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=self.base)
        if check and proc.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {proc.stdout}\n{proc.stderr}\n{log[-3000:]}")
        return proc

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
            "-c max_connections=40 -c shared_buffers=16MB"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        """``immediate`` kills the server like a crash (recovery runs at the next start)."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def is_running(self) -> bool:
        proc = self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status", check=False)
        return proc.returncode == 0

    def url(self, dbname: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{dbname}"

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url(driver="postgresql"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(driver="postgresql"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            if self.is_running():
                self.stop("fast")
        shutil.rmtree(self.base, ignore_errors=True)
