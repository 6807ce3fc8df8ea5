"""Provably-fair checks: bustabit's hash chain, Aviator's seed commitments, and recorded rounds.

What is public, and so what crashdb can check:

* **bustabit** publishes its whole scheme and an open-source verifier
  (github.com/bustabit/verifier); crashdb follows that verifier. Each game has a 64-hex-digit
  *game hash*. Its result: ``HMAC-SHA256(key, message=the 32 bytes of the game hash)`` where the
  key is the salt as UTF-8 text (a Bitcoin block hash chosen after the chain was committed; for
  games signed with Vx, the Vx signature bytes instead); the first 52 bits (13 hex digits) give
  ``X = int / 2**52`` in [0, 1); the bust is ``max(1, floor(99 / (1 - X)) / 100)``. (The verifier
  published for the 2018 chain also rounded ``X`` to 9 significant digits, JavaScript
  ``toPrecision(9)``: ``round_x=True``. The two agree except within ~1e-9 of a boundary.)
  Games form a SHA-256 chain walked backwards: the previous game's hash is ``sha256`` of the
  current hash, taken over its *hex text* on the 2018 chain (games up to 10,000,000,
  ``chain="hex"``, the default) and over its 32 raw bytes on the chain seeded in 2024
  (``chain="binary"``). Walking back from any game must reach the *terminating hash* the
  operator committed to before the first game. crashdb verifies results and chain links; it
  does not check Vx's BLS signatures themselves.
* **Aviator (Spribe)** shows in its fairness window the SHA-256 of the server seed, published
  before the round (the commitment), the revealed server seed, the client seeds of the first
  three players who bet, and the SHA-512 of the server seed followed by those three client
  seeds (the "combined hash"). crashdb verifies both hashes. **Spribe does not publish how the
  combined hash becomes the multiplier**, so for Aviator crashdb verifies the commitments, not
  the multiplier: a round whose commitments check out is not thereby proven to have the
  multiplier shown.

Recorded rounds carry their fairness data in ``crash_game_rounds.metadata`` (attribute
``round_metadata``) under the key ``"fairness"``::

    {"fairness": {"scheme": "bustabit",
                  "game_hash": "<64 hex>", "salt": "<text>",
                  "chain": "hex",                       # optional: "hex" (default) or "binary"
                  "hmac_key_hex": "<hex>",              # optional: Vx signature used as key
                  "game_id": 123,                       # optional: chain checks between rounds
                  "terminating_hash": "<64 hex>"}}      # optional: walk back to it
    {"fairness": {"scheme": "aviator",
                  "server_seed": "<text>", "server_seed_sha256": "<64 hex>",
                  "client_seeds": ["<text>", "<text>", "<text>"],
                  "combined_sha512": "<128 hex>"}}

:func:`verify_recorded_rounds` (``crashdb verify``) checks every such round and reports each
mismatch: a bustabit bust that differs from ``crash_multiplier``, a broken chain link between
two recorded games, a commitment that does not match its seed.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from crashdb.db.models import CrashGameRound
from crashdb.exceptions import VerificationError

if TYPE_CHECKING:
    from crashdb.db.engine import Database

__all__ = [
    "FAIRNESS_KEY",
    "RoundVerification",
    "aviator_combined_hash",
    "aviator_commitment",
    "aviator_fairness_metadata",
    "bustabit_chain",
    "bustabit_fairness_metadata",
    "bustabit_game_result",
    "bustabit_previous_hash",
    "find_broken_links",
    "verify_aviator_round",
    "verify_bustabit_round",
    "verify_recorded_rounds",
    "verify_round_metadata",
    "walk_to_terminating_hash",
]

FAIRNESS_KEY = "fairness"
_BITS = 52
_NINE_DIGITS = Context(prec=9, rounding=ROUND_HALF_UP)
_CENT = Decimal("0.01")


def _check_hex(value: Any, length: int, what: str) -> str:
    if not isinstance(value, str) or len(value) != length:
        raise VerificationError(f"{what} must be {length} hex digits, got {value!r}")
    try:
        int(value, 16)
    except ValueError:
        raise VerificationError(f"{what} is not hexadecimal: {value!r}") from None
    return value.lower()


# --------------------------------------------------------------------------------------------
# bustabit


def _bustabit_key(salt: str | None, key_hex: str | None) -> bytes:
    if key_hex:
        try:
            return bytes.fromhex(key_hex)
        except ValueError:
            raise VerificationError(f"hmac_key_hex is not hexadecimal: {key_hex!r}") from None
    if salt is None:
        raise VerificationError("need the salt (or hmac_key_hex) to compute a bustabit result")
    return salt.encode("utf-8")


def bustabit_game_result(
    game_hash: str,
    salt: str | None = None,
    *,
    key_hex: str | None = None,
    round_x: bool = False,
) -> Decimal:
    """The bust of a bustabit game, as bustabit's public verifier computes it.

    The HMAC key is ``salt`` as UTF-8 text, or the bytes of ``key_hex`` (games signed with
    Vx use the signature as key). ``round_x`` applies the 2018 verifier's
    ``X = parseFloat(X.toPrecision(9))`` step; the current verifier does not.
    """
    game_hash = _check_hex(game_hash, 64, "game_hash")
    key = _bustabit_key(salt, key_hex)
    digest = hmac.new(key, bytes.fromhex(game_hash), hashlib.sha256).hexdigest()
    r = int(digest[: _BITS // 4], 16)
    x = r / 2**_BITS  # exact: r < 2**52
    if round_x:
        x = float(_NINE_DIGITS.create_decimal(Decimal(x)))
    if x >= 1.0:
        raise VerificationError(f"game {game_hash}: X rounds to 1, the verifier gives Infinity")
    result = math.floor(99 / (1 - x))
    return max(Decimal(1), Decimal(result) / 100).quantize(_CENT)


def bustabit_previous_hash(game_hash: str, *, chain: str = "hex") -> str:
    """The hash of the game before ``game_hash``.

    ``chain="hex"``: SHA-256 of the hash's hex text (the 2018 chain); ``"binary"``: SHA-256 of
    its 32 bytes (the chain seeded in 2024).
    """
    if chain == "hex":
        return hashlib.sha256(game_hash.lower().encode("ascii")).hexdigest()
    if chain == "binary":
        return hashlib.sha256(bytes.fromhex(game_hash)).hexdigest()
    raise VerificationError(f"chain must be 'hex' or 'binary', got {chain!r}")


def bustabit_chain(game_hash: str, count: int, *, chain: str = "hex") -> list[str]:
    """``game_hash`` and the hashes of the ``count - 1`` games before it (newest first)."""
    hashes = [_check_hex(game_hash, 64, "game_hash")]
    for _ in range(count - 1):
        hashes.append(bustabit_previous_hash(hashes[-1], chain=chain))
    return hashes


def walk_to_terminating_hash(
    game_hash: str, terminating_hash: str, max_steps: int, *, chain: str = "hex"
) -> int | None:
    """Steps back from ``game_hash`` to ``terminating_hash``, or ``None`` if not within range."""
    current = _check_hex(game_hash, 64, "game_hash")
    target = _check_hex(terminating_hash, 64, "terminating_hash")
    for step in range(max_steps + 1):
        if current == target:
            return step
        current = bustabit_previous_hash(current, chain=chain)
    return None


def find_broken_links(
    games: Mapping[int, str], max_gap: int = 100_000, *, chain: str = "hex"
) -> list[tuple[int, int]]:
    """Pairs ``(earlier_id, later_id)`` of recorded games whose hashes are not on one chain.

    ``games`` maps game ids to game hashes. Consecutive recorded ids at most ``max_gap`` apart
    are checked by walking back from the later hash; larger gaps are not walked.
    """
    ids = sorted(games)
    broken: list[tuple[int, int]] = []
    for earlier, later in itertools.pairwise(ids):
        gap = later - earlier
        if gap > max_gap:
            continue
        current = games[later].lower()
        for _ in range(gap):
            current = bustabit_previous_hash(current, chain=chain)
        if current != games[earlier].lower():
            broken.append((earlier, later))
    return broken


def bustabit_fairness_metadata(
    game_hash: str,
    salt: str,
    game_id: int | None = None,
    terminating_hash: str | None = None,
    *,
    chain: str = "hex",
    hmac_key_hex: str | None = None,
) -> dict[str, Any]:
    """The ``metadata`` dict to log with a bustabit round so ``crashdb verify`` can check it."""
    data: dict[str, Any] = {"scheme": "bustabit", "game_hash": game_hash, "salt": salt}
    if chain != "hex":
        data["chain"] = chain
    if hmac_key_hex is not None:
        data["hmac_key_hex"] = hmac_key_hex
    if game_id is not None:
        data["game_id"] = game_id
    if terminating_hash is not None:
        data["terminating_hash"] = terminating_hash
    return {FAIRNESS_KEY: data}


# --------------------------------------------------------------------------------------------
# Aviator (Spribe)


def aviator_commitment(server_seed: str) -> str:
    """SHA-256 (hex) of the server seed: what Aviator publishes before the round."""
    return hashlib.sha256(server_seed.encode("utf-8")).hexdigest()


def aviator_combined_hash(server_seed: str, client_seeds: Sequence[str]) -> str:
    """SHA-512 (hex) of the server seed followed by the players' client seeds."""
    return hashlib.sha512((server_seed + "".join(client_seeds)).encode("utf-8")).hexdigest()


