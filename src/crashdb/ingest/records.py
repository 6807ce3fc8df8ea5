"""The typed records every entry point builds (:mod:`crashdb.ingest.validate`) and the write
path stores (:mod:`crashdb.ingest.store`).

Each kind of thing a bot logs has a pydantic model with a ``kind`` discriminator and its final
primary key ``id``, computed client side, so ``log_crash_round`` can return the id before any
database round trip and a replay lands on the same row:

=====================  ====================  ==============================================
record                 kind                  id
=====================  ====================  ==============================================
RoundRecord            ``"round"``           uuid5 of (bot, session, round_number, bet_slot)
MultiplierRecord       ``"multiplier"``      uuid5 of (round_id, multiplier_kind)
SignalRecord           ``"signal"``          uuid5 of (round_id, signal_type)
OutcomeRecord          ``"outcome"``         uuid5 of round_id
ErrorRecord            ``"error"``           uuid4 at build time
OCRRecord              ``"ocr"``             uuid4 at build time
SessionStartRecord     ``"session_start"``   uuid5 of (bot, session)
SessionUpdateRecord    ``"session_update"``  uuid4 at build time
=====================  ====================  ==============================================

A record holds what the caller gave plus what can be derived from it alone (a round's profit,
ROI and balance after). What depends on other rows is completed by the write path: analytics
records that name a round take its bot, session, game, round number and time (and an outcome
its result, stake and strategy); date and hour buckets are derived from the final time.
``defaulted`` names the fields the builder filled with the time of the call: a re-log of the
same key is not a conflict because of them.

:func:`record_to_json` / :func:`record_from_json` round-trip a record exactly (the spool and
HTTP format).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from hashlib import sha1
from itertools import repeat
from typing import Annotated, Any, Literal, TypeVar, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "ErrorRecord",
    "MultiplierRecord",
    "OCRRecord",
    "OutcomeRecord",
    "Record",
    "RoundRecord",
    "SessionStartRecord",
    "SessionUpdateRecord",
    "SignalRecord",
    "construct",
    "construct_columns",
    "record_from_json",
    "record_to_json",
    "round_uuid",
]

# Fixed namespace of crashdb's deterministic ids (never change it: ids are stored).
CRASHDB_NAMESPACE = uuid.UUID("6f1c1a52-2d0e-5b8e-9a53-6c6b0f3c2a11")
_NS_BYTES = CRASHDB_NAMESPACE.bytes
_CLEAR_VERSION = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UNKNOWN_SAFETY = uuid.SafeUUID.unknown
_SET_VERSION_5 = (5 << 76) | (0x8000 << 48)


def round_uuid(bot_id: str, session_id: str, round_number: int, bet_slot: int = 1) -> uuid.UUID:
    """The id of a round, derived from its natural key (the idempotency key)."""
    digest = sha1(
        _NS_BYTES + f"round\x1f{bot_id}\x1f{session_id}\x1f{round_number}\x1f{bet_slot}".encode()
    ).digest()
    # == uuid.uuid5(CRASHDB_NAMESPACE, ...), without UUID.__init__'s checks (hot in bulk loads)
    value = (int.from_bytes(digest[:16]) & _CLEAR_VERSION) | _SET_VERSION_5
    rid = object.__new__(uuid.UUID)
    object.__setattr__(rid, "int", value)
    object.__setattr__(rid, "is_safe", _UNKNOWN_SAFETY)
    return rid


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UTCStamp = Annotated[datetime, AfterValidator(_utc)]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID
    defaulted: frozenset[str] = frozenset()


class RoundRecord(_Record):
    """One row of ``crash_game_rounds``. ``strategy_name=None`` defaults from the bot."""

    kind: Literal["round"] = "round"
    bot_id: str
    session_id: str
    vm_name: str | None = None
    vm_provider: str | None = None
    vm_region: str | None = None
    bot_version: str | None = None
    game_name: str
    game_provider: str | None = None
    platform_code: str | None = None
    round_external_id: str | None = None
    currency: str | None = None
    round_number: int
    bet_slot: int = 1
    round_start_timestamp: UTCStamp
    round_end_timestamp: UTCStamp | None = None
    round_duration_ms: int | None = None
    stake_value: Decimal
    target_multiplier: Decimal | None = None
    strategy_name: str | None = None
    strategy_step: int | None = None
    base_stake: Decimal | None = None
    auto_cashout: bool | None = None
    is_simulated: bool = False
    crash_multiplier: Decimal | None = None
    cashout_multiplier: Decimal | None = None
    max_multiplier_seen: Decimal | None = None
    previous_crash_multiplier: Decimal | None = None
    profit_loss: Decimal
    payout_amount: Decimal | None = None
    roi_percent: Decimal | None = None
    running_balance_before: Decimal | None = None
    running_balance_after: Decimal | None = None
    session_profit: Decimal | None = None
    fee_amount: Decimal | None = None
    ocr_text: str | None = None
    ocr_confidence: Decimal | None = None
    ocr_engine: str | None = None
    detection_method: str | None = None
    detection_latency_ms: int | None = None
    screenshot_path: str | None = None
    round_outcome: Literal["WIN", "LOSS", "SKIP", "ERROR"]
    error_type: str | None = None
    error_description: str | None = None
    retry_count: int = 0
    is_valid: bool = True
    round_metadata: dict[str, Any] | None = None


class _AnalyticsRecord(_Record):
    round_id: uuid.UUID
    round_number: int | None = None
    bot_id: str | None = None
    session_id: str | None = None
    game_name: str | None = None
    platform_code: str | None = None
    timestamp: UTCStamp | None = None


class MultiplierRecord(_AnalyticsRecord):
    """One row of ``analytics_round_multipliers``."""

    kind: Literal["multiplier"] = "multiplier"
    multiplier: Decimal
    multiplier_kind: str
    is_crash: bool = False
    is_cashout: bool = False
    is_max: bool = False
    ocr_confidence: Decimal | None = None
    data_quality_score: Decimal | None = None


class SignalRecord(_AnalyticsRecord):
    """One row of ``analytics_round_signals`` (``round_id`` may be unknown for a signal)."""

    kind: Literal["signal"] = "signal"
    round_id: uuid.UUID | None = None  # type: ignore[assignment]
    signal_type: str
    confidence_score: Decimal | None = None
    signal_strength: Decimal | None = None
    target_multiplier: Decimal | None = None
    time_to_crash_ms: int | None = None
    volatility: Decimal | None = None
    momentum: Decimal | None = None
    pattern_match_type: str | None = None
    similar_rounds: int | None = None
    feature_vector: dict[str, Any] | list[Any] | None = None
    actual_multiplier: Decimal | None = None
    signal_correctness: bool | None = None
    prediction_error: Decimal | None = None


class OutcomeRecord(_AnalyticsRecord):
    """One row of ``analytics_round_outcomes``."""

    kind: Literal["outcome"] = "outcome"
    strategy_name: str | None = None
    outcome: Literal["WIN", "LOSS", "SKIP", "ERROR"] | None = None
    profit_loss: Decimal | None = None
    roi_percent: Decimal | None = None
    bet_amount: Decimal | None = None
    winnings: Decimal | None = None
    loss_amount: Decimal | None = None
    target_multiplier: Decimal | None = None
    actual_multiplier: Decimal | None = None
    hit_target: bool | None = None
    win_streak: int | None = None
    loss_streak: int | None = None
    outcome_category: str | None = None
    duration_seconds: Decimal | None = None


class _SupportRecord(_Record):
    bot_id: str | None = None
    session_id: str | None = None
    round_number: int | None = None
    round_id: uuid.UUID | None = None
    timestamp: UTCStamp


class ErrorRecord(_SupportRecord):
    """One row of ``error_logs``."""

    kind: Literal["error"] = "error"
    error_type: str
    error_message: str | None = None
    error_trace: str | None = None
    severity: str = "error"
    recovery_action: str | None = None
    resolved: bool = False
    context: dict[str, Any] | None = None


class OCRRecord(_SupportRecord):
    """One row of ``ocr_validation_logs``."""

    kind: Literal["ocr"] = "ocr"
    raw_ocr_text: str | None = None
    cleaned_value: Decimal | None = None
    expected_value: Decimal | None = None
    confidence: Decimal | None = None
    validation_status: str
    ocr_engine: str | None = None
    screenshot_path: str | None = None
    processing_time_ms: int | None = None


class SessionStartRecord(_Record):
    """Creates a session (or completes an auto-registered one)."""

    kind: Literal["session_start"] = "session_start"
    bot_id: str
    session_id: str
    game_name: str | None = None
    platform_code: str | None = None
    strategy_name: str | None = None
    status: str = "active"
    start_timestamp: UTCStamp
    initial_balance: Decimal | None = None
    notes: str | None = None
    session_metadata: dict[str, Any] | None = None


class SessionUpdateRecord(_Record):
    """Updates every session named ``session_id`` (of ``bot_id`` when given)."""

    kind: Literal["session_update"] = "session_update"
    session_id: str
    bot_id: str | None = None
    final_balance: Decimal | None = None
    status: str | None = None
    notes: str | None = None
    end_timestamp: UTCStamp | None = None
    session_metadata: dict[str, Any] | None = None


Record = Annotated[
    RoundRecord
    | MultiplierRecord
    | SignalRecord
    | OutcomeRecord
    | ErrorRecord
    | OCRRecord
    | SessionStartRecord
    | SessionUpdateRecord,
    Field(discriminator="kind"),
]

_RECORD_ADAPTER: TypeAdapter[Record] = TypeAdapter(Record)


def record_to_json(record: Record) -> dict[str, Any]:
    """A JSON-safe dict (Decimals and UUIDs as strings, timestamps as ISO 8601 UTC)."""
    return record.model_dump(mode="json")


def record_from_json(data: dict[str, Any]) -> Record:
    """The record :func:`record_to_json` produced (equal to the original)."""
    return _RECORD_ADAPTER.validate_python(data)


# --------------------------------------------------------------------------- fast construction

M = TypeVar("M", bound=_Record)
_IMMUTABLE = (type(None), bool, int, str, Decimal, frozenset)
_MISSING: Any = object()
# class -> (every field in declaration order with its default or _MISSING, required fields)
_TEMPLATES: dict[type[_Record], tuple[dict[str, Any], frozenset[str]] | None] = {}
_FIELDS_SETS: dict[tuple[str, ...], set[str]] = {}


def _template(cls: type[_Record]) -> tuple[dict[str, Any], frozenset[str]] | None:
    if cls in _TEMPLATES:
        return _TEMPLATES[cls]
    fields = cls.__pydantic_fields__
    plain = not cls.__pydantic_post_init__ and all(
        f.is_required() or (f.default_factory is None and isinstance(f.default, _IMMUTABLE))
        for f in fields.values()
    )
    tpl = None
    if plain:
        values = {n: _MISSING if f.is_required() else f.default for n, f in fields.items()}
        tpl = (values, frozenset(n for n, f in fields.items() if f.is_required()))
    _TEMPLATES[cls] = tpl
    return tpl


def construct(cls: type[M], **values: Any) -> M:
    """``cls.model_construct(**values)`` for already validated values, without its per-field
    Python loop (it costs the bot loop ~12 us per round): the same ``__dict__`` (fields in
    declaration order, defaults filled in) and fields-set. Falls back to ``model_construct``
    when a required field is missing or a name is not a field."""
    tpl = _template(cls)
    if tpl is None:
        return cast(M, cls.model_construct(**values))
    template, required = tpl
    keys = values.keys()
    if not (required <= keys and keys <= template.keys()):
        return cast(M, cls.model_construct(**values))
    data = template.copy()
    data.update(values)
    # Records are frozen, so their fields-set is never changed in place (``model_copy`` copies
    # it): records built from the same keys share one set, one object less per record.
    names = tuple(keys)
    fields_set = _FIELDS_SETS.get(names)
    if fields_set is None:
        fields_set = set(names)
        if len(_FIELDS_SETS) < 1024:
            _FIELDS_SETS[names] = fields_set
    m = cls.__new__(cls)
    object.__setattr__(m, "__dict__", data)
    object.__setattr__(m, "__pydantic_fields_set__", fields_set)
    object.__setattr__(m, "__pydantic_extra__", None)
    object.__setattr__(m, "__pydantic_private__", None)
    return m


def construct_columns(cls: type[M], columns: dict[str, list[Any]], n: int) -> list[M]:
    """``[construct(cls, **row) for row in rows]`` for ``n`` rows given as ``columns`` (every
    row has the same fields): the field checks and the fields-set are done once for all rows,
    and each row costs one dict."""
    tpl = _template(cls)
    keys = columns.keys()
    if tpl is None or not (tpl[1] <= keys and keys <= tpl[0].keys()):
        names = tuple(columns)
        return [
            construct(cls, **dict(zip(names, row, strict=True)))
            for row in zip(*columns.values(), strict=True)
        ]
    template = tpl[0]
    fields_set = set(columns)
    order = tuple(template)
    full = [columns[f] if f in columns else repeat(template[f], n) for f in order]
    out = []
    new = cls.__new__
    setattr_ = object.__setattr__
    for row in zip(*full, strict=False):  # the defaults repeat without end
        m = new(cls)
        setattr_(m, "__dict__", dict(zip(order, row, strict=True)))
        setattr_(m, "__pydantic_fields_set__", fields_set)
        setattr_(m, "__pydantic_extra__", None)
        setattr_(m, "__pydantic_private__", None)
        out.append(m)
    return out
