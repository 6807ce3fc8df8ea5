"""The seed's logging API, validated and idempotent.

::

    from crashdb import log_crash_round, log_round_outcome

    round_id = log_crash_round(bot_id="bot_1", session_id="s1", game_name="aviator",
                               round_number=1, stake_value="10.00", crash_multiplier="2.45",
                               cashout_multiplier="1.33", round_outcome="WIN")
    log_round_outcome(round_id=round_id, outcome="WIN", profit_loss="3.30")

* Every function validates first (:mod:`crashdb.ingest`): bad input raises
  :class:`crashdb.InvalidRecord` naming each bad field, and nothing is written.
* ``log_crash_round`` returns the round's id, derived from (bot, session, round_number,
  bet_slot): logging the same round again returns the same id and adds no row; logging the
  same key with other content raises :class:`crashdb.ConflictingRecord`.
* A round for a bot or session that is not registered yet registers it.
* With ``CRASHDB_USE_WRITER=true`` the functions hand records to the process's
  :class:`crashdb.RoundWriter` (buffered group commits, spool when the database is down)
  instead of writing synchronously; with ``CRASHDB_SERVER_URL`` and ``CRASHDB_TOKEN`` that
  writer reports to a fleet server (``crashdb serve``) over HTTP.
* :func:`log_batch_rounds` is all-or-nothing and uses COPY on PostgreSQL.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from crashdb.config import get_settings
from crashdb.db.engine import Database, get_database
from crashdb.ingest.columnar import RoundStream
from crashdb.ingest.records import Record
from crashdb.ingest.store import WriteResult, write_records
from crashdb.ingest.validate import (
    build_error,
    build_multiplier,
    build_ocr,
    build_outcome,
    build_round,
    build_session_start,
    build_session_update,
    build_signal,
)
from crashdb.writer.default import get_default_writer as _writer

__all__ = [
    "create_session_log",
    "log_batch_rounds",
    "log_crash_round",
    "log_error",
    "log_ocr_validation",
    "log_round_multiplier_analytics",
    "log_round_outcome",
    "log_round_signal",
    "update_session_log",
]


# --------------------------------------------------------------------------- routing

_writer_flag: tuple[float, bool] = (0.0, False)
_writer_key: tuple[object, ...] | None = None


def _settings_key() -> tuple[object, ...]:
    """What ``Settings().use_writer`` depends on, cheap to read (~3 us): the variable (either
    case: settings are case-insensitive) and the working directory's ``.env`` file."""
    env = os.environ
    try:
        st = os.stat(".env")
        dotenv: object = (st.st_ino, st.st_mtime_ns, st.st_size)
    except OSError:
        dotenv = None
    cwd = os.getcwd() if dotenv is not None else None
    return (
        env.get("CRASHDB_USE_WRITER"),
        env.get("crashdb_use_writer"),
        env.get("CRASHDB_SERVER_URL"),
        env.get("crashdb_server_url"),
        dotenv,
        cwd,
    )


def _use_writer() -> bool:
    """``Settings().use_writer``, checked at most once a second (it reads the environment).

    Building ``Settings()`` costs ~0.6 ms, too much for the bot loop: it is rebuilt only when
    the environment variable or ``.env`` changed (or ``_writer_flag`` was reset to 0)."""
    global _writer_flag, _writer_key
    checked, value = _writer_flag
    now = time.monotonic()
    if now - checked > 1.0:
        key = _settings_key()
        if checked == 0.0 or key != _writer_key:
            settings = get_settings()
            value = settings.use_writer or bool(settings.server_url)  # fleet server: remote
            _writer_key = key
        _writer_flag = (now, value)
    return value


def _store(record: Record) -> WriteResult:
    return write_records(get_database(), [record])


# --------------------------------------------------------------------------- seed functions


def log_crash_round(**fields: Any) -> uuid.UUID:
    """Log one round (bet) and return its id.

    Keywords: ``bot_id``, ``session_id``, ``game_name``, ``round_number``, ``stake_value``,
    ``round_outcome`` (WIN/LOSS/SKIP/ERROR) are required; optional: ``platform_code``,
    ``bet_slot`` (default 1), ``round_external_id``, ``target_multiplier``,
    ``crash_multiplier``, ``cashout_multiplier``, ``profit_loss`` (derived when omitted),
    ``running_balance_before``, ``running_balance_after`` (derived), ``roi_percent``
    (derived), ``ocr_text``, ``ocr_confidence``, ``error_type``, ``error_description``,
    ``strategy_name`` (default: the bot's), ``metadata`` (JSON dict),
    ``round_start_timestamp`` (default now, UTC), ``round_end_timestamp``, and every other
    column of ``crash_game_rounds``.
    """
    if _use_writer():
        return _writer().log_crash_round(**fields)
    record = build_round(**fields)
    _store(record)
    return record.id


