"""Stored text is printed as text: never as Rich markup, emoji codes or terminal control
sequences; CSV cells never start a spreadsheet formula; secrets never reach a repr.

Property-based (Hypothesis): any text a bot may store as an id or a name.
"""

from __future__ import annotations

import itertools
import json
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from crashdb import Database
from crashdb.analytics.export import _defuse_formulas
from crashdb.cli import _app, app
from crashdb.cli._text import markup, plain
from crashdb.config import Settings
from crashdb.db.models import (
    AnalyticsRoundSignal,
    BotVMRegistration,
    CrashGameRound,
    SessionLog,
)
from crashdb.ingest.files import FORMULA_START, _clean
from crashdb.ingest.records import round_uuid

runner = CliRunner()
# What a database can hold in an id column: text without NUL or lone surrogates (neither
# PostgreSQL nor SQLite's UTF-8 stores them), up to the column's length.
stored_text = st.text(
    st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), min_size=1, max_size=24
)
# What Python code may hand the printing helpers: lone surrogates too.
python_text = st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=24)
hostile = st.sampled_from(
    ["[/bold]", "[bold red]x[/]", "\x1b[31mred\x1b[0m", "\x1b]8;;http://x\x07link", ":smile:",
     "a\rb", "\u202eevil", "tab\there", "=HYPERLINK(\"http://x\")", "back\\", "[link=x]y"]
)  # fmt: skip
storable = st.one_of(hostile, stored_text)
any_text = st.one_of(hostile, stored_text, python_text)


def shows_nothing_raw(output: str) -> None:
    """Only printable characters and line breaks reach the terminal."""
    for ch in output:
        assert ch == "\n" or ch.isprintable(), (repr(ch), output)


@given(any_text)
def test_plain_is_printable_and_leaves_printable_text_alone(text: str) -> None:
    shown = plain(text)
    assert shown.isprintable()
    if text.isprintable():
        assert shown == text
    else:
        assert "\\" in shown
    # Every character a terminal would act on is visible as an escape.
    for ch in text:
        if not ch.isprintable():
            assert ch not in shown


@given(any_text, any_text)
def test_markup_never_interprets_the_values(a: str, b: str) -> None:
    text = markup("[green]Wrote {}[/green] to {} done", a, b)
    assert text.plain == f"Wrote {plain(a)} to {plain(b)} done"
    assert text.spans[0].style == "green"


@pytest.fixture
def wide() -> Iterator[None]:
    """Wide consoles, so that a whole id fits on one line of a table."""
    saved = (_app.console.width, _app.err_console.width)
    _app.console.width = _app.err_console.width = 400
    yield
    _app.console.width, _app.err_console.width = saved


_numbers = itertools.count(1)


def _store_directly(db: Database, name: str, n: int) -> None:
    """A round and a signal whose ids are ``name``, written past the validator (which refuses
    control characters in ids): the CLI must print whatever a database holds, including rows
    of older versions or other writers."""
    when = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    rid = round_uuid(name, name, n)
    with db.session_scope() as s:
        if s.scalar(select(BotVMRegistration.id).where(BotVMRegistration.bot_id == name)) is None:
            s.add(BotVMRegistration(bot_id=name, strategy_name=name))
            s.flush()
            s.add(SessionLog(bot_id=name, session_id=name, strategy_name=name))
            s.flush()
        s.add(
            CrashGameRound(
                id=rid, bot_id=name, session_id=name, game_name="aviator", round_number=n,
                bet_slot=1, strategy_name=name, stake_value=Decimal("1.00"),
                target_multiplier=Decimal("2.00"), crash_multiplier=Decimal("1.50"),
                round_outcome="LOSS", profit_loss=Decimal("-1.00"), roi_percent=Decimal(-100),
                round_start_timestamp=when,
            )
        )  # fmt: skip
        s.flush()
        s.add(
            AnalyticsRoundSignal(
                id=uuid.uuid4(), round_id=rid, round_number=n, bot_id=name, session_id=name,
                game_name="aviator", signal_type=name, target_multiplier=Decimal("2.00"),
                confidence_score=Decimal("0.5"), actual_multiplier=Decimal("1.50"),
                signal_correctness=False, timestamp=when, date_bucket=when.date(),
            )
        )  # fmt: skip


