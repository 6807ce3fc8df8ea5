"""Records: validation, derivations, ids and the JSON round trip (no database needed)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crashdb import InvalidRecord
from crashdb.db.models import CrashGameRound
from crashdb.ingest import (
    build_error,
    build_multiplier,
    build_ocr,
    build_outcome,
    build_round,
    build_session_start,
    build_session_update,
    build_signal,
    record_from_json,
    record_to_json,
    round_uuid,
)
from crashdb.ingest.columnar import Slow, columnar_rounds, columnar_rows
from crashdb.ingest.rounds import validate_round_rows
from crashdb.ingest.tables import round_row


def win(**over: Any) -> dict[str, Any]:
    kw: dict[str, Any] = {
        "bot_id": "bot_1",
        "session_id": "s1",
        "game_name": "aviator",
        "platform_code": "dafabet",
        "round_number": 1,
        "stake_value": Decimal("10.00"),
        "crash_multiplier": Decimal("2.45"),
        "cashout_multiplier": Decimal("1.33"),
        "round_outcome": "WIN",
    }
    kw.update(over)
    return kw


def errors_of(exc: pytest.ExceptionInfo[InvalidRecord]) -> dict[str, str]:
    return {e.field: e.reason for e in exc.value.errors}


def test_profit_balance_and_roi_are_derived() -> None:
    rec = build_round(**win(running_balance_before=Decimal("1000.00")))
    assert rec.profit_loss == Decimal("3.30")
    assert rec.running_balance_after == Decimal("1003.30")
    assert rec.roi_percent == Decimal("33.0000")
    loss = build_round(**win(round_number=2, cashout_multiplier=None, round_outcome="LOSS"))
    assert loss.profit_loss == Decimal("-10") and loss.roi_percent == Decimal("-100")
    skip = build_round(**win(round_number=3, cashout_multiplier=None, round_outcome="SKIP"))
    assert skip.profit_loss == 0


def test_guide_style_profit_is_accepted_and_a_wrong_one_is_not() -> None:
    stake, target = Decimal("10.00"), Decimal("1.33")
    rec = build_round(**win(profit_loss=(target - 1) * stake, roi_percent=Decimal("33")))
    assert rec.profit_loss == Decimal("3.3")
    with pytest.raises(InvalidRecord) as exc:
        build_round(**win(profit_loss=Decimal("3.31")))
    assert "profit_loss" in errors_of(exc)
    with pytest.raises(InvalidRecord) as exc:
        build_round(
            **win(running_balance_before=Decimal("100"), running_balance_after=Decimal("104"))
        )
    assert "running_balance_after" in errors_of(exc)
    with pytest.raises(InvalidRecord) as exc:
        build_round(**win(roi_percent=Decimal("34")))
    assert "roi_percent" in errors_of(exc)


@pytest.mark.parametrize(
    ("over", "field", "reason"),
    [
        ({"crash_multiplier": Decimal("0.99")}, "crash_multiplier", ">= 1.00"),
        ({"crash_multiplier": float("nan")}, "crash_multiplier", "finite"),
        ({"stake_value": float("inf")}, "stake_value", "finite"),
        ({"stake_value": Decimal("-1")}, "stake_value", ">= 0"),
        ({"round_outcome": "MAYBE"}, "round_outcome", "unknown outcome"),
        ({"cashout_multiplier": Decimal("3.00")}, "cashout_multiplier", "above the crash point"),
        ({"round_outcome": "LOSS"}, "cashout_multiplier", "a LOSS has no cash-out"),
        ({"ocr_confidence": 1.01}, "ocr_confidence", "<= 1"),
        ({"ocr_confidence": -0.1}, "ocr_confidence", ">= 0"),
        ({"metadata": {"when": object()}}, "metadata", "not JSON-serializable"),
        ({"metadata": {"x": float("nan")}}, "metadata", "not JSON-serializable"),
        ({"bot_id": "b" * 65}, "bot_id", "64 characters"),
        ({"ocr_text": "x" * 257}, "ocr_text", "256 characters"),
        ({"round_start_timestamp": datetime(2026, 1, 1)}, "round_start_timestamp", "naive"),
        ({"stake_value": Decimal("10.00001")}, "stake_value", "4 decimal places"),
        ({"cashout_multiplier": Decimal("1.333")}, "cashout_multiplier", "2 decimal places"),
        ({"round_number": True}, "round_number", "integer"),
        ({"round_number": 2**63}, "round_number", "between 0 and 9223372036854775807"),
        ({"bogus": 1}, "bogus", "unknown field"),
        ({"bot_id": None}, "bot_id", "required"),
    ],
)
def test_bad_round_names_field_and_reason(over: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(InvalidRecord) as exc:
        build_round(**win(**over))
    assert isinstance(exc.value, ValueError)
    errs = errors_of(exc)
    assert field in errs, errs
    assert reason in errs[field]
    assert field in str(exc.value)


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(InvalidRecord) as exc:
        build_round(**win(stake_value=-5, ocr_confidence=2, bot_id="b" * 100))
    assert {"stake_value", "ocr_confidence", "bot_id"} <= set(errors_of(exc))


def test_numbers_arrive_as_decimal_int_float_or_str() -> None:
    a = build_round(**win(stake_value=10, crash_multiplier="2.45", cashout_multiplier=1.33))
    b = build_round(**win(stake_value=Decimal("10"), crash_multiplier=2.45))
    assert a.stake_value == b.stake_value == Decimal("10.0000")
    assert a.cashout_multiplier == Decimal("1.33")  # float via str(), not 1.3300000000000000710
    assert a.crash_multiplier == b.crash_multiplier == Decimal("2.45")


def test_round_ids_are_the_natural_key() -> None:
    a = build_round(**win())
    assert a.id == build_round(**win(stake_value=Decimal("20"))).id
    assert a.id == round_uuid("bot_1", "s1", 1, 1)
    assert a.id != build_round(**win(bet_slot=2)).id
    assert a.id.version == 5


def test_defaults() -> None:
    before = datetime.now(UTC)
    rec = build_round(**win())
    assert rec.bet_slot == 1
    assert before <= rec.round_start_timestamp <= datetime.now(UTC)
    assert rec.strategy_name is None  # filled from the bot's registration when written
    other_tz = timezone(timedelta(hours=3))
    rec = build_round(**win(round_start_timestamp=datetime(2026, 1, 1, 3, tzinfo=other_tz)))
    assert rec.round_start_timestamp == datetime(2026, 1, 1, tzinfo=UTC)
    assert rec.round_start_timestamp.utcoffset() == timedelta(0)


def test_analytics_leave_what_the_round_knows_to_the_write_path() -> None:
    """A builder never reads the database: identity, time and an outcome's result stay empty
    for the write path to take from the round (and check), whichever entry point built it."""
    rnd = build_round(**win(bot_id="ctx_bot", round_number=77))
    mult = build_multiplier(round_id=str(rnd.id), multiplier=Decimal("2.45"), is_crash=True)
    assert (mult.bot_id, mult.round_number, mult.timestamp) == (None, None, None)
    assert mult.multiplier_kind == "crash"
    again = build_multiplier(round_id=rnd.id, multiplier=Decimal("2.45"), is_crash=True)
    assert again.id == mult.id
    out = build_outcome(round_id=rnd.id)
    assert (out.outcome, out.profit_loss, out.bet_amount, out.roi_percent) == (None,) * 4
    sig = build_signal(round_id=rnd.id, signal_type="early", target_multiplier=Decimal("1.5"))
    assert sig.id == build_signal(round_id=rnd.id, signal_type="early").id
    with pytest.raises(InvalidRecord) as exc:
        build_signal(round_id=rnd.id, signal_type="x", confidence_score=1.5)
    assert "confidence_score" in errors_of(exc)
    with pytest.raises(InvalidRecord) as exc:
        build_multiplier(multiplier=Decimal("2"))
    assert "round_id" in errors_of(exc)
    with pytest.raises(InvalidRecord) as exc:
        build_multiplier(round_id=rnd.id, multiplier=Decimal("2"), date_bucket="2026-01-01")
    assert errors_of(exc) == {"date_bucket": "is derived, not set"}


def test_support_and_session_records() -> None:
    err = build_error(error_type="ocr_failure", error_message="no digits")
    assert err.id != build_error(error_type="ocr_failure", error_message="no digits").id
    ocr = build_ocr(raw_ocr_text="2.45x", cleaned_value="2.45", confidence=0.9)
    assert ocr.cleaned_value == Decimal("2.45")
    start = build_session_start(bot_id="b", session_id="s", initial_balance="500")
    assert start.status == "active" and start.initial_balance == Decimal("500")
    upd = build_session_update("s", final_balance=Decimal("510.5"), status="completed")
    assert upd.end_timestamp is not None and upd.bot_id is None
    with pytest.raises(InvalidRecord) as exc:
        build_session_update("s", final_balance=Decimal("-1"))
    assert "final_balance" in errors_of(exc)


def test_json_round_trip_of_every_kind() -> None:
    rnd = build_round(**win(metadata={"a": [1, 2.5, None], "b": {"c": True}}, ocr_text="2.45x"))
    records = [
        rnd,
        build_multiplier(round_id=rnd.id, multiplier="2.45", is_crash=True),
        build_signal(round_id=rnd.id, signal_type="t", feature_vector=[0.1, 0.2]),
        build_outcome(round_id=rnd.id, outcome="WIN", profit_loss="3.3"),
        build_error(error_type="e", context={"k": 1}),
        build_ocr(raw_ocr_text="x", confidence=0.5),
        build_session_start(bot_id="b", session_id="s"),
        build_session_update("s", status="completed"),
    ]
    for rec in records:
        data = record_to_json(rec)
        text = json.dumps(data)  # JSON-safe
        back = record_from_json(json.loads(text))
        assert back == rec
        assert type(back) is type(rec)
        assert record_to_json(back) == data


# --------------------------------------------------------------------------- properties

_money = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2, allow_nan=False
)
_mult = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("1000"), places=2)
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=20,
)


# Identifiers: no control or format characters, not blank, no surrounding whitespace.
_ident = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() == s and bool(s))


@st.composite
def valid_rounds(draw: st.DrawFn) -> dict[str, Any]:
    stake = draw(_money)
    crash = draw(_mult)
    outcome = draw(st.sampled_from(["WIN", "LOSS", "SKIP", "ERROR"]))
    kw: dict[str, Any] = {
        "bot_id": draw(_ident),
        "session_id": draw(_ident),
        "game_name": draw(st.sampled_from(["aviator", "jetx", "aviatrix"])),
        "round_number": draw(st.integers(0, 2**63 - 1)),
        "bet_slot": draw(st.integers(1, 2)),
        "stake_value": draw(st.sampled_from([stake, str(stake), float(stake)])),
        "crash_multiplier": crash,
        "round_outcome": outcome,
        "round_start_timestamp": draw(
            st.datetimes(
                min_value=datetime(2000, 1, 1),
                max_value=datetime(2100, 1, 1),
                timezones=st.just(UTC),
            )
        ),
        "running_balance_before": stake + draw(_money),  # a bot cannot stake what it lacks
        "ocr_confidence": draw(st.none() | st.floats(0, 1)),
        "metadata": draw(
            st.none()
            | st.dictionaries(
                _text, st.none() | st.booleans() | st.integers(-(2**31), 2**31) | _text
            )
        ),
    }
    if outcome == "WIN":
        kw["cashout_multiplier"] = draw(
            st.decimals(min_value=Decimal("1.00"), max_value=crash, places=2)
        )
    return kw


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(valid_rounds())
def test_property_json_round_trip_is_exact(kw: dict[str, Any]) -> None:
    rec = build_round(**kw)
    back = record_from_json(json.loads(json.dumps(record_to_json(rec))))
    assert back == rec
    for name in ("stake_value", "profit_loss", "running_balance_after", "roi_percent"):
        assert str(getattr(back, name)) == str(getattr(rec, name))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(valid_rounds(), min_size=1, max_size=5))
def test_property_fast_batch_path_equals_row_by_row(rows: list[dict[str, Any]]) -> None:
    """The column-wise fast path either declines or builds exactly the row-by-row records."""
    slow = validate_round_rows(rows)
    try:
        fast = columnar_rounds(rows)
    except Slow:
        return
    assert [record_to_json(r) for r in fast] == [record_to_json(r) for r in slow]
    # The bulk path's rows, straight from the columns: the records' values, exactly (repr
    # tells Decimal("1.5") from Decimal("1.50"))
    assert repr(columnar_rows(rows)) == repr([round_row(r) for r in slow])


_json_scalar = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
)  # lone surrogates, NUL, NaN, infinities and huge integers included
_metadata = st.dictionaries(
    st.text(max_size=6) | st.integers(),
    st.recursive(
        _json_scalar,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=6,
    ),
    max_size=4,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_metadata, min_size=1, max_size=4))
def test_property_metadata_fast_path_agrees_with_the_row_path(metas: list[Any]) -> None:
    """Whatever the metadata, the column-wise path declines what the row path refuses, and
    otherwise declines or builds the same records, holding copies, not the caller's dicts."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        win(round_number=i, metadata=m, round_start_timestamp=start) for i, m in enumerate(metas)
    ]
    try:
        slow = validate_round_rows(rows)
    except InvalidRecord:
        with pytest.raises(Slow):
            columnar_rounds(rows)
        return
    try:
        fast = columnar_rounds(rows)
    except Slow:
        return
    assert [record_to_json(r) for r in fast] == [record_to_json(r) for r in slow]
    for rec, meta in zip(fast, metas, strict=True):
        assert rec.round_metadata is not meta


