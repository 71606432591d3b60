"""docs/API_REFERENCE.md is what the code writes, every public route shows an example of its
body and answer, and every example is valid against the route's own schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from shield.api import reference
from shield.api.app import create_app
from shield.config import ApiSettings

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = create_app(ApiSettings()).openapi()
OPERATIONS = [
    (method, path, operation)
    for path, item in OPENAPI["paths"].items()
    for method, operation in item.items()
]
# Answers that are not JSON: Prometheus' text, and a stream of events.
NOT_JSON = {("get", "/metrics"), ("get", "/jobs/{job_id}/events"), ("post", "/backup")}


def validate(value: Any, schema: dict[str, Any]) -> None:
    # References point into the document's components: validate against the whole document.
    jsonschema.Draft202012Validator({**schema, "components": OPENAPI["components"]}).validate(value)


def test_the_reference_is_current() -> None:
    written = (ROOT / "docs" / "API_REFERENCE.md").read_text()
    assert written == reference.current(), "docs/API_REFERENCE.md is stale: run `make docs`"


@pytest.mark.parametrize(
    ("method", "path", "operation"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_every_route_has_valid_examples(method: str, path: str, operation: dict[str, Any]) -> None:
    body = operation.get("requestBody", {}).get("content", {})
    if "application/json" in body:
        examples = body["application/json"].get("examples", {})
        assert examples, f"{method} {path}: no example of its body (shield/api/examples.py)"
        for example in examples.values():
            validate(example["value"], body["application/json"]["schema"])
    if (method, path) in NOT_JSON:
        return
    success = [r for s, r in operation["responses"].items() if s.startswith("2")]
    assert len(success) == 1, f"{method} {path} has {len(success)} successful answers"
    content = success[0].get("content", {}).get("application/json", {})
    assert "example" in content, f"{method} {path}: no example of its answer"
    validate(content["example"], content.get("schema", {}))


def test_an_invalid_example_would_be_caught() -> None:
    search = OPENAPI["paths"]["/search"]["post"]["requestBody"]["content"]["application/json"]
    with pytest.raises(jsonschema.ValidationError):
        validate({"query": "disk", "limit": 0}, search["schema"])
