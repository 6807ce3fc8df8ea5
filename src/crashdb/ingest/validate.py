"""Builders: the seed's keyword arguments in, a validated record (or InvalidRecord) out.

Derivations and checks, for rounds:

* ``profit_loss``: WIN ``stake * (cashout - 1)``, LOSS ``-stake``, SKIP ``0`` (rounded half-even
  to 4 decimals). Derived when omitted; when given it must equal the derivation exactly
  (ERROR rounds: taken as given, default 0).
* ``running_balance_after`` = ``running_balance_before + profit_loss``: derived, or checked.
* ``roi_percent`` = ``profit_loss / stake_value * 100`` rounded half-even to 4 decimals.
* WIN needs a cash-out at or below the crash point; a LOSS has no cash-out.
* ``round_start_timestamp`` defaults to now (UTC), ``bet_slot`` to 1; ``strategy_name`` left
  empty is filled from the bot's registration when the round is written.

Analytics, error and OCR records that name a ``round_id`` take the missing bot, session, game
and round number from the round, found in a small in-process cache of recently built rounds
(:func:`recent_round`); :mod:`crashdb.api` adds a database look-up behind it.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

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
from crashdb.ingest.rules import BadValue, Converter, converters_for, to_uuid

__all__ = [
    "RECORD_KINDS",
    "RoundContext",
    "build_error",
    "build_multiplier",
    "build_ocr",
    "build_outcome",
    "build_record",
    "build_round",
    "build_session_start",
    "build_session_update",
    "build_signal",
    "recent_round",
    "remember_round",
    "round_values",
    "validate_round_rows",
]

Q4 = Decimal("0.0001")
HUNDRED = Decimal(100)
_AUTO = frozenset({"id", "created_at", "updated_at"})


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _outcome(value: Any) -> str:
    if isinstance(value, str) and value.strip().upper() in OUTCOMES:
        return value.strip().upper()
    raise BadValue(f"unknown outcome {value!r}: expected one of {', '.join(OUTCOMES)}")


def _converters(model: Any, **overrides: Converter) -> dict[str, Converter]:
    conv = converters_for(_table(model), _AUTO)
    conv.update(overrides)
    return conv


ROUND_CONVERTERS = _converters(CrashGameRound, round_outcome=_outcome)
_MULT_CONV = _converters(AnalyticsRoundMultiplier)
_SIGNAL_CONV = _converters(AnalyticsRoundSignal)
_OUTCOME_CONV = _converters(AnalyticsRoundOutcome, outcome=_outcome)
_ERROR_CONV = _converters(ErrorLog)
_OCR_CONV = _converters(OCRValidationLog)
_SESSION_CONV = _converters(SessionLog)

_ROUND_ALIASES = {
    "round_metadata": "metadata",
    "round_start_time": "round_start_timestamp",
    "round_end_time": "round_end_timestamp",
    "start_timestamp": "round_start_timestamp",
    "end_timestamp": "round_end_timestamp",
}
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
# key a caller may pass -> (column name, converter)
ROUND_LOOKUP: dict[str, tuple[str, Converter]] = {
    **{name: (name, fn) for name, fn in ROUND_CONVERTERS.items()},
    **{alias: (name, ROUND_CONVERTERS[name]) for alias, name in _ROUND_ALIASES.items()},
}


def _convert(
    kw: Mapping[str, Any],
    conv: Mapping[str, Converter],
    errors: list[FieldError],
    row: int | None,
    aliases: Mapping[str, str],
    derived: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, raw in kw.items():
        name = aliases.get(key, key)
        fn = conv.get(name)
        if fn is None or name in derived:
            why = "is derived, not set" if name in derived else "unknown field"
            errors.append(FieldError(key, why, row))
            continue
        if raw is None:
            values[name] = None
            continue
        try:
            values[name] = fn(raw)
        except BadValue as exc:
            errors.append(FieldError(key, str(exc), row))
    return values


def _require(
    values: dict[str, Any],
    names: tuple[str, ...],
    errors: list[FieldError],
    row: int | None,
    already: int,
) -> None:
    bad = {e.field for e in errors[already:]}
    for name in names:
        if values.get(name) is None and name not in bad:
            errors.append(FieldError(name, "required", row))


def _now() -> datetime:
    return datetime.now(UTC)


def _q4(value: Decimal) -> Decimal:
    return value.quantize(Q4, rounding=ROUND_HALF_EVEN)


def round_values(
    kw: Mapping[str, Any], errors: list[FieldError], row: int | None = None
) -> dict[str, Any]:
    """Column values of a round (keyed by column name, incl. ``id``); appends to ``errors``."""
    start = len(errors)
    v: dict[str, Any] = {}
    lookup = ROUND_LOOKUP
    for key, raw in kw.items():
        entry = lookup.get(key)
        if entry is None:
            if key == "id":  # an exported round's id: checked against its key below
                continue
            errors.append(FieldError(key, "unknown field", row))
        elif raw is None:
            v[entry[0]] = None
        else:
            try:
                v[entry[0]] = entry[1](raw)
            except BadValue as exc:
                errors.append(FieldError(key, str(exc), row))
    if len(errors) > start:
        bad = {e.field for e in errors[start:]}
        for name in ROUND_REQUIRED:
            if v.get(name) is None and name not in bad:
                errors.append(FieldError(name, "required", row))
    else:
        bad = set()
        for name in ROUND_REQUIRED:
            if v.get(name) is None:
                errors.append(FieldError(name, "required", row))
    for name, default in ROUND_DEFAULTS:
        if v.get(name) is None:
            v[name] = default
    if v.get("round_start_timestamp") is None:
        v["round_start_timestamp"] = _now()
    outcome = v.get("round_outcome")
    stake = v.get("stake_value")
    crash = v.get("crash_multiplier")
    cashout = v.get("cashout_multiplier")
    profit = v.get("profit_loss")
    end = v.get("round_end_timestamp")
    if end is not None and end < v["round_start_timestamp"]:
        errors.append(FieldError("round_end_timestamp", "before round_start_timestamp", row))
    given_id = kw.get("id")
    if given_id is not None and len(errors) == start:
        _check_round_id(given_id, v, errors, row)
    if outcome is None or stake is None or bad & _DERIVATION_INPUTS:
        return v
    derived: Decimal | None = None
    how = ""
    if outcome == "WIN":
        if cashout is not None:
            if crash is not None and cashout > crash:
                errors.append(
                    FieldError(
                        "cashout_multiplier",
                        f"a WIN cannot cash out at {cashout}, above the crash point {crash}",
                        row,
                    )
                )
            derived = _q4(stake * (cashout - 1))
            how = f"stake_value * (cashout_multiplier - 1) = {stake} * ({cashout} - 1)"
        elif profit is None:
            errors.append(
                FieldError(
                    "profit_loss",
                    "required for a WIN without cashout_multiplier (cannot be derived)",
                    row,
                )
            )
            return v
    elif outcome == "LOSS":
        if cashout is not None:
            errors.append(
                FieldError("cashout_multiplier", f"a LOSS has no cash-out (got {cashout})", row)
            )
        derived, how = -stake, f"-stake_value = -{stake}"
    elif outcome == "SKIP":
        derived, how = Decimal(0).quantize(Q4), "0 for a SKIP"
    elif profit is None:  # ERROR
        derived = Decimal(0).quantize(Q4)
    if profit is None:
        profit = v["profit_loss"] = derived
    elif derived is not None and how and profit != derived:
        errors.append(FieldError("profit_loss", f"{profit} does not match {how} = {derived}", row))
        return v
    assert profit is not None
    before = v.get("running_balance_before")
    after = v.get("running_balance_after")
    if (
        before is not None
        and "running_balance_before" not in bad
        and "running_balance_after" not in bad
    ):
        expected = before + profit
        if after is None:
            if expected < 0:
                errors.append(
                    FieldError(
                        "running_balance_after", f"before + profit = {expected} is negative", row
                    )
                )
            v["running_balance_after"] = expected
        elif after != expected:
            errors.append(
                FieldError(
                    "running_balance_after",
                    f"{after} does not match running_balance_before + profit_loss = "
                    f"{before} + {profit} = {expected}",
                    row,
                )
            )
    if stake > 0 and "roi_percent" not in bad:
        roi = _q4(profit / stake * HUNDRED)
        given = v.get("roi_percent")
        if given is not None and given != roi:
            errors.append(
                FieldError(
                    "roi_percent",
                    f"{given} does not match profit_loss / stake_value * 100 = {roi}",
                    row,
                )
            )
        v["roi_percent"] = roi
    return v


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


def _invalid(errors: list[FieldError], kind: str) -> InvalidRecord:
    return InvalidRecord(errors, kind)


# --------------------------------------------------------------------------- round context


@dataclass(frozen=True, slots=True)
class RoundContext:
    """What analytics records borrow from their round."""

    id: uuid.UUID
    bot_id: str
    session_id: str
    round_number: int
    game_name: str | None
    platform_code: str | None
    strategy_name: str | None
    timestamp: datetime
    stake_value: Decimal | None
    profit_loss: Decimal | None
    round_outcome: str | None


_RECENT_MAX = 4096
# Rounds are kept as built (the context is made on look-up): one object less per round for
# the bot loop to allocate and for the garbage collector to scan.
_recent: OrderedDict[uuid.UUID, RoundContext | RoundRecord] = OrderedDict()
_recent_lock = threading.Lock()


def _remember(rid: uuid.UUID, item: RoundContext | RoundRecord) -> None:
    with _recent_lock:
        _recent[rid] = item
        _recent.move_to_end(rid)
        if len(_recent) > _RECENT_MAX:
            _recent.popitem(last=False)


def remember_round(ctx: RoundContext) -> None:
    _remember(ctx.id, ctx)


def _context(rec: RoundRecord) -> RoundContext:
    return RoundContext(
        rec.id,
        rec.bot_id,
        rec.session_id,
        rec.round_number,
        rec.game_name,
        rec.platform_code,
        rec.strategy_name,
        rec.round_start_timestamp,
        rec.stake_value,
        rec.profit_loss,
        rec.round_outcome,
    )


def recent_round(round_id: uuid.UUID) -> RoundContext | None:
    with _recent_lock:
        item = _recent.get(round_id)
    return _context(item) if isinstance(item, RoundRecord) else item


def build_round(**kw: Any) -> RoundRecord:
    """A validated :class:`RoundRecord` from ``log_crash_round``'s keyword arguments."""
    errors: list[FieldError] = []
    v = round_values(kw, errors)
    if errors:
        raise _invalid(errors, "round")
    rid = round_uuid(v["bot_id"], v["session_id"], v["round_number"], v["bet_slot"])
    meta = v.pop("metadata", None)
    rec = construct(RoundRecord, id=rid, round_metadata=meta, **v)
    _remember(rid, rec)
    return rec


