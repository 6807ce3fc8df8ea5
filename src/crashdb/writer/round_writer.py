"""RoundWriter: log from the bot loop without waiting for the database, and never lose a round.

::

    from crashdb import RoundWriter

    with RoundWriter(spool_dir="/var/lib/mybot/spool") as writer:
        round_id = writer.log_crash_round(bot_id="b1", session_id="s1", ...)  # returns at once
        writer.log_round_outcome(round_id=round_id, ...)
    # leaving the block flushes: every record is in the database or durably spooled

How it works (see ``docs/writer.md``):

* On the caller's thread a ``log_*`` method only validates (the :mod:`crashdb.ingest` builder,
  which raises :class:`crashdb.InvalidRecord` right away), appends the record to an in-memory
  queue and returns its id, which is computed client side.
* A background thread takes what is queued every ``flush_interval`` seconds, or as soon as
  ``batch_size`` records wait, and writes it with :func:`crashdb.ingest.write_records` in one
  transaction (a *group commit*).
* If the database cannot be reached, the batch is written to the spool (fsync'ed JSON Lines
  segments, :mod:`crashdb.writer.spool`) and every later batch is spooled behind it, in order,
  until a
  retry with exponential backoff has replayed the spool; a segment is deleted only after its
  transaction committed. Ids are deterministic and inserts are ``ON CONFLICT DO NOTHING``, so
  replaying a segment that had already committed creates no duplicates.
* Writes run on a committer thread (:mod:`crashdb.writer.sink`); one still running after
  ``write_timeout`` seconds counts as an outage, so a hung database cannot keep records in
  memory.
* A batch the database refuses for another reason (a constraint bug) is split into its units;
  the refused ones go to ``spool_dir/dead-letter/`` and are logged; the rest is written.
* A new writer replays segments left by writers of processes that died.

A hard crash of the process (``os._exit``, SIGKILL, power loss of the bot host) can lose only
what is still in memory: the records logged since the last group commit or spool write, at
most about ``flush_interval`` seconds of rounds (plus the batch being written at that moment,
for at most ``write_timeout``).
``flush()`` narrows that window to zero when it returns.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import tempfile
import threading
import time
import traceback
import uuid
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from crashdb.config import get_settings
from crashdb.exceptions import ConflictingRecord, FieldError, InvalidRecord
from crashdb.ingest import validate
from crashdb.ingest.records import record_from_json, record_to_json
from crashdb.writer.sink import (
    Committer,
    DatabaseSink,
    RecordSink,
    WriterStats,
    WriteTimedOut,
    is_unavailable_error,
)
from crashdb.writer.spool import Spool, SpoolUnit, encode_unit

if TYPE_CHECKING:
    from crashdb.db.engine import Database
    from crashdb.ingest import Record

__all__ = ["RESCUE_DIR", "RoundWriter"]

log = logging.getLogger("crashdb.writer")

RESCUE_DIR = "crashdb-rescue-spool"

Unit = tuple["Record", ...]


class _FlushMarker:
    __slots__ = ("done", "ok")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = True


_live_writers: weakref.WeakSet[RoundWriter] = weakref.WeakSet()


def _close_live_writers() -> None:
    for writer in list(_live_writers):
        try:
            writer.close()
        except Exception:  # pragma: no cover - never let shutdown raise
            log.exception("crashdb writer: error while closing at exit")


atexit.register(_close_live_writers)


class RoundWriter:
    """Buffered, spooling writer with the seed's ``log_*`` methods. Thread-safe.

    Args:
        spool_dir: where to spool when the database is unreachable (default: setting
            ``CRASHDB_SPOOL_DIR``, ``./.crashdb-spool``). Writers may share one directory.
        db: the database (default: the process default database at the time of each write).
        flush_interval: seconds between group commits (default ``CRASHDB_WRITER_FLUSH_INTERVAL``,
            0.5). This is also the most a hard crash of the process can lose.
        batch_size: commit as soon as this many records wait (default
            ``CRASHDB_WRITER_BATCH_SIZE``, 500); one transaction holds at most about this many.
        sink: write batches somewhere other than ``db`` (anything with ``write(records)``).
        retry_initial, retry_max: backoff bounds (seconds) for replaying the spool during an
            outage; the delay doubles after each failed attempt.
        write_timeout: a write still running after this many seconds is treated as an
            outage: its batch is spooled (the write may still commit; replaying it then is
            harmless) and so is everything after it until the write has finished.
        rescue_dir: where ``close()`` saves batches that could be written neither to the
            database nor to ``spool_dir`` (default: ``crashdb-rescue-spool`` in the system's
            temporary directory); it is a spool directory: a writer on it replays them.
        server_url, token: write to a fleet server (``crashdb serve``) over HTTP instead of a
            database (:mod:`crashdb.writer.http`); without ``db`` and ``sink`` they default
            to the settings ``CRASHDB_SERVER_URL`` and ``CRASHDB_TOKEN``.
        heartbeat_interval: with a fleet server, seconds between heartbeats the writer sends
            on its own (default ``CRASHDB_HEARTBEAT_INTERVAL``, 30; 0 sends none).
    """

    def __init__(
        self,
        spool_dir: str | os.PathLike[str] | None = None,
        db: Database | None = None,
        flush_interval: float | None = None,
        batch_size: int | None = None,
        *,
        sink: RecordSink | None = None,
        retry_initial: float = 0.25,
        retry_max: float = 5.0,
        write_timeout: float = 5.0,
        rescue_dir: str | os.PathLike[str] | None = None,
        server_url: str | None = None,
        token: str | None = None,
        heartbeat_interval: float | None = None,
    ) -> None:
        settings = get_settings()
        if flush_interval is None:
            flush_interval = settings.writer_flush_interval
        if batch_size is None:
            batch_size = settings.writer_batch_size
        if not flush_interval > 0:
            raise ValueError("flush_interval must be > 0 seconds")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if not 0 < retry_initial <= retry_max:
            raise ValueError("need 0 < retry_initial <= retry_max")
        if not write_timeout > 0:
            raise ValueError("write_timeout must be > 0 seconds")
        self.spool_dir = Path(spool_dir if spool_dir is not None else settings.spool_dir).absolute()
        self.flush_interval = float(flush_interval)
        self.batch_size = int(batch_size)
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.write_timeout = float(write_timeout)
        self.rescue_dir = Path(
            rescue_dir if rescue_dir is not None else Path(tempfile.gettempdir()) / RESCUE_DIR
        ).absolute()
        remote = self._remote_sink(server_url, token, db, sink, settings)
        self._remote = remote
        self.sink: RecordSink = (
            sink if sink is not None else remote if remote is not None else DatabaseSink(db)
        )
        self._heartbeats: Any = None
        self._committer = Committer(self.sink, f"crashdb-writer-commit-{id(self):x}")
        self._running_write: Future[None] | None = None
        self.stats = WriterStats()
        self._queue: deque[Unit | _FlushMarker] = deque()
        self._wake = threading.Event()
        self._io_lock = threading.RLock()
        self._closed = False
        self._stopping = False
        self._held: list[Sequence[Unit]] = []  # batches neither written nor spooled (disk error)
        self._retry_delay = retry_initial
        self._next_retry = 0.0
        self.pid = os.getpid()  # the process that made it
        self._spool = Spool(self.spool_dir)
        try:
            self._spool.adopt_orphans()
        except OSError:
            log.exception("crashdb writer: cannot scan spool directory %s", self.spool_dir)
        self._thread = threading.Thread(
            target=self._run, name=f"crashdb-writer-{id(self):x}", daemon=True
        )
        _live_writers.add(self)
        self._thread.start()
        if remote is not None:
            from crashdb.writer.http import start_heartbeats

            every = heartbeat_interval
            if every is None:
                every = settings.heartbeat_interval
            self._heartbeats = start_heartbeats(remote, every, self)

    @staticmethod
    def _remote_sink(
        server_url: str | None,
        token: str | None,
        db: Database | None,
        sink: RecordSink | None,
        settings: Any,
    ) -> Any:
        """The fleet server's HTTP sink (:mod:`crashdb.writer.http`), or None."""
        if db is not None or sink is not None:
            if server_url is not None or token is not None:
                raise ValueError("server_url/token exclude db and sink")
            return None
        if server_url is None and token is None and not settings.server_url:
            return None  # no HTTP client imported for a database writer
        from crashdb.writer.http import remote_sink

        return remote_sink(server_url, token, settings)

    # ------------------------------------------------------------------ caller side

    def submit(self, *records: Record) -> None:
        """Queue already-built records; they are written together, in one transaction."""
        if records:
            self._enqueue(records)

    def _enqueue(self, unit: Unit) -> None:
        if self._closed:
            self._write_after_close(unit)
            return
        queue = self._queue
        queue.append(unit)
        if self._closed:  # close() ran meanwhile and may have drained the queue already
            self._sync_cycle()
        elif len(queue) >= self.batch_size or len(unit) >= self.batch_size:
            self._wake.set()

    def log_crash_round(self, *args: Any, **kwargs: Any) -> uuid.UUID:
        """Validate and queue a round; returns its id (derived from its natural key)."""
        rec = validate.build_round(*args, **kwargs)
        self._enqueue((rec,))
        return rec.id

    def log_round_multiplier_analytics(self, *args: Any, **kwargs: Any) -> uuid.UUID:
        rec = validate.build_multiplier(*args, **kwargs)
        self._enqueue((rec,))
        return rec.id

    def log_round_signal(self, *args: Any, **kwargs: Any) -> uuid.UUID:
        rec = validate.build_signal(*args, **kwargs)
        self._enqueue((rec,))
        return rec.id

    def log_round_outcome(self, *args: Any, **kwargs: Any) -> uuid.UUID:
        rec = validate.build_outcome(*args, **kwargs)
        self._enqueue((rec,))
        return rec.id

    def log_error(self, *args: Any, **kwargs: Any) -> uuid.UUID:
        rec = validate.build_error(*args, **kwargs)
        self._enqueue((rec,))
        return rec.id

    def log_ocr_validation(self, *args: Any, **kwargs: Any) -> uuid.UUID:
        rec = validate.build_ocr(*args, **kwargs)
        self._enqueue((rec,))
        return rec.id

    def create_session_log(self, *args: Any, **kwargs: Any) -> str:
        """Queue a session start; returns the session id, as the seed's function does."""
        rec = validate.build_session_start(*args, **kwargs)
        self._enqueue((rec,))
        return str(rec.session_id)

    def update_session_log(self, *args: Any, **kwargs: Any) -> bool:
        """Queue a session update (end balance, status, notes); returns True once queued."""
        rec = validate.build_session_update(*args, **kwargs)
        self._enqueue((rec,))
        return True

    def log_batch_rounds(self, rounds: Iterable[Mapping[str, Any]]) -> list[uuid.UUID]:
        """Validate every round first (one bad row: InvalidRecord naming it, nothing queued),
        then queue them as one unit, written in one transaction."""
        built: list[Record] = []
        errors: list[FieldError] = []
        build = validate.build_round
        for row_no, row in enumerate(rounds):
            try:
                built.append(build(**row))
            except InvalidRecord as exc:
                errors.extend(
                    FieldError(e.field, e.reason, row_no if e.row is None else e.row)
                    for e in exc.errors
                )
        if errors:
            raise InvalidRecord(errors, kind="batch of rounds")
        if built:
            self._enqueue(tuple(built))
        return [r.id for r in built]

    @property
    def pending(self) -> int:
        """Items (units of records, flush requests) queued in memory, not yet taken."""
        return len(self._queue)

    @property
    def backlog(self) -> int:
        """Spooled segments waiting for the database to come back."""
        return self._spool.backlog

    @property
    def closed(self) -> bool:
        return self._closed

    def flush(self, timeout: float | None = None) -> bool:
        """Block until everything queued so far is in the database or durably spooled.

        Returns False if that did not happen within ``timeout`` seconds, or if a batch could
        be neither written nor spooled (it stays in memory and is retried)."""
        if self._closed or not self._thread.is_alive():
            return self._sync_cycle()
        marker = _FlushMarker()
        self._queue.append(marker)
        self._wake.set()
        return marker.done.wait(timeout) and marker.ok

    def close(self, timeout: float | None = None) -> None:
        """Flush, try once more to replay the spool, and stop the background thread.

        Never raises for database trouble: what cannot be written stays in the spool and is
        replayed by the next writer that uses the same ``spool_dir``."""
        if self._closed:
            return
        if self._heartbeats is not None:  # fleet server: a last heartbeat says "stopped"
            self._heartbeats.stop()
        self._closed = True
        self._stopping = True
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("crashdb writer: background thread still busy after %ss", timeout)
            return
        with self._io_lock:
            try:
                # anything queued while the thread was finishing (it just tried the spool)
                self._cycle(final=True, replay=False)
            except Exception:
                log.exception("crashdb writer: unexpected error while closing")
            self._rescue_held()
            with contextlib.suppress(Exception):
                self._spool.close()
            self._committer.close()
            if self._remote is not None:  # the connections of the sink the writer made
                with contextlib.suppress(Exception):
                    self._remote.close()
        _live_writers.discard(self)

    def __enter__(self) -> RoundWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _write_after_close(self, unit: Unit) -> None:
        # Misuse (logging after close) must still not lose the round nor raise: handle the
        # unit synchronously, as the background thread would.
        log.warning("crashdb writer: log call after close(); writing synchronously")
        self._queue.append(unit)
        self._sync_cycle()

    def _sync_cycle(self) -> bool:
        """Do the background thread's work on the caller's thread (after close)."""
        with self._io_lock:
            try:
                self._spool.adopt_orphans()  # our own released segments come first again
            except OSError:
                log.exception("crashdb writer: cannot scan spool directory %s", self.spool_dir)
            try:
                self._cycle(final=True)
            except Exception:
                log.exception("crashdb writer: unexpected error while writing after close")
            done = not self._held and not self._queue
            self._rescue_held()
            with contextlib.suppress(Exception):
                self._spool.close()
            self._committer.close()
            return done

    # ------------------------------------------------------------------ background thread

    def _run(self) -> None:
        while True:
            timeout = self.flush_interval
            if self._spool.backlog:
                timeout = min(timeout, max(0.0, self._next_retry - time.monotonic()))
            self._wake.wait(timeout)
            self._wake.clear()
            stopping = self._stopping
            try:
                with self._io_lock:
                    self._cycle(final=stopping)
            except Exception:  # never let the thread die: the bot must keep working
                log.exception("crashdb writer: unexpected error in the background thread")
                time.sleep(min(self.flush_interval, 1.0))
            if stopping:
                return

    def _cycle(self, final: bool, replay: bool = True) -> None:
        """One round of work: held batches, spool replay, then everything queued. ``final``
        (closing) tries the database even inside the retry back-off window."""
        self._retry_held(force=final)
        due = final or time.monotonic() >= self._next_retry
        if replay and self._spool.backlog and due:
            self._replay()
        batch: list[Unit] = []
        size = 0
        queue = self._queue
        while queue:
            item = queue.popleft()
            if isinstance(item, _FlushMarker):
                if batch:
                    self._handle_batch(batch)
                    batch, size = [], 0
                item.ok = not self._held
                item.done.set()
                continue
            batch.append(item)
            size += len(item)
            if size >= self.batch_size:
                self._handle_batch(batch)
                batch, size = [], 0
        if batch:
            self._handle_batch(batch)

    def _handle_batch(self, units: Sequence[Unit]) -> None:
        try:
            if self._spool.backlog or self._held:
                self._spool_or_hold(units)  # keep order: older batches wait in the spool
                return
            rest = self._write_direct(units)
            if rest:
                self._spool_or_hold(rest)
        except Exception:  # a bug here must not drop the batch: keep it for the next cycle
            log.exception("crashdb writer: unexpected error; keeping the batch in memory")
            self._held.append(units)

    def _write_direct(self, units: Sequence[Unit]) -> Sequence[Unit]:
        """Write ``units`` in one transaction; returns the units still to be stored (the
        database became unavailable). Units refused for another reason are dead-lettered
        one by one, so one bad unit does not take the good ones with it."""
        records = [r for u in units for r in u]
        try:
            self._write(records)
        except Exception as exc:
            if is_unavailable_error(exc):
                self._note_failure(exc)
                return units
            if len(units) == 1:
                self._dead_letter(units[0], exc)
                return ()
            for i, unit in enumerate(units):
                try:
                    self._write(unit)
                except Exception as unit_exc:
                    if is_unavailable_error(unit_exc):
                        self._note_failure(unit_exc)
                        return units[i:]
                    self._dead_letter(unit, unit_exc)
                    continue
                self.stats.committed_batches += 1
                self.stats.committed_records += len(unit)
            return ()
        self.stats.committed_batches += 1
        self.stats.committed_records += len(records)
        return ()

    def _write(self, records: Sequence[Record]) -> None:
        """``sink.write(records)`` on the committer thread, waiting at most write_timeout."""
        running = self._running_write
        if running is not None:
            if self._stopping:  # closing: give a slow write one more chance to finish
                with contextlib.suppress(Exception):
                    running.exception(self.write_timeout)
            if not running.done():
                raise WriteTimedOut("an earlier write is still running")
            self._running_write = None
        future = self._committer.submit(records)
        try:
            future.result(self.write_timeout)
        except FutureTimeout:
            self._running_write = future
            raise WriteTimedOut(f"write still running after {self.write_timeout:g} s") from None

    def _note_failure(self, exc: BaseException) -> None:
        self.stats.failed_attempts += 1
        self.stats.last_error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        if not self._spool.backlog and not self._held:
            log.warning(
                "crashdb writer: database unavailable, spooling (%s)", self.stats.last_error
            )
        self._next_retry = time.monotonic() + self._retry_delay
        self._retry_delay = min(self._retry_delay * 2, self.retry_max)

    def _rescue_held(self) -> None:
        """At close: batches that could be neither written nor spooled go to a rescue spool
        directory (a RoundWriter with that ``spool_dir`` replays them); if even that fails,
        they are logged as JSON lines. Either way the log says how many and where."""
        if not self._held:
            return
        units = [u for batch in self._held for u in batch]
        count = sum(len(u) for u in units)
        lines = []
        for unit in units:
            try:
                lines.append(encode_unit(self._encode(unit)))
            except Exception:  # pragma: no cover - a record always has a JSON form
                lines.append(repr(unit))
        root = self.rescue_dir
        try:
            rescue = Spool(root)
            path = rescue.append([json.loads(line) for line in lines])
            rescue.close()
        except Exception as exc:
            self.stats.lost_records += count
            log.error(
                "crashdb writer: %d record(s) could be written neither to the database nor to "
                "the spool %s nor to %s (%s); they follow, one JSON array of records per line:\n%s",
                count,
                self.spool_dir,
                root,
                exc,
                "\n".join(lines),
            )
        else:
            self.stats.rescued_records += count
            log.error(
                "crashdb writer: %d record(s) could be written neither to the database nor to "
                "the spool %s; saved to %s (a RoundWriter with spool_dir=%s replays them)",
                count,
                self.spool_dir,
                path,
                root,
            )
        self._held.clear()

    def _encode(self, unit: Sequence[Record]) -> SpoolUnit:
        to_json = record_to_json
        return [to_json(r) for r in unit]

    def _dead_letter(self, unit: Sequence[Record], exc: BaseException) -> None:
        self.stats.dead_lettered_units += 1
        self.stats.dead_lettered_records += len(unit)
        if isinstance(exc, ConflictingRecord):
            self.stats.conflicts += 1
        error = "".join(traceback.format_exception(exc))
        fields = (
            [{"field": e.field, "reason": e.reason, "row": e.row} for e in exc.errors]
            if isinstance(exc, InvalidRecord)
            else []
        )
        try:
            path = self._spool.dead_letter([encode_unit(self._encode(unit))], error, fields)
        except Exception:
            log.exception("crashdb writer: cannot dead-letter %r (refused: %s)", unit, exc)
            return
        log.error(
            "crashdb writer: database refused %d record(s) (%s: %s); saved to %s",
            len(unit),
            type(exc).__name__,
            str(exc).splitlines()[0] if str(exc) else "",
            path,
        )

    def _spool_or_hold(self, units: Sequence[Unit]) -> None:
        if self._held:
            self._held.append(units)
            return
        try:
            self._spool.append([self._encode(u) for u in units])
        except Exception:
            log.exception("crashdb writer: cannot spool to %s; keeping in memory", self.spool_dir)
            self._held.append(units)
            return
        self.stats.spooled_batches += 1
        self.stats.spooled_records += sum(len(u) for u in units)

    def _retry_held(self, force: bool = False) -> None:
        """Batches that could not be spooled (disk trouble): write them if the database is
        back and nothing older is spooled, else try the spool again. ``force`` ignores the
        retry back-off (closing: this is the last chance)."""
        while self._held:
            units = self._held[0]
            if not self._spool.backlog and (force or time.monotonic() >= self._next_retry):
                units = self._held[0] = self._write_direct(units)
                if not units:
                    self._held.pop(0)
                    continue
            try:
                self._spool.append([self._encode(u) for u in units])
            except Exception:
                return
            self._held.pop(0)
            self.stats.spooled_batches += 1
            self.stats.spooled_records += sum(len(u) for u in units)

    def _replay(self) -> None:
        """Replay spooled segments in order; stop at the first connection failure."""
        from_json: Callable[[dict[str, Any]], Record] = record_from_json
        while (segment := self._spool.first_segment()) is not None:
            try:
                units = [tuple(from_json(d) for d in u) for u in self._spool.read(segment)]
            except FileNotFoundError:
                self._spool.remove(segment)  # replayed by another writer meanwhile
                continue
            except Exception as exc:
                error = "".join(traceback.format_exception(exc))
                target = self._spool.dead_letter_segment(segment, error)
                log.error("crashdb writer: unreadable segment %s moved to %s", segment, target)
                continue
            if self._write_direct(units):
                return  # unavailable again; the whole segment is replayed later (idempotent)
            self.stats.replayed_segments += 1
            self.stats.replayed_records += sum(len(u) for u in units)
            self._spool.remove(segment)  # only now: its transaction committed
        if self._retry_delay != self.retry_initial:
            log.warning("crashdb writer: database is back; spool replayed")
        self._retry_delay = self.retry_initial
        self._next_retry = 0.0
