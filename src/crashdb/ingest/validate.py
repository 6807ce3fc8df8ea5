"""The builders: the seed's keyword arguments in, a validated record (or InvalidRecord) out.

Every entry point (the ``log_*`` functions, ``log_batch_rounds``, the RoundWriter,
``crashdb import``, the simulator, the HTTP collector) builds its records here, with the
rules of :mod:`crashdb.ingest.rules`; a builder never looks at the database, so a record is
the same whichever path built it, and what depends on other rows is checked by the one write
path (:mod:`crashdb.ingest.store`).

Derivations and checks, for rounds:

* ``profit_loss``: WIN ``stake * (cashout - 1)``, LOSS ``-stake``, SKIP ``0`` (rounded half-even
  to 4 decimals). Derived when omitted; when given it must equal the derivation exactly
  (ERROR rounds: taken as given, default 0).
* ``running_balance_after`` = ``running_balance_before + profit_loss``: derived, or checked.
* ``roi_percent`` = ``profit_loss / stake_value * 100`` rounded half-even to 4 decimals.
* Derived values must fit their columns like given ones (a WIN at a huge cash-out can overflow
  the ROI column: that is an InvalidRecord naming ``roi_percent``).
* WIN needs a cash-out at or below the crash point; a LOSS has no cash-out.
* ``round_start_timestamp`` defaults to now (UTC), ``bet_slot`` to 1; ``strategy_name`` left
  empty is filled from the bot's registration when the round is written.
* An ``id`` may be passed (a round loaded back from an export): it must be the id of the key.

Analytics, error and OCR records that name a ``round_id`` may leave out what the round
knows (bot, session, game, round number, time; an outcome may leave out its outcome, profit,
stake and strategy): the write path takes them from the round and checks what was given.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Table

from crashdb.db.models import (
    OUTCOMES,
    AnalyticsRoundMultiplier,
    AnalyticsRoundOutcome,
    AnalyticsRoundSignal,
    CrashGameRound,
    ErrorLog,
    OCRValidationLog,
    SessionLog,
)
from crashdb.exceptions import FieldError, InvalidRecord
from crashdb.ingest.records import (
    CRASHDB_NAMESPACE,
    ErrorRecord,
    MultiplierRecord,
    OCRRecord,
    OutcomeRecord,
    Record,
    RoundRecord,
    SessionStartRecord,
    SessionUpdateRecord,
    SignalRecord,
    construct,
    round_uuid,
)
from crashdb.ingest.rules import BadValue, Rule, roi_percent, rules_for, show_value, to_uuid

__all__ = [
    "OUTCOME_RULES",
    "RECORD_KINDS",
    "ROUND_DEFAULTS",
    "ROUND_LOOKUP",
    "ROUND_REQUIRED",
    "ROUND_RULES",
    "build_error",
    "build_multiplier",
    "build_ocr",
    "build_outcome",
    "build_record",
    "build_round",
    "build_session_start",
    "build_session_update",
    "build_signal",
    "derive_money",
    "field_name",
    "round_record",
    "round_values",
    "validate_round_rows",
]

_AUTO = frozenset({"id", "created_at", "updated_at"})
_BUCKETS = frozenset({"date_bucket", "hour_bucket"})  # derived from the time by the write path


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


ROUND_RULES = rules_for(_table(CrashGameRound), _AUTO)
_MULT_RULES = rules_for(_table(AnalyticsRoundMultiplier), _AUTO)
_SIGNAL_RULES = rules_for(_table(AnalyticsRoundSignal), _AUTO)
OUTCOME_RULES = rules_for(_table(AnalyticsRoundOutcome), _AUTO)
_ERROR_RULES = rules_for(_table(ErrorLog), _AUTO)
_OCR_RULES = rules_for(_table(OCRValidationLog), _AUTO)
_SESSION_RULES = rules_for(_table(SessionLog), _AUTO)


def _outcome_value(value: Any) -> str:
    if isinstance(value, str) and value.strip().upper() in OUTCOMES:
        return value.strip().upper()
    raise BadValue(f"unknown outcome {show_value(value)}: expected one of {', '.join(OUTCOMES)}")


def field_name(key: Any) -> str:
    """A key as an error names it: itself when it is short printable text, else a repr."""
    if isinstance(key, str) and key.isprintable() and len(key) <= 64:
        return key
    text = repr(key)
    return text if len(text) <= 64 else text[:61] + "..."


# key a caller may pass -> (column, converter of one value)
_Lookup = dict[str, tuple[str, Any]]


def _lookup(rules: Mapping[str, Rule], aliases: Mapping[str, str] = {}) -> _Lookup:
    out: _Lookup = {}
    for name, rule in rules.items():
        if name in _BUCKETS:
            continue
        convert = _outcome_value if name in ("round_outcome", "outcome") else rule.convert
        out[name] = (name, convert)
    for alias, name in aliases.items():
        if name in out:
            out[alias] = (name, out[name][1])
    return out


_ROUND_ALIASES = {
    "round_metadata": "metadata",
    "round_start_time": "round_start_timestamp",
    "round_end_time": "round_end_timestamp",
    "start_timestamp": "round_start_timestamp",
    "end_timestamp": "round_end_timestamp",
}
ROUND_LOOKUP = _lookup(ROUND_RULES, _ROUND_ALIASES)
_DERIVATION_INPUTS = frozenset(
    {"profit_loss", "crash_multiplier", "cashout_multiplier", "round_outcome", "stake_value"}
)
ROUND_REQUIRED = (
    "bot_id",
    "session_id",
    "game_name",
    "round_number",
    "stake_value",
    "round_outcome",
)
ROUND_DEFAULTS = (("bet_slot", 1), ("is_simulated", False), ("retry_count", 0), ("is_valid", True))
_ZERO = Decimal("0.0000")
_PROFIT = ROUND_RULES["profit_loss"]
_BALANCE_AFTER = ROUND_RULES["running_balance_after"]
_ROI = ROUND_RULES["roi_percent"]


def _now() -> datetime:
    return datetime.now(UTC)


def _convert(
    kw: Mapping[str, Any],
    lookup: _Lookup,
    errors: list[FieldError],
    row: int | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, raw in kw.items():
        entry = lookup.get(key)
        if entry is None:
            why = "is derived, not set" if key in _BUCKETS else "unknown field"
            errors.append(FieldError(field_name(key), why, row))
            continue
        if raw is None:
            values[entry[0]] = None
            continue
        try:
            values[entry[0]] = entry[1](raw)
        except BadValue as exc:
            errors.append(FieldError(key, str(exc), row))
    return values


def _require(
    values: Mapping[str, Any],
    names: Iterable[str],
    errors: list[FieldError],
    row: int | None,
    since: int,
) -> None:
    """``required`` for each missing name not already reported since ``errors[since]``."""
    bad = {e.field for e in errors[since:]}
    for name in names:
        if values.get(name) is None and name not in bad:
            errors.append(FieldError(name, "required", row))


# --------------------------------------------------------------------------- rounds


def round_values(
    kw: Mapping[str, Any], errors: list[FieldError], row: int | None = None
) -> dict[str, Any]:
    """Column values of a round (keyed by column name, without ``id``); appends what is wrong
    to ``errors`` (``row`` names the row of a batch)."""
    start = len(errors)
    v: dict[str, Any] = {}
    failed: set[str] = set()  # columns whose given value was refused
    lookup = ROUND_LOOKUP
    for key, raw in kw.items():
        entry = lookup.get(key)
        if entry is None:
            if key == "id":  # an exported round's id: checked against its key below
                continue
            errors.append(FieldError(field_name(key), "unknown field", row))
        elif raw is None:
            v[entry[0]] = None
        else:
            try:
                v[entry[0]] = entry[1](raw)
            except BadValue as exc:
                errors.append(FieldError(key, str(exc), row))
                failed.add(entry[0])
    _require(v, ROUND_REQUIRED, errors, row, start)
    bad = failed | {e.field for e in errors[start:]}
    for name, default in ROUND_DEFAULTS:
        if v.get(name) is None:
            v[name] = default
    began = v.get("round_start_timestamp")
    if began is None and "round_start_timestamp" not in bad:
        began = v["round_start_timestamp"] = _now()
        v["defaulted"] = _START_DEFAULTED
    end = v.get("round_end_timestamp")
    if end is not None and began is not None and end < began:
        errors.append(FieldError("round_end_timestamp", "before round_start_timestamp", row))
    given_id = kw.get("id")
    if given_id is not None and len(errors) == start:
        _check_round_id(given_id, v, errors, row)
    outcome = v.get("round_outcome")
    stake = v.get("stake_value")
    if outcome is None or stake is None or bad & _DERIVATION_INPUTS:
        return v
    balance_ok = not bad & {"running_balance_before", "running_balance_after"}
    profit, after, roi, problems = derive_money(
        outcome,
        stake,
        v.get("crash_multiplier"),
        v.get("cashout_multiplier"),
        v.get("profit_loss"),
        v.get("running_balance_before") if balance_ok else None,
        v.get("running_balance_after"),
        v.get("roi_percent") if "roi_percent" not in bad else None,
    )
    for name, reason in problems:
        errors.append(FieldError(name, reason, row))
    v["profit_loss"] = profit
    if balance_ok and after is not None:
        v["running_balance_after"] = after
    if "roi_percent" not in bad and roi is not None:
        v["roi_percent"] = roi
    return v


Problem = tuple[str, str]


def derive_money(
    outcome: str,
    stake: Decimal,
    crash: Decimal | None,
    cashout: Decimal | None,
    profit: Decimal | None,
    before: Decimal | None,
    after: Decimal | None,
    roi: Decimal | None,
) -> tuple[Decimal | None, Decimal | None, Decimal | None, list[Problem]]:
    """A round's profit, balance after and ROI, derived from its outcome, stake and
    multipliers (or checked when given): ``(profit, after, roi, problems)``. The one
    definition, for the row-by-row and the columnar validation alike."""
    problems: list[Problem] = []
    derived: Decimal | None = None
    how = ""
    if outcome == "WIN":
        if cashout is not None:
            if crash is not None and cashout > crash:
                problems.append(
                    (
                        "cashout_multiplier",
                        f"a WIN cannot cash out at {cashout}, above the crash point {crash}",
                    )
                )
            try:
                derived = _PROFIT.check_derived(stake * (cashout - 1))
            except BadValue as exc:
                problems.append(("profit_loss", str(exc)))
                return profit, after, roi, problems
            how = f"stake_value * (cashout_multiplier - 1) = {stake} * ({cashout} - 1)"
        elif profit is None:
            problems.append(
                ("profit_loss", "required for a WIN without cashout_multiplier (cannot be derived)")
            )
            return profit, after, roi, problems
    elif outcome == "LOSS":
        if cashout is not None:
            problems.append(("cashout_multiplier", f"a LOSS has no cash-out (got {cashout})"))
        derived, how = -stake, f"-stake_value = -{stake}"
    elif outcome == "SKIP":
        derived, how = _ZERO, "0 for a SKIP"
    elif profit is None:  # ERROR
        derived = _ZERO
    if profit is None:
        profit = derived
    elif derived is not None and how and profit != derived:
        problems.append(("profit_loss", f"{profit} does not match {how} = {derived}"))
        return profit, after, roi, problems
    assert profit is not None
    if before is not None:
        expected = before + profit
        if after is None:
            try:
                after = _BALANCE_AFTER.check_derived(expected)
            except BadValue as exc:
                problems.append(("running_balance_after", str(exc)))
        elif after != expected:
            problems.append(
                (
                    "running_balance_after",
                    f"{after} does not match running_balance_before + profit_loss = "
                    f"{before} + {profit} = {expected}",
                )
            )
    if stake > 0:
        try:
            derived_roi = _ROI.check_derived(roi_percent(profit, stake))
        except BadValue as exc:
            problems.append(("roi_percent", str(exc)))
        else:
            if roi is not None and roi != derived_roi:
                problems.append(
                    (
                        "roi_percent",
                        f"{roi} does not match profit_loss / stake_value * 100 = {derived_roi}",
                    )
                )
            roi = derived_roi
    return profit, after, roi, problems


_START_DEFAULTED = frozenset({"round_start_timestamp"})


def _check_round_id(
    given: Any, v: dict[str, Any], errors: list[FieldError], row: int | None
) -> None:
    """An ``id`` passed with a round (an export loaded back) must be the id of its key."""
    try:
        rid = to_uuid(given)
    except BadValue as exc:
        errors.append(FieldError("id", str(exc), row))
        return
    derived = round_uuid(v["bot_id"], v["session_id"], v["round_number"], v["bet_slot"])
    if rid != derived:
        errors.append(
            FieldError(
                "id",
                f"{rid} is not the id of (bot_id, session_id, round_number, bet_slot) = "
                f"{(v['bot_id'], v['session_id'], v['round_number'], v['bet_slot'])}: {derived}",
                row,
            )
        )


def round_record(v: dict[str, Any]) -> RoundRecord:
    rid = round_uuid(v["bot_id"], v["session_id"], v["round_number"], v["bet_slot"])
    meta = v.pop("metadata", None)
    return construct(RoundRecord, id=rid, round_metadata=meta, **v)


def build_round(**kw: Any) -> RoundRecord:
    """A validated :class:`RoundRecord` from ``log_crash_round``'s keyword arguments."""
    errors: list[FieldError] = []
    v = round_values(kw, errors)
    if errors:
        raise InvalidRecord(errors, "round")
    return round_record(v)