# --------------------------------------------------------------------------- analytics

_IDENTITY = ("bot_id", "session_id", "round_number", "game_name", "platform_code")


def _analytics_common(
    kw: Mapping[str, Any],
    conv: Mapping[str, Converter],
    errors: list[FieldError],
    aliases: Mapping[str, str],
    *,
    round_required: bool = True,
    derived: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], RoundContext | None]:
    start = len(errors)
    v = _convert(kw, conv, errors, None, aliases, derived | {"date_bucket", "hour_bucket"})
    ctx: RoundContext | None = None
    rid = v.get("round_id")
    if rid is None:
        if round_required and "round_id" not in {e.field for e in errors[start:]}:
            errors.append(FieldError("round_id", "required (the id log_crash_round returned)"))
    else:
        ctx = recent_round(rid)
    if ctx is not None:
        for name in _IDENTITY:
            mine = getattr(ctx, name)
            if v.get(name) is None:
                v[name] = mine
            elif name in ("bot_id", "session_id", "round_number") and v[name] != mine:
                errors.append(FieldError(name, f"{v[name]!r} is not the round's {name} ({mine!r})"))
    if v.get("timestamp") is None:
        v["timestamp"] = ctx.timestamp if ctx is not None else _now()
    v["date_bucket"] = v["timestamp"].date()
    return v, ctx


