"""``crashdb serve`` under uvicorn, on SQLite and PostgreSQL: authentication and roles,
limits, the ingest API against the library (parity, idempotency, conflicts), the read API
against the library's JSON."""

from __future__ import annotations

import contextlib
import json
import math
import statistics
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import scipy.stats

from crashdb import ConflictingRecord, Database, InvalidRecord
from crashdb.ingest.records import round_uuid
from crashdb.ingest.store import write_records
from crashdb.ingest.validate import build_record
from crashdb.writer.http import error_from_response
from server_parity import CORPUS, build_all, dump, library_apply
from server_support import TEST_CONFIG, Served, new_database, round_fields, serve, wire

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("served")
    yield from serve(request, request.param, tmp, TEST_CONFIG + "max_body_bytes = 262144\n")


@pytest.fixture(scope="module")
def tokens(served: Served) -> dict[str, str]:
    return {
        "admin": served.token("admin"),
        "viewer": served.token("viewer"),
        "bot": served.token("bot", "bot_a"),
        "other": served.token("bot", "bot_b"),
    }


def _post(client: httpx.Client, records: list[dict[str, Any]]) -> httpx.Response:
    body = json.dumps(records).encode()  # ASCII: hostile text (lone surrogates) travels too
    return client.post("/api/v1/records", content=body)


# --------------------------------------------------------------------------- auth


def test_health_needs_no_token_and_everything_else_does(served: Served) -> None:
    anon = served.client(None)
    assert anon.get("/api/v1/health").json() == {"status": "ok", "database": True}
    for method, path in [
        ("GET", "/api/v1/bots"),
        ("GET", "/api/v1/alerts"),
        ("GET", "/api/v1/stream"),
        ("GET", "/api/v1/tokens"),
        ("POST", "/api/v1/records"),
        ("POST", "/api/v1/heartbeat"),
        ("GET", "/api/v1/bots/x/statistics"),
    ]:
        response = anon.request(method, path)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"
        bad = served.client("cdb_" + "x" * 43).request(method, path)
        assert bad.status_code == 401, (method, path)


def test_roles(served: Served, tokens: dict[str, str]) -> None:
    bot, viewer, admin = (served.client(tokens[r]) for r in ("bot", "viewer", "admin"))
    assert bot.get("/api/v1/bots").status_code == 403
    assert bot.get("/api/v1/tokens").status_code == 403
    assert viewer.get("/api/v1/bots").status_code == 200
    assert viewer.get("/api/v1/tokens").status_code == 403
    assert viewer.post("/api/v1/tokens", json={"role": "viewer"}).status_code == 403
    assert _post(viewer, [wire("round", round_fields("bot_a", 1))]).status_code == 403
    assert viewer.post("/api/v1/heartbeat", json={"status": "x"}).status_code == 403
    assert bot.post("/api/v1/maintenance/cleanup", json={}).status_code == 403
    assert admin.get("/api/v1/tokens").status_code == 200
    assert admin.post("/api/v1/maintenance/cleanup", json={"days_old": 30}).status_code == 200


