"""The RoundWriter's HTTP sink: batches go to a fleet server (``crashdb serve``), not a database.

::

    from crashdb import RoundWriter

    writer = RoundWriter(server_url="https://fleet.example.org", token=os.environ["CRASHDB_TOKEN"],
                         spool_dir="/var/lib/mybot/spool")

Each batch is one ``POST /api/v1/records`` (all or nothing on the server). How answers map
onto the writer's promise:

* connection errors, timeouts, 5xx, 429 (rate limit), 401 (token unknown or revoked), a 403
  for the token's role, any other unexpected answer: :class:`ServerUnavailable` (a
  :class:`crashdb.DatabaseUnavailable`): the writer spools the batch and replays it later, in
  order;
* 422 (invalid), 403 naming a record of another bot, 413 (too large): :class:`crashdb.InvalidRecord`
  with the server's field/reason/row list; 409: :class:`crashdb.ConflictingRecord`. The
  writer dead-letters those.

The server validates every record again (it never trusts a client); the records travel as
the keyword arguments of their ``log_*`` function plus their ``id`` (:func:`record_to_wire`).
:class:`Heartbeats` posts ``/api/v1/heartbeat`` every N seconds from a thread of its own.
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from crashdb.exceptions import ConflictingRecord, DatabaseUnavailable, FieldError, InvalidRecord
from crashdb.ingest.records import record_to_json

if TYPE_CHECKING:
    from crashdb.config import Settings
    from crashdb.ingest import Record

__all__ = [
    "Heartbeats",
    "HttpSink",
    "ServerUnavailable",
    "error_from_response",
    "record_to_wire",
    "remote_sink",
    "start_heartbeats",
]

log = logging.getLogger("crashdb.writer")

RECORDS_PATH = "/api/v1/records"
HEARTBEAT_PATH = "/api/v1/heartbeat"
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
# Fields of a record that are derived by its builder, never sent: the server derives them too.
_DERIVED = frozenset({"date_bucket", "hour_bucket"})
_RENAMED = {"round_metadata": "metadata", "session_metadata": "metadata"}
_WIRE_KIND = {"session_start": "session"}


class ServerUnavailable(DatabaseUnavailable):
    """The fleet server cannot take the batch now (unreachable, 5xx, rate limit, token
    refused): the RoundWriter spools it and replays it later."""


def record_to_wire(record: Record) -> dict[str, Any]:
    """A record as the server's ingest API takes it: ``kind``, ``id`` and the ``log_*``
    keyword arguments (derived fields left out, None values dropped), plus ``defaulted``
    (the fields the writer filled with the time of the call) when there are any."""
    data = record_to_json(record)
    out: dict[str, Any] = {"kind": _WIRE_KIND.get(record.kind, record.kind)}
    for key, value in data.items():
        if value is None or key in _DERIVED or key in ("kind", "defaulted"):
            continue
        out[_RENAMED.get(key, key)] = value
    if record.defaulted:
        out["defaulted"] = sorted(record.defaulted)
    return out


def _check_url(server_url: str) -> str:
    parts = urlsplit(server_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("server_url must be an http:// or https:// URL with a host")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ValueError(
            "server_url: plain http sends the token in clear; use https (or a loopback address)"
        )
    if parts.username or parts.password or parts.query:
        raise ValueError("server_url takes no credentials or query: pass token= instead")
    return server_url.rstrip("/")


def error_from_response(response: httpx.Response) -> Exception:
    """The exception an answer other than 2xx means (see the module doc)."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    errors = [
        FieldError(str(e.get("field", "?")), str(e.get("reason", "")), e.get("row"))
        for e in body.get("errors", [])
        if isinstance(e, dict)
    ]
    kind = str(body.get("kind") or "record")
    conflict = body.get("conflict")
    if status == 409 and isinstance(conflict, dict):
        return ConflictingRecord(
            str(conflict.get("kind", kind)),
            dict(conflict.get("key") or {}),
            list(conflict.get("differing") or []),
            conflict.get("row"),
        )
    if status in (409, 422) or (status == 403 and body.get("code") == "forbidden_bot"):
        return InvalidRecord(errors or [FieldError("records", f"refused ({status})")], kind)
    if status == 413:
        return InvalidRecord([FieldError("records", str(body.get("detail", "too large")))], kind)
    detail = str(body.get("detail", response.reason_phrase))
    return ServerUnavailable(f"fleet server answered {status}: {detail}")


