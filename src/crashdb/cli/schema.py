"""``crashdb init``, ``crashdb check`` and ``crashdb schema``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from crashdb.cli._app import (
    DbUrl,
    JsonFlag,
    app,
    console,
    open_db,
    print_json,
    resolve_target,
    sqlite_path,
)
from crashdb.cli._errors import CliError, connection_cause
from crashdb.cli._text import add_row, markup


@app.command()
def init(
    db_url: DbUrl = None,
    drop_existing: Annotated[
        bool, typer.Option("--drop-existing", help="Drop every crashdb table first (deletes data).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before dropping.")] = False,
) -> None:
    """Create the schema, or upgrade it to the newest migration."""
    from crashdb.db.migrate import current_revision

    db = open_db(db_url, create=True, schema=False)
    target = db.url.render_as_string(hide_password=True)
    if drop_existing and not yes:
        typer.confirm(
            f"Drop every crashdb table in {target}? All recorded rounds are lost", abort=True
        )
    db.init_db(drop_existing=drop_existing)
    console.print(
        markup("[green]Schema at revision {}[/green] in {}", current_revision(db), target)
    )


def _failed(target: str, error: CliError, as_json: bool) -> CliError:
    if as_json:
        print_json(
            {"reachable": False, "database": target, "error": error.message, "hint": error.hint}
        )
    return error


def _probe(db_url: str | None, as_json: bool) -> Any:
    """Open the database for ``check`` without creating anything, naming any failure."""
    _settings, url = resolve_target(db_url)
    target = url.render_as_string(hide_password=True)
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        error = CliError(
            f"no database file at {path} (nothing was created)",
            "create it with `crashdb init` (same --db-url), or pass --db-url",
        )
        raise _failed(target, error, as_json)
    try:
        return open_db(db_url, schema=False)
    except CliError as exc:
        raise _failed(target, exc, as_json) from None


@app.command()
def check(db_url: DbUrl = None, as_json: JsonFlag = False) -> None:
    """Is the database reachable? Server version, schema revision and row counts.

    On failure it names the cause (connection refused, unknown host, database does not
    exist, authentication failed, TLS required) and creates nothing.
    """
    from sqlalchemy import func, select

    from crashdb.db.migrate import current_revision, head_revision
    from crashdb.db.models import Base

    db = _probe(db_url, as_json)
    target = db.url.render_as_string(hide_password=True)
    try:
        with db.engine.connect() as conn:
            version = conn.exec_driver_sql(
                "SELECT version()" if db.backend == "postgresql" else "SELECT sqlite_version()"
            ).scalar_one()
    except Exception as exc:  # the server went away between the two connections
        cause = connection_cause(exc)
        if cause is None:
            raise
        raise _failed(
            target, CliError(f"cannot connect to {target}: {cause[0]}", cause[1]), as_json
        ) from None
    revision = current_revision(db)
    counts: dict[str, int] = {}
    if revision is not None:
        with db.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                counts[table.name] = conn.execute(
                    select(func.count()).select_from(table)
                ).scalar_one()
    report = {
        "reachable": True,
        "database": target,
        "backend": db.backend,
        "server_version": str(version),
        "schema_revision": revision,
        "head_revision": head_revision(),
        "row_counts": counts,
    }
    if as_json:
        print_json(report)
        if revision is None:
            raise typer.Exit(1)
        return
    console.print(markup("[green]Connected[/green] to {}", target))
    console.print(f"Server: {db.backend} {str(version).split(' on ')[0]}")
    if revision is None:
        raise CliError(
            f"the database {target} has no crashdb schema",
            "create it with `crashdb init` (same --db-url)",
        )
    status = "up to date" if revision == report["head_revision"] else "behind: run `crashdb init`"
    console.print(f"Schema revision: {revision} ({status})")
    grid = Table("table", "rows", title="Row counts")
    for name, count in counts.items():
        add_row(grid, name, Text(f"{count:,}"))
    console.print(grid)


@app.command()
def schema() -> None:
    """Print the PostgreSQL DDL, generated from the migrations."""
    from crashdb.db.migrate import render_schema_sql

    typer.echo(render_schema_sql(), nl=False)