def aviator_fairness_metadata(server_seed: str, client_seeds: Sequence[str]) -> dict[str, Any]:
    """The ``metadata`` dict for an Aviator round, with both hashes computed from the seeds."""
    return {
        FAIRNESS_KEY: {
            "scheme": "aviator",
            "server_seed": server_seed,
            "server_seed_sha256": aviator_commitment(server_seed),
            "client_seeds": list(client_seeds),
            "combined_sha512": aviator_combined_hash(server_seed, client_seeds),
        }
    }


def verify_aviator_round(
    server_seed: str,
    server_seed_sha256: str,
    client_seeds: Sequence[str],
    combined_sha512: str,
) -> list[str]:
    """Problems with an Aviator round's commitments (empty when both hashes match)."""
    problems: list[str] = []
    if not client_seeds:
        problems.append("no client seeds")
    if aviator_commitment(server_seed) != server_seed_sha256.strip().lower():
        problems.append("server_seed_sha256 does not match SHA-256(server_seed)")
    if aviator_combined_hash(server_seed, client_seeds) != combined_sha512.strip().lower():
        problems.append("combined_sha512 does not match SHA-512(server_seed + client_seeds)")
    return problems


def verify_bustabit_round(
    game_hash: str,
    salt: str | None,
    crash_multiplier: Decimal | None,
    terminating_hash: str | None = None,
    max_chain_steps: int = 1_000_000,
    *,
    chain: str = "hex",
    key_hex: str | None = None,
) -> list[str]:
    """Problems with a bustabit round (empty when its bust and chain check out)."""
    problems: list[str] = []
    expected = bustabit_game_result(game_hash, salt, key_hex=key_hex)
    if crash_multiplier is None:
        problems.append(f"no crash_multiplier recorded (the hash gives {expected})")
    elif crash_multiplier.quantize(_CENT) != expected:
        problems.append(f"crash_multiplier {crash_multiplier} but the hash gives {expected}")
    if terminating_hash:
        steps = walk_to_terminating_hash(game_hash, terminating_hash, max_chain_steps, chain=chain)
        if steps is None:
            problems.append(f"terminating hash not reached within {max_chain_steps:,} steps")
    return problems


