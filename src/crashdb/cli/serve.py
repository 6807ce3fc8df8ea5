"""``crashdb serve`` (the fleet service) and ``crashdb token create|list|revoke``.

FastAPI and uvicorn are imported inside the command bodies: ``crashdb --help`` stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from crashdb.cli._app import DbUrl, JsonFlag, app, console, err_console, open_db, print_json
from crashdb.exceptions import InvalidRecord

__all__ = ["serve", "token_app"]

token_app = typer.Typer(
    name="token", help="Credentials of the fleet service (crashdb serve).", no_args_is_help=True
)
app.add_typer(token_app)


@app.command()
def serve(
    db_url: DbUrl = None,
    host: Annotated[
        str, typer.Option(help="Address to bind (loopback unless you say otherwise).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8765,
    config: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="TOML file: limits, alert rules, webhooks, Telegram."
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (use PostgreSQL for more than one).")
    ] = 1,
    ssl_certfile: Annotated[Path | None, typer.Option(exists=True, dir_okay=False)] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(exists=True, dir_okay=False)] = None,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            help="Trust X-Forwarded-* from --forwarded-allow-ips (behind a reverse proxy)."
        ),
    ] = False,
    forwarded_allow_ips: Annotated[str, typer.Option()] = "127.0.0.1",
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the fleet service: HTTP ingest for remote bots, read API, dashboard, alerts."""
    import uvicorn

    from crashdb.server.app import CONFIG_ENV, create_app
    from crashdb.server.config import config_to_json, load_config

    try:
        settings = load_config(config, db_url=db_url)
    except (ValueError, OSError) as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    db = open_db(settings.db_url)
    if workers > 1 and db.backend != "postgresql":
        err_console.print("[red]Several workers need PostgreSQL (SQLite has one writer).[/red]")
        raise typer.Exit(2)
    db.init_db()  # the schema at head, before any worker starts
    settings = settings.model_copy(update={"db_url": db.url.render_as_string(False)})
    scheme = "https" if ssl_certfile else "http"
    err_console.print(
        f"crashdb fleet service on {scheme}://{host}:{port}/ "
        f"(database {db.url.render_as_string(hide_password=True)})"
    )
    db.dispose()
    options = {
        "host": host,
        "port": port,
        "ssl_certfile": str(ssl_certfile) if ssl_certfile else None,
        "ssl_keyfile": str(ssl_keyfile) if ssl_keyfile else None,
        "proxy_headers": proxy_headers,
        "forwarded_allow_ips": forwarded_allow_ips,
        "log_level": log_level,
        "server_header": False,
    }
    if workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
    else:
        os.environ[CONFIG_ENV] = config_to_json(settings)
        uvicorn.run(
            "crashdb.server.app:app_from_environment",
            factory=True,
            workers=workers,
            **options,  # type: ignore[arg-type]
        )


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="bot, viewer or admin.")],
    bot: Annotated[
        str | None, typer.Option("--bot", help="The bot a bot token writes for.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="A label for the token list.")] = None,
    db_url: DbUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a token and print it (this once: only its hash is stored)."""
    from crashdb.server.auth import create_token

    db = open_db(db_url)
    db.init_db()
    try:
        token_id, token = create_token(db, role, bot, name)
    except InvalidRecord as exc:
        for e in exc.errors:
            err_console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    if as_json:
        print_json({"id": token_id, "token": token})
        return
    console.print(f"Token [bold]{token_id}[/bold] ({role}{f', bot {bot}' if bot else ''}):")
    typer.echo(token)
    err_console.print("Store it now: it is not shown again.")


@token_app.command("list")
def token_list(db_url: DbUrl = None, as_json: JsonFlag = False) -> None:
    """Every token: id, role, bot, name, created, revoked (never the secret)."""
    from crashdb.server.auth import list_tokens

    tokens = list_tokens(open_db(db_url))
    if as_json:
        print_json(tokens)
        return
    table = RichTable("id", "role", "bot", "name", "created", "revoked")
    for t in tokens:
        table.add_row(
            t["id"],
            t["role"],
            t["bot_id"] or "",
            t["name"] or "",
            t["created_at"],
            t["revoked_at"] or "",
        )
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The id `token list` shows.")],
    db_url: DbUrl = None,
) -> None:
    """Revoke a token (running servers refuse it within their token cache time, 5 s)."""
    from crashdb.server.auth import revoke_token

    db = open_db(db_url)
    if not revoke_token(db, token_id):
        err_console.print(f"[red]No active token {token_id!r}.[/red]")
        raise typer.Exit(1)
    console.print(f"Token {token_id} revoked.")
