"""The builders: the seed's keyword arguments in, a validated record (or InvalidRecord) out.

Every entry point (the ``log_*`` functions, ``log_batch_rounds``, the RoundWriter,
``crashdb import``, the simulator, the HTTP collector) builds its records here, with the
rules of :mod:`crashdb.ingest.rules`; a builder never looks at the database, so a record is
the same whichever path built it, and what depends on other rows is checked by the one write
path (:mod:`crashdb.ingest.store`).

Rounds are built by :mod:`crashdb.ingest.rounds`; the other kinds here.

Analytics, error and OCR records that name a ``round_id`` may leave out what the round
knows (bot, session, game, round number, time; an outcome may leave out its outcome, profit,
stake and strategy): the write path takes them from the round and checks what was given.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, TypeVar

from crashdb.exceptions import FieldError, InvalidRecord
from crashdb.ingest.fields import (
    ERROR_RULES,
    MULT_RULES,
    OCR_RULES,
    OUTCOME_RULES,
    SESSION_RULES,
    SIGNAL_RULES,
    Lookup,
    convert,
    field_name,
    lookup,
    now,
    require,
)
from crashdb.ingest.records import (
    CRASHDB_NAMESPACE,
    ErrorRecord,
    MultiplierRecord,
    OCRRecord,
    OutcomeRecord,
    Record,
    SessionStartRecord,
    SessionUpdateRecord,
    SignalRecord,
    construct,
)
from crashdb.ingest.rounds import ROUND_LOOKUP, build_round

__all__ = [
    "ACCEPTED_FIELDS",
    "RECORD_KINDS",
    "build_error",
    "build_multiplier",
    "build_ocr",
    "build_outcome",
    "build_record",
    "build_round",
    "build_session_start",
    "build_session_update",
    "build_signal",
]

# --------------------------------------------------------------------------- analytics

R = TypeVar("R", bound=Record)


def _uuid5(*parts: object) -> uuid.UUID:
    return uuid.uuid5(CRASHDB_NAMESPACE, "\x1f".join(str(p) for p in parts))


def _analytics_values(
    kw: Mapping[str, Any],
    lookup: Lookup,
    errors: list[FieldError],
    *,
    round_required: bool = True,
) -> dict[str, Any]:
    start = len(errors)
    v = convert(kw, lookup, errors)
    if v.get("round_id") is None and round_required:
        require(v, ("round_id",), errors, None, start)
        if errors and errors[-1].field == "round_id" and errors[-1].reason == "required":
            errors[-1] = FieldError("round_id", "required (the id log_crash_round returned)")
    if v.get("timestamp") is None:
        v["timestamp"] = None
        if v.get("round_id") is None:  # with a round: the round's time, set by the write path
            v["timestamp"] = now()
            v["defaulted"] = _TIME_DEFAULTED
    return v


_TIME_DEFAULTED = frozenset({"timestamp"})
_MULT_LOOKUP = lookup(MULT_RULES)
_SIGNAL_LOOKUP = lookup(SIGNAL_RULES, {"pattern_type": "pattern_match_type"})
_OUTCOME_LOOKUP = lookup(OUTCOME_RULES, {"round_outcome": "outcome"})
_MULT_FLAGS = (("crash", "is_crash"), ("cashout", "is_cashout"), ("max", "is_max"))


def build_multiplier(**kw: Any) -> MultiplierRecord:
    """``log_round_multiplier_analytics``: a multiplier seen in a round (crash, cash-out...)."""
    errors: list[FieldError] = []
    v = _analytics_values(kw, _MULT_LOOKUP, errors)
    require(v, ("multiplier",), errors, None, 0)
    for _, flag in _MULT_FLAGS:
        if v.get(flag) is None:
            v[flag] = False
    if v.get("multiplier_kind") is None:
        v["multiplier_kind"] = next((k for k, f in _MULT_FLAGS if v[f]), "observed")
    if errors:
        raise InvalidRecord(errors, "multiplier")
    mid = _uuid5("multiplier", v["round_id"], v["multiplier_kind"])
    return construct(MultiplierRecord, id=mid, **v)


def build_signal(**kw: Any) -> SignalRecord:
    """``log_round_signal``: a signal (prediction) for a round and, later, whether it was right."""
    errors: list[FieldError] = []
    v = _analytics_values(kw, _SIGNAL_LOOKUP, errors, round_required=False)
    require(v, ("signal_type",), errors, None, 0)
    target, actual = v.get("target_multiplier"), v.get("actual_multiplier")
    if v.get("signal_correctness") is None and target is not None and actual is not None:
        v["signal_correctness"] = actual >= target
    if errors:
        raise InvalidRecord(errors, "signal")
    if v.get("round_id") is not None:
        sid = _uuid5("signal", v["round_id"], v["signal_type"])
    elif v.get("bot_id") is not None and v.get("round_number") is not None:
        sid = _uuid5(
            "signal", v["bot_id"], v.get("session_id"), v["round_number"], v["signal_type"]
        )
    else:
        sid = uuid.uuid4()
    return construct(SignalRecord, id=sid, **v)


def build_outcome(**kw: Any) -> OutcomeRecord:
    """``log_round_outcome``: the outcome of a bet, for reporting. Outcome, profit, stake and
    strategy default to the round's; ROI is derived by the write path from the final values."""
    errors: list[FieldError] = []
    v = _analytics_values(kw, _OUTCOME_LOOKUP, errors)
    target, actual = v.get("target_multiplier"), v.get("actual_multiplier")
    if v.get("hit_target") is None and target is not None and actual is not None:
        v["hit_target"] = actual >= target
    if errors:
        raise InvalidRecord(errors, "outcome")
    return construct(OutcomeRecord, id=_uuid5("outcome", v["round_id"]), **v)


