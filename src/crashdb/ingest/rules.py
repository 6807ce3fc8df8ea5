"""Field converters for incoming records, derived from the ORM columns.

Every converter takes a raw value (as a bot passes it: Decimal, int, float, str, ...) and
returns the value crashdb stores, or raises :class:`BadValue` with a reason a human can act
on. Limits come from the columns themselves (string lengths, numeric precision and scale), so
the models stay the one place where sizes are defined.

Number policy:

* money (NUMERIC(18, 4)) and multipliers (NUMERIC(12, 2)) are exact: a value with more
  decimals than the column holds is refused, never rounded;
* confidences (NUMERIC(5, 4)) and percentages (NUMERIC(12, 4)) are measurements, so they are
  rounded half-even to the column's scale (a float score of 0.95231 becomes 0.9523);
* floats are converted through ``str(x)`` (``0.95`` becomes ``Decimal("0.95")``, not the
  binary expansion); NaN and infinity are refused everywhere.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Boolean, Column, Date, Integer, String, Table, Uuid
from sqlalchemy.types import BigInteger, SmallInteger

from crashdb.db.types import ExactDecimal, UTCDateTime, quantizer

__all__ = [
    "INT_MAX",
    "MULTIPLIER_MIN",
    "BadValue",
    "Converter",
    "converters_for",
    "to_bool",
    "to_datetime",
    "to_decimal",
    "to_json_object",
    "to_uuid",
]

MULTIPLIER_MIN = Decimal("1.00")

Converter = Callable[[Any], Any]


class BadValue(ValueError):
    """A value that cannot be stored; ``str(exc)`` is the reason."""


def to_decimal(value: Any) -> Decimal:
    """Decimal, int, float (via ``str``) or numeric str -> finite Decimal."""
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, bool):
        raise BadValue("expected a number, got a bool")
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(str(value))
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            raise BadValue(f"not a number: {value[:40]!r}") from None
    else:
        raise BadValue(f"expected a number, got {type(value).__name__}")
    if not d.is_finite():
        raise BadValue("must be a finite number (got NaN or infinity)")
    return d


def _decimal_converter(
    precision: int, scale: int, *, exact: bool, minimum: Decimal | None, maximum: Decimal | None
) -> Converter:
    q = quantizer(scale)
    limit = Decimal(10) ** (precision - scale)
    what = {2: "multiplier", 4: "money"}.get(scale, "value")

    def convert(value: Any) -> Decimal:
        d = to_decimal(value)
        if abs(d) >= limit:
            raise BadValue(f"out of range: the column holds less than {limit} in magnitude")
        r = d.quantize(q, rounding=ROUND_HALF_EVEN)
        if exact and r != d:
            raise BadValue(
                f"has more than {scale} decimal places (the {what} column holds {scale}): {d}"
            )
        if minimum is not None and r < minimum:
            raise BadValue(f"must be >= {minimum}, got {d}")
        if maximum is not None and r > maximum:
            raise BadValue(f"must be <= {maximum}, got {d}")
        return r

    return convert


def _string_converter(length: int | None) -> Converter:
    def convert(value: Any) -> str:
        if isinstance(value, str):
            s = value
        elif isinstance(value, int) and not isinstance(value, bool):
            s = str(value)
        else:
            raise BadValue(f"expected a string, got {type(value).__name__}")
        if length is not None and len(s) > length:
            raise BadValue(f"longer than the column's {length} characters (got {len(s)})")
        if "\x00" in s:
            raise BadValue("contains a NUL character")
        return s

    return convert


def _int_converter(lo: int, hi: int) -> Converter:
    def convert(value: Any) -> int:
        if isinstance(value, bool):
            raise BadValue("expected an integer, got a bool")
        if isinstance(value, int):
            n = value
        elif isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            n = int(value.strip())
        else:
            raise BadValue(f"expected an integer, got {type(value).__name__} {value!r}")
        if not lo <= n <= hi:
            raise BadValue(f"must be between {lo} and {hi}, got {n}")
        return n

    return convert


_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        s = value.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    raise BadValue(f"expected true or false, got {value!r}")


def to_datetime(value: Any) -> datetime:
    """A timezone-aware datetime (or ISO 8601 text with an offset), returned in UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise BadValue(f"not an ISO 8601 timestamp: {value[:40]!r}") from None
    if not isinstance(value, datetime):
        raise BadValue(f"expected a timezone-aware datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadValue("naive datetime: pass a timezone-aware datetime (e.g. datetime.now(UTC))")
    return value.astimezone(UTC)


def to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return to_datetime(value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise BadValue(f"expected a date, got {value!r}")


def to_uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            pass
    raise BadValue(f"expected a UUID (the id log_crash_round returned), got {value!r}")


# A NUL character as JSON text writes it: ``\u0000`` after an even run of backslashes (an escaped
# backslash followed by "u0000" is six ordinary characters, which PostgreSQL stores).
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def has_nul(json_text: str) -> bool:
    """True when JSON text (from json.dumps) holds a NUL character, which jsonb cannot store."""
    return "\\u0000" in json_text and _NUL_ESCAPE.search(json_text) is not None


def to_json_object(value: Any, *, allow_list: bool = False) -> Any:
    """A JSON-serializable dict (or list), normalized through a JSON round trip."""
    allowed: tuple[type, ...] = (dict, list, tuple) if allow_list else (dict,)
    if not isinstance(value, allowed):
        want = "a dict or a list" if allow_list else "a dict"
        raise BadValue(f"expected {want} of JSON values, got {type(value).__name__}")
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise BadValue(f"not JSON-serializable: {exc}") from None
    if has_nul(text):
        raise BadValue("not storable: contains a NUL character")
    return json.loads(text)


# Which columns have lower bounds beyond their type.
_NON_NEGATIVE_MONEY = frozenset(
    {
        "stake_value",
        "bet_amount",
        "base_stake",
        "max_stake",
        "initial_balance",
        "final_balance",
        "running_balance_before",
        "running_balance_after",
        "payout_amount",
        "fee_amount",
        "winnings",
        "loss_amount",
    }
)
_FREE_MULTIPLIERS = frozenset({"cleaned_value", "expected_value"})  # OCR readings: unchecked
_NON_NEGATIVE_INT = frozenset(
    {
        "round_number",
        "retry_count",
        "round_duration_ms",
        "detection_latency_ms",
        "processing_time_ms",
        "time_to_crash_ms",
        "similar_rounds",
        "win_streak",
        "loss_streak",
        "strategy_step",
    }
)
# Per-column upper bounds tighter than the column type's (none at present: round_number and
# session_logs.last_round_number are both BIGINT since migration 0003).
INT_MAX: dict[str, int] = {}
_INT_RANGES: list[tuple[type, int]] = [(SmallInteger, 15), (BigInteger, 63), (Integer, 31)]


def converter_for(column: Column[Any]) -> Converter:
    """The converter for one column, from its type and name."""
    t = column.type
    name = column.name
    if isinstance(t, ExactDecimal):
        if t.scale == 2:  # multipliers
            minimum = None if name in _FREE_MULTIPLIERS else MULTIPLIER_MIN
            return _decimal_converter(t.precision, 2, exact=True, minimum=minimum, maximum=None)
        if t.precision == 5:  # confidences and scores
            return _decimal_converter(5, 4, exact=False, minimum=Decimal(0), maximum=Decimal(1))
        if t.precision == 18:  # money
            minimum = Decimal(0) if name in _NON_NEGATIVE_MONEY else None
            return _decimal_converter(18, 4, exact=True, minimum=minimum, maximum=None)
        return _decimal_converter(t.precision, t.scale, exact=False, minimum=None, maximum=None)
    if isinstance(t, UTCDateTime):
        return to_datetime
    if isinstance(t, Boolean):
        return to_bool
    if isinstance(t, Uuid):
        return to_uuid
    if isinstance(t, Date):
        return to_date
    for int_type, bits in _INT_RANGES:
        if isinstance(t, int_type):
            lo = 0 if name in _NON_NEGATIVE_INT else -(2**bits)
            if name == "bet_slot":
                lo = 1
            return _int_converter(lo, INT_MAX.get(name, 2**bits - 1))
    if isinstance(t, String):  # also Text
        return _string_converter(t.length)
    if name == "feature_vector":
        return lambda v: to_json_object(v, allow_list=True)
    return to_json_object  # JSON columns: metadata, context, ...


def converters_for(table: Table, skip: frozenset[str] = frozenset()) -> dict[str, Converter]:
    """``{column name: converter}`` for every column of ``table`` not in ``skip``."""
    return {c.name: converter_for(c) for c in table.columns if c.name not in skip}
