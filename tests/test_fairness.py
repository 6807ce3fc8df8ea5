"""Provably fair: bustabit results and hash chain, Aviator commitments, recorded rounds."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from decimal import Decimal

import pytest

from crashdb import Database, RoundWriter
from crashdb.sim.fairness import (
    aviator_combined_hash,
    aviator_commitment,
    aviator_fairness_metadata,
    bustabit_chain,
    bustabit_fairness_metadata,
    bustabit_game_result,
    bustabit_previous_hash,
    find_broken_links,
    verify_aviator_round,
    verify_recorded_rounds,
    verify_round_metadata,
    walk_to_terminating_hash,
)

SALT = "0000000000000000000a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778"


def make_chain(length: int, seed: bytes = b"crashdb test chain") -> list[str]:
    """Hashes in *generation* order: h[i + 1] = sha256(hex text of h[i]).

    The operator generates the chain from a secret seed and plays it backwards: the last
    generated hash is game 1, the first is the newest game.
    """
    chain = [hashlib.sha256(seed).hexdigest()]
    for _ in range(length):
        chain.append(hashlib.sha256(chain[-1].encode("ascii")).hexdigest())
    return chain


def expected_bust(game_hash: str, salt: str, *, nine_digits: bool) -> Decimal:
    """The verifier's steps, written out independently of crashdb."""
    mac = hmac.new(salt.encode(), bytes.fromhex(game_hash), hashlib.sha256).hexdigest()
    x = int(mac[:13], 16) / 2**52
    if nine_digits:
        x = float(f"{x:.9g}")  # JavaScript X.toPrecision(9)
    return Decimal(max(100, math.floor(99 / (1 - x)))) / 100


def test_bustabit_results_match_the_formula_on_a_chain_built_here() -> None:
    chain = make_chain(3000)
    for game_hash in chain:
        got = bustabit_game_result(game_hash, SALT)
        assert got == expected_bust(game_hash, SALT, nine_digits=False), game_hash
        legacy = bustabit_game_result(game_hash, SALT, round_x=True)
        assert legacy == expected_bust(game_hash, SALT, nine_digits=True)
        assert got >= Decimal("1.00") and got == got.quantize(Decimal("0.01"))


def test_binary_chain_and_a_signature_as_key() -> None:
    """The chain seeded in 2024 hashes the 32 raw bytes; Vx games use a signature as key."""
    seed = hashlib.sha256(b"binary chain").digest()
    generated = [seed]
    for _ in range(30):
        generated.append(hashlib.sha256(generated[-1]).digest())
    hexes = [h.hex() for h in generated]
    assert bustabit_chain(hexes[0], 31, chain="binary") == hexes
    assert walk_to_terminating_hash(hexes[0], hexes[-1], 40, chain="binary") == 30
    assert walk_to_terminating_hash(hexes[0], hexes[-1], 40) is None  # not a hex-text chain
    signature = secrets.token_bytes(48)
    mac = hmac.new(signature, generated[5], hashlib.sha256).hexdigest()
    x = int(mac[:13], 16) / 2**52
    expected = Decimal(max(100, math.floor(99 / (1 - x)))) / 100
    assert bustabit_game_result(hexes[5], key_hex=signature.hex()) == expected
    meta = bustabit_fairness_metadata(
        hexes[5], SALT, 5, hexes[-1], chain="binary", hmac_key_hex=signature.hex()
    )["fairness"]
    _, problems, _ = verify_round_metadata(meta, expected)
    assert problems == []
    _, problems, _ = verify_round_metadata({**meta, "chain": "hex"}, expected)
    assert problems == ["terminating hash not reached within 1,000,000 steps"]


def test_bustabit_results_have_the_house_edge_of_the_scheme() -> None:
    chain = make_chain(20_000, b"edge")
    busts = [bustabit_game_result(h, SALT) for h in chain]
    share_2x = sum(b >= 2 for b in busts) / len(busts)
    assert share_2x == pytest.approx(0.495, abs=0.015)  # P(bust >= 2) = 0.99 / 2


def test_key_and_message_order_matters() -> None:
    game_hash = make_chain(1)[0]
    swapped = hmac.new(bytes.fromhex(game_hash), SALT.encode(), hashlib.sha256).hexdigest()
    x = int(swapped[:13], 16) / 2**52
    result_if_swapped = Decimal(max(100, math.floor(99 / (1 - x)))) / 100
    # Not a tautology: with key and message swapped the result (almost surely) differs.
    assert bustabit_game_result(game_hash, SALT) != result_if_swapped


def test_chain_walks_back_to_the_terminating_hash() -> None:
    generated = make_chain(500)
    newest, terminating = generated[0], generated[-1]
    assert bustabit_previous_hash(newest) == generated[1]
    assert bustabit_chain(newest, 4) == generated[:4]
    assert walk_to_terminating_hash(newest, terminating, 1000) == 500
    assert walk_to_terminating_hash(generated[100], terminating, 1000) == 400
    assert walk_to_terminating_hash(newest, terminating, 499) is None
    other = make_chain(10, b"another operator")[-1]
    assert walk_to_terminating_hash(newest, other, 1000) is None


