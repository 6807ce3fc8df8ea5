"""Hostile input is normal input: any value in any field of any record kind is either refused
with ``InvalidRecord`` (nothing written) or stored exactly, on SQLite and PostgreSQL.

Hypothesis puts arbitrary values (lone surrogates, NUL and control characters, huge and odd
numbers, NaN, out-of-range and odd-format timestamps, JSON nested thousands deep or larger
than any sane limit, non-string keys, bytes, arbitrary objects) into one to three fields of an
otherwise valid call of each seed ``log_*`` function, and asserts: the call raises
``InvalidRecord`` and the database is unchanged, or it returns and the row reads back equal to
the record the builder made of the same arguments.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, func, select

from conftest import migrated_url
from crashdb import (
    DatabaseConnection,
    InvalidRecord,
    create_session_log,
    log_batch_rounds,
    log_crash_round,
    log_error,
    log_ocr_validation,
    log_round_multiplier_analytics,
    log_round_outcome,
    log_round_signal,
    update_session_log,
)
from crashdb.db import Database
from crashdb.db.models import Base
from crashdb.ingest import validate
from crashdb.ingest.conflicts import same_json
from crashdb.ingest.files import import_rounds
from crashdb.ingest.rounds import build_round
from crashdb.ingest.tables import TABLE_OF, record_columns

pytestmark = pytest.mark.slow  # Hypothesis and several databases per test: still run by make test

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

# --------------------------------------------------------------------------- hostile values

_odd_text = st.sampled_from(
    [
        "",
        " ",
        "\t",
        "\x00",
        "a\x00b",
        "\ud800",
        "x\udfffy",
        "\x1b[31mred",
        "\u202e",
        "line\nbreak",
        "=1+1",
        "[/bold]",
        "1e999999",
        "NaN",
        "-0",
        "+5",
        " 5 ",
        "١٢٣",
        "²",
        "0x10",
        "1_000",
        "9" * 5000,
        "2026-13-01",
        "2026-01-01T00:00:00",
        "2026-01-01T00:00:00+25:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "2026-01-01T00:00:00+00:00",
        "true",
        "WIN",
        " loss ",
    ]
)
_text = st.one_of(
    _odd_text,
    st.text(max_size=24),
    st.text(st.characters(categories=["Cs", "Cc", "Cf", "Zs"]), max_size=8),
    st.text(min_size=200, max_size=700),
)
_numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=-(10**15), max_value=10**15, places=4),
    st.sampled_from(
        [
            Decimal("1e999999"),
            Decimal("-1e-999999"),
            Decimal("sNaN"),
            Decimal("99999999999999.9999"),
            Decimal("1234567890123.4567"),
            Decimal("-0.00"),
            1_000_001,
            2**63,
            -(2**63) - 1,
            10**5000,
        ]
    ),
)
_times = st.one_of(
    st.datetimes(timezones=st.none() | st.timezones()),
    st.datetimes(timezones=st.just(timezone(timedelta(hours=14)))),
    st.datetimes(timezones=st.just(timezone(timedelta(hours=-14)))),
    st.dates(),
)


def _nest(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _text,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(_text | st.integers(), inner, max_size=4)
    ),
    max_leaves=12,
)
_others = st.sampled_from(
    [b"bytes", object(), (1, 2), {1, 2}, frozenset(), uuid.UUID(int=7), True, False, None, Ellipsis]
)
VALUES = st.one_of(
    _text,
    _numbers,
    _times,
    _json,
    st.integers(30, 3000).map(_nest),
    st.integers(60_000, 90_000).map(lambda n: {"x": "a" * n}),
    _others,
)

# --------------------------------------------------------------------------- the seed calls


def _round(key: str) -> dict[str, Any]:
    return {
        "bot_id": f"hostile_{key}",
        "session_id": f"s_{key}",
        "game_name": "aviator",
        "platform_code": "dafabet",
        "round_number": 1,
        "stake_value": Decimal("10.00"),
        "crash_multiplier": Decimal("2.45"),
        "cashout_multiplier": Decimal("1.33"),
        "round_outcome": "WIN",
        "running_balance_before": Decimal("100.00"),
        "round_start_timestamp": datetime(2026, 1, 1, tzinfo=UTC),
        "metadata": {"k": 1},
    }


def _linked(key: str) -> dict[str, Any]:
    return {"round_id": log_crash_round(**_round(key))}


Call = tuple[Callable[..., Any], Callable[[str], dict[str, Any]], Callable[..., Any], str]
CALLS: dict[str, Call] = {
    "round": (log_crash_round, _round, build_round, "crash_game_rounds"),
    "multiplier": (
        log_round_multiplier_analytics,
        lambda k: {**_linked(k), "multiplier": Decimal("2.45"), "is_crash": True},
        validate.build_multiplier,
        "analytics_round_multipliers",
    ),
    "signal": (
        log_round_signal,
        lambda k: {**_linked(k), "signal_type": "early", "confidence_score": 0.9},
        validate.build_signal,
        "analytics_round_signals",
    ),
    "outcome": (
        log_round_outcome,
        lambda k: {**_linked(k), "outcome": "WIN", "profit_loss": Decimal("3.30")},
        validate.build_outcome,
        "analytics_round_outcomes",
    ),
    "error": (
        log_error,
        lambda k: {"error_type": "ocr_failure", "bot_id": f"hostile_{k}", "context": {"a": 1}},
        validate.build_error,
        "error_logs",
    ),
    "ocr": (
        log_ocr_validation,
        lambda k: {"raw_ocr_text": "2.45x", "cleaned_value": "2.45", "confidence": 0.9},
        validate.build_ocr,
        "ocr_validation_logs",
    ),
    "session": (
        create_session_log,
        lambda k: {"bot_id": f"hostile_{k}", "session_id": f"s_{k}", "initial_balance": "5"},
        validate.build_session_start,
        "session_logs",
    ),
    "session_update": (
        update_session_log,
        lambda k: {"session_id": f"s_{k}", "bot_id": f"hostile_{k}", "status": "completed"},
        validate.build_session_update,
        "session_logs",
    ),
}
# every keyword each call accepts (aliases included), from the builders' own lookups
FIELDS: dict[str, list[str]] = {k: list(v) for k, v in validate.ACCEPTED_FIELDS.items()}


@pytest.fixture(scope="module", params=BACKENDS)
def shared_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database per backend for the whole module (examples use distinct keys)."""
    yield from migrated_url(request.param, request, tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def shared(shared_url: str) -> Iterator[Database]:
    database = DatabaseConnection.initialize(shared_url)
    yield database
    DatabaseConnection.close()


def _counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in Base.metadata.sorted_tables
        }