def log_round_multiplier_analytics(**fields: Any) -> uuid.UUID:
    """Analytics 1: a multiplier seen in a round (``round_id``, ``multiplier``, ``is_crash``,
    ``is_cashout``, ``is_max``, ``ocr_confidence``, ``data_quality_score``...). Bot, session,
    game and round number default from the round. One row per round and multiplier kind."""
    if _use_writer():
        return _writer().log_round_multiplier_analytics(**fields)
    record = build_multiplier(**fields)
    _store(record)
    return record.id


def log_round_signal(**fields: Any) -> uuid.UUID:
    """Analytics 2: a signal (``signal_type``, ``confidence_score``, ``signal_strength``,
    ``target_multiplier``, ``time_to_crash_ms``, ``volatility``, ``momentum``,
    ``pattern_type``, ``similar_rounds``, ``feature_vector``, ``signal_correctness``,
    ``actual_multiplier``, ``prediction_error``). One row per round and signal type."""
    if _use_writer():
        return _writer().log_round_signal(**fields)
    record = build_signal(**fields)
    _store(record)
    return record.id


def log_round_outcome(**fields: Any) -> uuid.UUID:
    """Analytics 3: the outcome of a bet (``outcome``, ``profit_loss``, ``roi_percent``
    (derived), ``bet_amount`` (default: the round's stake), ``winnings``, ``loss_amount``,
    ``target_multiplier``, ``actual_multiplier``, ``hit_target`` (derived), streaks,
    ``outcome_category``, ``duration_seconds``, ``strategy_name``). Outcome and profit
    default to the round's. One row per round."""
    if _use_writer():
        return _writer().log_round_outcome(**fields)
    record = build_outcome(**fields)
    _store(record)
    return record.id


def log_error(**fields: Any) -> uuid.UUID:
    """An error: ``error_type`` (required), ``error_message``, ``error_trace``,
    ``recovery_action``, ``severity``, ``bot_id``, ``session_id``, ``round_id``, ``context``."""
    if _use_writer():
        return _writer().log_error(**fields)
    record = build_error(**fields)
    _store(record)
    return record.id


def log_ocr_validation(**fields: Any) -> uuid.UUID:
    """An OCR reading: ``raw_ocr_text``, ``cleaned_value``, ``confidence``,
    ``validation_status``, ``expected_value``, ``ocr_engine``, ``bot_id``, ``round_id``..."""
    if _use_writer():
        return _writer().log_ocr_validation(**fields)
    record = build_ocr(**fields)
    _store(record)
    return record.id


def create_session_log(*args: Any, **fields: Any) -> str:
    """Create a session (``bot_id``, ``session_id``, ``game_name``, ``initial_balance``,
    ``platform_code``, ``strategy_name``, ``notes``...); registers the bot if needed.
    Returns the session id. Calling it again, or after rounds auto-registered the session,
    completes the session instead of failing."""
    if _use_writer():
        return _writer().create_session_log(*args, **fields)
    record = build_session_start(*args, **fields)
    _store(record)
    return record.session_id


def update_session_log(*args: Any, **fields: Any) -> bool:
    """Update a session: ``final_balance``, ``status`` (a status other than "active" also
    sets ``end_timestamp`` to now unless given), ``notes``. Without ``bot_id`` every session
    with that ``session_id`` is updated (the seed identifies sessions by id alone). Returns
    True when a session was updated."""
    if _use_writer():
        return _writer().update_session_log(*args, **fields)
    record = build_session_update(*args, **fields)
    return _store(record).sessions_updated > 0


def log_batch_rounds(
    rounds: Iterable[Mapping[str, Any]], *, db: Database | None = None
) -> list[uuid.UUID]:
    """Log many rounds in one transaction (COPY on PostgreSQL); returns their ids in order.

    All or nothing: every row is validated and one bad row raises
    :class:`~crashdb.InvalidRecord` naming each bad row and field, with nothing written.
    Rounds already stored with the same content (same bot, session, round_number, bet_slot)
    are skipped; one stored with other content raises :class:`~crashdb.ConflictingRecord`
    naming its row.
    """
    if db is None and _use_writer():
        return _writer().log_batch_rounds(rounds)
    batch = rounds if isinstance(rounds, Sequence) else list(rounds)
    stream = RoundStream(batch)
    write_records(db or get_database(), stream)
    return list(stream.ids)
