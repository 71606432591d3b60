"""With Redis unreachable, shield-api stays up, says what is wrong, and answers 503 with
Retry-After; the Redis breaker opens and then fails fast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shield.embeddings.local import LocalEmbedder
from support.processes import free_port
from support.services import ApiServer, api_settings


@pytest.fixture
def api_without_redis(tmp_path: Path, embedder: LocalEmbedder) -> Iterator[ApiServer]:
    nothing_there = f"redis://127.0.0.1:{free_port()}/0"
    server = ApiServer(api_settings(nothing_there, tmp_path, redis_timeout=0.5), embedder)
    yield server
    server.stop()


def test_redis_down_is_reported_and_refused_cleanly(api_without_redis: ApiServer) -> None:
    with api_without_redis.client() as client:
        assert client.get("/healthz").status_code == 200  # alive...
        ready = client.get("/readyz")
        assert ready.status_code == 503  # ...but not ready, and it says why
        checks = ready.json()["checks"]
        assert checks["redis"]["ok"] is False
        assert checks["vector_store"]["ok"] is True

        body = {"kind": "document", "text": "hello"}
        messages = []
        for _ in range(6):
            response = client.post("/ingest-async", json=body)
            assert response.status_code == 503
            assert int(response.headers["retry-after"]) >= 1
            error = response.json()["error"]
            assert error["code"] == "dependency_unavailable"
            messages.append(error["message"])
        assert "Redis is unavailable" in messages[0]
        assert "circuit open" in messages[-1]  # after 5 failures it no longer even tries
        metrics = client.get("/metrics").text
        assert 'shield_circuit_breaker_state{breaker="redis",service="api"} 1.0' in metrics
