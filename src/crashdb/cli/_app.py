"""The Typer application: its one error boundary, the consoles, and the shared options.

Every command registered on :data:`app` (``@app.command()`` in any module listed in
:mod:`crashdb.cli`) runs inside the boundary of :class:`CrashdbGroup`: an expected failure
(:class:`~crashdb.cli._errors.CliError`, or an error :func:`~crashdb.cli._errors.explain`
recognises) prints two lines on stderr, what went wrong and what fixes it, and exits 1 (2 for
a usage mistake); anything else prints one line and exits 1. ``--debug`` anywhere on the
command line, or ``CRASHDB_DEBUG=1``, shows the traceback instead.

The consoles never interpret Rich markup or emoji codes: stored text is printed as it is (see
:mod:`crashdb.cli._text`). Module imports stay light (no SciPy, NumPy, pyarrow, Plotly or
Alembic): commands import what they need when they run, so ``crashdb --help`` starts fast.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.models import CommandFunctionType

from crashdb.cli._errors import URL_HINT, CliError, connection_cause, explain, settings_error
from crashdb.cli._text import plain

if TYPE_CHECKING:
    from crashdb.db.engine import Database

__all__ = [
    "CrashdbGroup",
    "DbUrl",
    "JsonFlag",
    "app",
    "console",
    "err_console",
    "fail",
    "main",
    "open_db",
    "print_json",
]

DEBUG_ENV = "CRASHDB_DEBUG"

console = Console(markup=False, emoji=False)
err_console = Console(stderr=True, markup=False, emoji=False)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _take_debug(args: Sequence[str]) -> tuple[list[str], bool]:
    """``args`` without ``--debug`` (accepted anywhere before a ``--``) and whether it was
    there; the root option is moved to the front so the parser sees it."""
    out: list[str] = []
    debug = False
    for i, arg in enumerate(args):
        if arg == "--":
            out.extend(args[i:])
            break
        if arg == "--debug":
            debug = True
        else:
            out.append(arg)
    return (["--debug", *out] if debug else out), debug


def _usage_lines(error: Any) -> tuple[str, str]:
    ctx = getattr(error, "ctx", None)
    path = ctx.command_path if ctx is not None else "crashdb"
    message = re.sub(r"\s*\n\s*", " ", error.format_message())  # "Choose from:\n\tbot,\n..."
    hint = f"see `{path} --help`"
    # An id such as "-0" reads as a short option unless it comes after "--". (typer vendors
    # click and exports none of its exception classes: matched by name, like NoArgsIsHelpError.)
    name = getattr(error, "option_name", None) or ""
    if type(error).__name__ == "NoSuchOption" and name and not name.startswith("--"):
        hint += f"; an id that starts with '-' goes after `--`, as in `{path} ... -- {name}`"
    return f"{path}: {message}", hint


def _report(message: str, hint: str | None) -> None:
    line = Text("Error: ", style="bold red")
    line.append(plain(message))
    err_console.print(line, soft_wrap=True)
    if hint:
        err_console.print(Text("Hint: " + plain(hint), style="yellow"), soft_wrap=True)


def _plain_flags(params: list[Any]) -> list[Any]:
    """Flags take no value: show ``--json``, not ``--json <bool>``."""
    for p in params:
        if isinstance(p, TyperOption) and p.is_flag and p.metavar is None:
            p.metavar = ""
    return params


class CrashdbCommand(TyperCommand):
    """Every ``crashdb`` command (the default class of ``@app.command()``)."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_flags(super().get_params(ctx))


