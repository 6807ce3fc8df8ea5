"""Column types that keep money, multipliers and time honest on both backends.

* :class:`ExactDecimal` is ``NUMERIC(p, s)`` everywhere. PostgreSQL stores it exactly. SQLite
  has no decimal type (its NUMERIC affinity stores a double), so values are written as text and
  read back quantized to the column's scale: a value with at most 15 significant digits comes
  back exactly as it went in. Aggregates computed inside SQLite (``SUM``) are doubles; crashdb
  quantizes them to the column's scale when it reads them.
* :class:`UTCDateTime` is ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL. Python values must be
  timezone-aware; they are stored and returned in UTC on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = [
    "CONFIDENCE",
    "MONEY",
    "MULTIPLIER",
    "PERCENT",
    "ExactDecimal",
    "JSONType",
    "UTCDateTime",
    "quantizer",
]


def quantizer(scale: int) -> Decimal:
    """``Decimal('0.01')`` for scale 2, and so on."""
    return Decimal(1).scaleb(-scale)


class ExactDecimal(TypeDecorator[Decimal]):
    """``NUMERIC(precision, scale)`` that returns :class:`~decimal.Decimal` on every backend."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self._q = quantizer(scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            # Float results, converted by us (SQLAlchemy would warn about lossy conversion).
            return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=False))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        if dialect.name == "sqlite":
            return str(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, Decimal):
            return value.quantize(self._q)
        return Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(self._q)

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine[Any]:
        return self


# The precisions used across the schema.
MONEY = ExactDecimal(18, 4)  # stakes, profits, balances: cents and sub-cent crypto units
MULTIPLIER = ExactDecimal(12, 2)  # games show multipliers to 0.01
CONFIDENCE = ExactDecimal(5, 4)  # probabilities / scores in [0, 1]
PERCENT = ExactDecimal(12, 4)  # ROI and other derived percentages


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


# JSONB on PostgreSQL (indexable with GIN), JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")

# Bounded strings, sized in one place.
ID = String(64)
NAME = String(128)
CODE = String(32)