class _MetadataMapping(dict[Any, Any]):
    """A dict that is not a plain dict: :func:`build_round` takes it through the JSON round
    trip, never the copy reserved for flat plain dicts."""


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_metadata)
def test_property_metadata_is_stored_as_its_json_round_trip(meta: dict[Any, Any]) -> None:
    """A round's metadata is stored as what a JSON round trip of it gives (the copy a flat
    dict gets is equal to that, value types included), or refused with the same reason."""
    outcomes = []
    for given_meta in (meta, _MetadataMapping(meta)):
        try:
            stored = build_round(**win(metadata=given_meta)).round_metadata
        except InvalidRecord as exc:
            assert [e.field for e in exc.errors] == ["metadata"]
            outcomes.append(("refused", exc.errors[0].reason))
        else:
            assert stored is not given_meta
            outcomes.append(("stored", json.dumps(stored, ensure_ascii=False)))
    assert outcomes[0] == outcomes[1]
    if outcomes[0][0] == "stored":
        expected = json.loads(json.dumps(meta, allow_nan=False, ensure_ascii=False))
        assert outcomes[0][1] == json.dumps(expected, ensure_ascii=False)


def test_string_limits_come_from_the_model() -> None:
    column = CrashGameRound.__table__.c.vm_name
    limit = column.type.length
    assert isinstance(limit, int)
    build_round(**win(vm_name="v" * limit))
    with pytest.raises(InvalidRecord, match="vm_name"):
        build_round(**win(vm_name="v" * (limit + 1)))


def test_round_id_accepts_text() -> None:
    rnd = build_round(**win(round_number=5))
    assert build_multiplier(round_id=str(rnd.id), multiplier=2).round_id == rnd.id
    with pytest.raises(InvalidRecord, match="round_id"):
        build_multiplier(round_id="not-a-uuid", multiplier=2)
    assert isinstance(rnd.id, uuid.UUID)