# --------------------------------------------------------------------------------------------
# recorded rounds


@dataclass(slots=True)
class RoundVerification:
    """The verdict on one recorded round."""

    round_id: uuid.UUID | None
    bot_id: str
    session_id: str
    round_number: int
    game_name: str
    scheme: str
    crash_multiplier: Decimal | None
    problems: list[str] = field(default_factory=list)
    what: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "round_id": str(self.round_id) if self.round_id else None,
            "bot_id": self.bot_id,
            "session_id": self.session_id,
            "round_number": self.round_number,
            "game_name": self.game_name,
            "scheme": self.scheme,
            "crash_multiplier": str(self.crash_multiplier) if self.crash_multiplier else None,
            "verified": self.what,
            "ok": self.ok,
            "problems": self.problems,
        }


def verify_round_metadata(
    fairness: Mapping[str, Any], crash_multiplier: Decimal | None, max_chain_steps: int = 1_000_000
) -> tuple[str, list[str], str]:
    """``(scheme, problems, what_was_verified)`` for one round's ``metadata["fairness"]``."""
    scheme = str(fairness.get("scheme", "")).lower()
    try:
        if scheme == "bustabit":
            key_hex = fairness.get("hmac_key_hex")
            problems = verify_bustabit_round(
                str(fairness["game_hash"]),
                None if key_hex else str(fairness["salt"]),
                crash_multiplier,
                fairness.get("terminating_hash"),
                max_chain_steps,
                chain=str(fairness.get("chain", "hex")),
                key_hex=str(key_hex) if key_hex else None,
            )
            what = "bust from hash" + (
                " + chain to terminating hash" if fairness.get("terminating_hash") else ""
            )
            return scheme, problems, what
        if scheme == "aviator":
            seeds = fairness["client_seeds"]
            if not isinstance(seeds, list) or not all(isinstance(s, str) for s in seeds):
                return scheme, ["client_seeds must be a list of strings"], ""
            problems = verify_aviator_round(
                str(fairness["server_seed"]),
                str(fairness["server_seed_sha256"]),
                seeds,
                str(fairness["combined_sha512"]),
            )
            return scheme, problems, "commitments only (multiplier mapping not public)"
    except KeyError as exc:
        return scheme, [f"missing key {exc.args[0]!r} in metadata.fairness"], ""
    except VerificationError as exc:
        return scheme, [str(exc)], ""
    return scheme or "?", [f"unknown fairness scheme {fairness.get('scheme')!r}"], ""


