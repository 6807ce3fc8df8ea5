"""The one rule table: what every column of every table crashdb writes accepts.

Each column has one :class:`Rule`, derived from its ORM type (precision, scale, length, integer
width) plus the bounds the type does not carry (non-negative money, multipliers >= 1.00,
scores in [0, 1], which the models' CHECK constraints say too). Every entry point uses these
rules and nothing else: the row-by-row builders (:mod:`crashdb.ingest.validate`) call
:meth:`Rule.convert` on one value, the columnar path (:mod:`crashdb.ingest.columnar`) calls
:meth:`Rule.check_column` on a whole column, and derived values (profit, ROI, balance after)
go through :meth:`Rule.check_derived`.

Number policy:

* money (NUMERIC(18, 4)) and multipliers (NUMERIC(12, 2)) are exact: a value with more
  decimals than the column holds is refused, never rounded;
* confidences (NUMERIC(5, 4)) and percentages (NUMERIC(12, 4)) are measurements, so they are
  rounded half-even to the column's scale (a float score of 0.95231 becomes 0.9523);
* floats are converted through ``str(x)`` (``0.95`` becomes ``Decimal("0.95")``, not the
  binary expansion); NaN and infinity are refused everywhere.

Text policy: text must be encodable as UTF-8 (no lone surrogates) and free of NUL characters
(PostgreSQL stores neither), and fit the column. Identifiers (bot, session, game, platform,
strategy, signal type...) must also be non-blank, without surrounding whitespace and without
control characters. JSON must be a dict (or a list, where the column says so) of JSON values with
string keys, at most :data:`JSON_MAX_DEPTH` deep and :data:`JSON_MAX_BYTES` long as UTF-8 text.
Timestamps must be timezone-aware and between :data:`EARLIEST` and :data:`LATEST`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, Literal

from sqlalchemy import Boolean, Column, Date, String, Table, Uuid
from sqlalchemy.types import BigInteger, Integer, SmallInteger

from crashdb.db.types import ExactDecimal, UTCDateTime, quantizer
from crashdb.ingest.values import (
    COLUMN_CHECKERS,
    CONVERTERS,
    BadValue,
    show_number,
)

__all__ = ["MULTIPLIER_MIN", "Rule", "roi_percent", "rule_for", "rules_for"]

RuleKind = Literal["decimal", "int", "text", "bool", "datetime", "date", "uuid", "json"]


# --------------------------------------------------------------------------- the bounds table

MULTIPLIER_MIN = Decimal("1.00")
# Money that can never be negative (the models' CHECK constraints say the same).
_NON_NEGATIVE_MONEY = frozenset(
    {
        "stake_value",
        "bet_amount",
        "base_stake",
        "max_stake",
        "min_stake",
        "initial_balance",
        "final_balance",
        "current_balance",
        "running_balance_before",
        "running_balance_after",
        "payout_amount",
        "fee_amount",
        "winnings",
        "loss_amount",
    }
)
# Multipliers as OCR read them: stored as read (a misread can be below 1.00).
_FREE_MULTIPLIERS = frozenset({"cleaned_value", "expected_value"})
_NON_NEGATIVE_INT = frozenset(
    {
        "round_number",
        "last_round_number",
        "retry_count",
        "round_duration_ms",
        "detection_latency_ms",
        "processing_time_ms",
        "time_to_crash_ms",
        "similar_rounds",
        "win_streak",
        "loss_streak",
        "strategy_step",
        "total_rounds",
        "total_wins",
        "total_losses",
    }
)
_INT_MIN = {"bet_slot": 1}
_INT_MAX = {"hour_bucket": 23}
# Names, not prose: non-blank, no surrounding whitespace, no control characters.
_IDENTIFIERS = frozenset(
    {
        "bot_id",
        "session_id",
        "game_name",
        "platform_code",
        "round_external_id",
        "strategy_name",
        "signal_type",
        "multiplier_kind",
        "error_type",
        "validation_status",
        "severity",
        "status",
        "currency",
        "outcome",
        "round_outcome",
    }
)
_JSON_LISTS = frozenset({"feature_vector"})  # JSON columns that may hold a list
_INT_BITS: tuple[tuple[type, int], ...] = ((SmallInteger, 15), (BigInteger, 63), (Integer, 31))


# --------------------------------------------------------------------------- the rule


@dataclass(frozen=True, slots=True)
class Rule:
    """What one column accepts. Build with :func:`rules_for`; see the module doc."""

    name: str
    kind: RuleKind
    precision: int = 0
    scale: int = 0
    exact: bool = True
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None
    length: int | None = None
    identifier: bool = False
    allow_list: bool = False
    # Derived from precision and scale (computed once: these run for every value).
    limit: Decimal = field(init=False, repr=False, compare=False)
    step: Decimal = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "limit", Decimal(10) ** (self.precision - self.scale))
        object.__setattr__(self, "step", quantizer(self.scale))

    # ------------------------------------------------------------------ one value

    def convert(self, value: Any) -> Any:
        """The value as stored (Decimal, int, str, ...) or :class:`BadValue` with the reason."""
        return CONVERTERS[self.kind](self, value)

    def check_derived(self, value: Decimal) -> Decimal:
        """A value crashdb derived (profit, ROI, balance after): rounded half-even to the
        column's scale, then held to the column's range and bounds."""
        rounded = self._round(value, derived=True)
        self._check_bounds(rounded, value, derived=True)
        return rounded

    def _round(self, d: Decimal, *, derived: bool = False) -> Decimal:
        """``d`` rounded half-even to the scale, after checking it fits the precision
        (``derived``: crashdb computed ``d``, the error says so)."""
        if abs(d) >= self.limit:
            raise BadValue(f"{_what(d, derived)} is out of range: {self._range()}")
        try:
            return d.quantize(self.step, rounding=ROUND_HALF_EVEN)
        except InvalidOperation:  # pragma: no cover - excluded by the range check
            what = _what(d, derived)
            raise BadValue(f"{what} cannot be rounded to {self.scale} places") from None

    def _check_bounds(self, d: Decimal, shown: Decimal, *, derived: bool = False) -> None:
        """``d`` (rounded) within the column's range and bounds; errors show ``shown``."""
        if abs(d) >= self.limit:
            raise BadValue(f"{_what(shown, derived)} is out of range: {self._range()}")
        if self.minimum is not None and d < self.minimum:
            raise BadValue(f"must be >= {self.minimum}, got {d}")
        if self.maximum is not None and d > self.maximum:
            raise BadValue(f"must be <= {self.maximum}, got {d}")

    def _range(self) -> str:
        return f"the column holds less than {self.limit} in magnitude"

    # ------------------------------------------------------------------ a whole column

    def check_column(self, values: list[Any]) -> list[Any]:
        """The stored values of a whole column, for values of the plain types a bot passes.

        Raises :class:`Slow` (never a wrong answer) when a value is of another type or breaks
        the rule; the caller then validates row by row, which names the bad rows. For every
        input it accepts, the result equals ``[convert(v) for v in values]`` (None kept).
        """
        return COLUMN_CHECKERS[self.kind](self, values)


