"""Column types that keep money, multipliers and time honest on both backends.

* :class:`ExactDecimal` is ``NUMERIC(p, s)``. PostgreSQL stores it exactly. SQLite has no
  decimal type (its NUMERIC affinity keeps a double, which cannot hold 13 integer digits and
  4 decimals), so on SQLite a value is stored as a *scaled integer*: ``value * 10**s`` (a
  NUMERIC(18,4) ``12.3400`` is stored as ``123400``). Integers compare, order and ``SUM``
  exactly in SQLite's 64 bits; ``SUM`` raises on overflow instead of rounding. Python values
  go through this type in both directions, so callers always see :class:`~decimal.Decimal`.
  SQL written by hand must compare with scaled literals on SQLite: :func:`real` turns a column
  into its real value as a double on either backend.
* :class:`UTCDateTime` is ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL. Python values must be
  timezone-aware; they are stored and returned in UTC on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = [
    "CONFIDENCE",
    "MONEY",
    "MONEY_SUM",
    "MULTIPLIER",
    "MULTIPLIER_SUM",
    "PERCENT",
    "ExactDecimal",
    "JSONType",
    "UTCDateTime",
    "quantizer",
    "real",
]

INT64_MAX = 2**63 - 1


def quantizer(scale: int) -> Decimal:
    """``Decimal('0.01')`` for scale 2, and so on."""
    return Decimal(1).scaleb(-scale)


class ExactDecimal(TypeDecorator[Decimal]):
    """``NUMERIC(precision, scale)`` that returns :class:`~decimal.Decimal` on every backend.

    ``unbounded=True`` is a plain ``NUMERIC`` on PostgreSQL (sums that must not overflow where
    their terms do not) and a scaled 64-bit integer on SQLite; ``precision`` then only tells
    input validation how many digits a value given from outside may have.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int, *, unbounded: bool = False) -> None:
        if unbounded:
            super().__init__(asdecimal=True)
        else:
            super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self.unbounded = unbounded
        self._q = quantizer(scale)
        self._limit = None if unbounded else Decimal(10) ** (precision - scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # On SQLite the values are integers, converted by us (bind_processor, result_processor).
        if self.unbounded:
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def scaled(self, value: Any) -> int:
        """``value`` as the integer SQLite stores (rounded half away from zero, as NUMERIC)."""
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        if not value.is_finite():
            raise ValueError(f"{value} cannot be stored in NUMERIC")
        exact = value.quantize(self._q, rounding=ROUND_HALF_UP)
        if self._limit is not None and abs(exact) >= self._limit:
            raise ValueError(f"{value} does not fit NUMERIC({self.precision}, {self.scale})")
        units = int(exact.scaleb(self.scale))
        if abs(units) > INT64_MAX:
            raise ValueError(f"{value} does not fit a 64-bit scaled integer")
        return units

    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":  # the integer as is: no float conversion by the impl
            scaled = self.scaled

            def process(value: Any) -> int | None:
                return None if value is None else scaled(value)

            return process
        return super().bind_processor(dialect)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name == "sqlite":
            return lambda value: self.process_result_value(value, dialect)
        return super().result_processor(dialect, coltype)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return self.scaled(value)
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        return value

    def process_literal_param(self, value: Any, dialect: Dialect) -> str:
        if value is None:
            return "NULL"
        if dialect.name == "sqlite":
            return str(self.scaled(value))
        return str(value if isinstance(value, Decimal) else Decimal(str(value)))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            if isinstance(value, int):
                return Decimal(value).scaleb(-self.scale).quantize(self._q)
            if isinstance(value, float):
                # Only an aggregate that is not exact (AVG) gives a double here.
                return Decimal(repr(value)).scaleb(-self.scale).quantize(self._q)
            return Decimal(str(value)).quantize(self._q)
        if isinstance(value, Decimal):
            return value.quantize(self._q)
        return Decimal(str(value)).quantize(self._q)

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine[Any]:
        return self


# The precisions used across the schema.
MONEY = ExactDecimal(18, 4)  # stakes, profits, balances: cents and sub-cent crypto units
MULTIPLIER = ExactDecimal(12, 2)  # games show multipliers to 0.01
CONFIDENCE = ExactDecimal(5, 4)  # probabilities / scores in [0, 1]
PERCENT = ExactDecimal(12, 4)  # ROI and other derived percentages
# Sums in the summary tables: unbounded NUMERIC on PostgreSQL, 64-bit scaled on SQLite.
MONEY_SUM = ExactDecimal(18, 4, unbounded=True)
MULTIPLIER_SUM = ExactDecimal(18, 2, unbounded=True)


class real(FunctionElement[float]):
    """``real(column)``: an :class:`ExactDecimal` column's value as a double precision float.

    ``CAST(x AS DOUBLE PRECISION)`` on PostgreSQL, ``x / 10^scale`` on SQLite (where the
    column holds the scaled integer). ``scale`` defaults to the column type's.
    """

    type = Float(53)
    inherit_cache = True
    name = "real"

    def __init__(self, expr: ColumnElement[Any], scale: int | None = None) -> None:
        if scale is None:
            expr_type = getattr(expr, "type", None)
            if not isinstance(expr_type, ExactDecimal):
                raise TypeError("real() needs an ExactDecimal expression or an explicit scale")
            scale = expr_type.scale
        self.scale = scale
        super().__init__(expr)


@compiles(real)
def _real_default(element: real, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DOUBLE PRECISION)"


@compiles(real, "sqlite")
def _real_sqlite(element: real, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(({compiler.process(element.clauses, **kw)}) / {10**element.scale}.0)"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps; naive datetimes are refused at the boundary."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: crashdb stores timezone-aware UTC timestamps")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # Fixed-width ISO text so that text comparison is time order.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


# JSONB on PostgreSQL (indexable with GIN), JSON text elsewhere. No value is SQL NULL, on
# every write path (COPY writes NULL too), never the JSON text 'null'.
JSONType = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

# Bounded strings, sized in one place.
ID = String(64)
NAME = String(128)
CODE = String(32)
