"""What every builder shares: the rules of each table as keyword lookups, and the loop that
converts a caller's keyword arguments with them, naming every bad field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Table

from crashdb.db.models import (
    OUTCOMES,
    SERVER_FILLED,
    AnalyticsRoundMultiplier,
    AnalyticsRoundOutcome,
    AnalyticsRoundSignal,
    CrashGameRound,
    ErrorLog,
    OCRValidationLog,
    SessionLog,
)
from crashdb.exceptions import FieldError
from crashdb.ingest.rules import Rule, rules_for
from crashdb.ingest.values import CONVERTERS, BadValue, show_value

__all__ = [
    "ERROR_RULES",
    "MULT_RULES",
    "OCR_RULES",
    "OUTCOME_RULES",
    "ROUND_RULES",
    "SESSION_RULES",
    "SIGNAL_RULES",
    "Lookup",
    "convert",
    "field_name",
    "lookup",
    "now",
    "require",
    "unknown_reason",
]

_AUTO = frozenset({"id", "created_at", "updated_at"})
_BUCKETS = frozenset({"date_bucket", "hour_bucket"})  # derived from the time by the write path


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


ROUND_RULES = rules_for(_table(CrashGameRound), _AUTO)
MULT_RULES = rules_for(_table(AnalyticsRoundMultiplier), _AUTO)
SIGNAL_RULES = rules_for(_table(AnalyticsRoundSignal), _AUTO)
OUTCOME_RULES = rules_for(_table(AnalyticsRoundOutcome), _AUTO)
ERROR_RULES = rules_for(_table(ErrorLog), _AUTO)
OCR_RULES = rules_for(_table(OCRValidationLog), _AUTO)
SESSION_RULES = rules_for(_table(SessionLog), _AUTO)


def _outcome_value(value: Any) -> str:
    if isinstance(value, str) and value.strip().upper() in OUTCOMES:
        return value.strip().upper()
    raise BadValue(f"unknown outcome {show_value(value)}: expected one of {', '.join(OUTCOMES)}")


def unknown_reason(key: Any) -> str:
    """Why a keyword no builder knows is refused (the same words from every entry point)."""
    if key in SERVER_FILLED:
        return "filled in by the database when a record is stored: leave it out"
    return "unknown field"


def field_name(key: Any) -> str:
    """A key as an error names it: itself when it is short printable text, else a repr."""
    if isinstance(key, str) and key.isprintable() and len(key) <= 64:
        return key
    text = repr(key)
    return text if len(text) <= 64 else text[:61] + "..."


# key a caller may pass -> (column, converter of one value)
Lookup = dict[str, tuple[str, Any]]


def lookup(rules: Mapping[str, Rule], aliases: Mapping[str, str] = {}) -> Lookup:
    out: Lookup = {}
    for name, rule in rules.items():
        if name in _BUCKETS:
            continue
        # the rule's converter bound to it: Rule.convert without a call of its own per value
        convert = (
            _outcome_value
            if name in ("round_outcome", "outcome")
            else partial(CONVERTERS[rule.kind], rule)
        )
        out[name] = (name, convert)
    for alias, name in aliases.items():
        if name in out:
            out[alias] = (name, out[name][1])
    return out


def now() -> datetime:
    return datetime.now(UTC)


def convert(
    kw: Mapping[str, Any],
    lookup: Lookup,
    errors: list[FieldError],
    row: int | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, raw in kw.items():
        entry = lookup.get(key)
        if entry is None:
            why = "is derived, not set" if key in _BUCKETS else unknown_reason(key)
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


def require(
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