def _uuid5(*parts: object) -> uuid.UUID:
    return uuid.uuid5(CRASHDB_NAMESPACE, "\x1f".join(str(p) for p in parts))


def build_multiplier(**kw: Any) -> MultiplierRecord:
    """``log_round_multiplier_analytics``: a multiplier seen in a round (crash, cash-out...)."""
    errors: list[FieldError] = []
    v, _ = _analytics_common(kw, _MULT_CONV, errors, {})
    _require(v, ("multiplier",), errors, None, 0)
    for flag in ("is_crash", "is_cashout", "is_max"):
        if v.get(flag) is None:
            v[flag] = False
    if v.get("multiplier_kind") is None:
        flags = (("crash", "is_crash"), ("cashout", "is_cashout"), ("max", "is_max"))
        v["multiplier_kind"] = next((k for k, f in flags if v[f]), "observed")
    if errors:
        raise _invalid(errors, "multiplier")
    return construct(
        MultiplierRecord, id=_uuid5("multiplier", v["round_id"], v["multiplier_kind"]), **v
    )


def build_signal(**kw: Any) -> SignalRecord:
    """``log_round_signal``: a signal (prediction) for a round and, later, whether it was right."""
    errors: list[FieldError] = []
    v, _ = _analytics_common(
        kw, _SIGNAL_CONV, errors, {"pattern_type": "pattern_match_type"}, round_required=False
    )
    _require(v, ("signal_type",), errors, None, 0)
    target, actual = v.get("target_multiplier"), v.get("actual_multiplier")
    if v.get("signal_correctness") is None and target is not None and actual is not None:
        v["signal_correctness"] = actual >= target
    if errors:
        raise _invalid(errors, "signal")
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
    """``log_round_outcome``: the outcome of a bet, for reporting."""
    errors: list[FieldError] = []
    v, ctx = _analytics_common(kw, _OUTCOME_CONV, errors, {"round_outcome": "outcome"})
    bad = {e.field for e in errors}
    if ctx is not None:
        for mine, theirs in (("outcome", "round_outcome"), ("profit_loss", "profit_loss")):
            if v.get(mine) is None:
                v[mine] = getattr(ctx, theirs)
            elif getattr(ctx, theirs) is not None and v[mine] != getattr(ctx, theirs):
                errors.append(
                    FieldError(
                        mine,
                        f"{v[mine]} does not match the round's {theirs} ({getattr(ctx, theirs)})",
                    )
                )
        if v.get("bet_amount") is None:
            v["bet_amount"] = ctx.stake_value
        if v.get("strategy_name") is None:
            v["strategy_name"] = ctx.strategy_name
    _require(v, ("outcome", "profit_loss"), errors, None, 0)
    profit, bet = v.get("profit_loss"), v.get("bet_amount")
    if profit is not None and bet is not None and bet > 0 and "roi_percent" not in bad:
        roi = _q4(profit / bet * HUNDRED)
        if v.get("roi_percent") is not None and v["roi_percent"] != roi:
            errors.append(
                FieldError(
                    "roi_percent",
                    f"{v['roi_percent']} does not match profit_loss / bet_amount * 100 = {roi}",
                )
            )
        v["roi_percent"] = roi
    target, actual = v.get("target_multiplier"), v.get("actual_multiplier")
    if v.get("hit_target") is None and target is not None and actual is not None:
        v["hit_target"] = actual >= target
    if errors:
        raise _invalid(errors, "outcome")
    v["hour_bucket"] = v["timestamp"].hour
    return construct(OutcomeRecord, id=_uuid5("outcome", v["round_id"]), **v)