@pytest.mark.slow
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=storable)
def test_stored_ids_and_names_print_as_text(
    db: Database, db_url: str, wide: None, name: str
) -> None:
    n = next(_numbers)
    _store_directly(db, name, n)
    shown = plain(name)
    # (command and options, ids given as arguments: after "--", as an id may start with "-")
    commands = [
        (["stats", "bot"], [name]),
        (["stats", "session"], [name]),
        (["stats", "strategy"], [name]),
        (["signals", "--bot", name], []),
        (["signals"], []),
        (["list", "bots"], []),
        (["list", "sessions", "--bot", name], []),
        (["list", "strategies"], []),
    ]
    for args, ids in commands:
        result = runner.invoke(app, [*args, "--db-url", db_url, *(["--", *ids] if ids else [])])
        assert result.exit_code == 0, (args, result.output)
        shows_nothing_raw(result.output)
        if shown.strip():
            assert shown in result.output, (args, shown, result.output)
    # JSON output for scripts is JSON: the exact text comes back.
    listed = runner.invoke(app, ["list", "bots", "--json", "--db-url", db_url])
    assert name in [b["bot_id"] for b in json.loads(listed.output)]
    # An unknown id close to a stored one is named in the error, as text.
    result = runner.invoke(app, ["stats", "bot", "--db-url", db_url, "--", name + "\x1b[2J"])
    assert result.exit_code == 1
    shows_nothing_raw(result.output)


FORMULA = set(FORMULA_START)


# The cells of an export come from the database: text it can hold (no lone surrogates).
@given(st.lists(st.one_of(st.none(), storable, st.sampled_from(["", "'", "''=", "'x"]))))
def test_csv_cells_never_start_a_formula_and_read_back_exactly(cells: list[str | None]) -> None:
    batch = pa.RecordBatch.from_arrays(
        [pa.array(cells, pa.string()), pa.array([Decimal("-1.5")] * len(cells))],
        names=["bot_id", "stake_value"],
    )
    out = _defuse_formulas(batch)
    written = out.column(0).to_pylist()
    for cell in written:
        if cell:
            assert cell[0] not in FORMULA
            # Apostrophes, then a formula character: only ever our own prefix.
            stripped = cell.lstrip("'")
            if stripped and stripped[0] in FORMULA:
                assert cell.startswith("'")
    assert out.column(1).to_pylist() == [Decimal("-1.5")] * len(cells)  # numbers untouched
    back = [_clean({"bot_id": c}, "csv").get("bot_id") for c in written]
    assert back == cells


@given(
    password=st.text("abcdefghijklmnopqrstuvwxyz0123456789!$%&*", min_size=12, max_size=40),
)
def test_the_password_never_appears_in_reprs(password: str) -> None:
    s = Settings(DB_HOST="db.example.test", DB_USER="fleet", DB_PASSWORD=password)
    url = s.resolved_url()
    assert url.password == password  # it is used...
    for shown in (repr(s), str(s), str(url), repr(url), str(s.model_dump())):
        assert password not in shown  # ...and never shown
    with_url = Settings(CRASHDB_DATABASE_URL=f"postgresql://fleet:{password}@db.example.test/x")
    assert password not in repr(with_url) and password not in str(with_url.resolved_url())


def test_control_characters_are_shown_as_escapes() -> None:
    assert plain("a\x1b[31mb") == "a\\x1b[31mb"
    assert plain("\u202eevil") == "\\u202eevil"
    assert plain("e\u0301") == "e\u0301"  # a combining accent is printable text
    assert unicodedata.category("\u202e") == "Cf"
