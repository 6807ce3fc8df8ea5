"""RoundWriter: group commits, spool and replay, crash bounds.

The first half runs the machinery against :class:`MemorySink` (an in-memory implementation of
the sink contract with an off switch); the second half runs against the real databases, where
an outage is another connection holding an exclusive lock on the tables (writes then fail
with "database is locked" on SQLite and a lock timeout on PostgreSQL). Stopping a whole
PostgreSQL server is in ``test_outage.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import sqlalchemy.exc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import column, text

from crashdb import (
    Database,
    DatabaseUnavailable,
    InvalidRecord,
    RoundWriter,
    SchemaNotInitialized,
)
from crashdb.db.types import MONEY
from crashdb.ingest import RoundRecord, record_from_json
from crashdb.writer import close_default_writer, get_default_writer, is_unavailable_error
from crashdb.writer.spool import DEAD_LETTER_DIR, LOCK_NAME
from writer_support import (
    MemorySink,
    count,
    database_locked,
    expected_profit,
    round_ids,
    round_kw,
    round_numbers,
    short_timeout_db,
    wait_for,
)

LONG = 60.0  # a flush interval no test waits for


def spooled_segments(spool: Path) -> list[Path]:
    return sorted(p for p in spool.glob("*/*.jsonl") if p.parent.name != DEAD_LETTER_DIR)


def spooled_ids(spool: Path) -> list[uuid.UUID]:
    ids = []
    for seg in spooled_segments(spool):
        for line in seg.read_text().splitlines():
            ids.extend(uuid.UUID(d["id"]) for d in json.loads(line))
    return ids


# =============================================================== machinery (memory sink)


def test_log_returns_id_before_anything_is_written(tmp_path: Path) -> None:
    sink = MemorySink()
    with RoundWriter(tmp_path / "spool", sink=sink, flush_interval=LONG) as w:
        rid = w.log_crash_round(**round_kw(1))
        assert isinstance(rid, uuid.UUID)
        assert sink.calls == 0 and w.pending == 1
        assert w.flush(timeout=10)
        assert [r.id for r in sink.written] == [rid]


def test_group_commit_without_flush(tmp_path: Path) -> None:
    sink = MemorySink()
    with RoundWriter(tmp_path / "spool", sink=sink, flush_interval=0.05, batch_size=1000) as w:
        ids = [w.log_crash_round(**round_kw(n)) for n in range(1, 201)]
        assert wait_for(lambda: len(sink.written) == 200)
        assert [r.id for r in sink.written] == ids
        # 200 calls in a few ms: grouped into a few transactions, not one per call
        assert len(sink.transactions) < 20


def test_batch_size_commits_before_the_interval(tmp_path: Path) -> None:
    sink = MemorySink()
    with RoundWriter(tmp_path / "spool", sink=sink, flush_interval=LONG, batch_size=10) as w:
        for n in range(1, 26):
            w.log_crash_round(**round_kw(n))
        assert wait_for(lambda: len(sink.written) >= 20)
        assert all(len(t) <= 10 for t in sink.transactions)
    assert len(sink.written) == 25


def test_close_flushes(tmp_path: Path) -> None:
    sink = MemorySink()
    w = RoundWriter(tmp_path / "spool", sink=sink, flush_interval=LONG)
    ids = [w.log_crash_round(**round_kw(n)) for n in range(1, 6)]
    w.close()
    assert [r.id for r in sink.written] == ids
    assert w.closed
    assert not any((tmp_path / "spool").glob("*/*.jsonl"))


def test_invalid_record_raises_synchronously_and_enqueues_nothing(tmp_path: Path) -> None:
    sink = MemorySink()
    with RoundWriter(tmp_path / "spool", sink=sink, flush_interval=LONG) as w:
        bad = round_kw(1) | {"crash_multiplier": Decimal("0.50")}
        with pytest.raises(InvalidRecord) as err:
            w.log_crash_round(**bad)
        assert "crash_multiplier" in err.value.fields
        rows = [round_kw(1), round_kw(2) | {"stake_value": Decimal("-1")}, round_kw(3)]
        with pytest.raises(InvalidRecord) as err:
            w.log_batch_rounds(rows)
        assert [e.row for e in err.value.errors] == [1]
        assert w.pending == 0
    assert sink.written == []


def test_batch_is_one_transaction(tmp_path: Path) -> None:
    sink = MemorySink()
    with RoundWriter(tmp_path / "spool", sink=sink, flush_interval=LONG, batch_size=5) as w:
        ids = w.log_batch_rounds([round_kw(n) for n in range(1, 13)])
    assert len(ids) == 12 and len(set(ids)) == 12
    # a unit is never split across transactions, even when larger than batch_size
    assert [[r.id for r in t] for t in sink.transactions] == [ids]


def test_outage_spools_in_order_and_replays_in_order(tmp_path: Path) -> None:
    sink = MemorySink()
    spool = tmp_path / "spool"
    w = RoundWriter(spool, sink=sink, flush_interval=LONG, retry_initial=0.05, retry_max=0.2)
    first = w.log_crash_round(**round_kw(1))
    assert w.flush(10)
    sink.down = True
    # the same round twice with different stakes: whichever reaches the sink first wins
    v1 = w.log_crash_round(**round_kw(2, stake="10.00"))
    assert w.flush(10)
    v2 = w.log_crash_round(**round_kw(2, stake="99.00"))
    others = [w.log_crash_round(**round_kw(n)) for n in range(3, 8)]
    assert w.flush(10)
    assert v1 == v2
    assert len(spooled_segments(spool)) == 2
    assert spooled_ids(spool) == [v1, v2, *others]
    assert w.stats.spooled_batches == 2
    sink.down = False
    assert wait_for(lambda: w.backlog == 0)
    assert [r.id for r in sink.written] == [first, v1, v2, *others]
    stored = sink.stored()[v1]
    assert isinstance(stored, RoundRecord) and stored.stake_value == Decimal("10.00")
    assert spooled_segments(spool) == []
    w.close()


def test_new_batches_never_overtake_spooled_ones(tmp_path: Path) -> None:
    sink = MemorySink()
    w = RoundWriter(
        tmp_path / "spool", sink=sink, flush_interval=0.02, retry_initial=0.5, retry_max=0.5
    )
    sink.down = True
    old = [w.log_crash_round(**round_kw(n)) for n in range(1, 4)]
    assert w.flush(10)
    sink.down = False  # back, but the writer only retries after its backoff
    new = [w.log_crash_round(**round_kw(n)) for n in range(4, 7)]
    assert w.flush(10)
    assert wait_for(lambda: len(sink.written) == 6)
    assert [r.id for r in sink.written] == old + new
    w.close()


def test_a_hung_write_does_not_keep_records_in_memory(tmp_path: Path) -> None:
    sink = MemorySink()
    spool = tmp_path / "spool"
    w = RoundWriter(spool, sink=sink, flush_interval=0.05, write_timeout=0.3, retry_initial=0.05)
    sink.hang.set()
    first = w.log_batch_rounds([round_kw(n) for n in range(1, 4)])  # one unit: one batch
    assert sink.hanging.wait(10)
    assert w.flush(10)  # returns although the write hangs: the batch is now spooled
    later = [w.log_crash_round(**round_kw(n)) for n in range(4, 7)]
    assert w.flush(10)
    assert spooled_ids(spool) == first + later
    sink.hang.clear()  # the hung write finishes (commits) after all
    assert wait_for(lambda: w.backlog == 0)
    w.close()
    assert list(sink.stored()) == first + later  # replaying the committed batch was harmless
    assert sink.written[:3] == sink.written[3:6]  # it was written twice, stored once


def test_leftover_segments_are_replayed_by_the_next_writer(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    down = MemorySink()
    down.down = True
    a = RoundWriter(spool, sink=down, flush_interval=LONG, retry_initial=0.05)
    ids = [a.log_crash_round(**round_kw(n)) for n in range(1, 31)]
    a.close()  # the database never came back: the segments stay, unlocked
    assert spooled_ids(spool) == ids
    up = MemorySink()
    b = RoundWriter(spool, sink=up, flush_interval=LONG)
    later = b.log_crash_round(**round_kw(31))
    b.close()
    assert [r.id for r in up.written] == [*ids, later]
    assert spooled_segments(spool) == [] and list(spool.iterdir()) == []


def test_live_writers_do_not_adopt_each_others_segments(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    down = MemorySink()
    down.down = True
    a = RoundWriter(spool, sink=down, flush_interval=LONG, retry_initial=30, retry_max=30)
    a.log_crash_round(**round_kw(1))
    assert a.flush(10)
    up = MemorySink()
    b = RoundWriter(spool, sink=up, flush_interval=LONG)
    assert b.backlog == 0 and a.backlog == 1  # a's directory is locked: a is alive
    b.close()
    assert up.written == []
    a.close()


def test_refused_unit_goes_to_dead_letter_and_the_rest_is_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sink = MemorySink()
    spool = tmp_path / "spool"
    with RoundWriter(spool, sink=sink, flush_interval=LONG) as w:
        ids = [w.log_crash_round(**round_kw(n)) for n in range(1, 6)]
        sink.refuse = {ids[2]}
        assert w.flush(10)
        after = w.log_crash_round(**round_kw(6))
    assert [r.id for r in sink.written] == [*ids[:2], *ids[3:], after]
    dead = sorted((spool / DEAD_LETTER_DIR).glob("*.jsonl"))
    assert len(dead) == 1
    [line] = dead[0].read_text().splitlines()
    assert [record_from_json(d).id for d in json.loads(line)] == [ids[2]]
    assert "IntegrityError" in dead[0].with_suffix(".error.txt").read_text()
    assert w.stats.dead_lettered_units == 1
    assert "refused" in caplog.text


def test_a_dead_letter_can_be_replayed_as_the_docs_say(tmp_path: Path) -> None:
    sink = MemorySink()
    spool = tmp_path / "spool"
    with RoundWriter(spool, sink=sink, flush_interval=LONG) as w:
        rid = w.log_crash_round(**round_kw(1))
        sink.refuse = {rid}
    assert sink.written == []
    [dead] = (spool / DEAD_LETTER_DIR).glob("*.jsonl")
    sink.refuse = set()  # the cause is fixed
    target = spool / "00000000000000000000-0-0"  # docs/writer.md, "Refused batches"
    target.mkdir()
    dead.rename(target / "000000000001.jsonl")
    with RoundWriter(spool, sink=sink, flush_interval=LONG):
        pass
    assert [r.id for r in sink.written] == [rid]
    assert not target.exists()


def test_a_bug_in_the_sink_never_reaches_the_caller(tmp_path: Path) -> None:
    sink = MemorySink()
    sink.fail_with = lambda: RuntimeError("bug in write_records")
    spool = tmp_path / "spool"
    with RoundWriter(spool, sink=sink, flush_interval=0.01) as w:
        for n in range(1, 50):
            w.log_crash_round(**round_kw(n))
        assert w.flush(10)
        sink.fail_with = None
        ok = w.log_crash_round(**round_kw(50))
    assert [r.id for r in sink.written] == [ok]
    dead_ids = [
        uuid.UUID(d["id"])
        for p in (spool / DEAD_LETTER_DIR).glob("*.jsonl")
        for line in p.read_text().splitlines()
        for d in json.loads(line)
    ]
    assert len(dead_ids) == 49 and len(set(dead_ids)) == 49


def test_unwritable_spool_keeps_batches_in_memory_until_the_database_returns(
    tmp_path: Path,
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    sink = MemorySink()
    sink.down = True
    w = RoundWriter(not_a_dir / "spool", sink=sink, flush_interval=0.02, retry_initial=0.05)
    ids = [w.log_crash_round(**round_kw(n)) for n in range(1, 4)]
    assert w.flush(10) is False  # neither in the database nor on disk: flush says so
    sink.down = False
    assert wait_for(lambda: len(sink.written) == 3)
    assert [r.id for r in sink.written] == ids
    assert w.flush(10) is True
    w.close()


def test_logging_after_close_is_written_synchronously(tmp_path: Path) -> None:
    sink = MemorySink()
    w = RoundWriter(tmp_path / "spool", sink=sink, flush_interval=LONG)
    w.close()
    rid = w.log_crash_round(**round_kw(1))
    assert [r.id for r in sink.written] == [rid]


def test_concurrent_callers(tmp_path: Path) -> None:
    sink = MemorySink()
    ids: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def bot(i: int, w: RoundWriter) -> None:
        ids[i] = [w.log_crash_round(**round_kw(n, bot=f"b{i}")) for n in range(1, 301)]

    with RoundWriter(tmp_path / "spool", sink=sink, flush_interval=0.01, batch_size=50) as w:
        threads = [threading.Thread(target=bot, args=(i, w)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    written = [r.id for r in sink.written]
    assert len(written) == 1200 and set(written) == {x for chunk in ids for x in chunk}
    for chunk in ids:  # each caller's records keep their order
        positions = [written.index(x) for x in chunk]
        assert positions == sorted(positions)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(["log", "log", "log", "batch", "down", "up", "flush"]), max_size=60)
)
def test_any_sequence_of_outages_keeps_every_round_once_and_in_order(ops: list[str]) -> None:
    sink = MemorySink()
    n = 0
    logged: list[uuid.UUID] = []
    with tempfile.TemporaryDirectory() as spool:
        w = RoundWriter(spool, sink=sink, flush_interval=0.005, retry_initial=0.005, retry_max=0.02)
        for op in ops:
            if op == "log":
                n += 1
                logged.append(w.log_crash_round(**round_kw(n)))
            elif op == "batch":
                logged.extend(w.log_batch_rounds([round_kw(n + 1), round_kw(n + 2)]))
                n += 2
            elif op == "down":
                sink.down = True
            elif op == "up":
                sink.down = False
            else:
                assert w.flush(10)
        sink.down = False
        w.close()
        assert list(sink.stored()) == logged  # all there, each once, in the order logged
        assert list(Path(spool).rglob("*.jsonl")) == []


def test_every_kind_round_trips_through_the_spool(tmp_path: Path) -> None:
    sink = MemorySink()
    sink.down = True
    spool = tmp_path / "spool"
    w = RoundWriter(spool, sink=sink, flush_interval=LONG, retry_initial=0.05)
    w.create_session_log(bot_id="bot_w", session_id="s1", initial_balance=Decimal("100"))
    rid = w.log_crash_round(**round_kw(1) | {"metadata": {"k": [1, "x"]}})
    w.log_round_multiplier_analytics(round_id=rid, multiplier=Decimal("2.00"), is_crash=True)
    w.log_round_signal(round_id=rid, signal_type="early", confidence_score=0.5)
    w.log_round_outcome(round_id=rid, outcome="WIN", profit_loss=Decimal("5.00"))
    w.log_error(error_type="ocr", error_message="blurry", bot_id="bot_w")
    w.log_ocr_validation(raw_ocr_text="2.00x", validation_status="valid", bot_id="bot_w")
    w.update_session_log("s1", final_balance=Decimal("105"), status="completed")
    assert w.flush(10)
    sink.down = False
    w.close()
    assert [r.kind for r in sink.written] == [
        "session_start",
        "round",
        "multiplier",
        "signal",
        "outcome",
        "error",
        "ocr",
        "session_update",
    ]
    assert w.stats.replayed_records == 8


def test_unavailable_error_classification() -> None:
    # a real connection failure, as psycopg and SQLAlchemy raise it
    with pytest.raises(psycopg.OperationalError) as pg_err:
        psycopg.connect("host=127.0.0.1 port=1 connect_timeout=2")
    assert is_unavailable_error(pg_err.value)
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(sqlalchemy.exc.OperationalError) as sa_err, db.engine.connect():
        pass
    db.dispose()
    assert is_unavailable_error(sa_err.value)
    assert is_unavailable_error(DatabaseUnavailable("down"))
    assert is_unavailable_error(SchemaNotInitialized("run crashdb init"))
    integrity = sqlalchemy.exc.IntegrityError("INSERT", {}, Exception("duplicate"))
    assert not is_unavailable_error(integrity)
    assert not is_unavailable_error(ValueError("bug"))


def test_default_writer_is_configured_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRASHDB_SPOOL_DIR", str(tmp_path / "default-spool"))
    monkeypatch.setenv("CRASHDB_WRITER_FLUSH_INTERVAL", "0.25")
    monkeypatch.setenv("CRASHDB_WRITER_BATCH_SIZE", "123")
    try:
        w = get_default_writer()
        assert get_default_writer() is w
        assert (w.spool_dir, w.flush_interval, w.batch_size) == (
            tmp_path / "default-spool",
            0.25,
            123,
        )
    finally:
        close_default_writer()
    assert w.closed
    try:
        assert get_default_writer() is not w
    finally:
        close_default_writer()


# =============================================================== real databases


def test_db_ids_returned_before_the_database_write(db: Database, tmp_path: Path) -> None:
    with RoundWriter(tmp_path / "spool", db=db, flush_interval=LONG) as w:
        ids = [w.log_crash_round(**round_kw(n)) for n in range(1, 4)]
        assert count(db, "crash_game_rounds") == 0
        assert w.flush(30)
        assert set(round_ids(db)) == set(ids)


def test_db_group_commit_arrives_within_the_interval(db: Database, tmp_path: Path) -> None:
    with RoundWriter(tmp_path / "spool", db=db, flush_interval=0.1) as w:
        for n in range(1, 51):
            rid = w.log_crash_round(**round_kw(n))
            w.log_round_outcome(round_id=rid, outcome="WIN", profit_loss=Decimal("5.00"))
        # no flush(): poll until the background thread committed them
        assert wait_for(lambda: count(db, "analytics_round_outcomes") == 50, timeout=20)
        assert count(db, "crash_game_rounds") == 50
        assert w.stats.committed_batches < 50


def test_db_close_flushes(db: Database, tmp_path: Path) -> None:
    kws = [round_kw(n, crash="1.10" if n % 3 == 0 else "2.00") for n in range(1, 41)]
    with RoundWriter(tmp_path / "spool", db=db, flush_interval=LONG) as w:
        for kw in kws:
            w.log_crash_round(**kw)
    with db.engine.connect() as conn:
        total = conn.execute(
            text("SELECT sum(profit_loss) AS t FROM crash_game_rounds").columns(column("t", MONEY))
        ).scalar_one()
    assert count(db, "crash_game_rounds") == 40
    assert Decimal(str(total)).quantize(Decimal("0.01")) == expected_profit(kws)


def test_db_invalid_record_is_synchronous(db: Database, tmp_path: Path) -> None:
    with RoundWriter(tmp_path / "spool", db=db, flush_interval=LONG) as w:
        with pytest.raises(InvalidRecord):
            w.log_crash_round(**round_kw(1) | {"round_outcome": "MAYBE"})
        assert w.pending == 0
    assert count(db, "crash_game_rounds") == 0


def test_db_outage_spools_then_replays_in_order(
    db: Database, db_url: str, backend: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    fragile = short_timeout_db(db_url, backend)
    w = RoundWriter(
        spool, db=fragile, flush_interval=0.05, retry_initial=0.1, retry_max=0.5, write_timeout=1
    )
    before = w.log_crash_round(**round_kw(1))
    assert w.flush(30)
    with database_locked(db_url, backend):
        v1 = w.log_crash_round(**round_kw(2, stake="10.00"))
        assert w.flush(30)
        v2 = w.log_crash_round(**round_kw(2, stake="99.00"))  # same key, other content
        rest = [w.log_crash_round(**round_kw(n)) for n in range(3, 21)]
        assert w.flush(30)
        assert w.stats.spooled_batches >= 2 and w.backlog >= 2
        assert spooled_ids(spool)[:2] == [v1, v2]
    assert wait_for(lambda: w.backlog == 0, timeout=30)
    w.close()
    fragile.dispose()
    assert v1 == v2
    assert count(db, "crash_game_rounds") == 20
    with db.engine.connect() as conn:
        stake = conn.execute(
            text("SELECT stake_value FROM crash_game_rounds WHERE round_number = 2").columns(
                column("stake_value", MONEY)
            )
        ).scalar_one()
        total = conn.execute(text("SELECT total_rounds FROM session_logs")).scalar_one()
    assert Decimal(str(stake)) == Decimal("10.00")  # the first-logged version is stored
    assert total == 20  # session totals counted every round exactly once
    assert before and rest and spooled_segments(spool) == []
    # The conflicting re-log was not dropped silently: dead-lettered with its reason.
    assert w.stats.conflicts == 1
    (errors_file,) = (spool / DEAD_LETTER_DIR).glob("*.errors.json")
    (error,) = json.loads(errors_file.read_text())
    assert error["field"] == "key"
    assert "round_number=2" in error["reason"] and "stake_value" in error["reason"]


_CHILD = textwrap.dedent(
    """
    import os, sys
    from decimal import Decimal
    sys.path.insert(0, {tests!r})
    from crashdb import Database, RoundWriter
    from writer_support import round_kw, short_timeout_db

    url, backend, spool, mode = sys.argv[1:5]
    db = short_timeout_db(url, backend)
    w = RoundWriter(spool, db=db, flush_interval=3600, batch_size=100_000, write_timeout=1)
    for n in range(1, 51):
        w.log_crash_round(**round_kw(n))
    assert w.flush(60)
    print("flushed", flush=True)
    for n in range(51, 81):
        w.log_crash_round(**round_kw(n))
    if mode == "crash":
        os._exit(0)  # a hard crash: no atexit, no close(), no flush
    if mode == "exit":
        sys.exit(0)  # a normal exit without close(): atexit closes the writer
    w.close()
    """
)


def _run_child(db_url: str, backend: str, spool: Path, mode: str) -> None:
    script = _CHILD.format(tests=str(Path(__file__).parent))
    proc = subprocess.run(
        [sys.executable, "-c", script, db_url, backend, str(spool), mode],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith(("CRASHDB_", "DB_"))},
    )
    assert proc.returncode == 0, proc.stderr
    assert "flushed" in proc.stdout


def test_db_hard_crash_loses_only_what_was_logged_since_the_last_flush(
    db: Database, db_url: str, backend: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    _run_child(db_url, backend, spool, "crash")
    numbers = round_numbers(db)
    # everything before flush() is there; the 30 rounds logged after it were only in memory
    # (flush_interval was an hour) and are gone, exactly as docs/writer.md says
    assert numbers == list(range(1, 51))
    assert spooled_segments(spool) == []


def test_db_normal_exit_without_close_loses_nothing(
    db: Database, db_url: str, backend: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    _run_child(db_url, backend, spool, "exit")
    assert round_numbers(db) == list(range(1, 81))
    assert not spool.exists() or list(spool.iterdir()) == []


def test_db_hard_crash_during_outage_keeps_the_flushed_rounds_in_the_spool(
    db: Database, db_url: str, backend: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    with database_locked(db_url, backend):
        _run_child(db_url, backend, spool, "crash")
    assert count(db, "crash_game_rounds") == 0
    assert len(spooled_ids(spool)) == 50  # flushed = durably spooled
    # a new process (here: this one) replays what the dead one left
    with RoundWriter(spool, db=db, flush_interval=LONG) as w:
        assert wait_for(lambda: w.backlog == 0, timeout=30)
    assert count(db, "crash_game_rounds") == 50
    assert list(spool.iterdir()) == []


def test_db_leftover_segments_from_a_closed_process_are_replayed(
    db: Database, db_url: str, backend: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    with database_locked(db_url, backend):
        _run_child(db_url, backend, spool, "close")  # close() could not reach the database
    assert len(spooled_ids(spool)) == 80
    with RoundWriter(spool, db=db, flush_interval=LONG) as w:
        w.log_crash_round(**round_kw(81))
    numbers = round_numbers(db)
    assert numbers == list(range(1, 82))


def test_db_replaying_an_already_committed_segment_creates_no_duplicates(
    db: Database, db_url: str, backend: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    with database_locked(db_url, backend):
        _run_child(db_url, backend, spool, "close")
    saved = tmp_path / "saved"
    shutil.copytree(spool, saved)
    with RoundWriter(spool, db=db, flush_interval=LONG) as w:
        assert wait_for(lambda: w.backlog == 0, timeout=30)
    assert count(db, "crash_game_rounds") == 80
    # a crash between COMMIT and the segment's deletion: the same segments come back
    shutil.rmtree(spool)
    shutil.copytree(saved, spool)
    with RoundWriter(spool, db=db, flush_interval=LONG) as w:
        assert wait_for(lambda: w.backlog == 0, timeout=30)
        assert w.stats.replayed_records == 80
    assert count(db, "crash_game_rounds") == 80
    with db.engine.connect() as conn:
        total = conn.execute(text("SELECT total_rounds FROM session_logs")).scalar_one()
    assert total == 80


def test_db_without_schema_spools_until_it_is_created(empty_db_url: str, tmp_path: Path) -> None:
    db = Database(empty_db_url)
    spool = tmp_path / "spool"
    w = RoundWriter(spool, db=db, flush_interval=0.05, retry_initial=0.05, retry_max=0.2)
    ids = [w.log_crash_round(**round_kw(n)) for n in range(1, 11)]
    assert w.flush(30)
    assert w.backlog >= 1 and w.stats.dead_lettered_units == 0
    db.init_db()  # `crashdb init`, while the bot keeps running
    assert wait_for(lambda: w.backlog == 0, timeout=30)
    w.close()
    assert sorted(round_ids(db)) == sorted(ids)
    db.dispose()


def test_db_refused_batch_goes_to_dead_letter(db: Database, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    # a rule the records layer does not know about, so the database refuses the row
    refuse = (
        "CREATE TRIGGER test_refuse BEFORE INSERT ON crash_game_rounds "
        # SQLite stores money as integers of 0.0001 (crashdb.db.types): 13.0000 is 130000
        "WHEN NEW.stake_value = 130000 BEGIN SELECT RAISE(ABORT, 'stake 13 refused'); END"
        if db.backend == "sqlite"
        else "ALTER TABLE crash_game_rounds ADD CONSTRAINT test_refuse CHECK (stake_value <> 13)"
    )
    with db.engine.begin() as conn:
        conn.execute(text(refuse))
    with RoundWriter(spool, db=db, flush_interval=LONG) as w:
        a = w.log_crash_round(**round_kw(1, stake="10.00"))
        b = w.log_crash_round(**round_kw(2, stake="13.00"))
        c = w.log_crash_round(**round_kw(3, stake="11.00"))
    assert set(round_ids(db)) == {a, c}
    [dead] = (spool / DEAD_LETTER_DIR).glob("*.jsonl")
    assert [uuid.UUID(d["id"]) for d in json.loads(dead.read_text())] == [b]
    assert w.stats.dead_lettered_units == 1


def test_guide_style_code_through_the_default_writer(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crashdb
    import crashdb.api  # the module, not only the names the package exports

    monkeypatch.setenv("CRASHDB_USE_WRITER", "true")
    # crashdb.api re-reads the setting at most once a second; make it read it now (and,
    # through monkeypatch's undo, forget it again for the tests that follow)
    monkeypatch.setattr(crashdb.api, "_writer_flag", (0.0, False))
    monkeypatch.setenv("CRASHDB_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("CRASHDB_WRITER_FLUSH_INTERVAL", "0.2")
    # the guide's Steps 4-6, verbatim calls
    session_id = crashdb.create_session_log(
        bot_id="aviator_bot_001",
        session_id="session_20251121_001",
        game_name="aviator",
        initial_balance=Decimal("1000.00"),
    )
    current_balance = Decimal("1000.00")
    expected = Decimal(0)
    for round_num in range(1, 200):
        stake = Decimal("10.00")
        crash_multiplier = Decimal("2.45") if round_num % 4 else Decimal("1.10")
        target_multiplier = Decimal("1.33")
        if crash_multiplier >= target_multiplier:
            outcome, cashout_multiplier = "WIN", target_multiplier
            profit = (target_multiplier - 1) * stake
        else:
            outcome, cashout_multiplier, profit = "LOSS", None, -stake
        current_balance += profit
        expected += profit
        round_id = crashdb.log_crash_round(
            bot_id="aviator_bot_001",
            session_id=session_id,
            game_name="aviator",
            platform_code="dafabet",
            round_number=round_num,
            stake_value=stake,
            crash_multiplier=crash_multiplier,
            cashout_multiplier=cashout_multiplier,
            round_outcome=outcome,
            profit_loss=profit,
            running_balance_before=current_balance - profit,
            running_balance_after=current_balance,
            ocr_text="1.33x",
            ocr_confidence=0.95,
            metadata={"strategy": "compound_1.33x", "prediction_correct": outcome == "WIN"},
        )
        if round_id:
            crashdb.log_round_multiplier_analytics(
                round_id=round_id,
                multiplier=crash_multiplier,
                bot_id="aviator_bot_001",
                game_name="aviator",
                platform_code="dafabet",
                is_crash=True,
                ocr_confidence=0.95,
            )
            crashdb.log_round_outcome(
                round_id=round_id,
                round_number=round_num,
                bot_id="aviator_bot_001",
                game_name="aviator",
                platform_code="dafabet",
                strategy_name="compound_1.33x",
                outcome=outcome,
                profit_loss=profit,
                roi_percent=(profit / stake * 100),
                target_multiplier=target_multiplier,
                actual_multiplier=crash_multiplier,
                hit_target=(outcome == "WIN"),
            )
    crashdb.update_session_log(
        session_id="session_20251121_001",
        final_balance=current_balance,
        status="completed",
        notes="Session completed successfully",
    )
    writer = get_default_writer()  # the one the log_* calls above went through
    close_default_writer()
    assert writer.closed and writer.stats.committed_records == 1 + 3 * 199 + 1
    assert count(db, "crash_game_rounds") == 199
    assert count(db, "analytics_round_multipliers") == 199
    assert count(db, "analytics_round_outcomes") == 199
    with db.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT status, final_balance, total_rounds, total_profit FROM session_logs"
            ).columns(
                column("status"),
                column("final_balance", MONEY),
                column("total_rounds"),
                column("total_profit", MONEY),
            )
        ).one()
    assert row[0] == "completed"
    assert Decimal(str(row[1])) == current_balance
    assert row[2] == 199
    assert Decimal(str(row[3])).quantize(Decimal("0.01")) == expected


def test_spool_lock_file_is_held_while_the_writer_lives(tmp_path: Path) -> None:
    import fcntl

    sink = MemorySink()
    sink.down = True
    spool = tmp_path / "spool"
    w = RoundWriter(spool, sink=sink, flush_interval=LONG, retry_initial=30, retry_max=30)
    w.log_crash_round(**round_kw(1))
    assert w.flush(10)
    [lock] = spool.glob(f"*/{LOCK_NAME}")
    with open(lock) as f, pytest.raises(BlockingIOError):
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    w.close()
    with open(lock) as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released by close()


def test_the_example_in_docs_writer_md_runs(tmp_path: Path) -> None:
    doc = Path(__file__).resolve().parent.parent / "docs" / "writer.md"
    code = doc.read_text().split("```python\n")[1].split("```")[0]  # the first python block
    code += (
        "\nfrom crashdb import get_database\nfrom sqlalchemy import text\n"
        "with get_database().engine.connect() as c:\n"
        "    print(c.execute(text('SELECT count(*) FROM analytics_round_outcomes')).scalar())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRASHDB_", "DB_"))}
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1"]
    assert not any((tmp_path / "bot-spool").glob("*/*.jsonl"))
