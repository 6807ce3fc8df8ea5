"""The Typer application, the shared console and the ``--db-url`` option."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from crashdb.db.engine import Database, DatabaseConnection

__all__ = ["DbUrl", "JsonFlag", "app", "console", "err_console", "main", "open_db", "print_json"]

app = typer.Typer(
    name="crashdb",
    help="Record every round a crash-game bot fleet plays, and answer honest questions about it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
console = Console()
err_console = Console(stderr=True)

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


def open_db(url: str | None) -> Database:
    """Make ``url`` (or the configured database) the process default and return it."""
    return DatabaseConnection.initialize(url)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def main() -> None:
    app()