_ERROR_LOOKUP = lookup(ERROR_RULES, {"metadata": "context"})
_OCR_LOOKUP = lookup(OCR_RULES, {"status": "validation_status"})


def _support_values(
    kw: Mapping[str, Any], lookup: Lookup, errors: list[FieldError]
) -> dict[str, Any]:
    v = convert(kw, lookup, errors)
    if v.get("timestamp") is None:
        v["timestamp"] = now()
        v["defaulted"] = _TIME_DEFAULTED
    return v


def build_error(**kw: Any) -> ErrorRecord:
    """``log_error``: an error a bot hit and how it recovered."""
    errors: list[FieldError] = []
    v = _support_values(kw, _ERROR_LOOKUP, errors)
    require(v, ("error_type",), errors, None, 0)
    if v.get("severity") is None:
        v["severity"] = "error"
    if v.get("resolved") is None:
        v["resolved"] = False
    if errors:
        raise InvalidRecord(errors, "error")
    return construct(ErrorRecord, id=uuid.uuid4(), **v)


def build_ocr(**kw: Any) -> OCRRecord:
    """``log_ocr_validation``: what the OCR read, what it was cleaned to, whether it passed."""
    errors: list[FieldError] = []
    v = _support_values(kw, _OCR_LOOKUP, errors)
    if v.get("validation_status") is None:
        v["validation_status"] = "unknown"
    if errors:
        raise InvalidRecord(errors, "ocr")
    return construct(OCRRecord, id=uuid.uuid4(), **v)


# --------------------------------------------------------------------------- sessions

_SESSION_ALIASES = {"start_time": "start_timestamp", "end_time": "end_timestamp"}
_SESSION_START_FIELDS = frozenset(
    {
        "bot_id",
        "session_id",
        "game_name",
        "platform_code",
        "strategy_name",
        "status",
        "start_timestamp",
        "initial_balance",
        "notes",
        "metadata",
    }
)
_SESSION_UPDATE_FIELDS = frozenset(
    {"bot_id", "session_id", "final_balance", "status", "notes", "end_timestamp", "metadata"}
)
_SESSION_START_LOOKUP = lookup(
    {k: r for k, r in SESSION_RULES.items() if k in _SESSION_START_FIELDS}, _SESSION_ALIASES
)
_SESSION_UPDATE_LOOKUP = lookup(
    {k: r for k, r in SESSION_RULES.items() if k in _SESSION_UPDATE_FIELDS},
    {"end_time": "end_timestamp"},
)


