"""Tokens, roles and rate limits of the fleet service.

A token is ``cdb_`` followed by 43 random URL-safe characters (256 bits). It is shown once,
when it is created; the database keeps only its SHA-256 hash (a token has full entropy, so a
fast hash is as good as a slow one and keeps every request cheap). Roles:

* ``bot``: writes the records and heartbeats of one bot (its ``bot_id``), nothing else;
* ``viewer``: reads (fleet overview, statistics, alerts, the dashboard);
* ``admin``: reads, writes for any bot, manages tokens and maintenance.

There is no default credential: the first admin token is made with
``crashdb token create --role admin`` on the database itself.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select, update

from crashdb.db.engine import Database
from crashdb.db.server_models import ApiToken
from crashdb.exceptions import FieldError, InvalidRecord

__all__ = [
    "ROLES",
    "Principal",
    "RateLimiter",
    "TokenCache",
    "create_token",
    "hash_token",
    "list_tokens",
    "lookup_token",
    "revoke_token",
]

ROLES = ("bot", "viewer", "admin")
TOKEN_PREFIX = "cdb_"
_TOKENS = cast(Table, ApiToken.__table__)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a token's id, role and (role ``bot``) bot."""

    token_id: str
    role: str
    bot_id: str | None
    name: str | None

    def can_read(self) -> bool:
        return self.role in ("viewer", "admin")

    def can_write(self) -> bool:
        return self.role in ("bot", "admin")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _check(role: str, bot_id: str | None, name: str | None) -> None:
    errors: list[FieldError] = []
    if role not in ROLES:
        errors.append(FieldError("role", f"unknown role {role!r}: expected one of {ROLES}"))
    if role == "bot" and not bot_id:
        errors.append(FieldError("bot_id", "required for a bot token"))
    if role != "bot" and bot_id:
        errors.append(FieldError("bot_id", "only a bot token names a bot"))
    if bot_id is not None and (len(bot_id) > 64 or not bot_id.strip() or "\x00" in bot_id):
        errors.append(FieldError("bot_id", "must be 1 to 64 characters"))
    if name is not None and (len(name) > 128 or "\x00" in name):
        errors.append(FieldError("name", "at most 128 characters"))
    if errors:
        raise InvalidRecord(errors, "token")


def create_token(
    db: Database, role: str, bot_id: str | None = None, name: str | None = None
) -> tuple[str, str]:
    """Store a new token; returns ``(id, token)``. The token is not stored, only its hash."""
    _check(role, bot_id, name)
    token_id = secrets.token_hex(6)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.write_connection() as conn:
        conn.execute(
            _TOKENS.insert().values(
                id=token_id,
                token_hash=hash_token(token),
                role=role,
                bot_id=bot_id,
                name=name,
                created_at=datetime.now(UTC),
            )
        )
    return token_id, token


def list_tokens(db: Database) -> list[dict[str, Any]]:
    """Every token (never its secret): id, role, bot, name, created and revoked times."""
    c = _TOKENS.c
    q = select(c.id, c.role, c.bot_id, c.name, c.created_at, c.revoked_at).order_by(
        c.created_at, c.id
    )
    with db.engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return [
        {
            **{k: row[k] for k in ("id", "role", "bot_id", "name")},
            "created_at": row["created_at"].isoformat(),
            "revoked_at": row["revoked_at"].isoformat() if row["revoked_at"] else None,
        }
        for row in rows
    ]


def revoke_token(db: Database, token_id: str) -> bool:
    """Revoke a token; False when no active token has that id."""
    c = _TOKENS.c
    with db.write_connection() as conn:
        res = conn.execute(
            update(_TOKENS)
            .where(c.id == token_id, c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    return res.rowcount > 0


def lookup_token(db: Database, token: str) -> Principal | None:
    """The active token ``token`` is, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    c = _TOKENS.c
    q = select(c.id, c.role, c.bot_id, c.name).where(
        c.token_hash == hash_token(token), c.revoked_at.is_(None)
    )
    with db.engine.connect() as conn:
        row = conn.execute(q).first()
    return Principal(row.id, row.role, row.bot_id, row.name) if row is not None else None


class TokenCache:
    """Token look-ups remembered for ``ttl`` seconds (a revocation made by another process
    takes effect within that time; one made through this server's API at once)."""

    def __init__(self, db: Database, ttl: float) -> None:
        self.db = db
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def cached(self, token: str) -> tuple[bool, Principal | None]:
        """``(True, principal)`` when a fresh look-up of ``token`` is remembered."""
        if self.ttl <= 0:
            return False, None
        with self._lock:
            hit = self._cache.get(hash_token(token))
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return True, hit[1]
        return False, None

    def get(self, token: str) -> Principal | None:
        key = hash_token(token)
        now = time.monotonic()
        if self.ttl > 0:
            with self._lock:
                hit = self._cache.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                return hit[1]
        principal = lookup_token(self.db, token)
        if self.ttl > 0:
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[key] = (now, principal)
        return principal

    def forget(self, token_id: str) -> None:
        with self._lock:
            for key, (_, principal) in list(self._cache.items()):
                if principal is not None and principal.token_id == token_id:
                    del self._cache[key]


class RateLimiter:
    """A token bucket per key: ``rate`` requests per second, bursts of up to ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds to wait before retrying."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return max(math.ceil((1 - tokens) / self.rate), 1)
