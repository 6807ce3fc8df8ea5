"""Values as the rules see them: the converters of one value and the checkers of a column.

:class:`crashdb.ingest.rules.Rule` dispatches here by its kind. ``convert_*`` turn one raw value
(what a bot, a file or a peer sends) into the stored value or raise :class:`BadValue` with a
reason a human can act on; ``column_*`` do the same for a whole column of plain values, or
raise :class:`Slow` when they cannot prove it valid (the caller then goes row by row).
"""

from __future__ import annotations

import json
import math
import re
import reprlib
import unicodedata
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crashdb.ingest.rules import Rule

__all__ = [
    "COLUMN_CHECKERS",
    "CONVERTERS",
    "EARLIEST",
    "JSON_MAX_BYTES",
    "JSON_MAX_DEPTH",
    "LATEST",
    "BadValue",
    "Slow",
    "check_text",
    "show_number",
    "show_value",
    "to_datetime",
    "to_decimal",
    "to_uuid",
]

JSON_MAX_DEPTH = 32
JSON_MAX_BYTES = 64 * 1024
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
_NUMBER_TEXT_MAX = 64  # characters of a number given as text
_SHOW = 40  # characters of a bad value echoed in an error


class BadValue(ValueError):
    """A value that cannot be stored; ``str(exc)`` is the reason."""


class Slow(Exception):
    """The columnar path cannot prove a column valid: validate row by row instead."""


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist = 2, 3, 3
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = _SHOW


def show_value(value: Any) -> str:
    """A short, printable rendering of a bad value for an error message (never fails: deep,
    huge or odd values are abbreviated)."""
    try:
        text = _REPR.repr(value)
    except Exception:
        text = f"<a {type(value).__name__}>"
    return text if len(text) <= _SHOW else text[: _SHOW - 3] + "..."


def show_number(d: Decimal) -> str:
    """A number for an error message, shortened when it has many digits."""
    text = str(d)
    return text if len(text) <= _SHOW else f"{d:.6e}"


# --------------------------------------------------------------------------- converters


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
        text = value.strip()
        if len(text) > _NUMBER_TEXT_MAX:
            raise BadValue(f"not a number: text of {len(text)} characters")
        try:
            d = Decimal(text)
        except (InvalidOperation, ValueError):
            raise BadValue(f"not a number: {show_value(value)}") from None
    else:
        raise BadValue(f"expected a number, got {type(value).__name__}")
    if not d.is_finite():
        raise BadValue("must be a finite number (got NaN or infinity)")
    return d


def _convert_decimal(rule: Rule, value: Any) -> Decimal:
    d = to_decimal(value)
    r = rule._round(d)
    if rule.exact and r != d:
        what = {2: "multiplier", 4: "money"}.get(rule.scale, "value")
        raise BadValue(
            f"has more than {rule.scale} decimal places (the {what} column holds {rule.scale}): {d}"
        )
    rule._check_bounds(r, d)
    return r


_INT_TEXT = re.compile(r"[+-]?[0-9]{1,19}")


def _convert_int(rule: Rule, value: Any) -> int:
    if isinstance(value, bool):
        raise BadValue("expected an integer, got a bool")
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        n = int(value.strip())
    else:
        raise BadValue(f"expected an integer, got {type(value).__name__} {show_value(value)}")
    lo, hi = rule.minimum, rule.maximum
    assert isinstance(lo, int) and isinstance(hi, int)
    if not lo <= n <= hi:
        shown = (
            str(n) if abs(n) < 10**30 else f"an integer of about {n.bit_length() * 3 // 10} digits"
        )
        raise BadValue(f"must be between {lo} and {hi}, got {shown}")
    return n


