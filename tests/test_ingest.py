"""The seed's logging API on SQLite and PostgreSQL: storage, idempotency, bad input, batches."""

from __future__ import annotations

import gc
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from crashdb import (
    ConflictingRecord,
    Database,
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
from crashdb.db.models import (
    AnalyticsRoundMultiplier,
    AnalyticsRoundOutcome,
    BotVMRegistration,
    CrashGameRound,
    SessionLog,
)
from crashdb.ingest import (
    build_error,
    build_multiplier,
    build_outcome,
    build_round,
    build_session_update,
    round_uuid,
    write_records,
)
from crashdb.ingest.columnar import columnar_rounds

TABLES = (
    "bot_vm_registration",
    "session_logs",
    "crash_game_rounds",
    "analytics_round_multipliers",
    "analytics_round_signals",
    "analytics_round_outcomes",
    "error_logs",
    "ocr_validation_logs",
)


def counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def round_kw(n: int = 1, **over: Any) -> dict[str, Any]:
    kw: dict[str, Any] = {
        "bot_id": "my_bot_001",
        "session_id": "session_20251121_001",
        "game_name": "aviator",
        "platform_code": "dafabet",
        "round_number": n,
        "stake_value": Decimal("10.00"),
        "crash_multiplier": Decimal("2.45"),
        "cashout_multiplier": Decimal("1.33"),
        "round_outcome": "WIN",
        "profit_loss": Decimal("3.30"),
        "running_balance_before": Decimal("1000.00"),
        "running_balance_after": Decimal("1003.30"),
    }
    kw.update(over)
    return kw


def batch(n: int, bot: str = "batch_bot", **over: Any) -> list[dict[str, Any]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        round_kw(
            i,
            bot_id=bot,
            session_id="batch_session",
            running_balance_before=None,
            running_balance_after=None,
            round_start_timestamp=start + timedelta(seconds=i),
            metadata={"i": i},
            **over,
        )
        for i in range(1, n + 1)
    ]


def test_metadata_text_that_only_looks_like_a_nul_escape_is_stored(db: Database) -> None:
    """A backslash followed by "u0000" is six ordinary characters (a Windows path, OCR text):
    stored as it is by both paths, unlike a real NUL character (see BAD_INPUTS)."""
    meta = {"\\u0000": "C:\\u0000\\shot.png", "odd": "\\\\u0000"}
    one = log_crash_round(**round_kw(round_number=1, metadata=meta))
    log_batch_rounds([round_kw(round_number=n, metadata=meta) for n in (2, 3)])
    with db.session_scope() as s:
        assert s.get(CrashGameRound, one).round_metadata == meta  # type: ignore[union-attr]
        stored = s.scalars(select(CrashGameRound.round_metadata)).all()
    assert stored == [meta] * 3


def test_quick_start_round_is_stored_and_registers_bot_and_session(db: Database) -> None:
    round_id = log_crash_round(**round_kw(metadata={"strategy": "compound_1.33x"}))
    assert isinstance(round_id, uuid.UUID)
    with db.session_scope() as s:
        row = s.get(CrashGameRound, round_id)
        assert row is not None
        assert row.profit_loss == Decimal("3.30") and row.roi_percent == Decimal("33")
        assert row.running_balance_after == Decimal("1003.30")
        assert row.round_metadata == {"strategy": "compound_1.33x"}
        bot = s.scalars(select(BotVMRegistration)).one()
        assert (bot.bot_id, bot.auto_registered) == ("my_bot_001", True)
        sess = s.scalars(select(SessionLog)).one()
        assert (sess.game_name, sess.platform_code) == ("aviator", "dafabet")
        assert sess.total_rounds == 1 and sess.total_profit == Decimal("3.30")
        assert sess.initial_balance == Decimal("1000.00")


def test_logging_the_same_round_twice_stores_it_once(db: Database) -> None:
    first = log_crash_round(**round_kw())
    second = log_crash_round(**round_kw())
    assert first == second
    kw = {"round_id": first, "multiplier": Decimal("2.45"), "is_crash": True}
    assert log_round_multiplier_analytics(**kw) == log_round_multiplier_analytics(**kw)
    log_round_signal(round_id=first, signal_type="early_flight", confidence_score=0.92)
    log_round_signal(round_id=first, signal_type="early_flight", confidence_score=0.92)
    log_round_outcome(round_id=first, outcome="WIN", profit_loss=Decimal("3.30"))
    log_round_outcome(round_id=first, outcome="WIN", profit_loss=Decimal("3.30"))
    c = counts(db)
    assert c["crash_game_rounds"] == 1
    assert c["analytics_round_multipliers"] == c["analytics_round_signals"] == 1
    assert c["analytics_round_outcomes"] == 1
    with db.session_scope() as s:
        assert s.scalars(select(SessionLog.total_rounds)).one() == 1
    # A second bet in the same round is a different row.
    log_crash_round(**round_kw(bet_slot=2))
    assert counts(db)["crash_game_rounds"] == 2


def test_strategy_defaults_from_the_bots_registration(db: Database) -> None:
    with db.session_scope() as s:
        s.add(BotVMRegistration(bot_id="reg_bot", strategy_name="martingale"))
    rid = log_crash_round(**round_kw(bot_id="reg_bot"))
    ids = log_batch_rounds(batch(3, bot="reg_bot"))
    explicit = log_crash_round(**round_kw(5, bot_id="reg_bot", strategy_name="fixed_stake"))
    with db.session_scope() as s:
        assert s.get(CrashGameRound, rid).strategy_name == "martingale"  # type: ignore[union-attr]
        for i in ids:
            assert s.get(CrashGameRound, i).strategy_name == "martingale"  # type: ignore[union-attr]
        assert s.get(CrashGameRound, explicit).strategy_name == "fixed_stake"  # type: ignore[union-attr]
        assert s.scalars(select(BotVMRegistration.auto_registered)).one() is False
    out = log_round_outcome(round_id=rid, outcome="WIN", profit_loss=Decimal("3.3"))
    with db.session_scope() as s:
        assert s.get(AnalyticsRoundOutcome, out).strategy_name == "martingale"  # type: ignore[union-attr]


def test_analytics_take_missing_fields_from_the_round_in_the_database(db: Database) -> None:
    rid = log_crash_round(**round_kw(7))
    mid = log_round_multiplier_analytics(round_id=str(rid), multiplier="2.45", is_crash=True)
    oid = log_round_outcome(round_id=rid, outcome="WIN", profit_loss="3.3")
    with db.session_scope() as s:
        m = s.get(AnalyticsRoundMultiplier, mid)
        assert m is not None
        assert (m.bot_id, m.session_id, m.round_number, m.game_name) == (
            "my_bot_001",
            "session_20251121_001",
            7,
            "aviator",
        )
        o = s.get(AnalyticsRoundOutcome, oid)
        assert o is not None and o.bet_amount == Decimal("10") and o.roi_percent == 33


def test_analytics_for_an_unknown_round_are_refused(db: Database) -> None:
    with pytest.raises(InvalidRecord, match="round_id"):
        log_round_multiplier_analytics(round_id=uuid.uuid4(), multiplier=Decimal("2"))
    # Through write_records (the writer's path) too, with the row index in a batch.
    rid = log_crash_round(**round_kw(3))
    good = build_multiplier(round_id=rid, multiplier=Decimal("2"))
    rec = build_multiplier(round_id=uuid.uuid4(), multiplier=Decimal("2"), bot_id="x")
    with pytest.raises(InvalidRecord) as exc:
        write_records(db, [good, rec])
    assert [(e.row, e.field) for e in exc.value.errors] == [(1, "round_id")]
    assert counts(db)["analytics_round_multipliers"] == 0  # not even the good one


def test_error_and_ocr_logs(db: Database) -> None:
    rid = log_crash_round(**round_kw())
    eid = log_error(error_type="ocr_failure", error_message="unreadable", round_id=rid)
    oid = log_ocr_validation(
        raw_ocr_text="2.45x", cleaned_value="2.45", confidence=0.93, validation_status="valid"
    )
    rec = build_error(error_type="network", round_id=rid)
    assert rec.bot_id is None
    write_records(db, [rec])
    with db.engine.connect() as conn:
        errs = conn.execute(text("SELECT bot_id, round_number FROM error_logs")).all()
        assert [tuple(e) for e in errs] == [("my_bot_001", 1)] * 2
        n = conn.execute(text("SELECT count(*) FROM ocr_validation_logs")).scalar_one()
        assert n == 1
    assert eid != oid


def test_sessions_create_complete_and_update(db: Database) -> None:
    log_crash_round(**round_kw(running_balance_before=None, running_balance_after=None))
    # create_session_log after a round auto-registered the session completes it.
    sid = create_session_log(
        bot_id="my_bot_001",
        session_id="session_20251121_001",
        game_name="aviator",
        initial_balance=Decimal("1000.00"),
    )
    assert sid == "session_20251121_001"
    # The guide reuses one session id for two bots.
    create_session_log(bot_id="other_bot", session_id=sid, initial_balance=Decimal("50"))
    assert update_session_log(sid, bot_id="other_bot", final_balance=Decimal("60"))
    assert update_session_log(sid, status="completed", notes="done")
    assert not update_session_log("no_such_session", status="completed")
    with db.session_scope() as s:
        rows = {r.bot_id: r for r in s.scalars(select(SessionLog))}
    assert rows["my_bot_001"].initial_balance == Decimal("1000.00")
    assert rows["my_bot_001"].total_rounds == 1
    assert rows["other_bot"].final_balance == Decimal("60")
    assert {r.status for r in rows.values()} == {"completed"}
    assert all(r.end_timestamp is not None and r.notes == "done" for r in rows.values())


def test_write_records_in_order_and_replay_is_harmless(db: Database) -> None:
    rnd = build_round(**round_kw(11, bot_id="w_bot"))
    records = [
        rnd,
        build_multiplier(round_id=rnd.id, multiplier="2.45", is_crash=True),
        build_outcome(round_id=rnd.id, outcome="WIN", profit_loss="3.3"),
        build_session_update(rnd.session_id, bot_id="w_bot", status="completed"),
    ]
    write_records(db, records)
    first = counts(db)
    result = write_records(db, records)
    assert counts(db) == first
    assert result.inserted.get("round", 0) == 0
    assert first["crash_game_rounds"] == first["analytics_round_outcomes"] == 1


@pytest.mark.parametrize("size", [10, 600])
def test_batch_is_idempotent_and_keeps_totals(db: Database, size: int) -> None:
    rows = batch(size)
    ids = log_batch_rounds(rows)
    assert len(ids) == size == len(set(ids))
    assert log_batch_rounds(rows) == ids  # replay: same ids, no new rows
    more = batch(size + 5)  # overlaps the first batch
    assert log_batch_rounds(more)[:size] == ids
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(CrashGameRound)) == size + 5
        sess = s.scalars(select(SessionLog)).one()
        assert sess.total_rounds == size + 5
        assert sess.total_profit == Decimal("3.3") * (size + 5)
        stored = s.get(CrashGameRound, ids[-1])
        assert stored is not None and stored.round_metadata == {"i": size}
        assert stored.profit_loss == Decimal("3.3") and stored.roi_percent == Decimal("33")
        assert (stored.bet_slot, stored.is_valid, stored.is_simulated, stored.retry_count) == (
            1,
            True,
            False,
            0,
        )
    # Second bets (bet_slot 2) of some rounds are separate rows.
    second = [dict(r, bet_slot=2) for r in rows[: size // 2]]
    ids2 = log_batch_rounds(rows[size // 2 :] + second)
    assert ids2[: size - size // 2] == ids[size // 2 :]
    assert len(set(ids2) - set(ids)) == size // 2
    with db.session_scope() as s:
        slots = s.execute(select(CrashGameRound.bet_slot, func.count()).group_by("bet_slot"))
        assert dict(slots.tuples().all()) == {1: size + 5, 2: size // 2}


def test_guide_style_batch_takes_the_fast_path() -> None:
    records = columnar_rounds(batch(50))
    assert len({r.id for r in records}) == 50


@pytest.mark.parametrize(("size", "bad_at"), [(10, 4), (600, 321)])
def test_batch_with_one_bad_row_writes_nothing(db: Database, size: int, bad_at: int) -> None:
    rows = batch(size)
    rows[bad_at] = dict(rows[bad_at], stake_value=Decimal("-5"))
    with pytest.raises(InvalidRecord) as exc:
        log_batch_rounds(rows)
    assert [(e.row, e.field) for e in exc.value.errors] == [(bad_at, "stake_value")]
    assert f"row {bad_at}" in str(exc.value)
    assert counts(db) == dict.fromkeys(TABLES, 0)


def test_a_batch_leaves_the_garbage_collector_as_it_found_it(db: Database) -> None:
    """A bulk write pauses the cyclic garbage collector; a batch that fails, on bad input or on
    a conflict with stored rounds, must not leave it off, nor turn on a caller's own pause."""
    assert gc.isenabled()
    rows = batch(600)
    log_batch_rounds(rows)
    assert gc.isenabled()
    bad = list(rows)
    bad[321] = dict(bad[321], stake_value=Decimal("-5"))
    with pytest.raises(InvalidRecord):
        log_batch_rounds(bad)
    assert gc.isenabled()
    with pytest.raises(ConflictingRecord):
        log_batch_rounds([dict(r, ocr_text="changed") for r in rows])
    assert gc.isenabled()
    gc.disable()
    try:
        log_batch_rounds(rows)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_batch_reports_every_bad_row(db: Database) -> None:
    rows = batch(300)
    rows[3] = dict(rows[3], round_outcome="MAYBE")
    rows[250] = dict(rows[250], ocr_confidence=3)
    with pytest.raises(InvalidRecord) as exc:
        log_batch_rounds(rows)
    assert {(e.row, e.field) for e in exc.value.errors} == {
        (3, "round_outcome"),
        (250, "ocr_confidence"),
    }
    assert counts(db)["crash_game_rounds"] == 0


BAD_INPUTS = [
    ({"crash_multiplier": Decimal("0.5")}, "crash_multiplier"),
    ({"crash_multiplier": float("nan")}, "crash_multiplier"),
    ({"stake_value": Decimal("Infinity")}, "stake_value"),
    ({"stake_value": Decimal("-10")}, "stake_value"),
    ({"round_outcome": "JACKPOT"}, "round_outcome"),
    ({"cashout_multiplier": Decimal("5.00")}, "cashout_multiplier"),
    ({"round_outcome": "LOSS", "profit_loss": Decimal("-10")}, "cashout_multiplier"),
    ({"ocr_confidence": 1.5}, "ocr_confidence"),
    ({"metadata": {"t": datetime.now(UTC)}}, "metadata"),
    ({"metadata": {"ocr": "1.5\x00x"}}, "metadata"),  # jsonb cannot store NUL
    ({"ocr_text": "x" * 1000}, "ocr_text"),
    ({"round_start_timestamp": datetime(2026, 1, 1)}, "round_start_timestamp"),
    ({"stake_value": Decimal("10.12345")}, "stake_value"),
]


@pytest.mark.parametrize(("over", "field"), BAD_INPUTS)
def test_bad_input_writes_nothing_and_names_the_field(
    db: Database, over: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidRecord) as exc:
        log_crash_round(**round_kw(**over))
    assert field in exc.value.fields
    assert field in str(exc.value)
    with pytest.raises(InvalidRecord):
        log_batch_rounds([*batch(3), round_kw(**over)])
    assert counts(db) == dict.fromkeys(TABLES, 0)


def test_bad_analytics_write_nothing(db: Database) -> None:
    rid = log_crash_round(**round_kw())
    before = counts(db)
    with pytest.raises(InvalidRecord, match="confidence_score"):
        log_round_signal(round_id=rid, signal_type="s", confidence_score=-0.2)
    with pytest.raises(InvalidRecord, match="multiplier"):
        log_round_multiplier_analytics(round_id=rid, multiplier=Decimal("0.2"))
    with pytest.raises(InvalidRecord, match="feature_vector"):
        log_round_signal(round_id=rid, signal_type="s", feature_vector={"f": object()})
    assert counts(db) == before


_amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    stake=_amounts,
    crash=st.decimals(min_value=Decimal("1.00"), max_value=Decimal("100000"), places=2),
    balance=_amounts,
    confidence=st.none() | st.decimals(min_value=0, max_value=1, places=4),
    win=st.booleans(),
    n=st.integers(0, 2**63 - 1),
)
def test_property_valid_in_stored_out_exactly(
    db: Database,
    stake: Decimal,
    crash: Decimal,
    balance: Decimal,
    confidence: Decimal | None,
    win: bool,
    n: int,
) -> None:
    kw = round_kw(
        n,
        bot_id=f"prop_{uuid.uuid4().hex[:8]}",
        stake_value=stake,
        crash_multiplier=crash,
        cashout_multiplier=crash if win else None,
        round_outcome="WIN" if win else "LOSS",
        profit_loss=None,
        running_balance_before=stake + balance,
        running_balance_after=None,
        ocr_confidence=confidence,
    )
    rec = build_round(**kw)
    rid = log_crash_round(**kw)
    with db.session_scope() as s:
        row = s.get(CrashGameRound, rid)
        assert row is not None
        for name in type(rec).model_fields:
            if name in ("kind", "id", "defaulted"):
                continue
            if name == "round_start_timestamp":
                continue  # defaulted to "now" separately for the two builds
            assert getattr(row, name) == getattr(rec, name), name


def test_routed_to_the_writer_when_configured(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import crashdb.api as ingest
    import crashdb.writer.default as writer_module

    monkeypatch.setenv("CRASHDB_USE_WRITER", "true")
    monkeypatch.setenv("CRASHDB_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setattr(ingest, "_writer_flag", (0.0, False))
    try:
        assert writer_module._default_writer is None
        rid = log_crash_round(**round_kw(42, bot_id="routed_bot"))
        assert writer_module._default_writer is not None  # the call went to the writer
    finally:
        writer_module.close_default_writer()
        monkeypatch.setattr(ingest, "_writer_flag", (0.0, False))
    with db.session_scope() as s:
        row = s.get(CrashGameRound, rid)
        assert row is not None and row.bot_id == "routed_bot"


def test_large_batch_off_the_fast_path_is_stored_and_idempotent(db: Database) -> None:
    """Rows the column-wise checks do not take (lower-case outcomes, numbers as text) go
    row by row, still through COPY on PostgreSQL, with the same results."""
    rows = [dict(r, round_outcome="win", stake_value="10.00") for r in batch(400)]
    ids = log_batch_rounds(rows)
    extra = [dict(r, round_outcome="win") for r in batch(410)[400:]]
    again = log_batch_rounds(rows[:250] + extra)  # overlaps: staging-table path
    assert again[:250] == ids[:250]
    assert again[250:] == [round_uuid("batch_bot", "batch_session", n, 1) for n in range(401, 411)]
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(CrashGameRound)) == 410
        assert s.scalars(select(SessionLog.total_rounds)).one() == 410
        row = s.get(CrashGameRound, ids[0])
        assert row is not None and row.round_outcome == "WIN" and row.profit_loss == Decimal("3.3")


def test_interleaved_writer_batch_is_grouped_and_keeps_order(db: Database) -> None:
    records: list[Any] = []
    for n in range(1, 4):
        rnd = build_round(**round_kw(n, bot_id="mix_bot"))
        records += [
            rnd,
            build_multiplier(round_id=rnd.id, multiplier="2.45", is_crash=True),
            build_outcome(round_id=rnd.id, outcome="WIN", profit_loss="3.3"),
        ]
    records.append(build_session_update(rnd.session_id, bot_id="mix_bot", final_balance=7))
    records.append(build_round(**round_kw(4, bot_id="mix_bot")))  # after the update
    result = write_records(db, records)
    assert result.inserted == {"round": 4, "multiplier": 3, "outcome": 3}
    assert result.sessions_updated == 1
    with db.session_scope() as s:
        sess = s.scalars(select(SessionLog)).one()
        assert sess.final_balance == Decimal("7") and sess.total_rounds == 4
        # The round logged after the update moved the balance on again.
        assert sess.current_balance == Decimal("1003.30")
    bad = [
        build_round(**round_kw(9, bot_id="mix_bot")),
        build_outcome(round_id=uuid.uuid4(), outcome="WIN", profit_loss="1", bot_id="mix_bot"),
        build_round(**round_kw(10, bot_id="mix_bot")),
    ]
    with pytest.raises(InvalidRecord) as exc:
        write_records(db, bad)
    assert [(e.row, e.field) for e in exc.value.errors] == [(1, "round_id")]
    assert counts(db)["crash_game_rounds"] == 4
