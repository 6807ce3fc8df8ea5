"""The RoundWriter's local durable spool: ordered, fsynced JSON Lines segments.

Layout of a spool directory (several writers, even in several processes, may share one)::

    spool_dir/
        00001763786400123456789-4242-9f3a1c/   one directory per writer that has spooled
            writer.lock                       flock'ed by that writer while it lives
            000000000001.jsonl                segments, replayed in this (name) order
            000000000002.jsonl
        dead-letter/                          batches the database refused for a non-
            <time>-<n>.jsonl                  connection reason, plus <same>.error.txt
            <time>-<n>.error.txt

A segment holds one batch: one line per *unit* (a JSON array of records that belong in one
transaction, such as a ``log_batch_rounds`` call). It is written to a temporary name, flushed,
``os.fsync``'ed and renamed into place, and the directory is fsync'ed: a segment either
exists completely or not at all, so a crash can never leave a torn one.

A writer's directory whose lock nobody holds belongs to a process that died: a new writer
*adopts* it (takes its lock) and replays its segments before its own. This class is not
thread-safe; the RoundWriter calls it from one thread at a time.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEAD_LETTER_DIR",
    "LOCK_NAME",
    "SEGMENT_SUFFIX",
    "Spool",
    "SpoolUnit",
    "encode_unit",
]

log = logging.getLogger("crashdb.writer")

SEGMENT_SUFFIX = ".jsonl"
LOCK_NAME = "writer.lock"
DEAD_LETTER_DIR = "dead-letter"
_WRITER_DIR = re.compile(r"^\d{20}-\d+-[0-9a-f]+$")
_SEGMENT = re.compile(r"^\d{12}\.jsonl$")

# One unit as stored: the JSON-safe dicts of records that go in one transaction.
SpoolUnit = list[dict[str, Any]]


def encode_unit(unit: SpoolUnit) -> str:
    """One unit as a spool line: ASCII JSON, so any text a record can hold (even a string that
    UTF-8 cannot encode) is written, and read back exactly."""
    return json.dumps(unit, separators=(",", ":"), ensure_ascii=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, lines: Iterable[str]) -> None:
    """Write ``lines`` to ``path`` atomically: temp file, flush, fsync, rename, fsync dir."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(line)
            f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _try_lock(path: Path) -> int | None:
    """An fd holding an exclusive flock on ``path``, or None if another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@dataclass
class _WriterDir:
    path: Path
    lock_fd: int
    owned: bool  # True: this writer's own directory; False: adopted from a dead process
    next_seq: int = 1
    segments: deque[Path] = field(default_factory=deque)


class Spool:
    """One writer's handle on a spool directory: its own segments plus adopted ones."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._dirs: deque[_WriterDir] = deque()  # replay order: adopted first, own last
        self._own: _WriterDir | None = None
        self._dead_seq = 0

    # --- state

    @property
    def backlog(self) -> int:
        """Number of segments waiting to be replayed (adopted and own)."""
        return sum(len(d.segments) for d in self._dirs)

    def first_segment(self) -> Path | None:
        for d in self._dirs:
            if d.segments:
                return d.segments[0]
        return None

    def segments(self) -> list[Path]:
        """Every pending segment in replay order."""
        return [s for d in self._dirs for s in d.segments]

    # --- adoption of segments left by dead processes

    def adopt_orphans(self) -> int:
        """Take over the directories of writers that are gone; returns the segments adopted."""
        if not self.root.is_dir():
            return 0
        adopted = 0
        own = self._own.path if self._own else None
        known = {d.path for d in self._dirs}
        for path in sorted(p for p in self.root.iterdir() if _WRITER_DIR.match(p.name)):
            if path == own or path in known or not path.is_dir():
                continue
            try:
                fd = _try_lock(path / LOCK_NAME)
            except FileNotFoundError:  # removed by its owner meanwhile
                continue
            if fd is None:
                continue  # a live writer (this process or another) owns it
            segs = sorted(p for p in path.iterdir() if _SEGMENT.match(p.name))
            wd = _WriterDir(path, fd, owned=False, segments=deque(segs))
            # Adopted directories replay before this writer's own segments.
            if self._own is not None:
                self._dirs.insert(len(self._dirs) - 1, wd)
            else:
                self._dirs.append(wd)
            adopted += len(segs)
            if segs:
                log.info("crashdb writer: adopted %d spooled segment(s) from %s", len(segs), path)
            self._cleanup(wd)
        return adopted

    # --- writing

    def _own_dir(self) -> _WriterDir:
        if self._own is None:
            self.root.mkdir(parents=True, exist_ok=True)
            name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}"
            path = self.root / name
            path.mkdir()
            fd = _try_lock(path / LOCK_NAME)
            if fd is None:  # pragma: no cover - a fresh random name cannot be locked
                raise OSError(f"cannot lock new spool directory {path}")
            self._own = _WriterDir(path, fd, owned=True)
            self._dirs.append(self._own)
            _fsync_dir(self.root)
        return self._own

    def append(self, units: Sequence[SpoolUnit]) -> Path:
        """Durably store one batch as a new segment at the end of the backlog."""
        own = self._own_dir()
        path = own.path / f"{own.next_seq:012d}{SEGMENT_SUFFIX}"
        lines = [encode_unit(u) for u in units]
        _write_durably(path, lines)
        own.next_seq += 1
        own.segments.append(path)
        return path

    # --- reading and removing

    @staticmethod
    def read(path: Path) -> list[SpoolUnit]:
        """The units of a segment (raises FileNotFoundError, ValueError on corruption)."""
        with open(path, encoding="utf-8") as f:
            units = [json.loads(line) for line in f if line.strip()]
        for u in units:
            if not isinstance(u, list):
                raise ValueError(f"{path}: a line is not a JSON array of records")
        return units

    def _dir_of(self, path: Path) -> _WriterDir:
        for d in self._dirs:
            if d.segments and d.segments[0] == path:
                return d
        raise ValueError(f"{path} is not the head of a spool directory")

    def remove(self, path: Path) -> None:
        """Forget a replayed segment (its transaction committed) and delete the file."""
        d = self._dir_of(path)
        d.segments.popleft()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        with contextlib.suppress(OSError):
            _fsync_dir(d.path)
        self._cleanup(d)

    def _cleanup(self, d: _WriterDir) -> None:
        """Release an adopted directory once it is empty."""
        if d.owned or d.segments:
            return
        self._release(d)

    def _release(self, d: _WriterDir) -> None:
        with contextlib.suppress(OSError):
            for p in d.path.iterdir():
                if p.name.endswith(".tmp"):
                    p.unlink()  # a segment whose write never completed (never promised)
            (d.path / LOCK_NAME).unlink()
            d.path.rmdir()
        os.close(d.lock_fd)
        with contextlib.suppress(ValueError):
            self._dirs.remove(d)
        if d is self._own:
            self._own = None

    # --- dead letters

    def dead_letter(
        self, lines: Sequence[str], error: str, errors: Sequence[dict[str, Any]] = ()
    ) -> Path:
        """Store units the database refused (not for a connection reason) for inspection:
        ``<stem>.jsonl`` (the units), ``<stem>.error.txt`` (what was raised) and, for a refused
        record, ``<stem>.errors.json`` (each field and reason)."""
        dead = self.root / DEAD_LETTER_DIR
        dead.mkdir(parents=True, exist_ok=True)
        self._dead_seq += 1
        stem = f"{time.time_ns():020d}-{os.getpid()}-{self._dead_seq:06d}"
        path = dead / f"{stem}{SEGMENT_SUFFIX}"
        _write_durably(path, lines)
        _write_durably(dead / f"{stem}.error.txt", [error])
        if errors:
            _write_durably(dead / f"{stem}.errors.json", [json.dumps(list(errors))])
        return path

    def dead_letter_segment(self, path: Path, error: str) -> Path:
        """Move an unreadable or refused segment to the dead-letter directory."""
        d = self._dir_of(path)
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = [line.rstrip("\n") for line in f]
        except FileNotFoundError:
            lines = []
        target = self.dead_letter(lines, error)
        d.segments.popleft()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self._cleanup(d)
        return target

    # --- shutdown

    def close(self) -> None:
        """Release every directory; empty ones are removed, others stay for the next writer."""
        for d in list(self._dirs):
            if d.segments:
                os.close(d.lock_fd)
                self._dirs.remove(d)
                if d is self._own:
                    self._own = None
            else:
                self._release(d)