def _unencodable(s: str) -> int | None:
    """The position of the first character UTF-8 cannot encode (a lone surrogate), if any."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def check_text(s: str) -> None:
    """Text PostgreSQL and SQLite store exactly: UTF-8 encodable, no NUL character."""
    at = None if s.isascii() else _unencodable(s)  # ASCII always encodes
    if at is not None:
        raise BadValue(f"cannot be encoded as UTF-8 (a lone surrogate {s[at]!r} at position {at})")
    if "\x00" in s:
        raise BadValue("contains a NUL character")


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def _convert_text(rule: Rule, value: Any) -> str:
    if isinstance(value, str):
        s = value
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() < 1024:
        s = str(value)
    else:
        raise BadValue(f"expected a string, got {type(value).__name__}")
    if rule.length is not None and len(s) > rule.length:
        raise BadValue(f"longer than the column's {rule.length} characters (got {len(s)})")
    check_text(s)
    if rule.identifier:
        if not s.strip():
            raise BadValue("must not be blank")
        if s != s.strip():
            raise BadValue(f"has leading or trailing whitespace: {show_value(s)}")
        # printable text (str.isprintable) holds none of the control categories
        bad = None if s.isprintable() else next((ch for ch in s if _is_control(ch)), None)
        if bad is not None:
            raise BadValue(f"contains a control character {bad!r}")
    return s


_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def _convert_bool(rule: Rule, value: Any) -> bool:
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
    raise BadValue(f"expected true or false, got {show_value(value)}")


def to_datetime(value: Any) -> datetime:
    """A timezone-aware datetime (or ISO 8601 text with an offset) between :data:`EARLIEST`
    and :data:`LATEST`, returned in UTC."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text) if len(text) <= _NUMBER_TEXT_MAX else None
        except ValueError:
            value = None
        if value is None:
            raise BadValue(f"not an ISO 8601 timestamp: {show_value(text)}")
    if not isinstance(value, datetime):
        raise BadValue(f"expected a timezone-aware datetime, got {type(value).__name__}")
    try:
        offset = value.utcoffset()
    except (ValueError, TypeError, OverflowError):
        offset = None
    if value.tzinfo is None or offset is None:
        raise BadValue("naive datetime: pass a timezone-aware datetime (e.g. datetime.now(UTC))")
    try:
        moment = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise BadValue(f"out of range: {value.isoformat()}") from None
    if not EARLIEST <= moment < LATEST:
        raise BadValue(
            f"out of range: {moment.isoformat()} is not between {EARLIEST.year} and {LATEST.year}"
        )
    return moment if type(moment) is datetime else _plain_datetime(moment)


def _plain_datetime(d: datetime) -> datetime:
    return datetime(d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond, tzinfo=UTC)


def _convert_datetime(rule: Rule, value: Any) -> datetime:
    return to_datetime(value)


def _convert_date(rule: Rule, value: Any) -> date:
    if isinstance(value, datetime):
        return to_datetime(value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise BadValue(f"expected a date, got {show_value(value)}")


def to_uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str) and len(value) <= _NUMBER_TEXT_MAX:
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            pass
    raise BadValue(f"expected a UUID (the id log_crash_round returned), got {show_value(value)}")


def _convert_uuid(rule: Rule, value: Any) -> uuid.UUID:
    return to_uuid(value)


