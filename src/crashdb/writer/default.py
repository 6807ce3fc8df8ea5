"""The process-wide writer the seed's ``log_*`` functions use when ``CRASHDB_USE_WRITER`` is
set (configured from the settings, closed at interpreter exit)."""

from __future__ import annotations

import os
import threading

from crashdb.writer.round_writer import RoundWriter

__all__ = ["close_default_writer", "get_default_writer"]

_default_writer: RoundWriter | None = None
_default_lock = threading.Lock()


def get_default_writer() -> RoundWriter:
    """The process-wide writer the plain ``log_*`` functions use when ``CRASHDB_USE_WRITER``
    is set; configured from the settings (spool dir, flush interval, batch size) and closed
    at interpreter exit. A new one is made after it was closed, or in a forked child."""
    global _default_writer
    writer = _default_writer
    if writer is not None and not writer.closed and writer.pid == os.getpid():
        return writer
    with _default_lock:
        writer = _default_writer
        if writer is None or writer.closed or writer.pid != os.getpid():
            writer = _default_writer = RoundWriter()
        return writer


def close_default_writer() -> None:
    """Flush and close the process-wide writer, if one was started."""
    global _default_writer
    with _default_lock:
        writer, _default_writer = _default_writer, None
    if writer is not None and writer.pid == os.getpid():
        writer.close()