def test_admin_manages_tokens_and_a_revoked_token_is_refused(
    served: Served, tokens: dict[str, str]
) -> None:
    admin = served.client(tokens["admin"])
    made = admin.post("/api/v1/tokens", json={"role": "bot", "bot_id": "bot_r", "name": "r"})
    assert made.status_code == 201
    token_id, secret = made.json()["id"], made.json()["token"]
    listed = admin.get("/api/v1/tokens").json()
    assert any(t["id"] == token_id and t["bot_id"] == "bot_r" for t in listed)
    assert secret not in json.dumps(listed)  # only a hash is stored
    fresh = served.client(secret)
    assert fresh.post("/api/v1/heartbeat", json={"status": "up"}).status_code == 200
    assert admin.delete(f"/api/v1/tokens/{token_id}").status_code == 200
    assert fresh.post("/api/v1/heartbeat", json={"status": "up"}).status_code == 401
    assert admin.delete(f"/api/v1/tokens/{token_id}").status_code == 404
    bad = admin.post("/api/v1/tokens", json={"role": "bot"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "bot_id"


def test_tokens_never_reach_the_log(served: Served, tokens: dict[str, str]) -> None:
    served.client(tokens["viewer"]).get("/api/v1/bots")
    log = served.log.read_text()
    assert all(t not in log for t in tokens.values())


def test_a_bot_writes_only_its_own_records(served: Served, tokens: dict[str, str]) -> None:
    bot, other = served.client(tokens["bot"]), served.client(tokens["other"])
    response = _post(
        bot, [wire("round", round_fields("bot_a", 10)), wire("round", round_fields("bot_b", 10))]
    )
    assert response.status_code == 403
    assert response.json()["errors"] == [
        {"field": "bot_id", "reason": "this token writes only bot 'bot_a'", "row": 1}
    ]
    assert _post(other, [wire("round", round_fields("bot_b", 11))]).status_code == 200
    theirs = str(round_uuid("bot_b", "s1", 11))
    # naming another bot's round, with or without a bot_id
    for fields in ({"round_id": theirs}, {"round_id": theirs, "bot_id": "bot_a"}):
        answer = _post(bot, [wire("outcome", {**fields, "outcome": "LOSS"})])
        assert answer.status_code == 403, answer.text
        assert answer.json()["errors"][0]["field"] in ("round_id", "bot_id")
    # a bot's records default to its bot
    error_id = str(uuid.uuid4())
    ok = _post(bot, [wire("error", {"error_type": "t", "id": error_id})])
    assert ok.status_code == 200 and ok.json()["ids"] == [error_id]
    admin = served.client(tokens["admin"])
    rounds = admin.get("/api/v1/bots/bot_a/rounds").json()
    assert [r["round_number"] for r in rounds] == []  # the refused request stored nothing
    assert admin.get("/api/v1/bots").json()  # both bots known
    hb = bot.post("/api/v1/heartbeat", json={"bot_id": "bot_b", "status": "x"})
    assert hb.status_code == 403


def test_limits_and_validation_errors(served: Served, tokens: dict[str, str]) -> None:
    bot = served.client(tokens["bot"])
    big = [wire("round", round_fields("bot_a", n, notes_padding=None)) for n in range(400)]
    too_large = bot.post("/api/v1/records", content=json.dumps(big).encode() + b" " * 270_000)
    assert too_large.status_code == 413
    for body, field in [(b"not json", "body"), (b"{}", "body"), (b"[]", "body"), (b"[1]", "row")]:
        answer = bot.post("/api/v1/records", content=body)
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == field
    fields = round_fields("bot_a", 20, stake_value="-5", crash_multiplier="abc")
    answer = _post(bot, [wire("round", round_fields("bot_a", 21)), wire("round", fields)])
    assert answer.status_code == 422
    with pytest.raises(InvalidRecord) as library:
        build_record("round", fields)
    assert answer.json()["errors"] == [
        {"field": e.field, "reason": e.reason, "row": 1} for e in library.value.errors
    ]
    lone = bot.post(
        "/api/v1/records",
        content=b'[{"kind": "error", "error_type": "a\\ud800", "round_number": 1.5}]',
    )
    assert lone.status_code == 422 and lone.json()["errors"][0]["field"] == "error_type"
    hb = bot.post("/api/v1/heartbeat", json={"balance": "1.000001", "ocr_health": 2, "x": 1})
    assert hb.status_code == 422
    assert {e["field"] for e in hb.json()["errors"]} == {"balance", "ocr_health", "x"}


def test_rate_limit_per_token(tmp_path: Path, sqlite_template: Path) -> None:
    import shutil

    shutil.copyfile(sqlite_template, tmp_path / "r.sqlite3")
    server = Served(
        f"sqlite:///{tmp_path / 'r.sqlite3'}",
        tmp_path,
        "token_cache_seconds = 0\nrate_limit = 0.2\nrate_burst = 3\n",
    ).start()
    try:
        one, two = served_tokens = server.token("viewer"), server.token("viewer")
        assert served_tokens
        codes = [server.client(one).get("/api/v1/alerts").status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        limited = server.client(one).get("/api/v1/alerts")
        assert int(limited.headers["retry-after"]) >= 1
        assert server.client(two).get("/api/v1/alerts").status_code == 200  # per token
    finally:
        server.stop()


# --------------------------------------------------------------------------- ingest


@pytest.fixture(scope="module")
def library_db(
    request: pytest.FixtureRequest, served: Served, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    backend = "postgresql" if served.db_url.startswith("postgresql") else "sqlite"
    databases = new_database(request, backend, tmp_path_factory.mktemp("library"))
    db = Database(next(databases))
    yield db
    db.dispose()
    with contextlib.suppress(StopIteration):
        next(databases)


def test_ingest_parity_with_the_library(
    served: Served, tokens: dict[str, str], library_db: Database
) -> None:
    admin = served.client(tokens["admin"])
    for name, items in CORPUS:
        expected = library_apply(library_db, items)
        answer = _post(admin, [wire(kind, fields) for kind, fields in items])
        if expected:
            conflict = [field for field, _, _ in expected] == ["key"]
            assert answer.status_code == (409 if conflict else 422), (name, answer.text)
            body = answer.json()
            got = [(e["field"], e["reason"], e["row"]) for e in body["errors"]]
            assert got == expected, name
            if conflict:
                assert body["conflict"]["differing"], name
        else:
            assert answer.status_code == 200, (name, answer.text)
            records, _ = build_all(items)
            ids = answer.json()["ids"]
            assert len(ids) == len(items), name
            for record, got in zip(records, ids, strict=True):
                if record.id.version == 5:  # derived from the record's key: the same id
                    assert got == str(record.id), name
    served_db = Database(served.db_url)
    try:
        mine, theirs = dump(library_db), dump(served_db)
    finally:
        served_db.dispose()
    for table in mine:
        if table in ("bot_vm_registration",):
            continue
        ours = [row for row in theirs[table] if "'bot_a'" not in row and "'bot_b'" not in row]
        assert ours == mine[table], table


def test_a_retried_request_stores_nothing_twice(served: Served, tokens: dict[str, str]) -> None:
    bot = served.client(tokens["bot"])
    request = [
        wire("round", round_fields("bot_a", 100, session="retry")),
        wire("outcome", {"round_id": str(round_uuid("bot_a", "retry", 100)), "outcome": "LOSS"}),
        wire("error", {"error_type": "retry", "id": str(uuid.uuid4()), "session_id": "retry"}),
        wire("ocr", {"raw_ocr_text": "1.1", "id": str(uuid.uuid4()), "session_id": "retry"}),
    ]
    first, second = _post(bot, request), _post(bot, request)
    assert first.status_code == second.status_code == 200
    assert first.json()["ids"] == second.json()["ids"]
    db = Database(served.db_url)
    try:
        with db.engine.connect() as conn:
            counts = [
                conn.exec_driver_sql(
                    f"SELECT count(*) FROM {t} WHERE session_id = 'retry'"
                ).scalar_one()
                for t in (
                    "crash_game_rounds",
                    "analytics_round_outcomes",
                    "error_logs",
                    "ocr_validation_logs",
                )
            ]
    finally:
        db.dispose()
    assert counts == [1, 1, 1, 1]


def test_a_conflicting_record_answers_as_the_library_does(
    served: Served, tokens: dict[str, str], library_db: Database
) -> None:
    first = round_fields("bot_a", 200, session="conflict")
    changed = round_fields("bot_a", 200, session="conflict", stake_value="20.00")
    write_records(library_db, [build_record("round", first)])
    try:
        write_records(library_db, [build_record("round", changed)])
        library: Exception | None = None
    except ConflictingRecord as exc:
        library = exc
    bot = served.client(tokens["bot"])
    assert _post(bot, [wire("round", first)]).status_code == 200
    answer = _post(bot, [wire("round", changed)])
    if library is None:  # the write path keeps the first version silently
        assert answer.status_code == 200
    else:
        assert answer.status_code == 409
        assert isinstance(library, ConflictingRecord)
        assert answer.json()["conflict"]["key"] == {k: str(v) for k, v in library.key.items()}
        remote = error_from_response(answer)
        assert (
            isinstance(remote, ConflictingRecord) and remote.key == answer.json()["conflict"]["key"]
        )


def test_409_and_422_answers_become_the_library_exceptions() -> None:
    body = {
        "kind": "round",
        "errors": [{"field": "key", "reason": "differs", "row": 2}],
        "conflict": {
            "kind": "round",
            "key": {"bot_id": "b"},
            "differing": ["stake_value"],
            "row": 2,
        },
    }
    conflict = error_from_response(httpx.Response(409, json=body))
    assert isinstance(conflict, ConflictingRecord)
    assert (conflict.key, conflict.differing, conflict.row) == ({"bot_id": "b"}, ["stake_value"], 2)
    invalid = error_from_response(httpx.Response(422, json=body))
    assert type(invalid) is InvalidRecord and invalid.errors[0].row == 2
    from crashdb import DatabaseUnavailable

    for status in (500, 502, 503, 429, 401, 404):
        assert isinstance(error_from_response(httpx.Response(status)), DatabaseUnavailable)


# --------------------------------------------------------------------------- read


def test_read_api_returns_the_library_json(served: Served, tokens: dict[str, str]) -> None:
    import crashdb.analytics as analytics

    bot = served.client(tokens["bot"])
    _post(
        bot,
        [
            wire(
                "round",
                round_fields("bot_a", n, session="read", running_balance_before=str(100 + n)),
            )
            for n in range(1, 30)
        ],
    )
    viewer = served.client(tokens["viewer"])
    db = Database(served.db_url)
    try:
        cases = [
            ("/api/v1/bots/bot_a/statistics", analytics.get_bot_statistics, ("bot_a",)),
            ("/api/v1/sessions/read/summary", analytics.get_session_summary, ("read",)),
            ("/api/v1/games/aviator/statistics", analytics.get_game_statistics, ("aviator",)),
            (
                "/api/v1/games/aviator/multiplier-distribution?limit=500",
                analytics.get_multiplier_distribution,
                ("aviator", 500),
            ),
            (
                "/api/v1/games/aviator/multipliers?limit=50",
                analytics.export_multipliers_for_ml,
                ("aviator", None, 50),
            ),
            ("/api/v1/bots/bot_a/rounds?limit=5", analytics.export_rounds_to_json, ("bot_a", 5)),
            ("/api/v1/signals/effectiveness", analytics.get_signal_effectiveness, ()),
        ]
        for path, fn, args in cases:
            expected = json.loads(json.dumps(fn(*args, db=db)))
            answer = viewer.get(path)
            assert answer.status_code == 200, path
            assert answer.json() == expected, path
        strategy = viewer.get("/api/v1/strategies/compound_1.33x/performance")
        assert strategy.json() == json.loads(
            json.dumps(analytics.get_strategy_performance("compound_1.33x", db=db))
        )
    finally:
        db.dispose()
    assert viewer.get("/api/v1/bots/bot_a/statistics?start_date=notadate").status_code == 422


def test_fleet_overview(served: Served, tokens: dict[str, str]) -> None:
    # a session of bot_a's own, its latest whatever other tests of this module wrote before
    _post(
        served.client(tokens["bot"]),
        [
            wire(
                "round",
                round_fields("bot_a", n, session="overview", running_balance_before=str(100 + n)),
            )
            for n in range(1, 30)
        ],
    )
    bot = served.client(tokens["other"])
    assert (
        bot.post(
            "/api/v1/heartbeat",
            json={"session_id": "hb", "status": "scanning", "balance": "55.5", "ocr_health": 0.97},
        ).status_code
        == 200
    )
    bots = {b["bot_id"]: b for b in served.client(tokens["viewer"]).get("/api/v1/bots").json()}
    mine = bots["bot_b"]
    assert mine["state"] == "live" and mine["status"] == "scanning"
    assert mine["last_heartbeat_at"] is not None and mine["ocr_health"] == 0.97
    read = bots["bot_a"]
    assert read["session_id"] == "overview" and read["session_rounds"] == 29
    # computed here from the rounds sent: every third a WIN at 1.33 (+3.30), else -10.00
    profits = [3.3 if n % 3 == 0 else -10.0 for n in range(1, 30)]
    assert round(sum(profits), 2) == -170.30
    assert Decimal(read["session_profit"]) == Decimal("-170.30")
    mean, half = statistics.fmean(profits), statistics.stdev(profits) / math.sqrt(29)
    t = scipy.stats.t.ppf(0.975, 28)
    low, high = read["session_profit_ci95"]
    assert low == pytest.approx(29 * (mean - t * half), abs=1e-3)
    assert high == pytest.approx(29 * (mean + t * half), abs=1e-3)
    # the peak: first balance (101) plus the peak of the cumulative profit (never above 0)
    assert Decimal(read["peak_balance"]) == Decimal("101.00")
    equity = served.client(tokens["viewer"]).get("/api/v1/equity?points=10").json()
    assert len(equity["bot_a"]) == 10
    assert equity["bot_a"][-1] == pytest.approx(float(read["session_profit"]))
