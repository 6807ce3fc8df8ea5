"""The remote writer against a real ``crashdb serve``: it survives the server stopping and
starting with every acknowledged round stored once, the seed's functions report remotely
with only CRASHDB_SERVER_URL and CRASHDB_TOKEN set, heartbeats flow, refusals dead-letter."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crashdb import Database, RoundWriter
from crashdb.writer.http import HttpSink, record_to_wire
from server_support import Served, new_database, round_fields, serve, wait_for, wire

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    yield from serve(request, request.param, tmp_path)


def _rounds(db_url: str, bot: str) -> list[tuple[str, int]]:
    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT session_id, round_number FROM crash_game_rounds WHERE bot_id = '{bot}'"
            ).all()
    finally:
        db.dispose()
    return [(r[0], int(r[1])) for r in rows]


@pytest.mark.slow
def test_writer_survives_a_server_stop_and_start(served: Served, tmp_path: Path) -> None:
    token = served.token("bot", "remote_bot")
    writer = RoundWriter(
        server_url=served.url,
        token=token,
        spool_dir=tmp_path / "spool",
        flush_interval=0.05,
        retry_initial=0.05,
        retry_max=0.3,
        write_timeout=3,
        heartbeat_interval=0.2,
    )
    acknowledged: list[int] = []
    done = threading.Event()

    def bot_loop() -> None:
        for n in range(1, 301):
            writer.log_crash_round(**round_fields("remote_bot", n, session="restart"))
            acknowledged.append(n)
            time.sleep(0.01)
        done.set()

    thread = threading.Thread(target=bot_loop)
    thread.start()
    wait_for(lambda: len(acknowledged) > 60)
    served.stop()
    wait_for(lambda: writer.stats.spooled_records > 0)
    time.sleep(0.5)
    served.start()
    thread.join(60)
    assert done.is_set()
    assert writer.flush(30)
    wait_for(lambda: writer.backlog == 0 and writer.flush(5), timeout=60)
    writer.close()
    stored = _rounds(served.db_url, "remote_bot")
    assert sorted(n for _, n in stored) == list(range(1, 301)) == acknowledged
    assert len(stored) == len(set(stored))
    assert writer.stats.spooled_records > 0 and writer.stats.replayed_records > 0
    assert writer.stats.dead_lettered_units == 0


def test_refused_records_are_dead_lettered_not_retried(served: Served, tmp_path: Path) -> None:
    token = served.token("bot", "bot_one")
    with RoundWriter(
        server_url=served.url, token=token, spool_dir=tmp_path / "spool", heartbeat_interval=0
    ) as writer:
        writer.log_crash_round(**round_fields("bot_two", 1))  # another bot's round: 403
        writer.log_crash_round(**round_fields("bot_one", 1))
        assert writer.flush(10)
    assert writer.stats.dead_lettered_units == 1
    assert list((tmp_path / "spool" / "dead-letter").glob("*.jsonl"))
    assert _rounds(served.db_url, "bot_one") == [("s1", 1)]
    assert _rounds(served.db_url, "bot_two") == []


def test_wire_format_rebuilds_the_same_records() -> None:
    from crashdb.ingest.validate import build_record

    rec = build_record("round", round_fields("w", 3, metadata={"a": [1, "x"]}))
    again = build_record("round", {k: v for k, v in record_to_wire(rec).items() if k != "kind"})
    assert again == rec
    with pytest.raises(ValueError, match="https"):
        HttpSink("http://fleet.example.org", "cdb_x")
    with pytest.raises(ValueError, match="token"):
        HttpSink("https://fleet.example.org", "")
    assert "cdb_secret" not in repr(HttpSink("http://127.0.0.1:1", "cdb_secret"))


BOT_SCRIPT = """
import time
from crashdb import create_session_log, log_crash_round, log_round_outcome, update_session_log

create_session_log(bot_id="guide_bot", session_id="g1", game_name="aviator",
                   initial_balance="100.00")
for n in range(1, 6):
    rid = log_crash_round(bot_id="guide_bot", session_id="g1", game_name="aviator",
                          round_number=n, stake_value="10.00", crash_multiplier="2.00",
                          cashout_multiplier="1.50", round_outcome="WIN")
    log_round_outcome(round_id=rid, outcome="WIN", profit_loss="5.00")
time.sleep(1.0)  # heartbeats go out on their own meanwhile
update_session_log("g1", status="completed", final_balance="125.00")
print("bot done")
"""


def test_seed_functions_report_remotely_with_two_settings(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    Database(db_url).init_db()
    server = Served(db_url, tmp_path).start()
    try:
        token = server.token("bot", "guide_bot")
        workdir = tmp_path / "bot"
        workdir.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CRASHDB_", "DB_"))}
        env.update(
            CRASHDB_SERVER_URL=server.url,
            CRASHDB_TOKEN=token,
            CRASHDB_SPOOL_DIR=str(workdir / "spool"),
            CRASHDB_HEARTBEAT_INTERVAL="0.2",
        )
        run = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(BOT_SCRIPT)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        assert token not in run.stdout + run.stderr
        assert not (workdir / "crashdb.sqlite3").exists()  # nothing written locally
        assert sorted(n for _, n in _rounds(db_url, "guide_bot")) == [1, 2, 3, 4, 5]
        db = Database(db_url)
        try:
            with db.engine.connect() as conn:
                status = conn.exec_driver_sql(
                    "SELECT status FROM bot_heartbeats WHERE bot_id = 'guide_bot'"
                ).scalar_one()
                outcomes = conn.exec_driver_sql(
                    "SELECT count(*) FROM analytics_round_outcomes WHERE bot_id = 'guide_bot'"
                ).scalar_one()
                session = conn.exec_driver_sql(
                    "SELECT status, final_balance FROM session_logs WHERE session_id = 'g1'"
                ).one()
        finally:
            db.dispose()
        assert status == "stopped"  # the writer's last heartbeat, at exit
        assert outcomes == 5
        assert session[0] == "completed"
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.postgres
def test_several_workers_on_postgresql_store_each_round_once(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    databases = new_database(request, "postgresql", tmp_path)
    server = Served(next(databases), tmp_path, "token_cache_seconds = 0\n", "--workers", "2")
    server.start()
    try:
        tokens = {bot: server.token("bot", bot) for bot in ("w1", "w2", "w3")}
        errors: list[str] = []

        def bot(name: str) -> None:
            with server.client(tokens[name]) as client:
                for n in range(1, 41):
                    batch = [wire("round", round_fields(name, n, session="workers"))]
                    for _ in range(2):  # every request twice: retries land on any worker
                        answer = client.post("/api/v1/records", json=batch)
                        if answer.status_code != 200:
                            errors.append(answer.text)

        threads = [threading.Thread(target=bot, args=(name,)) for name in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        for name in tokens:
            assert sorted(n for _, n in _rounds(server.db_url, name)) == list(range(1, 41))
    finally:
        server.stop()
        with contextlib.suppress(StopIteration):
            next(databases)


def test_import_and_help_do_not_load_the_server_stack() -> None:
    code = (
        "import sys, crashdb\n"
        "from crashdb.cli import app\n"
        "heavy = {'fastapi', 'uvicorn', 'httpx', 'starlette'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRASHDB_")}
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
