"""Logs are JSON lines, carry context ids, and never contain a secret."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

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