def validate_round_rows(rounds: Iterable[Any], first_row: int = 0) -> list[RoundRecord]:
    """Records for every row of a batch, or InvalidRecord naming every bad row and field."""
    records: list[RoundRecord] = []
    errors: list[FieldError] = []
    for i, kw in enumerate(rounds, start=first_row):
        if not isinstance(kw, Mapping):
            errors.append(FieldError("row", f"expected a dict, got {type(kw).__name__}", i))
            continue
        before = len(errors)
        v = round_values(kw, errors, i)
        if len(errors) == before:
            records.append(round_record(v))
    if errors:
        raise InvalidRecord(errors, "batch of rounds")
    return records


# --------------------------------------------------------------------------- analytics

R = TypeVar("R", bound=Record)


def _uuid5(*parts: object) -> uuid.UUID:
    return uuid.uuid5(CRASHDB_NAMESPACE, "\x1f".join(str(p) for p in parts))


def _analytics_values(
    kw: Mapping[str, Any],
    lookup: _Lookup,
    errors: list[FieldError],
    *,
    round_required: bool = True,
) -> dict[str, Any]:
    start = len(errors)
    v = _convert(kw, lookup, errors)
    if v.get("round_id") is None and round_required:
        _require(v, ("round_id",), errors, None, start)
        if errors and errors[-1].field == "round_id" and errors[-1].reason == "required":
            errors[-1] = FieldError("round_id", "required (the id log_crash_round returned)")
    if v.get("timestamp") is None:
        v["timestamp"] = None
        if v.get("round_id") is None:  # with a round: the round's time, set by the write path
            v["timestamp"] = _now()
            v["defaulted"] = _TIME_DEFAULTED
    return v


