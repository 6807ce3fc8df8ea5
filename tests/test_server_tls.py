"""``crashdb serve --ssl-certfile/--ssl-keyfile`` serves HTTPS: a client that trusts the
certificate's CA talks to it (the remote writer through ``SSL_CERT_FILE``), a client that does
not is refused, and plain HTTP on the TLS port gets no answer. Certificates from a throwaway
test CA (trustme)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from crashdb import Database, RoundWriter
from server_support import TEST_CONFIG, Served, round_fields, serve

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A test CA, and a certificate it issued for 127.0.0.1 with its key, as PEM files."""
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    paths = {name: folder / f"{name}.pem" for name in ("ca", "cert", "key")}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    issued.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    issued.private_key_pem.write_to_path(str(paths["key"]))
    return paths


@pytest.fixture(params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path: Path, certificates: dict[str, Path]
) -> Iterator[Served]:
    yield from serve(
        request,
        request.param,
        tmp_path,
        TEST_CONFIG,
        "--ssl-certfile",
        str(certificates["cert"]),
        "--ssl-keyfile",
        str(certificates["key"]),
        verify=ssl.create_default_context(cafile=str(certificates["ca"])),
    )


def test_https_is_served_to_clients_that_trust_the_certificate(served: Served) -> None:
    assert served.url.startswith("https://")
    viewer = served.token("viewer")
    with served.client(viewer) as client:
        assert client.get("/api/v1/bots").status_code == 200
    with served.client(None) as client:
        assert client.get("/api/v1/bots").status_code == 401  # TLS does not replace tokens


def test_clients_without_the_ca_and_plain_http_get_nothing(served: Served) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{served.url}/api/v1/health", timeout=5)  # the system's CAs only
    plain = served.url.replace("https://", "http://")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{plain}/api/v1/health", timeout=5)


def test_remote_writer_over_https(
    served: Served,
    certificates: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates["ca"]))  # as a bot's host would
    writer = RoundWriter(
        server_url=served.url,
        token=served.token("bot", "tls_bot"),
        spool_dir=tmp_path / "spool",
        flush_interval=0.05,
    )
    for n in range(1, 21):
        writer.log_crash_round(**round_fields("tls_bot", n, session="tls"))
    writer.close()
    assert writer.stats.spooled_records == 0  # every batch went over HTTPS, none to disk
    db = Database(served.db_url)
    try:
        with db.engine.connect() as conn:
            numbers = conn.exec_driver_sql(
                "SELECT round_number FROM crash_game_rounds WHERE bot_id = 'tls_bot' "
                "ORDER BY round_number"
            ).scalars()
            assert list(numbers) == list(range(1, 21))
    finally:
        db.dispose()
