"""CLI commands of the ingest concern: ``crashdb import FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crashdb.cli._app import DbUrl, JsonFlag, app, console, err_console, open_db, print_json
from crashdb.cli._errors import CliError
from crashdb.cli._text import plain
from crashdb.exceptions import InvalidRecord

__all__ = ["import_file"]

_SHOWN_ERRORS = 20


@app.command("import")
def import_file(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV, JSON Lines (.jsonl, .ndjson, .json) or Parquet.",
        ),
    ],
    db_url: DbUrl = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="jsonl, csv or parquet (default: from the suffix)."),
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

    A round export (`crashdb export`) loads back as the same rows, ids included. Rows are
    validated like every logged round; rows already stored are skipped. Errors number rows
    from 1 (the first data row of the file).
    """
    from crashdb.ingest.files import count_rows, format_of, import_rounds

    try:
        kind = format_of(file, fmt)
    except ValueError as exc:
        raise CliError(
            str(exc), "pass --format jsonl, --format csv or --format parquet", 2
        ) from None
    db = open_db(db_url)
    total = count_rows(file, kind)
    try:
        with Progress(
            TextColumn("importing {task.description}", style="bold", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            disable=json_out,
        ) as bar:
            task = bar.add_task(plain(file.name), total=total)
            result = import_rounds(
                db,
                file,
                fmt=kind,
                resumable=resumable,
                chunk_size=chunk_size,
                progress=lambda n: bar.advance(task, n),
            )
    except InvalidRecord as exc:
        written = "" if resumable else " Nothing was written (all-or-nothing)."
        if len(exc.errors) == 1:
            err_console.print(
                plain(f"Error: cannot import {file.name}: {exc.errors[0]}.{written}"),
                style="red",
                soft_wrap=True,
            )
        else:
            err_console.print(
                plain(f"Error: {len(exc.errors)} problems in {file.name}.{written}"),
                style="red",
                soft_wrap=True,
            )
            for e in exc.errors[:_SHOWN_ERRORS]:
                err_console.print(plain(f"  {e}"), soft_wrap=True)
        if len(exc.errors) > _SHOWN_ERRORS:
            err_console.print(f"  ... and {len(exc.errors) - _SHOWN_ERRORS} more")
        hint = "fix the rows named above and run the import again"
        if resumable:
            hint += " (chunks before the bad one were committed; stored rows are skipped)"
        err_console.print(plain(f"Hint: {hint}"), style="yellow", soft_wrap=True)
        raise typer.Exit(1) from None
    if json_out:
        print_json({"rows": result.rows, "inserted": result.inserted, "skipped": result.skipped})
    else:
        console.print(
            plain(
                f"Imported {result.rows} rows from {file.name}: {result.inserted} new, "
                f"{result.skipped} already stored."
            )
        )