def verify_recorded_rounds(
    db: Database,
    *,
    bot_id: str | None = None,
    session_id: str | None = None,
    game_name: str | None = None,
    limit: int | None = None,
    max_chain_steps: int = 1_000_000,
    max_chain_gap: int = 100_000,
    progress: Callable[[int], None] | None = None,
) -> list[RoundVerification]:
    """Check every recorded round whose metadata carries ``"fairness"`` data.

    Besides each round on its own, bustabit games recorded with a ``game_id`` are checked
    against each other: two recorded games at most ``max_chain_gap`` apart must lie on one
    SHA-256 chain. ``progress`` is called with the number of rounds examined so far.
    """
    stmt = select(
        CrashGameRound.id,
        CrashGameRound.bot_id,
        CrashGameRound.session_id,
        CrashGameRound.round_number,
        CrashGameRound.game_name,
        CrashGameRound.crash_multiplier,
        CrashGameRound.round_metadata.label("meta"),
    ).where(CrashGameRound.round_metadata.is_not(None))
    if bot_id:
        stmt = stmt.where(CrashGameRound.bot_id == bot_id)
    if session_id:
        stmt = stmt.where(CrashGameRound.session_id == session_id)
    if game_name:
        stmt = stmt.where(CrashGameRound.game_name == game_name)
    stmt = stmt.order_by(CrashGameRound.round_start_timestamp, CrashGameRound.id)
    results: list[RoundVerification] = []
    chains: dict[tuple[str, str], dict[int, tuple[str, RoundVerification]]] = {}
    seen = 0
    with db.engine.connect() as conn:
        for row in conn.execute(stmt.execution_options(yield_per=1000)):
            seen += 1
            if progress is not None and seen % 500 == 0:
                progress(seen)
            meta = row.meta
            fairness = meta.get(FAIRNESS_KEY) if isinstance(meta, dict) else None
            if not isinstance(fairness, dict):
                continue
            scheme, problems, what = verify_round_metadata(
                fairness, row.crash_multiplier, max_chain_steps
            )
            verdict = RoundVerification(
                row.id,
                row.bot_id,
                row.session_id,
                row.round_number,
                row.game_name,
                scheme,
                row.crash_multiplier,
                problems,
                what,
            )
            results.append(verdict)
            game_id = fairness.get("game_id")
            if scheme == "bustabit" and isinstance(game_id, int) and "game_hash" in fairness:
                link = str(fairness.get("chain", "hex"))
                chain = chains.setdefault((link, str(fairness.get("salt"))), {})
                chain.setdefault(game_id, (str(fairness["game_hash"]), verdict))
            if limit is not None and len(results) >= limit:
                break
    if progress is not None:
        progress(seen)
    for (link, _salt), chain in chains.items():
        hashes = {gid: h for gid, (h, _) in chain.items()}
        try:
            broken = find_broken_links(hashes, max_chain_gap, chain=link)
        except (VerificationError, ValueError) as exc:
            for _h, verdict in chain.values():
                verdict.problems.append(f"chain not checked: {exc}")
            continue
        for earlier, later in broken:
            chain[later][1].problems.append(
                f"chain broken: game {later} does not lead back to game {earlier}"
            )
    return results
