"""Every entry point treats every record alike: the parity test.

The corpus of ``parity_corpus.py`` (good records, bad ones, an identical re-log, conflicts,
analytics that contradict their round) is played in order through each entry point into its
own fresh database, on SQLite and PostgreSQL:

* the seed's ``log_*`` functions, one call per record;
* the ``RoundWriter`` (errors at the call, or dead-lettered with their reason at the write);
* ``log_batch_rounds`` for the rounds: the good ones as one batch (COPY on PostgreSQL), every
  other round as a batch of its own;
* ``crashdb import`` of JSON Lines files for the rounds, split the same way.

The errors (field and reason) of every entry, and every row of the seed's nine tables, must be
identical across the entry points. The simulator is an entry point too: what it logs, replayed
through the seed functions, stores the same rows.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, select

from crashdb import (
    Database,
    DatabaseConnection,
    InvalidRecord,
    RoundWriter,
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
from crashdb.db.models import Base
from crashdb.ingest.conflicts import _canonical
from crashdb.ingest.files import import_rounds
from crashdb.writer.spool import DEAD_LETTER_DIR
from parity_corpus import CORPUS, GOOD_ROUNDS, resolve, to_json_line

pytestmark = pytest.mark.slow  # Hypothesis and several databases per test: still run by make test

SEED: dict[str, Callable[..., Any]] = {
    "round": log_crash_round,
    "multiplier": log_round_multiplier_analytics,
    "signal": log_round_signal,
    "outcome": log_round_outcome,
    "error": log_error,
    "ocr": log_ocr_validation,
    "session": create_session_log,
    "session_update": update_session_log,
}
SEED_TABLES = (
    "bot_vm_registration",
    "game_platform_config",
    "session_logs",
    "crash_game_rounds",
    "analytics_round_multipliers",
    "analytics_round_signals",
    "analytics_round_outcomes",
    "error_logs",
    "ocr_validation_logs",
)
# ids that are not derived from the record: autoincrement keys and per-call uuid4s
_FREE_IDS = {
    "bot_vm_registration",
    "game_platform_config",
    "session_logs",
    "error_logs",
    "ocr_validation_logs",
}
_FIRST_GOOD = next(i for i, (k, f) in enumerate(CORPUS) if f is GOOD_ROUNDS[0])
_GOOD = range(_FIRST_GOOD, _FIRST_GOOD + len(GOOD_ROUNDS))

Errors = dict[int, list[tuple[str, str]]]


def _errors(exc: InvalidRecord) -> list[tuple[str, str]]:
    return sorted((e.field, e.reason) for e in exc.errors)


@pytest.fixture
def fresh(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], str]]:
    """Makes fresh migrated databases on the backend under test."""
    made: list[str] = []

    def make() -> str:
        if backend == "sqlite":
            path = tmp_path / f"parity_{len(made)}.sqlite3"
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            url = f"sqlite:///{path}"
        else:
            server = request.getfixturevalue("pg_server")
            name = server.create(
                f"p{uuid.uuid4().hex[:8]}", template=request.getfixturevalue("pg_template")
            )
            made.append(name)
            url = server.url(name)
        if backend == "sqlite":
            made.append(url)
        return url

    yield make
    DatabaseConnection.close()
    if backend == "postgresql":
        server = request.getfixturevalue("pg_server")
        for name in made:
            server.drop(name)


def _seed_call(i: int, out: Errors) -> None:
    kind, fields = CORPUS[i]
    try:
        SEED[kind](**resolve(fields))
        out[i] = []
    except InvalidRecord as exc:
        out[i] = _errors(exc)


def play_direct(url: str, tmp: Path) -> Errors:
    DatabaseConnection.initialize(url)
    out: Errors = {}
    for i in range(len(CORPUS)):
        _seed_call(i, out)
    return out


def play_writer(url: str, tmp: Path) -> Errors:
    db = Database(url)
    spool = tmp / "writer_spool"
    out: Errors = {}
    seen: set[Path] = set()
    with RoundWriter(spool, db=db, flush_interval=3600) as w:
        for i, (kind, fields) in enumerate(CORPUS):
            try:
                getattr(w, SEED[kind].__name__)(**resolve(fields))
            except InvalidRecord as exc:
                out[i] = _errors(exc)
                continue
            assert w.flush(60)
            new = sorted(set((spool / DEAD_LETTER_DIR).glob("*.errors.json")) - seen)
            seen.update(new)
            out[i] = sorted(
                (e["field"], e["reason"]) for p in new for e in json.loads(p.read_text())
            )
    db.dispose()
    return out


def _rounds_in_groups(out: Errors, write: Callable[[list[int]], None]) -> None:
    """The good rounds as one group, every other round alone, other kinds through the seed
    functions; ``write`` stores a group of round entries or raises InvalidRecord."""
    i = 0
    while i < len(CORPUS):
        kind, _ = CORPUS[i]
        group = list(_GOOD) if i == _GOOD.start else [i]
        if kind != "round":
            _seed_call(i, out)
        else:
            try:
                write(group)
                out.update({j: [] for j in group})
            except InvalidRecord as exc:
                assert len(group) == 1, exc
                out[i] = _errors(exc)
        i = group[-1] + 1


def play_batch(url: str, tmp: Path) -> Errors:
    DatabaseConnection.initialize(url)
    out: Errors = {}
    _rounds_in_groups(out, lambda group: log_batch_rounds([resolve(CORPUS[j][1]) for j in group]))
    return out


def play_import(url: str, tmp: Path) -> Errors:
    db = DatabaseConnection.initialize(url)
    out: Errors = {}

    def write(group: list[int]) -> None:
        path = tmp / f"import_{group[0]}.jsonl"
        path.write_text("".join(to_json_line(CORPUS[j][1]) for j in group), encoding="utf-8")
        import_rounds(db, path)

    _rounds_in_groups(out, write)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(_canonical(value), sort_keys=True, default=str)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"D{value}"
    return value


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    db = Database(url)
    out = {}
    with db.engine.connect() as conn:
        for name in SEED_TABLES:
            table = Base.metadata.tables[name]
            skip = {"created_at", "updated_at"} | ({"id"} if name in _FREE_IDS else set())
            cols: list[Any] = [c for c in table.columns if c.name not in skip]
            # JSON columns read back None for SQL NULL and JSON null alike: ask SQL which it is
            cols += [c.is_(None) for c in table.columns if isinstance(c.type, JSON)]
            rows = [tuple(_plain(v) for v in r) for r in conn.execute(select(*cols))]
            out[name] = sorted(rows, key=repr)
    db.dispose()
    return out


PLAYS = {"writer": play_writer, "batch": play_batch, "import": play_import}


def test_every_entry_point_stores_and_refuses_alike(
    fresh: Callable[[], str], tmp_path: Path
) -> None:
    reference_url = fresh()
    reference = play_direct(reference_url, tmp_path)
    stored = dump(reference_url)
    # the corpus does what it says: good records stored, bad ones refused for their reason
    assert all(reference[i] == [] for i in _GOOD)
    refused = {i for i, e in reference.items() if e}
    assert len(refused) >= 35
    assert len(stored["crash_game_rounds"]) == len(GOOD_ROUNDS) + 2
    reasons = " ".join(r for e in reference.values() for _, r in e)
    for words in (
        "already stored with other content",
        "no round with id",
        "lone surrogate",
        "out of range",
        "nested deeper",
        "is not the round's",
        "must not be blank",
    ):
        assert words in reasons, words
    for name, play in PLAYS.items():
        url = fresh()
        (tmp_path / name).mkdir()
        errors = play(url, tmp_path / name)
        diff = {
            i: (reference[i], errors.get(i)) for i in reference if errors.get(i) != reference[i]
        }
        assert not diff, f"{name}: errors differ from the seed functions' {diff}"
        other = dump(url)
        for table in SEED_TABLES:
            assert other[table] == stored[table], f"{name}: {table} differs"


class _Recorder:
    """Forwards the simulator's calls to a RoundWriter and remembers them."""

    def __init__(self, writer: RoundWriter) -> None:
        self.writer = writer
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.writer, name)
        if not name.startswith(("log_", "create_", "update_")):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            assert not args
            self.calls.append((name, dict(kwargs)))
            return method(**kwargs)

        return call


def test_the_simulator_logs_through_the_seed_path(fresh: Callable[[], str], tmp_path: Path) -> None:
    from crashdb.sim.fleet import FleetConfig
    from crashdb.sim.simulate import simulate_fleet

    sim_url, replay_url = fresh(), fresh()
    sim_db = Database(sim_url)
    with RoundWriter(tmp_path / "spool", db=sim_db) as writer:
        recorder = _Recorder(writer)
        simulate_fleet(FleetConfig(bots=2, rounds=15, seed=3), recorder)  # type: ignore[arg-type]
    sim_db.dispose()
    assert recorder.calls
    DatabaseConnection.initialize(replay_url)
    for name, kwargs in recorder.calls:
        SEED_BY_NAME[name](**kwargs)
    assert dump(replay_url) == dump(sim_url)


SEED_BY_NAME = {f.__name__: f for f in SEED.values()} | {"log_batch_rounds": log_batch_rounds}
