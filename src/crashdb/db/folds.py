"""The summaries' SQL, rendered per dialect, and the fold that keeps them on SQLite.

Every statement lives in ``crashdb/db/sql`` (package data, read and rendered per dialect by
:mod:`crashdb.db.sql_files`). Each derived quantity has one definition there (see
:mod:`crashdb.db.summaries`): ``run_fold.sql`` (run summaries), ``game_round_fold.sql`` (game
rounds), ``session_totals.sql``, ``daily_view.sql``, and ``signal_cells.sql`` (signal summaries,
rendered by :mod:`crashdb.db.signal_folds`). The other
files are the steps that apply them to a set of rows: ``{rows}`` is the statement's transition
table in the PostgreSQL triggers, and the rows a transaction added on SQLite, where
:func:`fold_sqlite` runs the same steps when the transaction commits (installed on every
SQLite engine by :mod:`crashdb.db.engine`).

The rendered text depends only on the dialect, never on data: values are bound parameters.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy.pool import QueuePool

from crashdb.db.signal_folds import signal_objects, signals_merge
from crashdb.db.sql_files import DIALECTS, sql_file, statements
from crashdb.exceptions import CrashdbError

__all__ = [
    "RUN_FIELDS",
    "RUN_KEY",
    "fold_sqlite",
    "postgresql_objects",
    "run_fold",
    "sqlite_objects",
    "statements",
    "wait_for_fold",
]

log = logging.getLogger(__name__)

RUN_KEY = ("bot_id", "session_id", "strategy_name", "game_name", "platform_code")
# The columns run_fold.sql returns after the key, in order.
RUN_FIELDS = (
    "rounds",
    "wins",
    "losses",
    "skips",
    "errors",
    "bets",
    "total_staked",
    "total_profit",
    "sum_profit",
    "sum_profit_sq",
    "sum_stake",
    "sum_stake_sq",
    "sum_profit_stake",
    "sum_gain",
    "sum_gain_sq",
    "sum_return",
    "sum_return_sq",
    "crash_count",
    "crash_sum",
    "crash_min",
    "crash_max",
    "largest_win",
    "largest_loss",
    "first_ts",
    "last_ts",
    "last_end_ts",
    "first_balance",
    "last_balance",
    "last_round",
    "last_slot",
    "peak",
    "peak_round",
    "peak_ts",
    "max_drawdown",
    "max_drawdown_pct",
    "drawdown_start_round",
    "drawdown_start_ts",
    "drawdown_end_round",
    "drawdown_end_ts",
    "win_run",
    "loss_run",
    "longest_win",
    "longest_loss",
)
# Columns of crash_game_rounds a summary reads: updating another column changes nothing.
SUMMARY_COLUMNS = (
    "bot_id",
    "session_id",
    "strategy_name",
    "game_name",
    "platform_code",
    "round_external_id",
    "round_number",
    "bet_slot",
    "round_start_timestamp",
    "round_end_timestamp",
    "round_outcome",
    "profit_loss",
    "stake_value",
    "crash_multiplier",
    "running_balance_before",
    "running_balance_after",
    "is_valid",
)
# A statement inserting at least this many rounds (a bulk load) leaves its runs to
# fold_pending, run right after its transaction commits; smaller ones fold in the trigger.
BULK_ROWS = 5000
UPDATED_AT_TABLES = (
    "bot_vm_registration",
    "game_platform_config",
    "session_logs",
    "crash_game_rounds",
    "analytics_round_signals",
)
# Microsecond text in the format SQLAlchemy writes, so that text order is time order.
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
FOLD_LOCK = 7_417_000_011  # pg_advisory_xact_lock key of fold_pending
FOLD_PARTS = 2  # parts of fold_pending folded at the same time, each on a connection
FOLD_PART = "crashdb_fold_part"  # temporary table: the sessions of one part of a fold
FOLD_WORK_MEM = "64MB"  # per part of a fold


def _key(kind: str) -> dict[str, str]:
    """Key expressions of run_fold.sql: ``fine`` (a run summary's own key), ``strategy``
    (strategy, bot, session), ``session`` (bot, session)."""
    fine = {
        "strategy_key": "coalesce(strategy_name, '')",
        "game_key": "game_name",
        "platform_key": "coalesce(platform_code, '')",
    }
    if kind == "fine":
        return fine
    if kind == "strategy":
        return fine | {"game_key": "''", "platform_key": "''"}
    if kind == "session":
        return {"strategy_key": "''", "game_key": "''", "platform_key": "''"}
    raise ValueError(f"unknown run key {kind!r}")


NO_SEED = "SELECT * FROM run_summaries WHERE false"


def run_fold(dialect: str, source: str, seed: str = NO_SEED, key: str = "fine") -> str:
    """run_fold.sql: the summaries of the runs in ``source`` extending those in ``seed``."""
    d = DIALECTS[dialect]
    return sql_file("run_fold.sql").format(
        source=source, seed=seed, money_real=d.money_real, collate=d.collate, **_key(key)
    )


def game_round_fold(source: str, stored: str = "false") -> str:
    return sql_file("game_round_fold.sql").format(source=source, stored=stored)


def _runs_fold(dialect: str, rows: str) -> str:
    source = sql_file("runs_fold_source.sql").format(rows=rows)
    seed = sql_file("runs_fold_seed.sql").format(rows=rows)
    return _runs_upsert(run_fold(dialect, source, seed))


def _runs_upsert(fold: str) -> str:
    return sql_file("runs_fold.sql").format(
        columns=", ".join(RUN_KEY + RUN_FIELDS),
        set_columns=", ".join(f"{c} = excluded.{c}" for c in RUN_FIELDS),
        run_fold=fold,
    )


@dataclass(frozen=True, slots=True)
class Guarded:
    """Statements that run only when ``guard`` (an EXISTS condition) holds."""

    guard: str
    statements: tuple[str, ...]


Step = str | Guarded
DIRTY_RUNS = "EXISTS (SELECT 1 FROM run_summaries WHERE dirty)"
DIRTY_GAME_ROUNDS = "EXISTS (SELECT 1 FROM game_round_summaries WHERE dirty)"


def _in_part(alias: str) -> str:
    """A condition on run_summaries (under ``alias``): its session is in the fold's part."""
    return (
        f" AND ({alias}bot_id, {alias}session_id) IN (SELECT bot_id, session_id FROM {FOLD_PART})"
    )


def _recompute_runs(dialect: str, part: bool = False) -> Guarded:
    """Dirty runs recomputed from all their rounds; those left without rounds dropped.
    ``part``: only the runs of the sessions in the fold's part (see :func:`fold_pending`)."""
    source = sql_file("runs_recompute_source.sql").format(part=_in_part("d.") if part else "")
    drop = sql_file("runs_drop.sql").format(part=_in_part("") if part else "")
    return Guarded(DIRTY_RUNS, (_runs_upsert(run_fold(dialect, source)), drop))


def _recompute_game_rounds() -> Guarded:
    source = sql_file("game_rounds_recompute_source.sql")
    return Guarded(
        DIRTY_GAME_ROUNDS,
        (
            sql_file("game_rounds_recompute.sql").format(game_round_fold=game_round_fold(source)),
            sql_file("game_rounds_drop.sql"),
        ),
    )


def after_insert(dialect: str, rows: str, sessions: str | None = None) -> list[Step]:
    """Fold new rounds ``rows`` into the summaries (runs they reach out of order are
    recomputed); then the totals of ``sessions`` (default: the sessions of ``rows``)."""
    return [
        sql_file("runs_touch.sql").format(rows=rows),
        sql_file("runs_out_of_order.sql").format(rows=rows),
        _runs_fold(dialect, rows),
        _recompute_runs(dialect),
        sql_file("session_totals.sql").format(sessions=sessions or rows),
        sql_file("game_rounds_merge.sql").format(game_round_fold=game_round_fold(f"{rows} AS n")),
        _recompute_game_rounds(),
    ]


def after_bulk_insert(rows: str) -> list[Step]:
    """A bulk statement's rows: runs marked stale (folded after commit by
    :func:`fold_pending`), out-of-order ones dirty; game rounds merged at once."""
    return [
        sql_file("runs_touch_stale.sql").format(rows=rows),
        sql_file("runs_out_of_order.sql").format(rows=rows),
        sql_file("game_rounds_merge.sql").format(game_round_fold=game_round_fold(f"{rows} AS n")),
    ]


def pending_steps(dialect: str) -> list[Step]:
    """Fold the stale runs (their rounds after the summarised ones) and recompute the dirty
    ones; then the totals of their sessions. Only the runs of the sessions listed in the
    temporary table ``FOLD_PART`` (see :func:`fold_pending`)."""
    part = _in_part("")
    append = run_fold(
        dialect,
        sql_file("runs_pending_source.sql").format(part=_in_part("d.")),
        sql_file("runs_pending_seed.sql").format(part=_in_part("d.")),
    )
    stale = f"(SELECT bot_id, session_id FROM run_summaries WHERE stale{part})"
    return [
        f"UPDATE run_summaries SET stale = true WHERE dirty AND NOT stale{part}",
        _runs_upsert(append),
        _recompute_runs(dialect, part=True),
        sql_file("session_totals.sql").format(sessions=stale),
        f"UPDATE run_summaries SET stale = false WHERE stale{part}",
    ]


def after_change(dialect: str, rows: str) -> list[Step]:
    """Recompute the summaries that the deleted or updated rounds ``rows`` belonged to."""
    return [
        sql_file("runs_mark.sql").format(rows=rows),
        _recompute_runs(dialect),
        sql_file("session_totals.sql").format(sessions=rows),
        sql_file("game_rounds_mark.sql").format(rows=rows),
        _recompute_game_rounds(),
    ]


def _plpgsql(steps: list[Step]) -> str:
    def indent(text: str, by: str = "    ") -> str:
        return by + text.replace("\n", "\n" + by)

    out: list[str] = []
    for step in steps:
        if isinstance(step, Guarded):
            body = ";\n".join(indent(s, "        ") for s in step.statements)
            out.append(f"    IF {step.guard} THEN\n{body};\n    END IF")
        else:
            out.append(indent(step))
    return ";\n".join(out)


def _updated_at_triggers(dialect: str) -> str:
    if dialect == "postgresql":
        return "\n\n".join(
            f"CREATE TRIGGER trg_{t}_updated_at BEFORE UPDATE ON {t}\n"
            "FOR EACH ROW EXECUTE FUNCTION crashdb_touch_updated_at();"
            for t in UPDATED_AT_TABLES
        )
    return "\n\n".join(
        f"CREATE TRIGGER trg_{t}_updated_at AFTER UPDATE ON {t}\n"
        "FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at\n"
        f"BEGIN\n    UPDATE {t} SET updated_at = {SQLITE_NOW} WHERE rowid = NEW.rowid;\nEND;"
        for t in UPDATED_AT_TABLES
    )


def _daily_view(dialect: str) -> str:
    return sql_file("daily_view.sql").format(day=DIALECTS[dialect].day)


@cache
def postgresql_objects() -> list[str]:
    """Functions, triggers and the view of the schema on PostgreSQL, in creation order."""
    changed = "(SELECT * FROM old_rounds UNION ALL SELECT * FROM new_rounds)"
    small = _plpgsql(after_insert("postgresql", "new_rounds")).replace("\n", "\n    ")
    bulk = _plpgsql(after_bulk_insert("new_rounds")).replace("\n", "\n    ")
    script = sql_file("postgresql.sql").format(
        updated_at_triggers=_updated_at_triggers("postgresql"),
        bulk_rows=BULK_ROWS,
        after_insert_small=small,
        after_insert_bulk=bulk,
        after_delete=_plpgsql(after_change("postgresql", "old_rounds")),
        after_update=_plpgsql(after_change("postgresql", changed)),
        daily_view=_daily_view("postgresql"),
    )
    return statements(script)


def _row_of(ref: str) -> str:
    """A one-row relation of a row trigger's OLD or NEW round."""
    return "(SELECT " + ", ".join(f"{ref}.{c} AS {c}" for c in SUMMARY_COLUMNS) + ")"


@cache
def sqlite_objects() -> list[str]:
    """Triggers, the fold state and the view of the schema on SQLite, in creation order."""

    def mark(ref: str) -> str:
        rows = _row_of(ref)
        return ";\n".join(
            "    " + sql_file(f).format(rows=rows).replace("\n", "\n    ")
            for f in ("runs_mark.sql", "game_rounds_mark.sql")
        )

    script = sql_file("sqlite.sql").format(
        updated_at_triggers=_updated_at_triggers("sqlite"),
        mark_old=mark("OLD"),
        mark_new=mark("NEW"),
        summary_columns=", ".join(SUMMARY_COLUMNS),
        daily_view=_daily_view("sqlite"),
    )
    return statements(script)


# --------------------------------------------------------------------------- SQLite fold

# The rows a transaction added (only the columns the summaries read).
_TAIL = (
    f"(SELECT {', '.join(SUMMARY_COLUMNS)} FROM crash_game_rounds "
    "WHERE rowid > :lo AND rowid <= :hi)"
)


@cache
def _sqlite_fold_steps() -> tuple[Step, ...]:
    return tuple(after_insert("sqlite", _TAIL, "temp.crashdb_fold_sessions"))


def fold_sqlite(dbapi_connection: Any) -> bool:
    """:func:`_fold_sqlite`, with a total that cannot be exact reported as such."""
    try:
        return _fold_sqlite(dbapi_connection)
    except Exception as exc:
        text = str(exc)
        if "integer overflow" in text or "_exact" in text:
            raise CrashdbError(
                "a summary total exceeds what SQLite can add exactly (64-bit integers of "
                "0.0001 units, about 9.2e14 in money): nothing was written; use PostgreSQL, "
                "whose totals are unbounded NUMERIC"
            ) from exc
        raise


def _fold_sqlite(dbapi_connection: Any) -> bool:
    """Fold the rounds this transaction added, and recompute what it marked dirty (SQLite).

    Runs inside the open transaction (before COMMIT), on the DB-API connection. Returns
    whether there was anything to do. A database without the summaries (being created or
    dropped) is left alone.
    """
    cur = dbapi_connection.cursor()
    try:
        try:
            state = cur.execute(
                "SELECT folded_rowid, dirty FROM summary_fold_state WHERE id = 1"
            ).fetchone()
        except Exception as exc:  # the schema is not there (yet, or any more)
            if "no such table" in str(exc):
                return False
            raise
        if state is None:
            return False
        lo, dirty = int(state[0]), bool(state[1])
        hi = cur.execute("SELECT coalesce(max(rowid), 0) FROM crash_game_rounds").fetchone()[0]
        if hi <= lo and not dirty:
            return False
        params = {"lo": lo, "hi": hi}
        # The fold sorts the new rows a few times: give SQLite's sorter room in memory.
        cache = cur.execute("PRAGMA cache_size").fetchone()[0]
        cur.execute("PRAGMA cache_size = -65536")
        # The sessions whose totals change: those of the new rows and of dirty runs.
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS crashdb_fold_sessions (bot_id, session_id)")
        cur.execute("DELETE FROM temp.crashdb_fold_sessions")
        cur.execute(
            "INSERT INTO temp.crashdb_fold_sessions SELECT DISTINCT bot_id, session_id FROM "
            f"{_TAIL} WHERE true UNION SELECT bot_id, session_id FROM run_summaries "
            "WHERE dirty",
            params,
        )
        for step in _sqlite_fold_steps():
            if isinstance(step, Guarded):
                if cur.execute(f"SELECT {step.guard}").fetchone()[0]:
                    for stmt in step.statements:
                        cur.execute(stmt)
            else:
                cur.execute(step, params if ":lo" in step else {})
        cur.execute(
            "UPDATE summary_fold_state SET folded_rowid = :hi, dirty = false WHERE id = 1",
            params,
        )
        cur.execute(f"PRAGMA cache_size = {int(cache)}")
        return True
    finally:
        cur.close()


REVISIONS = ("0001_initial", "0002_signal_summaries")


def migration_script(dialect: str, revision: str = REVISIONS[0]) -> str:
    """The database objects as a revision ships them (``sql/<revision>/<dialect>.sql``).

    A test keeps the shipped files equal to this rendering of the current definitions; a
    change of a released definition needs a new revision (and files of its own).
    """
    if revision == "0002_signal_summaries":
        objects = signal_objects(dialect)
    elif dialect == "postgresql":
        objects = postgresql_objects()
    else:
        objects = sqlite_objects()
    header = (
        f"-- crashdb database objects on {dialect}, rendered by crashdb.db.folds from the\n"
        "-- definitions in crashdb/db/sql. Statements are separated by blank lines.\n"
    )
    return header + "\n" + "".join(f"{stmt};\n\n" for stmt in objects).rstrip() + "\n"


def fold_pending(engine: Any, parts: int = FOLD_PARTS) -> int:
    """Fold the runs that bulk statements left stale or dirty (PostgreSQL; a no-op on SQLite,
    which folds as each transaction commits). Run by crashdb's write path right after a bulk
    write commits, and by ``crashdb refresh``; readers stay exact meanwhile (they fold such
    runs' rounds themselves). Returns how many runs were folded.

    The sessions with such runs are dealt round-robin into ``parts`` parts, folded at the same
    time on connections of their own (each part commits on its own; a part that fails stays
    due for the next fold). The caller waits for the fold, so its second connection uses a
    core the bulk load leaves idle. Each part locks its sessions before its runs, in key
    order, as writers do.
    """
    if engine.dialect.name != "postgresql":
        return 0
    with engine.begin() as conn:
        pending = conn.exec_driver_sql(
            "SELECT count(*) FROM run_summaries WHERE stale OR dirty"
        ).scalar_one()
        if not pending:
            return 0
        # One fold at a time (held until every part has committed); each statement then sees
        # what the previous fold committed.
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({FOLD_LOCK})")
        sessions = conn.exec_driver_sql(
            "SELECT DISTINCT bot_id, session_id FROM run_summaries WHERE stale OR dirty "
            "ORDER BY bot_id, session_id"
        ).all()
        n = min(parts, len(sessions), _spare_connections(engine))
        if n <= 1:
            _fold_part(conn, sessions)
            return int(pending)
        # Each part on a connection of its own; this transaction only holds the fold lock
        # while it waits, so any wait between a part and a writer is one PostgreSQL sees (and
        # would resolve), never one through this thread.
        with ThreadPoolExecutor(n, thread_name_prefix="crashdb-fold") as pool:
            parts_done = [pool.submit(_fold_part_apart, engine, sessions[k::n]) for k in range(n)]
            for done in parts_done:
                done.result()
        return int(pending)


def _spare_connections(engine: Any) -> int:
    """How many more connections the engine's pool can hand out without waiting."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return 0
    limit = pool.size() + max(getattr(pool, "_max_overflow", 0), 0)
    return max(limit - pool.checkedout(), 0)


def _fold_part_apart(engine: Any, sessions: list[Any]) -> None:
    with engine.begin() as conn:
        _fold_part(conn, sessions)


def _fold_part(conn: Any, sessions: list[Any]) -> None:
    # The fold sorts a bulk load's rounds: in memory, not in a temporary file.
    conn.exec_driver_sql(f"SET LOCAL work_mem = '{FOLD_WORK_MEM}'")
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {FOLD_PART} (bot_id text, session_id text) ON COMMIT DROP"
    )
    conn.exec_driver_sql(
        f"INSERT INTO {FOLD_PART} (bot_id, session_id) VALUES (%s, %s)",
        [tuple(s) for s in sessions],
    )
    # Sessions first, in key order, as the insert triggers and the write path lock them: a
    # fold and a bot writing to one of its sessions wait for each other, never deadlock.
    conn.exec_driver_sql(
        f"SELECT 1 FROM session_logs s JOIN {FOLD_PART} k"
        " ON s.bot_id = k.bot_id AND s.session_id = k.session_id"
        " ORDER BY s.bot_id, s.session_id FOR NO KEY UPDATE OF s"
    )
    for step in pending_steps("postgresql"):
        if isinstance(step, Guarded):
            if conn.exec_driver_sql(f"SELECT {step.guard}").scalar_one():
                for stmt in step.statements:
                    conn.exec_driver_sql(stmt)
        else:
            conn.exec_driver_sql(step)


def fold_after_write(engine: Any, rounds: int) -> None:
    """What crashdb's write path calls after a write transaction commits: bulk statements
    (PostgreSQL) left their runs to :func:`fold_pending`, which runs in a thread of its own
    (:class:`_Folder`), so the caller has its rounds back as soon as they are committed.
    Readers stay exact meanwhile (they fold stale runs' rounds themselves); the next bulk write
    of this process, :meth:`crashdb.Database.dispose` and the interpreter's exit wait for it.
    A failure is logged, not raised (the next fold or refresh catches up)."""
    if rounds < BULK_ROWS or engine.dialect.name != "postgresql":
        return
    with _folders_lock:
        folder = _folders.get(engine)
        if folder is None:
            folder = _folders[engine] = _Folder(engine)
    folder.request()


def wait_for_fold(engine: Any, timeout: float | None = None) -> bool:
    """Wait until the fold :func:`fold_after_write` started for ``engine`` (if any) is done;
    False if ``timeout`` seconds passed first."""
    with _folders_lock:
        folder = _folders.get(engine)
    return True if folder is None else folder.wait(timeout)


class _Folder:
    """The folds after the bulk writes of one engine: one at a time, in a thread that runs
    while any is due (a request during a fold makes one more fold, which takes the runs the
    running one did not see). The thread is not a daemon: the interpreter's exit waits for
    it, so a script that loads and exits leaves its summaries folded."""

    def __init__(self, engine: Any) -> None:
        self._engine = weakref.ref(engine)  # the registry's key: no strong reference to it
        self._lock = threading.Lock()
        self._due = False
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def request(self) -> None:
        with self._lock:
            self._due = True
            if self._thread is None:
                self._idle.clear()
                self._thread = threading.Thread(
                    target=self._run, name="crashdb-fold-after-write", daemon=False
                )
                self._thread.start()

    def wait(self, timeout: float | None) -> bool:
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._due:
                    self._thread = None
                    self._idle.set()
                    return
                self._due = False
            engine = self._engine()
            if engine is None:
                continue
            try:
                fold_pending(engine)
            except Exception as exc:  # an outage right after a commit
                log.warning("summaries not folded after a bulk write (readers stay exact): %s", exc)


_folders: weakref.WeakKeyDictionary[Any, _Folder] = weakref.WeakKeyDictionary()
_folders_lock = threading.Lock()


def _forget_folds_in_child() -> None:
    """A forked child has none of its parent's threads: a fold running in the parent at the
    fork is not the child's to wait for (nor is a lock the parent held)."""
    global _folders, _folders_lock
    _folders = weakref.WeakKeyDictionary()
    _folders_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_folds_in_child)


def refresh(engine: Any, *, full: bool = False) -> dict[str, Any]:
    """Bring the summaries up to date, or (``full``) rebuild them from the rounds.

    Nothing is ever due on PostgreSQL (the triggers keep the summaries with every statement)
    nor on SQLite for rounds written through crashdb (folded when their transaction commits);
    rounds written into a SQLite file by another program are folded here. ``full`` recomputes
    every summary (for a database restored from a dump made without them, say).
    Returns ``{"backend", "full", "folded"}``.
    """
    dialect = engine.dialect.name
    with engine.connect() as conn:
        if dialect == "sqlite":
            conn = conn.execution_options(crashdb_sqlite_immediate=True)
        with conn.begin():
            if dialect == "postgresql" and full:
                conn.exec_driver_sql("LOCK TABLE crash_game_rounds IN SHARE MODE")
                conn.exec_driver_sql("DELETE FROM run_summaries")
                conn.exec_driver_sql("DELETE FROM game_round_summaries")
                for step in after_insert("postgresql", "crash_game_rounds", "session_logs"):
                    for stmt in step.statements if isinstance(step, Guarded) else (step,):
                        conn.exec_driver_sql(stmt)
            elif dialect == "sqlite" and full:
                conn.exec_driver_sql("DELETE FROM run_summaries")
                conn.exec_driver_sql("DELETE FROM game_round_summaries")
                conn.exec_driver_sql(
                    "UPDATE session_logs SET total_rounds = 0, total_wins = 0, "
                    "total_losses = 0, total_profit = 0, last_round_number = NULL"
                )
                conn.exec_driver_sql("UPDATE summary_fold_state SET folded_rowid = 0")
            if full:
                conn.exec_driver_sql("DELETE FROM signal_summaries")
                conn.exec_driver_sql(signals_merge(dialect, "analytics_round_signals"))
            folded = 0
            if dialect == "sqlite":
                state = conn.exec_driver_sql(
                    "SELECT folded_rowid, dirty FROM summary_fold_state"
                ).one()
                top = conn.exec_driver_sql(
                    "SELECT coalesce(max(rowid), 0) FROM crash_game_rounds"
                ).scalar_one()
                folded = max(int(top) - int(state[0]), 0)
            # SQLite: the fold runs as this transaction commits.
    if dialect == "postgresql":
        folded = fold_pending(engine)
    return {"backend": dialect, "full": full, "folded": folded}