def _support_common(
    kw: Mapping[str, Any],
    conv: Mapping[str, Converter],
    errors: list[FieldError],
    aliases: Mapping[str, str],
) -> dict[str, Any]:
    v = _convert(kw, conv, errors, None, aliases)
    rid = v.get("round_id")
    ctx = recent_round(rid) if rid is not None else None
    if ctx is not None:
        for name in ("bot_id", "session_id", "round_number"):
            if v.get(name) is None:
                v[name] = getattr(ctx, name)
    if v.get("timestamp") is None:
        v["timestamp"] = _now()
    return v


def build_error(**kw: Any) -> ErrorRecord:
    """``log_error``: an error a bot hit and how it recovered."""
    errors: list[FieldError] = []
    v = _support_common(kw, _ERROR_CONV, errors, {"metadata": "context"})
    _require(v, ("error_type",), errors, None, 0)
    v.setdefault("severity", "error")
    if v["severity"] is None:
        v["severity"] = "error"
    if v.get("resolved") is None:
        v["resolved"] = False
    if errors:
        raise _invalid(errors, "error")
    return construct(ErrorRecord, id=uuid.uuid4(), **v)


def build_ocr(**kw: Any) -> OCRRecord:
    """``log_ocr_validation``: what the OCR read, what it was cleaned to, whether it passed."""
    errors: list[FieldError] = []
    v = _support_common(kw, _OCR_CONV, errors, {"status": "validation_status"})
    if v.get("validation_status") is None:
        v["validation_status"] = "unknown"
    if errors:
        raise _invalid(errors, "ocr")
    return construct(OCRRecord, id=uuid.uuid4(), **v)