class HttpSink:
    """Writes each batch in one request to a fleet server (see the module doc)."""

    def __init__(
        self,
        server_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token:
            raise ValueError("a token is needed to write to a fleet server")
        self.server_url = _check_url(server_url)
        self._options: dict[str, Any] = {
            "base_url": self.server_url,
            "headers": {"Authorization": f"Bearer {token}", "User-Agent": "crashdb-writer"},
            "timeout": timeout,
            "transport": transport,
        }
        self._client = httpx.Client(**self._options)
        self._lock = threading.Lock()
        self.last_seen: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"HttpSink({self.server_url!r})"

    def _post(self, path: str, payload: Any) -> httpx.Response:
        try:
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        except UnicodeEncodeError:  # lone surrogates: sent escaped, the server judges them
            body = json.dumps(payload, separators=(",", ":")).encode()
        with self._lock:
            if self._client.is_closed:  # used again after close(): a new connection pool
                self._client = httpx.Client(**self._options)
            client = self._client
        try:
            response = client.post(path, content=body, headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:  # connection refused, reset, timeouts, protocol errors
            raise ServerUnavailable(f"fleet server unreachable: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise error_from_response(response)
        return response

    def write(self, records: Sequence[Record]) -> None:
        """Store ``records`` in one request, or raise (see the module doc)."""
        if not records:
            return
        self._post(RECORDS_PATH, [record_to_wire(r) for r in records])
        self._note(records)

    def _note(self, records: Sequence[Record]) -> None:
        """Remember the newest bot, session and balance written, for heartbeats."""
        for rec in reversed(records):
            if rec.kind == "round":
                seen = {"bot_id": rec.bot_id, "session_id": rec.session_id}
                if rec.running_balance_after is not None:
                    seen["balance"] = str(rec.running_balance_after)
                with self._lock:
                    self.last_seen = seen
                return

    def heartbeat(self, status: str, **fields: Any) -> None:
        """``POST /api/v1/heartbeat`` (bot and session default to the last round written)."""
        with self._lock:
            payload: dict[str, Any] = dict(self.last_seen)
        payload.update({k: v for k, v in fields.items() if v is not None})
        payload["status"] = status
        for key, value in payload.items():
            if isinstance(value, Decimal):
                payload[key] = str(value)
        self._post(HEARTBEAT_PATH, payload)

    def close(self) -> None:
        """Close the connections to the server (a later write opens new ones)."""
        with self._lock:
            client = self._client
        client.close()


class Heartbeats:
    """A daemon thread that sends a heartbeat every ``interval`` seconds, and a last one with
    status ``stopped`` on :meth:`stop`. Failures are logged at debug level and retried at the
    next tick: a heartbeat is worth nothing late."""

    def __init__(
        self, sink: HttpSink, interval: float, status: Callable[[], str] | None = None
    ) -> None:
        self.sink = sink
        self.interval = interval
        self._status = status or (lambda: "running")
        self._stop = threading.Event()
        self.sent = 0
        self._thread = threading.Thread(target=self._run, name="crashdb-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self, status: str) -> None:
        try:
            self.sink.heartbeat(status)
            self.sent += 1
        except Exception as exc:
            log.debug("crashdb writer: heartbeat not sent (%s)", exc)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._beat(self._status())

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(self.interval + 1)
        self._beat("stopped")


def remote_sink(server_url: str | None, token: str | None, settings: Settings) -> HttpSink | None:
    """The sink for ``RoundWriter(server_url=..., token=...)``, falling back to the settings
    ``CRASHDB_SERVER_URL`` / ``CRASHDB_TOKEN``; None when no server is configured."""
    url = server_url or settings.server_url
    if not url:
        if token is not None:
            raise ValueError("token= needs server_url= (or CRASHDB_SERVER_URL)")
        return None
    secret = (
        token
        if token is not None
        else (settings.token.get_secret_value() if settings.token is not None else "")
    )
    return HttpSink(url, secret)


def writer_status(writer_ref: weakref.ref[Any]) -> Callable[[], str]:
    """A heartbeat status line for a RoundWriter (held weakly: a heartbeat keeps no writer)."""

    def status() -> str:
        writer = writer_ref()
        if writer is None:
            return "stopped"
        backlog = writer.backlog
        return f"running; spooling {backlog} segment(s)" if backlog else "running"

    return status


def start_heartbeats(sink: HttpSink, interval: float, writer: Any) -> Heartbeats | None:
    """Heartbeats for ``writer`` every ``interval`` seconds (none when ``interval`` is 0)."""
    if interval <= 0:
        return None
    return Heartbeats(sink, interval, writer_status(weakref.ref(writer)))