def _table(name: str) -> Table:
    table = Base.metadata.tables[name]
    assert isinstance(table, Table)
    return table


def _stored(db: Database, kind: str, record: Any, result: Any) -> dict[str, Any]:
    table = _table(CALLS[kind][3])
    if kind in ("session", "session_update"):
        where = [table.c.session_id == record.session_id, table.c.bot_id == record.bot_id]
    else:
        where = [table.c.id == result]
    with db.engine.connect() as conn:
        row = conn.execute(select(table).where(*where)).mappings().one()
    return dict(row)


def _same(column: str, mine: Any, stored: Any) -> bool:
    if column in ("metadata", "feature_vector", "context"):
        return same_json(mine, stored)
    if isinstance(mine, Decimal):
        return isinstance(stored, Decimal) and mine == stored
    if isinstance(mine, datetime):
        return (
            isinstance(stored, datetime) and mine == stored and stored.utcoffset() == timedelta(0)
        )
    return bool(mine == stored) and type(mine) is type(stored)


@pytest.mark.parametrize("kind", list(CALLS))
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(data=st.data())
def test_any_value_is_refused_or_stored_exactly(
    shared: Database, kind: str, data: st.DataObject
) -> None:
    call, base, build, _ = CALLS[kind]
    key = uuid.uuid4().hex[:12]
    if kind == "session_update":
        create_session_log(bot_id=f"hostile_{key}", session_id=f"s_{key}")
    kw = base(key)
    names = st.one_of(st.sampled_from(FIELDS[kind]), _text)
    kw.update(data.draw(st.dictionaries(names, VALUES, min_size=1, max_size=3), label="changes"))
    before = _counts(shared)
    try:
        result = call(**kw)
    except InvalidRecord as exc:
        assert exc.errors, "an InvalidRecord names at least one field"
        assert _counts(shared) == before, "nothing is written when a record is refused"
        return
    record = build(**kw)
    if kind == "session_update" and not result:
        return  # a session id that names no session: nothing to update (and nothing written)
    stored = _stored(shared, kind, record, result)
    for column, mine in record_columns(record).items():
        if mine is None or column in ("id", "start_timestamp", "end_timestamp"):
            continue
        if column in record.defaulted:
            continue
        assert column in stored, column
        assert _same(column, mine, stored[column]), (column, mine, stored[column])


def test_every_record_kind_is_covered() -> None:
    assert set(CALLS) - {"session", "session_update"} == set(TABLE_OF) | {"round"}


# --------------------------------------------------------------------------- batches and files

_JSON_VALUES = st.one_of(
    _text,
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    _json,
    st.integers(30, 200).map(_nest),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_hostile_batches_and_files_are_refused_whole_or_stored(
    shared: Database, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """A batch (``log_batch_rounds``) and a file (``crashdb import``) with hostile values in
    some rows: ``InvalidRecord`` and nothing written, or every row stored."""
    key = uuid.uuid4().hex[:12]
    rows = [dict(_round(key), round_number=n) for n in range(1, 6)]
    for row in data.draw(st.lists(st.sampled_from(rows), min_size=1, max_size=3), label="rows"):
        name = data.draw(st.sampled_from(FIELDS["round"]) | _text, label="field")
        row[name] = data.draw(_JSON_VALUES, label="value")
    before = _counts(shared)
    via_file = data.draw(st.booleans(), label="via a file")
    try:
        if via_file:
            path = tmp_path_factory.mktemp("hostile_file") / "rounds.jsonl"
            lines = [json.dumps(r, default=str) + "\n" for r in rows]
            path.write_text("".join(lines), encoding="utf-8", errors="surrogatepass")
            import_rounds(shared, path)
        else:
            log_batch_rounds(rows)
    except InvalidRecord as exc:
        assert exc.errors
        assert _counts(shared) == before
        return
    assert _counts(shared)["crash_game_rounds"] == before["crash_game_rounds"] + len(rows)
