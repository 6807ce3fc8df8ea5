"""Ingest: every record, from any entry point, through one validator and one write path.

::

    bot call / batch / writer / file import / simulator / HTTP collector
        -> validate  (records built and checked by the rules of ``rules``)
        -> store     (one transaction: insert, or COPY past a threshold)

Modules: :mod:`~crashdb.ingest.rules` (the one rule table: a rule per column) and
:mod:`~crashdb.ingest.values` (how a rule converts one value or checks a column),
:mod:`~crashdb.ingest.records` (the typed records), :mod:`~crashdb.ingest.fields`,
:mod:`~crashdb.ingest.rounds` and :mod:`~crashdb.ingest.validate` (the builders: keyword
arguments in, a record or :class:`~crashdb.InvalidRecord` out), :mod:`~crashdb.ingest.columnar`
(the same rules a column at a time, for large batches), :mod:`~crashdb.ingest.store` (the one
write path) with :mod:`~crashdb.ingest.tables`, :mod:`~crashdb.ingest.registry`,
:mod:`~crashdb.ingest.conflicts` and :mod:`~crashdb.ingest.copy` (PostgreSQL COPY), and
:mod:`~crashdb.ingest.files` (``crashdb import``).
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