class CrashdbGroup(TyperGroup):
    """The ``crashdb`` group: parses, runs the command, and turns failures into messages."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_flags(super().get_params(ctx))

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv, debug = _take_debug(sys.argv[1:] if args is None else list(args))
        debug = debug or _truthy(os.environ.get(DEBUG_ENV))
        code = self._run(argv, prog_name, complete_var, debug, extra)
        if not standalone_mode:
            return code
        sys.exit(code)

    def _run(
        self,
        argv: list[str],
        prog_name: str | None,
        complete_var: str | None,
        debug: bool,
        extra: dict[str, Any],
    ) -> int:
        try:
            rv = super().main(
                argv, prog_name or "crashdb", complete_var, standalone_mode=False, **extra
            )
        except typer.Exit as exc:
            return int(exc.exit_code)
        except typer.Abort:
            err_console.print("Aborted.")
            return 1
        except KeyboardInterrupt:
            err_console.print("Interrupted.")
            return 130
        except typer.TyperException as exc:  # usage mistakes (click's ClickException)
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.format_message())
                return 0
            if debug:
                raise
            _report(*_usage_lines(exc))
            return int(getattr(exc, "exit_code", 2))
        except Exception as exc:
            if debug:
                raise
            known = explain(exc)
            if known is None:
                _report(
                    f"unexpected {type(exc).__name__}: {exc}",
                    "this is a bug: run again with --debug for the traceback and report it",
                )
                return 1
            _report(known.message, known.hint)
            return known.exit_code
        return rv if isinstance(rv, int) and not isinstance(rv, bool) else 0


class _Typer(typer.Typer):
    """``@app.command()`` makes a :class:`CrashdbCommand` unless told otherwise."""

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        return super().command(name, cls=cls or CrashdbCommand, **kwargs)


app = _Typer(
    name="crashdb",
    cls=CrashdbGroup,
    help="Record every round a crash-game bot fleet plays, and answer honest questions about it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"crashdb {version('crashdb')}")
        raise typer.Exit(0)


@app.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print the version and exit.",
        ),
    ] = False,
    _debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help=f"On an error, show the full traceback (also: {DEBUG_ENV}=1). "
            "Accepted anywhere on the command line.",
        ),
    ] = False,
) -> None:
    """Record every round a crash-game bot fleet plays, and answer honest questions about it."""


DbUrl = Annotated[
    str | None,
    typer.Option(
        "--db-url",
        envvar="CRASHDB_DATABASE_URL",
        help="SQLAlchemy URL of the database (default: configuration, then ./crashdb.sqlite3).",
        show_envvar=True,
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]


def fail(message: str, hint: str | None = None, exit_code: int = 1) -> CliError:
    """A :class:`CliError` to ``raise``: the boundary prints it and exits ``exit_code``."""
    return CliError(message, hint, exit_code)


def _settings() -> Any:
    from pydantic import ValidationError

    from crashdb.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        raise settings_error(exc) from None


def resolve_target(url: str | None) -> Any:
    """The settings and the SQLAlchemy URL a command would use (nothing is opened)."""
    settings = _settings()
    try:
        return settings, settings.resolved_url(url)
    except Exception:
        raise CliError("the database URL is not one crashdb can use", URL_HINT, 2) from None


def sqlite_path(url: Any) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def open_db(url: str | None, *, create: bool = False, schema: bool = True) -> Database:
    """Connect to ``url`` (or the configured database) and make it the process default.

    Fails with a clear message when the URL or a setting is bad, when the server cannot be
    reached (naming the cause), when a SQLite file does not exist and ``create`` is false
    (nothing is created then), and, with ``schema``, when crashdb's tables are not there.
    """
    from crashdb.db.engine import DatabaseConnection

    settings, target = resolve_target(url)
    shown = target.render_as_string(hide_password=True)
    path = sqlite_path(target)
    if path is not None and not create and not path.is_file():
        raise CliError(
            f"no database at {path} (nothing was created)",
            "create it with `crashdb init` (same --db-url), or pass --db-url",
        )
    try:
        db = DatabaseConnection.initialize(target, settings)
    except Exception:
        raise CliError(
            f"the database URL {shown} is not one crashdb can use", URL_HINT, 2
        ) from None
    try:
        with db.engine.connect() as conn:
            has_schema = db.engine.dialect.has_table(conn, "alembic_version")
    except Exception as exc:
        cause = connection_cause(exc)
        if cause is None:
            raise
        raise CliError(f"cannot connect to {shown}: {cause[0]}", cause[1]) from None
    if schema and not has_schema:
        raise CliError(
            f"the database {shown} has no crashdb schema",
            "create it with `crashdb init` (same --db-url)",
        )
    return db


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def main() -> None:
    app()
