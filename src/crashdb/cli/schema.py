"""``crashdb init``, ``crashdb check`` and ``crashdb schema``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table as RichTable
from sqlalchemy import func, select

from crashdb.cli._app import DbUrl, JsonFlag, app, console, err_console, open_db, print_json
from crashdb.db.migrate import current_revision, head_revision, render_schema_sql
from crashdb.db.models import Base


@app.command()
def init(
    db_url: DbUrl = None,
    drop_existing: Annotated[
        bool, typer.Option("--drop-existing", help="Drop every crashdb table first (deletes data).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before dropping.")] = False,
) -> None:
    """Create the schema, or upgrade it to the newest migration."""
    db = open_db(db_url)
    target = db.url.render_as_string(hide_password=True)
    if drop_existing and not yes:
        typer.confirm(
            f"Drop every crashdb table in {target}? All recorded rounds are lost", abort=True
        )
    db.init_db(drop_existing=drop_existing)
    console.print(f"[green]Schema at revision {current_revision(db)}[/green] in {target}")


@app.command()
def check(db_url: DbUrl = None, as_json: JsonFlag = False) -> None:
    """Is the database reachable? Server version, schema revision and row counts."""
    db = open_db(db_url)
    target = db.url.render_as_string(hide_password=True)
    if not db.test_connection():
        if as_json:
            print_json({"reachable": False, "database": target})
        else:
            err_console.print(f"[red]Cannot connect to {target}[/red]")
        raise typer.Exit(1)
    with db.engine.connect() as conn:
        version = conn.exec_driver_sql(
            "SELECT version()" if db.backend == "postgresql" else "SELECT sqlite_version()"
        ).scalar_one()
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
        return
    console.print(f"[green]Connected[/green] to {target}")
    console.print(f"Server: {db.backend} {str(version).split(' on ')[0]}")
    if revision is None:
        console.print("[yellow]Schema not initialized: run `crashdb init`.[/yellow]")
        raise typer.Exit(1)
    status = "up to date" if revision == report["head_revision"] else "behind: run `crashdb init`"
    console.print(f"Schema revision: {revision} ({status})")
    grid = RichTable("table", "rows", title="Row counts")
    for name, count in counts.items():
        grid.add_row(name, f"{count:,}")
    console.print(grid)


@app.command()
def schema() -> None:
    """Print the PostgreSQL DDL, generated from the migrations."""
    typer.echo(render_schema_sql(), nl=False)
