"""Configuration: where the database is, how to pool connections, and the reference catalogs.

Precedence for the database URL (first that is set wins):

1. an explicit ``url`` argument (``DatabaseConnection.initialize(url)``, ``--db-url``),
2. ``CRASHDB_DATABASE_URL``,
3. the seed's ``DB_HOST`` / ``DB_PORT`` / ``DB_NAME`` / ``DB_USER`` / ``DB_PASSWORD`` /
   ``DB_SSL_MODE`` (environment or a ``.env`` file in the working directory),
4. the embedded SQLite file ``./crashdb.sqlite3``.

Remote PostgreSQL defaults to ``sslmode=require``; only loopback hosts and Unix sockets may
go without TLS unless you ask for it.

Usage::

    settings = Settings()                     # reads the environment and .env
    url = settings.resolved_url()             # a SQLAlchemy URL (its password hidden in str())
    settings.pool                             # PoolSettings(size=5, max_overflow=10, ...)

Secrets stay secret: ``DB_PASSWORD`` and ``CRASHDB_DATABASE_URL`` (which may carry a
password) are :class:`pydantic.SecretStr`, shown as ``'**********'`` in ``repr(settings)``,
in logs and in validation errors; ``settings.db_password.get_secret_value()`` reads one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

__all__ = [
    "DEFAULT_SQLITE_PATH",
    "GAMES",
    "PLATFORMS",
    "STRATEGIES",
    "VM_PROVIDERS",
    "GameInfo",
    "PoolSettings",
    "Settings",
    "get_settings",
    "normalize_url",
]

DEFAULT_SQLITE_PATH = "crashdb.sqlite3"

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", ""})


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """Connection-pool settings (ignored for SQLite, which uses one connection per thread)."""

    size: int = 5
    max_overflow: int = 10
    pre_ping: bool = True
    recycle_seconds: int = 1800
    connect_timeout_seconds: int = 10


@dataclass(frozen=True, slots=True)
class GameInfo:
    """A game in the catalog: who makes it, its published RTP and multiplier bounds."""

    name: str
    display_name: str
    provider: str
    rtp: Decimal
    min_multiplier: Decimal
    max_multiplier: Decimal


# Published return-to-player of each game (the providers' own figures: 97% for all three).
# The maximum multipliers are the caps the games display; treat them as configurable
# reference data, not as something crashdb enforces on recorded rounds.
GAMES: dict[str, GameInfo] = {
    "aviator": GameInfo(
        "aviator", "Aviator", "Spribe", Decimal("0.97"), Decimal("1.00"), Decimal("1000000.00")
    ),
    "aviatrix": GameInfo(
        "aviatrix",
        "Aviatrix",
        "Aviatrix Labs",
        Decimal("0.97"),
        Decimal("1.00"),
        Decimal("1000000.00"),
    ),
    "jetx": GameInfo(
        "jetx", "JetX", "SmartSoft Gaming", Decimal("0.97"), Decimal("1.00"), Decimal("25000.00")
    ),
}

# Open lists: these are the known values; any other string is accepted (no database enums).
PLATFORMS: dict[str, str] = {"dafabet": "Dafabet", "fun88": "Fun88", "pmbetting": "PMBetting"}
STRATEGIES: dict[str, str] = {
    "compound_1.33x": "Compound at a 1.33x cash-out",
    "martingale": "Martingale (double after a loss, up to a stake limit)",
    "fixed_stake": "Fixed stake",
    "kelly_criterion": "Kelly criterion",
    "custom": "User-defined strategy",
}
VM_PROVIDERS: dict[str, str] = {
    "digitalocean": "DigitalOcean",
    "vastai": "Vast.ai",
    "runpod": "RunPod",
    "aws": "Amazon Web Services",
    "gcp": "Google Cloud",
    "local": "Local machine",
}


class Settings(BaseSettings):
    """Every setting crashdb reads from the environment (or a ``.env`` file)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    database_url: SecretStr | None = Field(default=None, alias="CRASHDB_DATABASE_URL")
    db_host: str | None = Field(default=None, alias="DB_HOST")
    db_port: int | None = Field(default=None, alias="DB_PORT")
    db_name: str | None = Field(default=None, alias="DB_NAME")
    db_user: str | None = Field(default=None, alias="DB_USER")
    db_password: SecretStr | None = Field(default=None, alias="DB_PASSWORD")
    db_ssl_mode: str | None = Field(default=None, alias="DB_SSL_MODE")

    pool_size: int = Field(default=5, ge=1, alias="CRASHDB_POOL_SIZE")
    max_overflow: int = Field(default=10, ge=0, alias="CRASHDB_MAX_OVERFLOW")
    pool_pre_ping: bool = Field(default=True, alias="CRASHDB_POOL_PRE_PING")
    pool_recycle: int = Field(default=1800, alias="CRASHDB_POOL_RECYCLE")
    connect_timeout: int = Field(default=10, ge=1, alias="CRASHDB_CONNECT_TIMEOUT")
    sqlite_busy_timeout_ms: int = Field(
        default=30_000, ge=0, alias="CRASHDB_SQLITE_BUSY_TIMEOUT_MS"
    )
    echo_sql: bool = Field(default=False, alias="CRASHDB_ECHO_SQL")

    # Route the plain log_* functions through a buffered, spooling RoundWriter.
    use_writer: bool = Field(default=False, alias="CRASHDB_USE_WRITER")
    spool_dir: Path = Field(default=Path(".crashdb-spool"), alias="CRASHDB_SPOOL_DIR")
    writer_flush_interval: float = Field(default=0.5, gt=0, alias="CRASHDB_WRITER_FLUSH_INTERVAL")
    writer_batch_size: int = Field(default=500, ge=1, alias="CRASHDB_WRITER_BATCH_SIZE")

    # Report to a fleet server (``crashdb serve``) instead of a database: the plain log_*
    # functions and a RoundWriter() without ``db``/``sink`` then write over HTTP.
    server_url: str | None = Field(default=None, alias="CRASHDB_SERVER_URL")
    token: SecretStr | None = Field(default=None, alias="CRASHDB_TOKEN")
    heartbeat_interval: float = Field(default=30.0, ge=0, alias="CRASHDB_HEARTBEAT_INTERVAL")

    @property
    def pool(self) -> PoolSettings:
        return PoolSettings(
            size=self.pool_size,
            max_overflow=self.max_overflow,
            pre_ping=self.pool_pre_ping,
            recycle_seconds=self.pool_recycle,
            connect_timeout_seconds=self.connect_timeout,
        )

    def resolved_url(self, explicit: str | URL | None = None) -> URL:
        """The database URL after applying the precedence rules above."""
        if explicit is not None:
            return normalize_url(explicit)
        if self.database_url is not None and self.database_url.get_secret_value():
            return normalize_url(self.database_url.get_secret_value())
        if self.db_host:
            url = URL.create(
                "postgresql+psycopg",
                username=self.db_user,
                password=self.db_password.get_secret_value() if self.db_password else None,
                host=self.db_host,
                port=self.db_port,
                database=self.db_name,
            )
            if self.db_ssl_mode:
                url = url.update_query_dict({"sslmode": self.db_ssl_mode})
            return normalize_url(url)
        return make_url(f"sqlite:///{DEFAULT_SQLITE_PATH}")


def normalize_url(url: str | URL) -> URL:
    """Pick the psycopg 3 driver for PostgreSQL and require TLS for remote hosts.

    ``postgres://`` and ``postgresql://`` (which SQLAlchemy maps to psycopg2) become
    ``postgresql+psycopg://``. A remote host without an explicit ``sslmode`` gets
    ``sslmode=require``.
    """
    u = make_url(url) if isinstance(url, str) else url
    if u.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
        u = u.set(drivername="postgresql+psycopg")
    if u.get_backend_name() == "postgresql":
        host = (u.host or "").strip("[]")
        if "sslmode" not in u.query and host not in _LOCAL_HOSTS and not host.startswith("/"):
            u = u.update_query_dict({"sslmode": "require"})
    return u


def get_settings() -> Settings:
    """Read settings afresh (environment and ``.env`` may change between calls in tests)."""
    return Settings()
