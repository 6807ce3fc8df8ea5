"""``crashdb verify``: check the provably-fair data of recorded rounds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crashdb.cli._app import DbUrl, JsonFlag, app, console, open_db, print_json
from crashdb.cli._sim_output import compact_table, progress_bar
from crashdb.cli._text import add_row

if TYPE_CHECKING:
    from crashdb.sim.fairness import RoundVerification


@app.command()
def verify(
    db_url: DbUrl = None,
    bot: Annotated[str | None, typer.Option("--bot", help="Only this bot.")] = None,
    session: Annotated[str | None, typer.Option("--session", help="Only this session.")] = None,
    game: Annotated[str | None, typer.Option("--game", "-g", help="Only this game.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Check at most N.")] = None,
    show: Annotated[int, typer.Option("--show", min=0, help="Rows of mismatches to list.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Check the provably-fair data of recorded rounds (bustabit results and hash chain;
    Aviator seed commitments) and report every mismatch. Exit status 1 on any mismatch."""
    from crashdb.sim.fairness import verify_recorded_rounds

    db = open_db(db_url)
    with progress_bar("Verifying recorded rounds", None) as advance:
        seen = [0]

        def tick(n: int) -> None:
            advance(n - seen[0])
            seen[0] = n

        results = verify_recorded_rounds(
            db, bot_id=bot, session_id=session, game_name=game, limit=limit, progress=tick
        )
    bad = [r for r in results if not r.ok]
    if as_json:
        print_json(
            {
                "checked": len(results),
                "ok": len(results) - len(bad),
                "mismatches": [r.as_dict() for r in bad],
                "by_scheme": _by_scheme(results),
            }
        )
    else:
        _print_verification(results, bad, show)
    if bad:
        raise typer.Exit(1)


def _by_scheme(results: Sequence[RoundVerification]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in results:
        entry = out.setdefault(r.scheme, {"checked": 0, "ok": 0, "verified": r.what})
        entry["checked"] += 1
        entry["ok"] += r.ok
        if not entry["verified"]:
            entry["verified"] = r.what
    return out


def _print_verification(
    results: Sequence[RoundVerification], bad: Sequence[RoundVerification], show: int
) -> None:
    if not results:
        console.print(
            "No recorded round carries fairness data (metadata.fairness); see "
            "crashdb.sim.fairness for the keys to log."
        )
        return
    summary = compact_table("Provably-fair verification")
    for col in ("scheme", "checked", "ok", "mismatches", "what is verified"):
        summary.add_column(
            col, justify="left" if col in ("scheme", "what is verified") else "right"
        )
    for scheme, e in _by_scheme(results).items():
        add_row(
            summary,
            scheme,
            f"{e['checked']:,}",
            f"{e['ok']:,}",
            f"{e['checked'] - e['ok']:,}",
            e["verified"],
        )
    console.print(summary)
    if bad:
        table = compact_table(f"Mismatches ({len(bad):,}; first {min(show, len(bad))})")
        for col in ("bot", "session", "round", "scheme", "problem"):
            table.add_column(col)
        for r in bad[:show]:
            add_row(
                table, r.bot_id, r.session_id, str(r.round_number), r.scheme, "; ".join(r.problems)
            )
        console.print(table)
    else:
        console.print(f"All {len(results):,} rounds verified.", style="green")
