"""Database-side objects of revision 0005: PostgreSQL folds inserted rounds into the strategy
run summaries inside the insert trigger.

Frozen with the revision: later revisions add their own module rather than editing this one.

Revision 0004's statement-level insert trigger only marked the touched runs stale, so the
first ``get_strategy_performance`` after a bulk load read and folded every new round in
Python (1.6 s for 200k rounds at 1M). Here the same trigger does that fold in SQL, over the
statement's transition table, while the rounds are being written:

1. create the runs seen for the first time (empty summaries) and lock every touched run,
   in key order, exactly where revision 0004 took the same locks;
2. a run that is already stale, or that received a round ordered before its summarised ones,
   is only marked stale, as before (:mod:`crashdb.analytics.rollup` rebuilds it at query time);
3. every other touched run gets its new rounds, in ``(round_number, bet_slot)`` order, folded
   into its stored state with window functions that carry the stored cumulative profit, peak,
   first balance and streaks. The result is the JSON state ``crashdb.analytics.rollup._fold`` would
   write (same keys, Decimal strings, ISO-8601 UTC timestamps).

Deletes and updates still mark runs for a rebuild, and SQLite (row-level triggers only) still
folds at query time. ``TRUNCATE crash_game_rounds`` now empties the summaries too.
"""

from __future__ import annotations

from alembic import op

from crashdb.db.migrations.sql_0004 import PG_INSERT_FUNCTION as PG_INSERT_FUNCTION_0004

__all__ = ["downgrade_postgresql", "upgrade_postgresql"]

RUN = "strategy_name, bot_id, session_id"

# Statements inserting fewer rounds than this only mark their runs stale; the setting
# ``crashdb.rollup_fold_min_rows`` (per session, role or database) overrides the default.
FOLD_MIN_ROWS_DEFAULT = 1000
FOLD_MIN_ROWS = (
    "coalesce(nullif(current_setting('crashdb.rollup_fold_min_rows', true), ''), "
    f"'{FOLD_MIN_ROWS_DEFAULT}')::int"
)
# Revision 0004's function body: the upsert that marks the touched runs stale.
MARK_STALE = PG_INSERT_FUNCTION_0004.split("BEGIN", 1)[1].rsplit("RETURN NULL;", 1)[0].rstrip()


