"""Rounds: ``log_crash_round``'s keyword arguments in, a validated :class:`RoundRecord` out.

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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from crashdb.exceptions import FieldError, InvalidRecord
from crashdb.ingest.fields import (
    ROUND_RULES,
    field_name,
    lookup,
    now,
    require,
    unknown_reason,
)
from crashdb.ingest.records import RoundRecord, construct, round_uuid
from crashdb.ingest.rules import roi_percent
from crashdb.ingest.values import BadValue, to_uuid

__all__ = [
    "ROUND_DEFAULTS",
    "ROUND_LOOKUP",
    "ROUND_REQUIRED",
    "build_round",
    "derive_money",
    "round_record",
    "round_values",
    "validate_round_rows",
]

_ROUND_ALIASES = {
    "round_metadata": "metadata",
    "round_start_time": "round_start_timestamp",
    "round_end_time": "round_end_timestamp",
    "start_timestamp": "round_start_timestamp",
    "end_timestamp": "round_end_timestamp",
}
ROUND_LOOKUP = lookup(ROUND_RULES, _ROUND_ALIASES)
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
            errors.append(FieldError(field_name(key), unknown_reason(key), row))
        elif raw is None:
            v[entry[0]] = None
        else:
            try:
                v[entry[0]] = entry[1](raw)
            except BadValue as exc:
                errors.append(FieldError(key, str(exc), row))
                failed.add(entry[0])
    require(v, ROUND_REQUIRED, errors, row, start)
    bad = failed | {e.field for e in errors[start:]}
    for name, default in ROUND_DEFAULTS:
        if v.get(name) is None:
            v[name] = default
    began = v.get("round_start_timestamp")
    if began is None and "round_start_timestamp" not in bad:
        began = v["round_start_timestamp"] = now()
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
