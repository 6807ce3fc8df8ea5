"""The RoundWriter's plumbing: where batches go (sinks), what counts as an outage, and the
committer thread that runs the writes so that a hung one cannot hold up spooling."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from queue import SimpleQueue
from typing import TYPE_CHECKING, Protocol

from crashdb.exceptions import DatabaseUnavailable, SchemaNotInitialized

if TYPE_CHECKING:
    from crashdb.db.engine import Database
    from crashdb.ingest import Record

__all__ = [
    "Committer",
    "DatabaseSink",
    "RecordSink",
    "WriteTimedOut",
    "WriterStats",
    "is_unavailable_error",
]


class RecordSink(Protocol):
    """Where batches go: :class:`DatabaseSink` in production."""

    def write(self, records: Sequence[Record]) -> None:
        """Store ``records`` in one transaction, or raise and store nothing."""


class DatabaseSink:
    """Writes batches with :func:`crashdb.api.write_records` (one transaction each).

    With ``db=None`` every batch goes to the process default database as it is at that
    moment (:func:`crashdb.get_database`), like the plain ``log_*`` functions.
    """

    def __init__(self, db: Database | None = None) -> None:
        self.db = db

    def write(self, records: Sequence[Record]) -> None:
        from crashdb.db.engine import get_database
        from crashdb.ingest.store import write_records

        write_records(self.db if self.db is not None else get_database(), records)


def is_unavailable_error(exc: BaseException) -> bool:
    """True when ``exc`` means "the database cannot take writes right now" (spool and retry).

    That is :class:`crashdb.DatabaseUnavailable`, any SQLAlchemy ``OperationalError`` (server
    gone, connection refused, SQLite "database is locked", lock or statement timeouts,
    deadlocks, serialization failures), a ``DBAPIError`` whose connection was invalidated, a
    pool timeout, psycopg's ``OperationalError``, and a schema that does not exist yet
    (:class:`crashdb.SchemaNotInitialized`, PostgreSQL's undefined table: the records wait
    in the spool for ``crashdb init``). Anything else (an IntegrityError, a bug) is not an
    outage: retrying it would never succeed.
    """
    import psycopg
    from sqlalchemy import exc as sa_exc

    retry = (DatabaseUnavailable, SchemaNotInitialized, psycopg.OperationalError)
    if isinstance(exc, (*retry, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError):
            return True
        # no schema yet (PostgreSQL; SQLite reports it as an OperationalError): wait for it
        return isinstance(exc.orig, psycopg.OperationalError | psycopg.errors.UndefinedTable)
    return False


@dataclass
class WriterStats:
    """What the background thread did (read it for monitoring and in tests)."""

    committed_batches: int = 0
    committed_records: int = 0
    spooled_batches: int = 0
    spooled_records: int = 0
    replayed_segments: int = 0
    replayed_records: int = 0
    dead_lettered_units: int = 0
    dead_lettered_records: int = 0
    conflicts: int = 0  # units refused because a key is stored with other content
    rescued_records: int = 0  # written to the rescue directory at close (spool unwritable)
    lost_records: int = 0  # placed nowhere at close (logged as JSON lines)
    failed_attempts: int = 0
    last_error: str | None = None


class WriteTimedOut(DatabaseUnavailable):
    """A write took longer than ``write_timeout`` (or an earlier one is still running)."""


class Committer:
    """A daemon thread that runs the sink's writes, so that a write which hangs (a SQLite
    lock held for minutes, a half-dead TCP connection) cannot hold up spooling."""

    def __init__(self, sink: RecordSink, name: str) -> None:
        self._sink = sink
        self._name = name
        self._lock = threading.Lock()
        self._closing = False
        self._requests: SimpleQueue[tuple[Sequence[Record], Future[None]] | None] = SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            request = self._requests.get()
            if request is None:
                return
            records, future = request
            if not future.set_running_or_notify_cancel():
                continue
            try:
                self._sink.write(records)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(None)

    def submit(self, records: Sequence[Record]) -> Future[None]:
        future: Future[None] = Future()
        with self._lock:
            if self._closing:  # a write after close(): a new thread serves it
                self._closing = False
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._requests.put((records, future))
        return future

    def close(self) -> None:
        """Stop the thread once the writes already submitted are done."""
        with self._lock:
            self._closing = True
            self._requests.put(None)