_TIME_DEFAULTED = frozenset({"timestamp"})
_MULT_LOOKUP = _lookup(_MULT_RULES)
_SIGNAL_LOOKUP = _lookup(_SIGNAL_RULES, {"pattern_type": "pattern_match_type"})
_OUTCOME_LOOKUP = _lookup(OUTCOME_RULES, {"round_outcome": "outcome"})
_MULT_FLAGS = (("crash", "is_crash"), ("cashout", "is_cashout"), ("max", "is_max"))


def build_multiplier(**kw: Any) -> MultiplierRecord:
    """``log_round_multiplier_analytics``: a multiplier seen in a round (crash, cash-out...)."""
    errors: list[FieldError] = []
    v = _analytics_values(kw, _MULT_LOOKUP, errors)
    _require(v, ("multiplier",), errors, None, 0)
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
    _require(v, ("signal_type",), errors, None, 0)
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


_ERROR_LOOKUP = _lookup(_ERROR_RULES, {"metadata": "context"})
_OCR_LOOKUP = _lookup(_OCR_RULES, {"status": "validation_status"})


def _support_values(
    kw: Mapping[str, Any], lookup: _Lookup, errors: list[FieldError]
) -> dict[str, Any]:
    v = _convert(kw, lookup, errors)
    if v.get("timestamp") is None:
        v["timestamp"] = _now()
        v["defaulted"] = _TIME_DEFAULTED
    return v


def build_error(**kw: Any) -> ErrorRecord:
    """``log_error``: an error a bot hit and how it recovered."""
    errors: list[FieldError] = []
    v = _support_values(kw, _ERROR_LOOKUP, errors)
    _require(v, ("error_type",), errors, None, 0)
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
_SESSION_START_LOOKUP = _lookup(
    {k: r for k, r in _SESSION_RULES.items() if k in _SESSION_START_FIELDS}, _SESSION_ALIASES
)
_SESSION_UPDATE_LOOKUP = _lookup(
    {k: r for k, r in _SESSION_RULES.items() if k in _SESSION_UPDATE_FIELDS},
    {"end_time": "end_timestamp"},
)


def _session_values(
    kw: Mapping[str, Any], lookup: _Lookup, errors: list[FieldError]
) -> dict[str, Any]:
    v = _convert(kw, lookup, errors)
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
    _require(v, ("bot_id", "session_id"), errors, None, 0)
    if v.get("start_timestamp") is None:
        v["start_timestamp"] = _now()
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
    _require(v, ("session_id",), errors, None, 0)
    status = v.get("status")
    if v.get("end_timestamp") is None and status is not None and status != "active":
        v["end_timestamp"] = _now()
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
