"""What went wrong, in words, and what fixes it: the CLI's expected failures.

:class:`CliError` is a failure the user can act on: a message and a hint (the command or flag
that fixes it). :func:`explain` turns the errors a command can meet (a database that is not
there or has no schema, a bad URL or setting, a bad file, invalid input) into one; the error
boundary of :mod:`crashdb.cli._app` prints it in two lines. Nothing here imports a heavy
library: optional ones (pyarrow, pydantic) are recognised only if already loaded.
"""

from __future__ import annotations

import sys
from typing import Any

from crashdb.exceptions import CrashdbError, InvalidRecord, SchemaNotInitialized

__all__ = ["CliError", "connection_cause", "explain", "settings_error"]

INIT_HINT = "create or upgrade it with `crashdb init` (same --db-url)"
URL_HINT = (
    "pass --db-url (or set CRASHDB_DATABASE_URL) to a URL such as "
    "postgresql://USER@HOST:5432/DBNAME or sqlite:///path/to/crashdb.sqlite3"
)
SHOWN_FIELD_ERRORS = 10


class CliError(Exception):
    """An expected failure: ``message`` says what went wrong, ``hint`` what fixes it."""

    def __init__(self, message: str, hint: str | None = None, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code


# (words in the driver's message, cause, hint); the first match wins.
_CAUSES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("connection refused",),
        "connection refused",
        "is the server running and listening on that host and port? Check --db-url",
    ),
    (
        ("failed to resolve host", "could not translate host name", "name or service not known"),
        "unknown host",
        "check the host name in --db-url (or DB_HOST)",
    ),
    (
        ("does not exist",),
        "",  # database or role: told apart below
        "",
    ),
    (
        ("password authentication failed", "authentication failed", "no password supplied"),
        "authentication failed",
        "check the user name and password (DB_USER / DB_PASSWORD or the URL)",
    ),
    (
        ("ssl was required", "server does not support ssl", "no encryption", "ssl is required"),
        "TLS required",
        "the server and the URL disagree about TLS: set sslmode in the URL (or DB_SSL_MODE) "
        "to what the server offers",
    ),
    (
        ("timeout expired", "timed out"),
        "connection timed out",
        "is the host reachable, and the port open? Check --db-url",
    ),
)


def connection_cause(error: BaseException) -> tuple[str, str] | None:
    """``(cause, hint)`` of a failed connection, from the driver's message; None if unknown."""
    text = str(getattr(error, "orig", None) or error).lower()
    for words, cause, hint in _CAUSES:
        if not any(w in text for w in words):
            continue
        if not cause:  # "... does not exist": a database or a role
            if "role" in text:
                return "authentication failed (the role does not exist)", (
                    "check the user name in --db-url (or DB_USER)"
                )
            if "database" in text:
                return "the database does not exist", (
                    "create it (e.g. `createdb NAME`) or fix the database name in --db-url"
                )
            continue
        return cause, hint
    return None


def _driver_message(error: BaseException) -> str:
    """The first line of the driver's message (never SQLAlchemy's SQL and parameters)."""
    inner = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(inner).splitlines() if line.strip()]
    return lines[0] if lines else type(inner).__name__


def _missing_schema(error: BaseException) -> bool:
    text = str(getattr(error, "orig", None) or error).lower()
    if getattr(getattr(error, "orig", None), "sqlstate", None) in ("42P01", "42703"):
        return True
    return (
        "no such table" in text
        or "no such column" in text
        or ("relation" in text and "does not exist" in text)
    )


def settings_error(error: Any) -> CliError:
    """A pydantic ValidationError of :class:`crashdb.config.Settings` (what was given for a
    password or a URL, which may hold one, is never shown)."""
    parts = []
    for e in error.errors():
        name = ".".join(str(x) for x in e.get("loc", ())) or "setting"
        secret = any(word in name.upper() for word in ("PASSWORD", "URL"))
        shown = "" if secret else f" (got {str(e.get('input'))[:40]!r})"
        parts.append(f"{name}: {e.get('msg', 'invalid')}{shown}")
    return CliError(
        "invalid configuration: " + "; ".join(parts),
        "fix the environment variable (or the .env file in this directory)",
    )


def _invalid_record(error: InvalidRecord) -> CliError:
    shown = [str(e) for e in error.errors[:SHOWN_FIELD_ERRORS]]
    more = len(error.errors) - len(shown)
    message = f"invalid {error.kind}: " + "; ".join(shown)
    if more > 0:
        message += f"; and {more} more"
    return CliError(message, "fix the input named above; nothing was written")


def explain(error: BaseException) -> CliError | None:
    """The :class:`CliError` for an anticipated error; None for anything else (a bug)."""
    if isinstance(error, CliError):
        return error
    if isinstance(error, InvalidRecord):
        return _invalid_record(error)
    if isinstance(error, SchemaNotInitialized):
        return CliError(f"the database has no crashdb schema ({error})", INIT_HINT)
    if isinstance(error, CrashdbError):
        return CliError(str(error), "see `crashdb COMMAND --help`")
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(error, pydantic.ValidationError):
        return settings_error(error)
    sa_exc = sys.modules.get("sqlalchemy.exc")  # loaded if the command reached a database
    if sa_exc is not None:
        if isinstance(error, sa_exc.NoSuchModuleError | sa_exc.ArgumentError):
            return CliError("the database URL is not one crashdb can use", URL_HINT, 2)
        if isinstance(error, sa_exc.DBAPIError):
            if _missing_schema(error):
                message = _driver_message(error)
                return CliError(
                    f"the database has no crashdb schema, or an older one ({message})", INIT_HINT
                )
            cause = (
                connection_cause(error)
                if error.connection_invalidated or isinstance(error, sa_exc.OperationalError)
                else None
            )
            if cause is not None:
                return CliError(f"cannot connect to the database: {cause[0]}", cause[1])
            return CliError(
                f"the database refused the operation: {_driver_message(error)}",
                "run again with --debug to see where",
            )
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None and isinstance(error, pyarrow.ArrowException):
        return CliError(f"cannot read or write the data file: {error}", "check the file")
    if isinstance(error, FileNotFoundError | IsADirectoryError | NotADirectoryError):
        return CliError(f"{error.strerror or 'no such file'}: {error.filename}", "check the path")
    if isinstance(error, PermissionError):
        return CliError(
            f"permission denied: {error.filename}", "choose a path you can read and write"
        )
    if isinstance(error, OSError) and error.strerror:
        return CliError(f"{error.strerror}: {error.filename or ''}".rstrip(": "), None)
    return None