_SESSION_ALIASES = {
    "metadata": "metadata",
    "start_time": "start_timestamp",
    "end_time": "end_timestamp",
}
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


def _session_values(
    kw: Mapping[str, Any], allowed: frozenset[str], errors: list[FieldError]
) -> dict[str, Any]:
    conv = {k: f for k, f in _SESSION_CONV.items() if k in allowed}
    v = _convert(kw, conv, errors, None, _SESSION_ALIASES)
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
    v = _session_values(kw, _SESSION_START_FIELDS, errors)
    _require(v, ("bot_id", "session_id"), errors, None, 0)
    if v.get("start_timestamp") is None:
        v["start_timestamp"] = _now()
    if v.get("status") is None:
        v["status"] = "active"
    if errors:
        raise _invalid(errors, "session")
    return construct(SessionStartRecord, id=_uuid5("session", v["bot_id"], v["session_id"]), **v)


def build_session_update(*args: Any, **kw: Any) -> SessionUpdateRecord:
    """``update_session_log``: final balance, status, notes; closing statuses set the end time."""
    kw = _positional("update_session_log", ("session_id",), args, kw)
    errors: list[FieldError] = []
    v = _session_values(kw, _SESSION_UPDATE_FIELDS, errors)
    _require(v, ("session_id",), errors, None, 0)
    status = v.get("status")
    if v.get("end_timestamp") is None and status is not None and status != "active":
        v["end_timestamp"] = _now()
    if errors:
        raise _invalid(errors, "session update")
    return construct(SessionUpdateRecord, id=uuid.uuid4(), **v)


def parse_round_id(value: Any) -> uuid.UUID:
    """``round_id`` as the analytics functions accept it (UUID or its text)."""
    return to_uuid(value)


def validate_round_rows(
    rounds: Iterable[Mapping[str, Any]], first_row: int = 0
) -> list[dict[str, Any]]:
    """Column dicts (with ``id``) for every row, or InvalidRecord naming every bad row."""
    rows: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for i, kw in enumerate(rounds, start=first_row):
        if not isinstance(kw, Mapping):
            errors.append(FieldError("row", f"expected a dict, got {type(kw).__name__}", i))
            continue
        before = len(errors)
        v = round_values(kw, errors, i)
        if len(errors) == before:
            v["id"] = round_uuid(v["bot_id"], v["session_id"], v["round_number"], v["bet_slot"])
            rows.append(v)
    if errors:
        raise InvalidRecord(errors, "batch of rounds")
    return rows


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
        raise InvalidRecord(
            [
                FieldError(
                    "kind", f"unknown kind {kind!r}: expected one of {', '.join(RECORD_KINDS)}"
                )
            ]
        )
    record: Record = builder(**fields)
    return record