def test_a_broken_link_is_detected() -> None:
    generated = make_chain(50)
    # game ids count up as the chain is played backwards: game 1 is generated[-2] ...
    games = {gid: generated[len(generated) - 1 - gid] for gid in range(1, 20)}
    assert find_broken_links(games) == []
    tampered = dict(games)
    tampered[7] = secrets.token_hex(32)
    assert find_broken_links(tampered) == [(6, 7), (7, 8)]
    gappy = {1: games[1], 5: games[5], 9: games[9]}
    assert find_broken_links(gappy) == []
    gappy[9] = games[10]
    assert find_broken_links(gappy) == [(5, 9)]


def test_aviator_commitments_verify_and_a_tampered_seed_fails() -> None:
    server = secrets.token_hex(16)
    clients = [secrets.token_hex(10) for _ in range(3)]
    committed = hashlib.sha256(server.encode()).hexdigest()
    combined = hashlib.sha512((server + "".join(clients)).encode()).hexdigest()
    assert aviator_commitment(server) == committed
    assert aviator_combined_hash(server, clients) == combined
    assert verify_aviator_round(server, committed, clients, combined) == []

    other_server = server[:-1] + ("0" if server[-1] != "0" else "1")
    problems = verify_aviator_round(other_server, committed, clients, combined)
    assert len(problems) == 2 and "server_seed_sha256" in problems[0]

    tampered_clients = [clients[0], clients[1] + "x", clients[2]]
    problems = verify_aviator_round(server, committed, tampered_clients, combined)
    assert problems == ["combined_sha512 does not match SHA-512(server_seed + client_seeds)"]

    meta = aviator_fairness_metadata(server, clients)["fairness"]
    assert meta["server_seed_sha256"] == committed and meta["combined_sha512"] == combined


def test_metadata_problems_are_reported_not_raised() -> None:
    scheme, problems, _ = verify_round_metadata({"scheme": "bustabit", "salt": "s"}, None)
    assert scheme == "bustabit" and problems == ["missing key 'game_hash' in metadata.fairness"]
    _, problems, _ = verify_round_metadata(
        {"scheme": "bustabit", "game_hash": "zz", "salt": "s"}, Decimal("2.00")
    )
    assert "game_hash" in problems[0]
    _, problems, _ = verify_round_metadata({"scheme": "dice"}, None)
    assert "unknown fairness scheme" in problems[0]


def _log_round(
    writer: RoundWriter, n: int, crash: Decimal, metadata: dict[str, object], game: str
) -> None:
    writer.log_crash_round(
        bot_id="fair_bot",
        session_id="fair_session",
        game_name=game,
        platform_code="dafabet",
        round_number=n,
        stake_value=Decimal("1.00"),
        crash_multiplier=crash,
        round_outcome="LOSS",
        metadata=metadata,
    )


def test_recorded_rounds_are_verified_and_mismatches_reported(db: Database) -> None:
    generated = make_chain(40)
    terminating = generated[-1]
    with RoundWriter(spool_dir="spool", db=db) as writer:
        for gid in range(1, 11):
            game_hash = generated[len(generated) - 1 - gid]
            meta = bustabit_fairness_metadata(game_hash, SALT, gid, terminating)
            crash = expected_bust(game_hash, SALT, nine_digits=False)
            if gid == 4:
                crash += Decimal("0.01")  # a recorded bust that the hash does not give
            _log_round(writer, gid, crash, meta, "bustabit")
        # game 12 claims a hash that is not on the chain
        _log_round(
            writer,
            12,
            Decimal("1.00"),
            bustabit_fairness_metadata(secrets.token_hex(32), SALT, 12),
            "bustabit",
        )
        server, clients = "server-seed-1", ["a", "b", "c"]
        good = aviator_fairness_metadata(server, clients)
        _log_round(writer, 20, Decimal("1.50"), good, "aviator")
        bad = aviator_fairness_metadata(server, clients)
        bad["fairness"]["client_seeds"] = ["a", "b", "tampered"]
        _log_round(writer, 21, Decimal("1.50"), bad, "aviator")
        _log_round(writer, 22, Decimal("1.50"), {"strategy": "no fairness data"}, "aviator")
    results = {r.round_number: r for r in verify_recorded_rounds(db)}
    assert sorted(results) == [*range(1, 11), 12, 20, 21]
    failing = sorted(n for n, r in results.items() if not r.ok)
    assert failing == [4, 12, 21]
    assert "but the hash gives" in results[4].problems[0]
    assert any("chain broken" in p for p in results[12].problems)
    assert "combined_sha512" in results[21].problems[0]
    assert results[20].ok and "commitments only" in results[20].what
    only_aviator = verify_recorded_rounds(db, game_name="aviator")
    assert {r.round_number for r in only_aviator} == {20, 21}
