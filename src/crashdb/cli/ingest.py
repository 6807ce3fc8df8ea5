"""CLI commands of the ingest concern: ``crashdb import FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crashdb.cli._app import DbUrl, JsonFlag, app, console, err_console, open_db, print_json
from crashdb.exceptions import InvalidRecord
from crashdb.ingest.files import FORMATS, count_rows, detect_format, import_rounds

__all__ = ["import_file"]

_SHOWN_ERRORS = 20


@app.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV, JSON Lines or Parquet.")
    ],
    db_url: DbUrl = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help=f"One of {', '.join(FORMATS)} (default: from the suffix)."),
    ] = None,
    resumable: Annotated[
        bool,
        typer.Option(
            "--resumable/--all-or-nothing",
            help="Commit chunk by chunk (re-run to resume; stored rows are skipped), or load "
            "the whole file in one transaction (default).",
        ),
    ] = False,
    chunk_size: Annotated[int, typer.Option(min=1, help="Rows per chunk.")] = 10_000,
    json_out: JsonFlag = False,
) -> None:
    """Load round history: one round per row, columns named like log_crash_round's arguments.

    Rows are validated like every logged round; rows already stored are skipped.
    Errors number rows from 1 (the first data row of the file).
    """
    try:
        kind = detect_format(file, fmt)
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    db = open_db(db_url)
    total = count_rows(file, kind)
    try:
        with Progress(
            TextColumn("[bold]importing {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            disable=json_out,
        ) as bar:
            task = bar.add_task(file.name, total=total)
            result = import_rounds(
                db,
                file,
                fmt=kind,
                resumable=resumable,
                chunk_size=chunk_size,
                progress=lambda n: bar.advance(task, n),
            )
    except InvalidRecord as exc:
        err_console.print(f"[red]Nothing imported from the bad chunk: {len(exc.errors)} error(s)")
        for e in exc.errors[:_SHOWN_ERRORS]:
            err_console.print(f"  {e}")
        if len(exc.errors) > _SHOWN_ERRORS:
            err_console.print(f"  ... and {len(exc.errors) - _SHOWN_ERRORS} more")
        if not resumable:
            err_console.print("No row was written (all-or-nothing).")
        raise typer.Exit(1) from None
    if json_out:
        print_json({"rows": result.rows, "inserted": result.inserted, "skipped": result.skipped})
    else:
        console.print(
            f"Imported {result.rows} rows from {file.name}: {result.inserted} new, "
            f"{result.skipped} already stored."
        )
