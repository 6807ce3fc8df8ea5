"""Every error crashdb raises on purpose, in one place.

    CrashdbError                  base class of all of them
    ├── InvalidRecord (ValueError)    input that cannot be stored; names each bad field and why,
    │                                 and, in a batch, the row. Nothing is written.
    ├── DatabaseUnavailable           the database cannot be reached (a RoundWriter spools
    │                                 instead of raising this)
    ├── SchemaNotInitialized          the schema is missing or behind: run ``crashdb init``
    └── VerificationError             a provably-fair check could not be carried out

Errors from the database driver that crashdb does not anticipate are not wrapped: they
propagate as SQLAlchemy exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "CrashdbError",
    "DatabaseUnavailable",
    "FieldError",
    "InvalidRecord",
    "SchemaNotInitialized",
    "VerificationError",
]


class CrashdbError(Exception):
    """Base class of every error crashdb raises on purpose."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad field: which, why, and (in a batch) which row."""

    field: str
    reason: str
    row: int | None = None

    def __str__(self) -> str:
        where = f"row {self.row}: " if self.row is not None else ""
        return f"{where}{self.field}: {self.reason}"


class InvalidRecord(CrashdbError, ValueError):
    """A record that cannot be stored. ``errors`` lists every bad field."""

    def __init__(self, errors: Sequence[FieldError], kind: str = "record") -> None:
        self.errors = list(errors)
        self.kind = kind
        details = "; ".join(str(e) for e in self.errors)
        super().__init__(f"invalid {kind}: {details}")

    @property
    def fields(self) -> list[str]:
        return [e.field for e in self.errors]


class DatabaseUnavailable(CrashdbError):
    """The database could not be reached."""


class SchemaNotInitialized(CrashdbError):
    """The database has no crashdb schema, or an older one: run ``crashdb init``."""


class VerificationError(CrashdbError):
    """A provably-fair verification could not be carried out (missing seeds, bad hash...)."""
