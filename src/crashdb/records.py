"""Validated records: what a bot logs, checked and completed before it goes anywhere.

Each kind of thing a bot logs has a pydantic model with a ``kind`` discriminator and its final
primary key ``id``, computed client side, so ``log_crash_round`` can return the id before any
database round trip and a replay lands on the same row:

=====================  ====================  ==============================================
record                 kind                  id
=====================  ====================  ==============================================
RoundRecord            ``"round"``           uuid5 of (bot, session, round_number, bet_slot)
MultiplierRecord       ``"multiplier"``      uuid5 of (round_id, multiplier_kind)
SignalRecord           ``"signal"``          uuid5 of (round_id, signal_type)
OutcomeRecord          ``"outcome"``         uuid5 of round_id
ErrorRecord            ``"error"``           uuid4 at build time
OCRRecord              ``"ocr"``             uuid4 at build time
SessionStartRecord     ``"session_start"``   uuid5 of (bot, session)
SessionUpdateRecord    ``"session_update"``  uuid4 at build time
=====================  ====================  ==============================================

The ``build_*`` functions take the keyword arguments of the seed's ``log_*`` functions and
raise :class:`crashdb.InvalidRecord` naming every bad field and why (nothing is written).
:func:`record_to_json` / :func:`record_from_json` round-trip a record exactly (the spool format).

Models: :mod:`crashdb._record_models`; checks and derivations: :mod:`crashdb._build`;
per-column converters: :mod:`crashdb._fields`.
"""

from __future__ import annotations

from crashdb._build import (
    build_error,
    build_multiplier,
    build_ocr,
    build_outcome,
    build_round,
    build_session_start,
    build_session_update,
    build_signal,
)
from crashdb._record_models import (
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
    "build_error",
    "build_multiplier",
    "build_ocr",
    "build_outcome",
    "build_round",
    "build_session_start",
    "build_session_update",
    "build_signal",
    "record_from_json",
    "record_to_json",
    "round_uuid",
]