def _session_values(
    kw: Mapping[str, Any], lookup: Lookup, errors: list[FieldError]
) -> dict[str, Any]:
    v = convert(kw, lookup, errors)
    if "metadata" in v:
        v["session_metadata"] = v.pop("metadata")
    return v


def _positional(
    func: str, names: tuple[str, ...], args: tuple[Any, ...], kw: dict[str, Any]
) -> dict[str, Any]:
    if len(args) > len(names):
        raise TypeError(f"{func}() takes at most {len(names)} positional arguments")
    for name, value in zip(names, args, strict=False):
        if name in kw:
            raise TypeError(f"{func}() got multiple values for argument {name!r}")
        kw[name] = value
    return kw


def build_session_start(*args: Any, **kw: Any) -> SessionStartRecord:
    """``create_session_log``: a new session (completes one that rounds registered)."""
    kw = _positional("create_session_log", ("bot_id", "session_id"), args, kw)
    errors: list[FieldError] = []
    v = _session_values(kw, _SESSION_START_LOOKUP, errors)
    require(v, ("bot_id", "session_id"), errors, None, 0)
    if v.get("start_timestamp") is None:
        v["start_timestamp"] = now()
    if v.get("status") is None:
        v["status"] = "active"
    if errors:
        raise InvalidRecord(errors, "session")
    return construct(SessionStartRecord, id=_uuid5("session", v["bot_id"], v["session_id"]), **v)


def build_session_update(*args: Any, **kw: Any) -> SessionUpdateRecord:
    """``update_session_log``: final balance, status, notes; closing statuses set the end time."""
    kw = _positional("update_session_log", ("session_id",), args, kw)
    errors: list[FieldError] = []
    v = _session_values(kw, _SESSION_UPDATE_LOOKUP, errors)
    require(v, ("session_id",), errors, None, 0)
    status = v.get("status")
    if v.get("end_timestamp") is None and status is not None and status != "active":
        v["end_timestamp"] = now()
    if errors:
        raise InvalidRecord(errors, "session update")
    return construct(SessionUpdateRecord, id=uuid.uuid4(), **v)


# --------------------------------------------------------------------------- any kind

_BUILDERS: dict[str, Any] = {
    "round": build_round,
    "multiplier": build_multiplier,
    "signal": build_signal,
    "outcome": build_outcome,
    "error": build_error,
    "ocr": build_ocr,
    "session": build_session_start,
    "session_start": build_session_start,
    "session_update": build_session_update,
}
RECORD_KINDS = tuple(_BUILDERS)
# The keyword arguments each kind accepts (the matching log_* function's), aliases included.
ACCEPTED_FIELDS: dict[str, tuple[str, ...]] = {
    "round": (*sorted(ROUND_LOOKUP), "id"),
    "multiplier": tuple(sorted(_MULT_LOOKUP)),
    "signal": tuple(sorted(_SIGNAL_LOOKUP)),
    "outcome": tuple(sorted(_OUTCOME_LOOKUP)),
    "error": tuple(sorted(_ERROR_LOOKUP)),
    "ocr": tuple(sorted(_OCR_LOOKUP)),
    "session": tuple(sorted(_SESSION_START_LOOKUP)),
    "session_start": tuple(sorted(_SESSION_START_LOOKUP)),
    "session_update": tuple(sorted(_SESSION_UPDATE_LOOKUP)),
}


def build_record(kind: str, fields: Mapping[str, Any]) -> Record:
    """The record of ``kind`` ("round", "multiplier", "signal", "outcome", "error", "ocr",
    "session" or "session_start", "session_update") from the keyword arguments of the matching
    ``log_*`` function: the same validation as that function."""
    builder = _BUILDERS.get(kind) if isinstance(kind, str) else None
    if builder is None:
        expected = ", ".join(RECORD_KINDS)
        raise InvalidRecord(
            [FieldError("kind", f"unknown kind {field_name(kind)}: expected one of {expected}")]
        )
    bad = [k for k in fields if not isinstance(k, str)]
    if bad:
        raise InvalidRecord([FieldError(field_name(k), "unknown field") for k in bad], kind)
    record: Record = builder(**fields)
    return record