def _json_check(value: Any) -> None:
    """Walk a JSON value iteratively (no recursion): key types, depth, text, numbers."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > JSON_MAX_DEPTH:
                raise BadValue(f"nested deeper than {JSON_MAX_DEPTH} levels")
            for k, v in node.items():
                if not isinstance(k, str):
                    raise BadValue(f"JSON object keys must be strings, got {type(k).__name__}")
                check_text(k)
                stack.append((v, depth + 1))
        elif isinstance(node, (list, tuple)):
            if depth > JSON_MAX_DEPTH:
                raise BadValue(f"nested deeper than {JSON_MAX_DEPTH} levels")
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, str):
            check_text(node)
        elif node is None or isinstance(node, (bool, int, float)):
            continue
        else:
            raise BadValue(f"not JSON-serializable: a {type(node).__name__}")


def _convert_json(rule: Rule, value: Any) -> Any:
    """A JSON dict (or list), normalized through a JSON round trip. A flat dict of plain
    values (the usual metadata) is copied instead: its round trip is the identity once its
    text is checked (see :func:`_flat_json`)."""
    if type(value) is dict:
        texts: list[str] = []
        if _flat_json(value, texts) and _storable(texts):
            return dict(value)
    allowed: tuple[type, ...] = (dict, list, tuple) if rule.allow_list else (dict,)
    if not isinstance(value, allowed):
        want = "a dict or a list" if rule.allow_list else "a dict"
        raise BadValue(f"expected {want} of JSON values, got {type(value).__name__}")
    _json_check(value)
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise BadValue(f"not JSON-serializable: {str(exc)[:80]}") from None
    size = len(text.encode("utf-8"))
    if size > JSON_MAX_BYTES:
        raise BadValue(f"larger than {JSON_MAX_BYTES} bytes as JSON ({size} bytes)")
    return json.loads(text)


CONVERTERS: dict[str, Callable[[Rule, Any], Any]] = {
    "decimal": _convert_decimal,
    "int": _convert_int,
    "text": _convert_text,
    "bool": _convert_bool,
    "datetime": _convert_datetime,
    "date": _convert_date,
    "uuid": _convert_uuid,
    "json": _convert_json,
}


# --------------------------------------------------------------------------- column checkers

_NONE = type(None)


def _present(values: list[Any], allowed: type) -> list[Any]:
    """The non-None values; Slow unless all are exactly of type ``allowed``."""
    types = set(map(type, values))
    if not types <= {allowed, _NONE}:
        raise Slow
    return values if _NONE not in types else [x for x in values if x is not None]


def _to_decimal_fast(x: Any) -> Decimal:
    t = type(x)
    if t is Decimal:
        return x  # type: ignore[no-any-return]
    if t is float:
        return Decimal(str(x))
    if t is int:
        return Decimal(x)
    raise Slow


def _column_decimal(rule: Rule, values: list[Any]) -> list[Any]:
    types = set(map(type, values))
    if types <= {Decimal, _NONE}:
        vals = values if _NONE not in types else [x for x in values if x is not None]
    else:
        vals = [_to_decimal_fast(x) for x in values if x is not None]
    if not vals:
        return values
    if not all(map(Decimal.is_finite, vals)):
        raise Slow
    limit = rule.limit
    if max(vals) >= limit or min(vals) <= -limit:
        raise Slow
    q = rule.step
    rounded = [x.quantize(q, rounding=ROUND_HALF_EVEN) for x in vals]
    if rule.exact and rounded != vals:
        raise Slow
    if rule.minimum is not None and min(rounded) < rule.minimum:
        raise Slow
    if rule.maximum is not None and max(rounded) > rule.maximum:
        raise Slow
    if len(rounded) == len(values):
        return rounded
    it = iter(rounded)
    return [None if x is None else next(it) for x in values]


def _column_int(rule: Rule, values: list[Any]) -> list[Any]:
    vals = _present(values, int)
    lo, hi = rule.minimum, rule.maximum
    assert isinstance(lo, int) and isinstance(hi, int)
    if vals and (min(vals) < lo or max(vals) > hi):
        raise Slow
    return values


def _storable(texts: list[str]) -> bool:
    """Whether every text is one :func:`check_text` accepts (checked all at once)."""
    joined = "".join(texts)
    return "\x00" not in joined and _unencodable(joined) is None


_PLAIN_IDENTIFIER = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


def _column_text(rule: Rule, values: list[Any]) -> list[Any]:
    vals = _present(values, str)
    if not vals:
        return values
    if rule.length is not None and max(map(len, vals)) > rule.length:
        raise Slow
    if rule.identifier:
        # printable ASCII without surrounding spaces: provably fine; anything else row by row
        match = _PLAIN_IDENTIFIER.fullmatch
        for s in set(vals):
            if match(s) is None:
                raise Slow
        return values
    if not _storable(vals):
        raise Slow
    return values


def _column_bool(rule: Rule, values: list[Any]) -> list[Any]:
    if not all(x is None or type(x) is bool for x in values):
        raise Slow
    return values


def _column_datetime(rule: Rule, values: list[Any]) -> list[Any]:
    out: list[datetime | None] = []
    append = out.append
    for x in values:
        if x is None:
            append(None)
            continue
        if type(x) is not datetime or x.tzinfo is None:
            raise Slow
        moment = x if x.tzinfo is UTC else x.astimezone(UTC)
        if not EARLIEST <= moment < LATEST:
            raise Slow
        append(moment)
    return out


def _column_not_columnar(rule: Rule, values: list[Any]) -> list[Any]:
    if any(x is not None for x in values):
        raise Slow
    return values


_INT_LIMIT = 1 << 63
# An upper bound of the JSON bytes of a key or a text value per character (a control character
# becomes a six-character escape), and of everything else an item adds.
_JSON_CHAR_BYTES = 6
_JSON_ITEM_BYTES = 32


def _flat_json(x: dict[Any, Any], texts: list[str]) -> bool:
    """Whether ``x`` maps text keys to scalars (text, finite floats, 64-bit ints, booleans,
    None) and is surely within the size limit: then the JSON round trip of
    :func:`_convert_json` returns an equal dict, and only its text (added to ``texts``) is
    left to check."""
    size = 2
    for k, v in x.items():
        if type(k) is not str:
            return False
        texts.append(k)
        size += _JSON_CHAR_BYTES * len(k) + _JSON_ITEM_BYTES
        t = type(v)
        if t is str:
            texts.append(v)
            size += _JSON_CHAR_BYTES * len(v)
        elif t is float:
            if not math.isfinite(v):
                return False
        elif t is int:
            if not -_INT_LIMIT < v < _INT_LIMIT:
                return False
        elif t is not bool and v is not None:
            return False
    return size <= JSON_MAX_BYTES


def _column_json(rule: Rule, values: list[Any]) -> list[Any]:
    """Dicts of JSON values, each as :func:`_convert_json` stores it (flat ones copied)."""
    out: list[Any] = []
    for x in values:
        if x is None:
            out.append(None)
            continue
        if type(x) is not dict:
            raise Slow
        try:
            out.append(_convert_json(rule, x))
        except BadValue:
            raise Slow from None
    return out


COLUMN_CHECKERS: dict[str, Callable[[Rule, list[Any]], list[Any]]] = {
    "decimal": _column_decimal,
    "int": _column_int,
    "text": _column_text,
    "bool": _column_bool,
    "datetime": _column_datetime,
    "date": _column_not_columnar,
    "uuid": _column_not_columnar,
    "json": _column_json,
}