def _iso(expr: str) -> str:
    """A timestamptz as the text ``datetime.isoformat()`` reads back (UTC, microseconds)."""
    return f"""to_char(({expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""


def _prev(key: str, cast: str) -> str:
    return f"(u.st->>'{key}')::{cast}"


# Counters and float sums: the stored value plus the new rounds' total.
_INTS = ("rows", "wins", "losses", "skips", "errors", "bets")
_FLOATS = ("sp", "spp", "ss", "sss", "sps", "sg", "sgg", "sr", "srr")
_ADDITIVE = ",\n".join(
    [f"'{k}', coalesce({_prev(k, 'bigint')}, 0) + a.{k}" for k in _INTS]
    + [f"'{k}', coalesce({_prev(k, 'float8')}, 0) + a.{k}" for k in _FLOATS]
)

# The worst fall of the run so far: the new candidate replaces the stored one when it is
# deeper, or as deep and earlier (crashdb.analytics.rollup._fold's tie-break).
_NEW_FALL = (
    "(u.st->'fall' IS NULL OR jsonb_typeof(u.st->'fall') = 'null'"
    f" OR w.fall > {_prev('fall', 'numeric')}"
    f" OR (w.fall = {_prev('fall', 'numeric')} AND w.ts < {_prev('fall_ts', 'timestamptz')}))"
)


def _fall(key: str, new: str) -> str:
    return f"'{key}', CASE WHEN {_NEW_FALL} THEN to_jsonb({new}) ELSE u.st->'{key}' END"


PG_INSERT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION crashdb_strategy_runs_after_insert() RETURNS trigger
LANGUAGE plpgsql SET work_mem = '64MB' AS $$
DECLARE
    min_rows integer := {FOLD_MIN_ROWS};
BEGIN
    -- Small statements (a bot's round, a writer flush) only mark their runs, as in 0004:
    -- folding costs about a millisecond per statement, and the query-time fold of a short
    -- tail is cheap. Bulk loads fold here.
    IF (SELECT count(*) FROM (SELECT FROM new_rounds LIMIT min_rows) s) < min_rows THEN
{MARK_STALE}
        RETURN NULL;
    END IF;

    -- 1. New runs get an empty summary; every touched run is locked, in key order.
    INSERT INTO strategy_run_rollups AS r ({RUN}, stale, rebuild)
    SELECT DISTINCT {RUN}, false, false
      FROM new_rounds
     WHERE strategy_name IS NOT NULL
     ORDER BY 1, 2, 3
    ON CONFLICT ({RUN}) DO UPDATE SET stale = r.stale WHERE false;

    -- 2. Fold the new rounds into the summaries they extend; a run that is already stale, or
    --    that received a round ordered before its summarised ones, is only marked stale (as
    --    in revision 0004: crashdb.analytics.rollup rebuilds it when it is queried).
    WITH runs AS MATERIALIZED (
        SELECT row_number() OVER () AS run, k.strategy_name, k.bot_id, k.session_id, k.k,
               r.state AS st,
               NOT r.stale
               AND (r.state IS NULL
                    OR k.k > ARRAY[(r.state->>'last_round')::bigint,
                                   (r.state->>'last_slot')::bigint]) AS append,
               r.stale, r.stale_round, r.stale_slot,
               coalesce((r.state->>'cum')::numeric, 0) AS c0,
               coalesce((r.state->>'peak')::numeric, 0) AS p0,
               coalesce((r.state->>'has_first')::boolean, false) AS has0,
               (r.state->>'first_balance')::numeric AS b0,
               coalesce((r.state->>'win_run')::bigint, 0) AS w0,
               coalesce((r.state->>'loss_run')::bigint, 0) AS l0
          FROM (SELECT {RUN}, min(ARRAY[round_number, bet_slot::bigint]) AS k
                  FROM new_rounds
                 WHERE strategy_name IS NOT NULL
                 GROUP BY 1, 2, 3) k
          JOIN strategy_run_rollups r USING ({RUN})
    ),
    seq AS (
        SELECT r.run, n.round_number, n.bet_slot,
               n.game_name, n.round_outcome AS outcome, n.profit_loss AS profit,
               n.profit_loss::float8 AS pf, n.stake_value::float8 AS sf,
               n.round_start_timestamp AS ts,
               coalesce(n.round_end_timestamp, n.round_start_timestamp) AS te,
               coalesce(n.stake_value > 0 AND n.round_outcome <> 'SKIP', false) AS bet,
               n.stake_value AS stake,
               CASE WHEN r.has0 THEN r.b0
                    ELSE first_value(n.running_balance_before) OVER w END AS base,
               r.c0 + sum(n.profit_loss) OVER w AS cum,
               count(*) FILTER (WHERE n.round_outcome IN ('WIN', 'LOSS')) OVER w AS wl,
               row_number() OVER w AS i,
               r.p0, r.w0, r.l0
          FROM new_rounds n
          JOIN runs r USING ({RUN})
         WHERE r.append
        WINDOW w AS (PARTITION BY r.run ORDER BY n.round_number, n.bet_slot
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    peaks AS (
        SELECT s.*,
               greatest(s.p0, max(s.cum) OVER w) AS peak,
               max(s.wl) FILTER (WHERE s.outcome = 'WIN') OVER w AS last_win,
               max(s.wl) FILTER (WHERE s.outcome = 'LOSS') OVER w AS last_loss
          FROM seq s
        WINDOW w AS (PARTITION BY s.run ORDER BY s.round_number, s.bet_slot
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    folded AS MATERIALIZED (
        SELECT p.*,
               p.peak - p.cum AS fall,
               CASE WHEN p.base IS NOT NULL AND p.base::float8 + p.peak::float8 <> 0
                    THEN (p.peak - p.cum)::float8 / (p.base::float8 + p.peak::float8)
               END AS pct,
               -- the streak this round extends (the stored one if none broke it yet)
               CASE WHEN p.outcome = 'WIN'
                    THEN CASE WHEN p.last_loss IS NULL THEN p.wl + p.w0
                              ELSE p.wl - p.last_loss END
                    WHEN p.outcome = 'LOSS'
                    THEN CASE WHEN p.last_win IS NULL THEN p.wl + p.l0
                              ELSE p.wl - p.last_win END
               END AS streak
          FROM peaks p
    ),
    agg AS MATERIALIZED (
        SELECT run,
               count(*) AS rows,
               count(*) FILTER (WHERE outcome = 'WIN') AS wins,
               count(*) FILTER (WHERE outcome = 'LOSS') AS losses,
               count(*) FILTER (WHERE outcome = 'SKIP') AS skips,
               count(*) FILTER (WHERE outcome = 'ERROR') AS errors,
               count(*) FILTER (WHERE bet) AS bets,
               sum(profit) AS total_profit,
               coalesce(sum(stake) FILTER (WHERE bet), 0) AS total_staked,
               coalesce(sum(pf) FILTER (WHERE bet), 0) AS sp,
               coalesce(sum(pf * pf) FILTER (WHERE bet), 0) AS spp,
               coalesce(sum(sf) FILTER (WHERE bet), 0) AS ss,
               coalesce(sum(sf * sf) FILTER (WHERE bet), 0) AS sss,
               coalesce(sum(pf * sf) FILTER (WHERE bet), 0) AS sps,
               coalesce(sum(pf) FILTER (WHERE bet AND pf > 0), 0) AS sg,
               coalesce(sum(pf * pf) FILTER (WHERE bet AND pf > 0), 0) AS sgg,
               coalesce(sum(pf / sf) FILTER (WHERE bet), 0) AS sr,
               coalesce(sum((pf / sf) * (pf / sf)) FILTER (WHERE bet), 0) AS srr,
               min(ts) AS first_ts,
               max(te) AS last_ts,
               max(pct) AS max_fall_pct,
               max(streak) FILTER (WHERE outcome = 'WIN') AS longest_win,
               max(streak) FILTER (WHERE outcome = 'LOSS') AS longest_loss,
               -- where the run ends (running values: their last is their maximum)
               max(peak) AS peak,
               max(base) AS base,
               max(ARRAY[round_number, bet_slot::bigint]) AS last_k,
               max(wl) FILTER (WHERE outcome = 'WIN') AS last_win,
               max(wl) FILTER (WHERE outcome = 'LOSS') AS last_loss
          FROM folded
         GROUP BY run
    ),
    worst AS MATERIALIZED (
        SELECT DISTINCT ON (run) run, fall, peak, round_number, bet_slot, ts
          FROM folded
         ORDER BY run, fall DESC, ts, i
    ),
    games AS MATERIALIZED (
        SELECT run, jsonb_object_agg(game_name, jsonb_build_array(bets, staked)) AS g
          FROM (SELECT run, game_name, count(*) AS bets, sum(sf) AS staked
                  FROM folded
                 WHERE bet
                 GROUP BY 1, 2) per_game
         GROUP BY run
    ),
    new_state AS MATERIALIZED (
        SELECT u.run, jsonb_build_object(
{_ADDITIVE},
'total_profit', (coalesce({_prev("total_profit", "numeric")}, 0) + a.total_profit)::text,
'total_staked', (coalesce({_prev("total_staked", "numeric")}, 0) + a.total_staked)::text,
'games', (SELECT coalesce(jsonb_object_agg(key, jsonb_build_array(
                     coalesce((o.value->>0)::bigint, 0) + coalesce((n.value->>0)::bigint, 0),
                     coalesce((o.value->>1)::float8, 0) + coalesce((n.value->>1)::float8, 0)
                 )), '{{}}'::jsonb)
            FROM jsonb_each(coalesce(u.st->'games', '{{}}'::jsonb)) o
            FULL JOIN jsonb_each(coalesce(g.g, '{{}}'::jsonb)) n USING (key)),
'first_ts', {_iso(f"least({_prev('first_ts', 'timestamptz')}, a.first_ts)")},
'last_ts', {_iso(f"greatest({_prev('last_ts', 'timestamptz')}, a.last_ts)")},
'first_balance', a.base::text,
'has_first', true,
'cum', (u.c0 + a.total_profit)::text,
'peak', a.peak::text,
'max_fall_pct', greatest({_prev("max_fall_pct", "float8")}, a.max_fall_pct),
{_fall("fall", "w.fall::text")},
{_fall("fall_peak", "w.peak::text")},
{_fall("fall_round", "w.round_number")},
{_fall("fall_slot", "w.bet_slot")},
{_fall("fall_ts", _iso("w.ts"))},
'win_run', CASE WHEN a.last_win IS NULL AND a.last_loss IS NULL THEN u.w0
                WHEN coalesce(a.last_win, 0) > coalesce(a.last_loss, 0)
                THEN a.last_win - coalesce(a.last_loss, -u.w0)
                ELSE 0 END,
'loss_run', CASE WHEN a.last_win IS NULL AND a.last_loss IS NULL THEN u.l0
                 WHEN coalesce(a.last_loss, 0) > coalesce(a.last_win, 0)
                 THEN a.last_loss - coalesce(a.last_win, -u.l0)
                 ELSE 0 END,
'longest_win', greatest(coalesce({_prev("longest_win", "bigint")}, 0), a.longest_win),
'longest_loss', greatest(coalesce({_prev("longest_loss", "bigint")}, 0), a.longest_loss),
'last_round', a.last_k[1],
'last_slot', a.last_k[2]) AS state
          FROM runs u
          JOIN agg a USING (run)
          JOIN worst w USING (run)
          LEFT JOIN games g USING (run)
         WHERE u.append
    )
    UPDATE strategy_run_rollups r
       SET state = CASE WHEN u.append THEN f.state ELSE r.state END,
           stale = NOT u.append,
           stale_round = CASE
               WHEN u.append THEN NULL
               WHEN NOT u.stale OR u.stale_round IS NULL
                 OR (u.k[1], u.k[2]) < (u.stale_round, u.stale_slot)
               THEN u.k[1] ELSE u.stale_round END,
           stale_slot = CASE
               WHEN u.append THEN NULL
               WHEN NOT u.stale OR u.stale_round IS NULL
                 OR (u.k[1], u.k[2]) < (u.stale_round, u.stale_slot)
               THEN u.k[2]::smallint ELSE u.stale_slot END
      FROM runs u
      LEFT JOIN new_state f USING (run)
     WHERE r.strategy_name = u.strategy_name
       AND r.bot_id = u.bot_id
       AND r.session_id = u.session_id;
    RETURN NULL;
END
$$
"""

PG_TRUNCATE_FUNCTION = """
CREATE FUNCTION crashdb_strategy_runs_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM strategy_run_rollups;
    RETURN NULL;
END
$$
"""

PG_TRUNCATE_TRIGGER = (
    "CREATE TRIGGER trg_crash_rounds_strategy_runs_truncate AFTER TRUNCATE ON crash_game_rounds "
    "FOR EACH STATEMENT EXECUTE FUNCTION crashdb_strategy_runs_truncate()"
)


def upgrade_postgresql() -> None:
    op.execute(PG_INSERT_FUNCTION)
    op.execute(PG_TRUNCATE_FUNCTION)
    op.execute(PG_TRUNCATE_TRIGGER)


def downgrade_postgresql() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS trg_crash_rounds_strategy_runs_truncate ON crash_game_rounds"
    )
    op.execute("DROP FUNCTION IF EXISTS crashdb_strategy_runs_truncate()")
    op.execute(PG_INSERT_FUNCTION_0004.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
