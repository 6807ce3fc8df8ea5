from __future__ import annotations

from pathlib import Path

import pytest

from crashdb.config import GAMES, PLATFORMS, STRATEGIES, VM_PROVIDERS, Settings, normalize_url


def test_default_is_embedded_sqlite() -> None:
    url = Settings().resolved_url()
    assert url.get_backend_name() == "sqlite"
    assert url.database == "crashdb.sqlite3"


def test_explicit_argument_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRASHDB_DATABASE_URL", "sqlite:///from_env.sqlite3")
    monkeypatch.setenv("DB_HOST", "db.example.test")
    assert Settings().resolved_url("sqlite:///explicit.sqlite3").database == "explicit.sqlite3"


def test_crashdb_url_beats_seed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRASHDB_DATABASE_URL", "sqlite:///from_env.sqlite3")
    monkeypatch.setenv("DB_HOST", "db.example.test")
    assert Settings().resolved_url().database == "from_env.sqlite3"


def test_seed_variables_build_a_tls_postgres_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_HOST", "db.example.test")
    monkeypatch.setenv("DB_PORT", "25060")
    monkeypatch.setenv("DB_NAME", "analytics")
    monkeypatch.setenv("DB_USER", "botfleet")
    monkeypatch.setenv("DB_PASSWORD", "s3cret")
    url = Settings().resolved_url()
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database, url.username) == (
        "db.example.test",
        25060,
        "analytics",
        "botfleet",
    )
    assert url.password == "s3cret"
    assert url.query["sslmode"] == "require"


def test_seed_ssl_mode_is_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_HOST", "db.example.test")
    monkeypatch.setenv("DB_SSL_MODE", "verify-full")
    assert Settings().resolved_url().query["sslmode"] == "verify-full"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DB_HOST=db.example.test\nDB_NAME=fromfile\n")
    url = Settings().resolved_url()
    assert (url.host, url.database) == ("db.example.test", "fromfile")


@pytest.mark.parametrize(
    ("given", "driver", "sslmode"),
    [
        ("postgresql://u@db.example.test/x", "postgresql+psycopg", "require"),
        ("postgres://u@db.example.test/x", "postgresql+psycopg", "require"),
        ("postgresql://u@db.example.test/x?sslmode=disable", "postgresql+psycopg", "disable"),
        ("postgresql://u@127.0.0.1/x", "postgresql+psycopg", None),
        ("postgresql://u@localhost/x", "postgresql+psycopg", None),
        ("sqlite:///a.sqlite3", "sqlite", None),
    ],
)
def test_normalize_url(given: str, driver: str, sslmode: str | None) -> None:
    url = normalize_url(given)
    assert url.drivername == driver
    assert url.query.get("sslmode") == sslmode


def test_pool_settings_come_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRASHDB_POOL_SIZE", "12")
    monkeypatch.setenv("CRASHDB_MAX_OVERFLOW", "3")
    monkeypatch.setenv("CRASHDB_CONNECT_TIMEOUT", "4")
    pool = Settings().pool
    assert (pool.size, pool.max_overflow, pool.connect_timeout_seconds) == (12, 3, 4)


def test_catalogs_cover_the_seed() -> None:
    assert {g.provider for g in GAMES.values()} == {"Spribe", "Aviatrix Labs", "SmartSoft Gaming"}
    assert all(0 < g.rtp < 1 for g in GAMES.values())
    assert set(PLATFORMS) == {"dafabet", "fun88", "pmbetting"}
    assert set(STRATEGIES) == {
        "compound_1.33x",
        "martingale",
        "fixed_stake",
        "kelly_criterion",
        "custom",
    }
    assert set(VM_PROVIDERS) == {"digitalocean", "vastai", "runpod", "aws", "gcp", "local"}
