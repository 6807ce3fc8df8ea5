"""The RoundWriter: log from the bot loop without waiting, spool through outages.

Modules: :mod:`~crashdb.writer.round_writer` (the writer), :mod:`~crashdb.writer.spool`
(durable local segments), :mod:`~crashdb.writer.sink` (where batches go, the committer thread).
"""

from __future__ import annotations

from crashdb.writer.default import close_default_writer, get_default_writer
from crashdb.writer.round_writer import RoundWriter
from crashdb.writer.sink import DatabaseSink, RecordSink, WriterStats, is_unavailable_error

__all__ = [
    "DatabaseSink",
    "RecordSink",
    "RoundWriter",
    "WriterStats",
    "close_default_writer",
    "get_default_writer",
    "is_unavailable_error",
]
