"""Every mistake of issue 12 gets a message in words and a hint, never a traceback.

Each case runs the real command and checks the exit code (1: the command failed, 2: it was
called wrongly), that no traceback is printed, and the words of the message and the hint.
``--debug`` (anywhere on the line) and ``CRASHDB_DEBUG=1`` show the traceback instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from crashdb.cli import app
from crashdb.cli._errors import CliError
from factories import SessionSpec, add_session

runner = CliRunner()


def fails(args: list[str], code: int, *words: str, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, args, env=env)
    output = result.output
    assert result.exit_code == code, output
    assert "Traceback" not in output and 'File "' not in output, output
    assert "Error: " in output, output
    output = output[output.index("Error: ") :]  # after a progress bar, if any
    lines = output.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("Hint: "), output
    for word in words:
        assert word in output, (word, output)
    return output


# ------------------------------------------------------------------ before `crashdb init`

BEFORE_INIT = [
    ["size"],
    ["stats", "bot", "b"],
    ["stats", "session", "s"],
    ["signals"],
    ["distribution", "aviator"],
    ["refresh"],
    ["cleanup", "--apply"],
    ["export", "{tmp}/out.csv"],
    ["import", "{tmp}/in.jsonl"],
    ["list", "bots"],
    ["report", "--out", "{tmp}/r.html"],
    ["verify"],
    ["simulate", "--rounds", "2"],
]


@pytest.mark.parametrize("args", BEFORE_INIT, ids=lambda a: " ".join(a[:2]))
def test_commands_before_init_say_run_init(
    empty_db_url: str, tmp_path: Path, args: list[str]
) -> None:
    (tmp_path / "in.jsonl").write_text("{}\n")
    argv = [a.format(tmp=tmp_path) for a in args] + ["--db-url", empty_db_url]
    fails(argv, 1, "crashdb init")
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "r.html").exists()
    if empty_db_url.startswith("sqlite"):
        assert not (tmp_path / "empty.sqlite3").exists()  # nothing created


# ------------------------------------------------------------------ bad options and files


@pytest.fixture
def loaded(db_url: str) -> Iterator[str]:
    from crashdb import Database

    db = Database(db_url)
    add_session(db, SessionSpec(bot_id="bot_alpha", session_id="sess_1"), 40, seed=3)
    db.dispose()
    yield db_url


def test_bad_option_values_are_usage_errors(loaded: str) -> None:
    fails(["stats", "bot", "bot_alpha", "--end", "not-a-date", "--db-url", loaded], 2,
          "--end", "not a date", "crashdb stats --help")  # fmt: skip
    fails(["cleanup", "--older-than", "-5", "--db-url", loaded], 2, "--older-than")
    fails(["distribution", "aviator", "--limit", "0", "--db-url", loaded], 2, "--limit")
    fails(["export", "x.xlsx", "--db-url", loaded], 2, "x.xlsx", "--format")
    fails(["list", "robots", "--db-url", loaded], 2, "robots")
    fails(["stats"], 2, "Missing argument", "bot, session, game, strategy")
    fails(["statz", "bot", "x"], 2, "No such command", "crashdb --help")


def test_bad_database_urls_and_settings() -> None:
    fails(["size", "--db-url", "foo://somewhere/x"], 2, "URL", "--db-url")
    fails(["size", "--db-url", "not a url at all"], 2, "URL", "--db-url")
    out = fails(["size"], 1, "CRASHDB_POOL_SIZE", "environment", env={"CRASHDB_POOL_SIZE": "many"})
    assert "many" in out
    out = fails(
        ["size", "--db-url", "postgresql://u:hunter2@127.0.0.1:1/x?connect_timeout=2"],
        1, "connection refused",
    )  # fmt: skip
    assert "hunter2" not in out


def test_malformed_files_are_one_clear_error(loaded: str, tmp_path: Path) -> None:
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text('{"bot_id": "b"}\n{"bot_id": \n')
    out = fails(["import", str(bad_json), "--db-url", loaded], 1, "line 2: not valid JSON")
    assert "Nothing was written" in out
    array = tmp_path / "array.json"
    array.write_text('[{"bot_id": "b"}]\n')
    fails(["import", str(array), "--db-url", loaded], 1, "JSON Lines")
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 this is not parquet")
    fails(["import", str(corrupt), "--db-url", loaded], 1, "Parquet")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("bot_id,session_id\nb,s\nb,s,extra\n")
    fails(["import", str(ragged), "--db-url", loaded], 1, "CSV")
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"bot_id": "caf\xe9"}\n'.encode("latin-1"))
    fails(["import", str(latin), "--db-url", loaded], 1, "UTF-8")


def test_an_unknown_column_is_reported_once(loaded: str, tmp_path: Path) -> None:
    rows = [
        {"bot_id": "b", "session_id": "s", "game_name": "aviator", "round_number": i,
         "stake_value": "1.00", "round_outcome": "LOSS", "colour": "red", "created_at": "x"}
        for i in range(1, 301)
    ]  # fmt: skip
    for name in ("u.jsonl", "u.csv", "u.parquet"):
        path = tmp_path / name
        if name.endswith(".jsonl"):
            path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        elif name.endswith(".csv"):
            with path.open("w") as f:
                f.write(",".join(rows[0]) + "\n")
                f.writelines(",".join(str(v) for v in r.values()) + "\n" for r in rows)
        else:
            pq.write_table(pa.Table.from_pylist(rows), path)
        result = runner.invoke(app, ["import", str(path), "--db-url", loaded])
        assert result.exit_code == 1, result.output
        assert result.output.count("colour") == 1, result.output
        assert result.output.count("created_at") == 1, result.output
        assert "filled in by the database" in result.output
        assert "Traceback" not in result.output


def test_unknown_ids_suggest_the_closest(loaded: str, tmp_path: Path) -> None:
    fails(["stats", "bot", "bot_alfa", "--db-url", loaded], 1, "no bot 'bot_alfa'", "'bot_alpha'",
          "crashdb list bots")  # fmt: skip
    fails(["stats", "session", "ghost", "--db-url", loaded], 1, "no session 'ghost'",
          "crashdb list sessions")  # fmt: skip
    fails(["stats", "game", "aviatr", "--db-url", loaded], 1, "'aviator'")
    # an id that starts with "-" reads as an option: the hint says to put it after "--"
    fails(["stats", "bot", "-0", "--db-url", loaded], 2, "No such option: -0", "after `--`",
          "-- -0")  # fmt: skip
    fails(["stats", "bot", "--db-url", loaded, "--", "-0"], 1, "no bot '-0'")
    fails(["stats", "strategy", "FIXED_STAKE", "--db-url", loaded], 1, "'fixed_stake'")
    fails(["report", "--bot", "BOT_ALPHA", "--out", str(tmp_path / "r.html"), "--db-url", loaded],
          1, "'bot_alpha'")  # fmt: skip
    fails(["export", str(tmp_path / "x.csv"), "--bot", "nobody", "--db-url", loaded], 1, "nobody")
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "x.csv").exists()
    # Known ids that match nothing together: a report would be empty.
    fails(["report", "--bot", "bot_alpha", "--game", "jetx", "--out", str(tmp_path / "r.html"),
           "--db-url", loaded], 1, "no recorded round matches")  # fmt: skip
    assert not (tmp_path / "r.html").exists()


def test_check_never_creates_a_sqlite_file_or_directory(tmp_path: Path) -> None:
    target = tmp_path / "new" / "dir" / "x.sqlite3"
    fails(["check", "--db-url", f"sqlite:///{target}"], 1, "no database file", "crashdb init")
    assert not (tmp_path / "new").exists()
    result = runner.invoke(app, ["check", "--db-url", f"sqlite:///{target}", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output[: result.output.rindex("}") + 1])
    assert report["reachable"] is False and "crashdb init" in report["hint"]
    assert not (tmp_path / "new").exists()


# ------------------------------------------------------------------ check names the cause


@pytest.mark.postgres
def test_check_names_why_postgresql_is_unreachable(pg_server: object) -> None:
    from sqlalchemy.engine import make_url

    admin = make_url(pg_server.admin_url)  # type: ignore[attr-defined]

    def url(**parts: object) -> str:
        return admin.set(drivername="postgresql", **parts).render_as_string(hide_password=False)

    cases = [
        (url(port=1), "connection refused", "is the server running"),
        (url(host="no-such-host.invalid"), "unknown host", "host name"),
        (url(database=f"missing_{uuid.uuid4().hex[:8]}"), "database does not exist", "createdb"),
        (url(username=f"nobody_{uuid.uuid4().hex[:8]}"), "authentication failed", "user name"),
        (url() + "?sslmode=require", "TLS required", "sslmode"),
    ]
    for target, cause, hint in cases:
        fails(["check", "--db-url", target], 1, cause, hint)
        result = runner.invoke(app, ["check", "--db-url", target, "--json"])
        report = json.loads(result.output[: result.output.rindex("}") + 1])
        assert report["reachable"] is False and cause in report["error"]


# ------------------------------------------------------------------ --debug and the real process


def _crashdb(
    *args: str, env: dict[str, str] | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("CRASHDB_", "DB_"))}
    full.update(env or {})
    code = "import sys; from crashdb.cli import main; sys.argv[0] = 'crashdb'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=full, cwd=cwd,
        timeout=120, check=False,
    )  # fmt: skip


def test_debug_shows_the_traceback_and_the_default_does_not(tmp_path: Path) -> None:
    quiet = _crashdb("stats", "bot", "b", cwd=tmp_path)
    assert quiet.returncode == 1
    assert quiet.stderr.startswith("Error: no database at") and "Traceback" not in quiet.stderr
    assert quiet.stdout == ""
    loud = _crashdb("stats", "bot", "b", "--debug", cwd=tmp_path)
    assert loud.returncode == 1
    assert "Traceback" in loud.stderr and "CliError" in loud.stderr, loud.stderr[-2000:]
    # In this process: the boundary lets the exception through instead of explaining it.
    for args, env in (
        (["--debug", "stats", "bot", "b"], None),
        (["stats", "bot", "b"], {"CRASHDB_DEBUG": "1"}),
        (["stats", "bot", "b", "--", "--debug"], {"CRASHDB_DEBUG": "0"}),
    ):
        result = runner.invoke(app, args, env=env)
        if args[-1] == "--debug" and "--" in args:  # after "--" it is an argument, not a flag
            assert result.exit_code == 2 and "Error:" in result.output
        else:
            assert isinstance(result.exception, CliError), (args, result.output)
    assert not (tmp_path / "crashdb.sqlite3").exists()
