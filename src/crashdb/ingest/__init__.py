"""Ingest: every record, from any entry point, through one validator and one write path.

::

    bot call / batch / writer / file import / simulator / HTTP collector
        -> validate  (records built and checked by the rules of ``rules``)
        -> store     (one transaction: insert, or COPY past a threshold)

Modules: :mod:`~crashdb.ingest.rules` (the one rule table: a rule per column),
:mod:`~crashdb.ingest.records` (the typed records), :mod:`~crashdb.ingest.validate` (the
builders: keyword arguments in, a record or :class:`~crashdb.InvalidRecord` out),
:mod:`~crashdb.ingest.columnar` (the same rules applied a column at a time),
:mod:`~crashdb.ingest.store` (the write path), :mod:`~crashdb.ingest.copy` (PostgreSQL
COPY), :mod:`~crashdb.ingest.files` (``crashdb import``).
"""

from __future__ import annotations

from crashdb.ingest.records import (
    ErrorRecord,
    MultiplierRecord,
    OCRRecord,
    OutcomeRecord,
    Record,
    RoundRecord,
    SessionStartRecord,
    SessionUpdateRecord,
    SignalRecord,
    record_from_json,
    record_to_json,
    round_uuid,
)
from crashdb.ingest.store import WriteResult, write_records
from crashdb.ingest.validate import (
    build_error,
    build_multiplier,
    build_ocr,
    build_outcome,
    build_record,
    build_round,
    build_session_start,
    build_session_update,
    build_signal,
)

__all__ = [
    "ErrorRecord",
    "MultiplierRecord",
    "OCRRecord",
    "OutcomeRecord",
    "Record",
    "RoundRecord",
    "SessionStartRecord",
    "SessionUpdateRecord",
    "SignalRecord",
    "WriteResult",
    "build_error",
    "build_multiplier",
    "build_ocr",
    "build_outcome",
    "build_record",
    "build_round",
    "build_session_start",
    "build_session_update",
    "build_signal",
    "record_from_json",
    "record_to_json",
    "round_uuid",
    "write_records",
]
