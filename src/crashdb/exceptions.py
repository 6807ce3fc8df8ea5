"""Every error crashdb raises on purpose, in one place.

    CrashdbError                  base class of all of them
    ├── InvalidRecord (ValueError)    input that cannot be stored; names each bad field and why,
    │   │                             and, in a batch, the row. Nothing is written.
    │   └── ConflictingRecord         a record whose key is already stored with other content
    │                                 (names the key and the fields that differ). Nothing is
    │                                 written; an identical re-log is not an error.
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
    "ConflictingRecord",
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


class ConflictingRecord(InvalidRecord):
    """A record whose idempotency key is already stored with different content.

    ``key`` is the record's natural key (for a round: bot, session, round number and bet slot),
    ``differing`` the fields whose stored value differs, ``row`` its index in a batch.
    """

    def __init__(
        self,
        kind: str,
        key: dict[str, object],
        differing: Sequence[str],
        row: int | None = None,
        *,
        more: int = 0,
    ) -> None:
        self.key = dict(key)
        self.differing = list(differing)
        self.row = row
        shown = ", ".join(f"{k}={v!r}" for k, v in self.key.items())
        reason = (
            f"already stored with other content for {kind} key ({shown}): "
            f"{', '.join(self.differing)} differ"
        )
        if more:
            reason += f" (and {more} more conflicting record{'s' if more > 1 else ''})"
        super().__init__([FieldError("key", reason, row)], kind)


class DatabaseUnavailable(CrashdbError):
    """The database could not be reached."""


class SchemaNotInitialized(CrashdbError):
    """The database has no crashdb schema, or an older one: run ``crashdb init``."""


class VerificationError(CrashdbError):
    """A provably-fair verification could not be carried out (missing seeds, bad hash...)."""