def _what(d: Decimal, derived: bool) -> str:
    """How an error names a number: as the caller gave it, or as crashdb derived it."""
    return f"the derived value {show_number(d)}" if derived else show_number(d)


# --------------------------------------------------------------------------- rules from columns


def rule_for(column: Column[Any]) -> Rule:
    """The rule of one column, from its type and the bounds table above."""
    t = column.type
    name = column.name
    if isinstance(t, ExactDecimal):
        if t.scale == 2:  # multipliers
            minimum = None if name in _FREE_MULTIPLIERS else MULTIPLIER_MIN
            return Rule(name, "decimal", t.precision, 2, exact=True, minimum=minimum)
        if t.precision == 5:  # confidences and scores
            return Rule(name, "decimal", 5, 4, exact=False, minimum=Decimal(0), maximum=Decimal(1))
        if t.precision == 18:  # money
            minimum = Decimal(0) if name in _NON_NEGATIVE_MONEY else None
            return Rule(name, "decimal", 18, 4, exact=True, minimum=minimum)
        return Rule(name, "decimal", t.precision, t.scale, exact=False)
    if isinstance(t, UTCDateTime):
        return Rule(name, "datetime")
    if isinstance(t, Boolean):
        return Rule(name, "bool")
    if isinstance(t, Uuid):
        return Rule(name, "uuid")
    if isinstance(t, Date):
        return Rule(name, "date")
    for int_type, bits in _INT_BITS:
        if isinstance(t, int_type):
            lo = _INT_MIN.get(name, 0 if name in _NON_NEGATIVE_INT else -(2**bits))
            return Rule(name, "int", minimum=lo, maximum=_INT_MAX.get(name, 2**bits - 1))
    if isinstance(t, String):  # also Text
        return Rule(name, "text", length=t.length, identifier=name in _IDENTIFIERS)
    return Rule(name, "json", allow_list=name in _JSON_LISTS)


def rules_for(table: Table, skip: frozenset[str] = frozenset()) -> dict[str, Rule]:
    """``{column name: rule}`` for every column of ``table`` not in ``skip``."""
    return {c.name: rule_for(c) for c in table.columns if c.name not in skip}


# --------------------------------------------------------------------------- derived numbers

_HUNDRED = Decimal(100)


def roi_percent(profit: Decimal, stake: Decimal) -> Decimal:
    """Return on the stake in percent, unrounded: ``profit / stake * 100`` (stake > 0). The
    column's rule rounds it (half-even, 4 places) and checks its range."""
    return profit / stake * _HUNDRED
