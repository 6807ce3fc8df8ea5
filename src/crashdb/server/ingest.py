"""``POST /api/v1/records``: a JSON array of records into the one write path.

1. parse: a JSON array (numbers kept exact as Decimals) of objects with a ``kind``;
2. build: each object through :func:`crashdb.ingest.validate.build_record` (the same
   validation as the ``log_*`` functions; errors carry ``row`` = the index in the array).
   An ``id`` may come with a record: for kinds whose id is derived from the record's key it
   must be that id; for error, OCR and session-update records (ids drawn at random when
   logged) it is the client's idempotency key, so that a retried request stores nothing
   twice;
3. authorise: a bot token writes only records of its bot, including records that name a
   round of another bot (checked by reading the rounds' owners: a round's id is derived from
   its bot, so that owner never changes). A forbidden request is 403 whatever else is wrong
   with it;
4. write: :func:`crashdb.ingest.store.write_records`, one transaction per request. The
   :class:`GroupCommitter` puts the requests that arrive while a transaction runs into the
   next one (one commit for many requests); when such a group is refused, each request is
   written on its own, so one bad request cannot fail the others.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import Future
from decimal import Decimal
from queue import Empty, SimpleQueue
from typing import Any

from sqlalchemy import select

from crashdb.db.engine import Database
from crashdb.exceptions import FieldError, InvalidRecord
from crashdb.ingest.records import Record, RoundRecord
from crashdb.ingest.registry import WriteResult
from crashdb.ingest.store import write_records
from crashdb.ingest.tables import ROUNDS
from crashdb.ingest.validate import build_record
from crashdb.ingest.values import BadValue, to_uuid
from crashdb.server.auth import Principal

__all__ = ["Forbidden", "GroupCommitter", "build_request", "parse_records", "round_owners"]

log = logging.getLogger("crashdb.server")


class Forbidden(Exception):
    """A bot token tried to write another bot's records (403)."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def _bad(field: str, reason: str, row: int | None = None) -> InvalidRecord:
    return InvalidRecord([FieldError(field, reason, row)], "request")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def parse_records(body: bytes, max_records: int) -> list[dict[str, Any]]:
    """The request body as a list of objects, or InvalidRecord."""
    try:
        data = json.loads(body, parse_float=Decimal, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "not JSON"
        raise _bad("body", f"not a JSON document: {reason[:200]}") from None
    if not isinstance(data, list):
        raise _bad("body", f"expected a JSON array of records, got {type(data).__name__}")
    if not data:
        raise _bad("body", "no records")
    if len(data) > max_records:
        raise _bad("body", f"{len(data)} records: at most {max_records} per request")
    errors = [
        FieldError("row", f"expected an object, got {type(item).__name__}", i)
        for i, item in enumerate(data)
        if not isinstance(item, dict)
    ]
    if errors:
        raise InvalidRecord(errors, "request")
    try:
        for item in data:
            for key, value in item.items():
                if isinstance(value, dict | list):
                    item[key] = _json_floats(value)
    except RecursionError:
        raise _bad("body", "nested too deeply") from None
    return data


def _json_floats(value: Any) -> Any:
    """Numbers inside JSON objects (metadata, feature vectors) as ``json.loads`` gives them
    to a library caller: only top-level fields are read as exact Decimals."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _json_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_floats(v) for v in value]
    return value


def _given_id(item: dict[str, Any], row: int, errors: list[FieldError]) -> uuid.UUID | None:
    raw = item.pop("id", None)
    if raw is None:
        return None
    try:
        return to_uuid(raw)
    except BadValue as exc:
        errors.append(FieldError("id", str(exc), row))
        return None


_TIMES = frozenset({"round_start_timestamp", "timestamp", "start_timestamp"})


def _defaulted(raw: Any, row: int, errors: list[FieldError]) -> frozenset[str]:
    """The time fields a remote writer filled with the time of the call (not compared when
    the same key is logged again, as for a local writer)."""
    if raw is None:
        return frozenset()
    if not isinstance(raw, list) or not all(isinstance(x, str) and x in _TIMES for x in raw):
        errors.append(FieldError("defaulted", f"expected a list of {sorted(_TIMES)}", row))
        return frozenset()
    return frozenset(raw)


def build_request(db: Database, items: list[dict[str, Any]], principal: Principal) -> list[Record]:
    """Validate and authorise every object of a request.

    Raises :class:`Forbidden` when a bot token's objects name another bot or another bot's
    round (checked on what the objects say, whatever else is wrong with them, so that the
    answer does not depend on what a server process happens to remember), else
    InvalidRecord naming every bad row and field."""
    own = principal.bot_id if principal.role == "bot" else None
    denied: list[FieldError] = []
    named: dict[uuid.UUID, list[int]] = {}
    if own is not None:
        for row, item in enumerate(items):
            bot = item.get("bot_id")
            if bot is not None and bot != own:
                denied.append(FieldError("bot_id", f"this token writes only bot {own!r}", row))
            try:
                rid = to_uuid(item["round_id"]) if item.get("round_id") is not None else None
            except BadValue:
                rid = None  # reported by the builder
            if rid is not None:
                named.setdefault(rid, []).append(row)
    records: list[Record] = []
    errors: list[FieldError] = []
    for row, item in enumerate(items):
        fields = dict(item)
        kind = fields.pop("kind", None)
        defaulted = _defaulted(fields.pop("defaulted", None), row, errors)
        # a round's id is checked against its key by the builder
        given = _given_id(fields, row, errors) if kind != "round" else None
        if own is not None and fields.get("bot_id") is None and fields.get("round_id") is None:
            fields["bot_id"] = own  # a bot token's records are its bot's
        try:
            record = build_record(kind, fields)
        except InvalidRecord as exc:
            errors.extend(FieldError(e.field, e.reason, row) for e in exc.errors)
            continue
        except TypeError as exc:  # positional-argument checks of the session builders
            errors.append(FieldError("row", str(exc), row))
            continue
        if given is not None and given != record.id:
            if record.id.version == 4:  # drawn at random: the client's id is the key
                record = record.model_copy(update={"id": given})
            else:
                errors.append(
                    FieldError("id", f"{given} is not this record's id ({record.id})", row)
                )
                continue
        if defaulted:
            record = record.model_copy(update={"defaulted": defaulted & set(fields)})
        records.append(record)
    missing: list[FieldError] = []
    if named:
        owners = {r.id: r.bot_id for r in records if isinstance(r, RoundRecord)}
        owners.update(round_owners(db, [rid for rid in named if rid not in owners]))
        for rid, rows in named.items():
            owner = owners.get(rid)
            for row in rows:
                if owner is None:
                    missing.append(FieldError("round_id", f"no round with id {rid}", row))
                elif owner != own:
                    denied.append(
                        FieldError("round_id", f"round {rid} is not a round of bot {own!r}", row)
                    )
    if denied:
        raise Forbidden(sorted(denied, key=lambda e: e.row or 0))
    if errors:
        raise InvalidRecord(errors, "request")
    if missing:
        raise InvalidRecord(missing, "request")
    return records


def round_owners(db: Database, round_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The bot of each stored round among ``round_ids`` (a round's id derives from its bot,
    so its owner never changes: this read cannot race a write)."""
    owners: dict[uuid.UUID, str] = {}
    if not round_ids:
        return owners
    c = ROUNDS.c
    with db.engine.connect() as conn:
        for start in range(0, len(round_ids), 500):
            chunk = round_ids[start : start + 500]
            for rid, bot in conn.execute(select(c.id, c.bot_id).where(c.id.in_(chunk))):
                owners[rid] = bot
    return owners


_Request = tuple[Sequence[Record], "Future[WriteResult]"]


class GroupCommitter:
    """Threads that write requests; requests that queue up meanwhile share a transaction.

    With ``threads`` > 1 (PostgreSQL) several transactions run at once: a request waits for
    a free thread, not for every transaction ahead of it.

    ``submit(records)`` returns a future: the :class:`WriteResult`, or the exception the
    write raised for that request (each request keeps all-or-nothing: when a shared
    transaction is refused for a record error, every request of the group is written again
    on its own)."""

    def __init__(self, db: Database, max_records: int = 5000, threads: int = 1) -> None:
        self.db = db
        self.max_records = max_records
        self._queue: SimpleQueue[_Request | None] = SimpleQueue()
        self.groups = 0
        self.requests = 0
        self._threads = [
            threading.Thread(target=self._run, name=f"crashdb-group-commit-{i}", daemon=True)
            for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, records: Sequence[Record]) -> Future[WriteResult]:
        future: Future[WriteResult] = Future()
        self._queue.put((records, future))
        return future

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(30)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            size = len(first[0])
            stop = False
            while size < self.max_records:
                try:
                    item = self._queue.get_nowait()
                except Empty:
                    break
                if item is None:  # closing: this thread stops after the group
                    stop = True
                    break
                group.append(item)
                size += len(item[0])
            try:
                self._commit(group)
            except BaseException as exc:  # never leave a request waiting
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
            if stop:
                return

    def _commit(self, group: list[_Request]) -> None:
        self.groups += 1
        self.requests += len(group)
        if len(group) == 1:
            self._one(group[0])
            return
        records = [r for recs, _ in group for r in recs]
        try:
            result = write_records(self.db, records)
        except InvalidRecord:
            for request in group:  # find out whose: each request on its own
                self._one(request)
            return
        except Exception as exc:
            for _, future in group:
                future.set_exception(exc)
            return
        for _, future in group:
            future.set_result(result)

    def _one(self, request: _Request) -> None:
        records, future = request
        try:
            future.set_result(write_records(self.db, records))
        except Exception as exc:
            future.set_exception(exc)
