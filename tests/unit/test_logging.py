"""Logs are JSON lines, carry context ids, and never contain a secret."""

from __future__ import annotations

import json
import logging
from urllib.parse import unquote, urlsplit

import pytest
import structlog

from shield.config import SERVICE_SETTINGS
from shield.logging import configure_logging, get_logger, register_secret


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> pytest.CaptureFixture[str]:
    configure_logging("INFO", "json", service="unit")
    yield capsys
    structlog.contextvars.clear_contextvars()
    configure_logging("WARNING", "console", service="tests")


def lines(capture: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    err = capture.readouterr().err
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_structured_line_with_context(json_logs: pytest.CaptureFixture[str]) -> None:
    structlog.contextvars.bind_contextvars(job_id="job-1", request_id="req-1")
    get_logger("t").info("stored", chunks=3)
    [line] = lines(json_logs)
    assert line["event"] == "stored"
    assert (line["job_id"], line["request_id"], line["chunks"]) == ("job-1", "req-1", 3)
    assert line["service"] == "unit"
    assert line["level"] == "info"


def test_secrets_are_redacted_by_key_value_and_bearer(
    json_logs: pytest.CaptureFixture[str],
) -> None:
    register_secret("very-secret-token-value-123")
    log = get_logger("t")
    log.info("config", api_token="abc-plain-token", nested={"password": "pw1"})
    log.info("call", url="http://x/?k=very-secret-token-value-123")
    logging.getLogger("third.party").warning("sent Authorization: Bearer eyJhbGciOi.abc.def")
    output = json.dumps(lines(json_logs))
    for secret in ("abc-plain-token", "pw1", "very-secret-token-value-123", "eyJhbGciOi"):
        assert secret not in output
    assert output.count("***") >= 4


@pytest.mark.parametrize(
    ("service", "secrets"),
    [
        (
            "worker",
            {
                "SHIELD_REDIS_URL": "redis://shield:redis-pass-4d2e9f1b@127.0.0.1:6379/0",
                "SHIELD_API_TOKEN": "api-token-6b1d0f2e9a7c",
                "SHIELD_EMBEDDING_API_KEY": "embed-key-7f3a1c0d",
            },
        ),
        (
            "lightrag",
            {
                "SHIELD_LLM_API_KEY": "llm-key-2c9e4b7a",
                "SHIELD_LIGHTRAG_TOKEN": "graph-tok-9a8b7c6d5e4f3a2b",
            },
        ),
        (
            "api",
            {
                "SHIELD_QDRANT_URL": "https://admin:qdrant%2Fpass@qdrant.example:6333",
                "SHIELD_QDRANT_API_KEY": "qdrant-key-5e1f",
                "SHIELD_LIGHTRAG_TOKEN": "graph-token-1a2b3c4d5e6f",
            },
        ),
    ],
)
def test_settings_register_every_secret_they_hold(
    json_logs: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    service: str,
    secrets: dict[str, str],
) -> None:
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    SERVICE_SETTINGS[service]()
    hidden = [urlsplit(v).password or "" if "://" in v else v for v in secrets.values() if v]
    hidden += [unquote(h) for h in hidden]
    # Logged by a third party, in free text, under keys that do not look secret: still masked.
    logging.getLogger("third.party").warning("connecting to %s", " ".join(secrets.values()))
    get_logger("t").info("retrying", target=" ".join(hidden))
    output = json.dumps(lines(json_logs))
    leaked = [h for h in hidden if h in output]
    assert not leaked, output
