"""Property-based fuzzing of the fleet service's OpenAPI schema (schemathesis, Hypothesis):
whatever a client sends, every endpoint answers without a 5xx, on both backends, as an
admin (reaches everything) and as a bot (reaches the authorisation of records)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from server_support import Served, serve

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    config = "token_cache_seconds = 60\nrate_limit = 100000\nrate_burst = 100000\n"
    yield from serve(request, request.param, tmp_path_factory.mktemp("fuzz"), config)


@pytest.mark.slow
@pytest.mark.parametrize("role", ["admin", "bot"])
def test_no_request_makes_the_server_fail(served: Served, role: str) -> None:
    token = served.token(role, "fuzz_bot" if role == "bot" else None)
    api = schemathesis.openapi.from_url(f"{served.url}/api/v1/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    # the endless event stream is exercised by the dashboard test
    operations = [op for op in operations if not op.path.endswith("/stream")]
    assert len(operations) >= 15
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            response = case.call(headers=headers, timeout=30)
            assert response.status_code != 401, "the fuzzer must be authenticated"
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.text[:300]}")
                raise AssertionError(failures[-1])

        check()
    assert not failures
