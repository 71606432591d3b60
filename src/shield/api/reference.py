"""docs/API_REFERENCE.md, written from shield-api's own OpenAPI document.

`python -m shield.api.reference` (or `make docs`) writes it; a unit test fails when the file
differs from what the code would write, so the reference cannot drift from the routes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from shield.api.app import create_app
from shield.config import ApiSettings

DEFAULT_PATH = Path("docs/API_REFERENCE.md")
_METHODS = ("get", "post", "put", "patch", "delete")
_HEADER = """# API reference

Every route of shield-api, written from its OpenAPI document (`/openapi.json`, interactive at
`/docs`) by `make docs`; a test keeps this file current. Every route but `/healthz`, `/readyz` and
the API's description needs `Authorization: Bearer <SHIELD_API_TOKEN>`. Every error has one
shape, `{"error": {"code": "...", "message": "..."}}`, listed under each route; `503` answers
carry `Retry-After`. The job pattern (202, polling, events, cancel) is explained in
[guides/ASYNC_JOB_PATTERN.md](guides/ASYNC_JOB_PATTERN.md).
"""


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    if "anyOf" in schema or "oneOf" in schema:
        parts = schema.get("anyOf") or schema.get("oneOf") or []
        return " | ".join(_schema_name(p) for p in parts)
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_schema_name(schema.get('items', {}))}"
    bounds = [
        f"{sign} {_number(schema[key])}"
        for key, sign in (("minimum", ">="), ("maximum", "<="), ("minLength", "length >="))
        if key in schema
    ]
    bounds += [f"length <= {schema['maxLength']}"] if "maxLength" in schema else []
    return f"{kind} ({', '.join(bounds)})" if bounds else str(kind)


def _meaning(description: str, default: str) -> str:
    """A table cell: the description, then the default, if any."""
    return " ".join(part for part in (_cell(description), default.strip()) if part)


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _description(schema: dict[str, Any]) -> str:
    """A field's description, also when it sits on one member of `T | None`."""
    if schema.get("description"):
        return str(schema["description"])
    for member in schema.get("anyOf", []):
        if member.get("description"):
            return str(member["description"])
    return ""


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _json(value: Any) -> str:
    return "```json\n" + json.dumps(value, indent=2, ensure_ascii=False) + "\n```\n"


def _parameters(operation: dict[str, Any]) -> list[str]:
    params = operation.get("parameters", [])
    if not params:
        return []
    lines = [
        "| Parameter | In | Type | Required | Description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for param in params:
        schema = param.get("schema", {})
        default = f" (default `{schema['default']}`)" if "default" in schema else ""
        lines.append(
            f"| `{param['name']}` | {param['in']} | {_cell(_schema_name(schema))} | "
            f"{'yes' if param.get('required') else 'no'} | "
            f"{_meaning(param.get('description') or _description(schema), default)} |"
        )
    return [*lines, ""]


def _fields(schema: dict[str, Any], components: dict[str, Any]) -> list[str]:
    if "$ref" in schema:
        schema = components[_schema_name(schema)]
    props = schema.get("properties", {})
    if not props:
        return []
    required = set(schema.get("required", []))
    lines = ["| Field | Type | Required | Description |", "| --- | --- | --- | --- |"]
    for name, prop in props.items():
        default = f" (default `{json.dumps(prop['default'])}`)" if "default" in prop else ""
        lines.append(
            f"| `{name}` | {_cell(_schema_name(prop))} | {'yes' if name in required else 'no'} | "
            f"{_meaning(_description(prop), default)} |"
        )
    return [*lines, ""]


def _body(operation: dict[str, Any], components: dict[str, Any]) -> list[str]:
    body = operation.get("requestBody")
    if not body:
        return []
    lines: list[str] = []
    for media, content in body.get("content", {}).items():
        schema = content.get("schema", {})
        lines += [f"**Body** (`{media}`): {_schema_name(schema)}", ""]
        for part in schema.get("oneOf") or schema.get("anyOf") or [schema]:
            if len(schema.get("oneOf") or schema.get("anyOf") or []) > 1:
                lines += [f"`{_schema_name(part)}`:", ""]
            lines += _fields(part, components)
        examples = content.get("examples", {})
        for example in examples.values():
            lines += [f"Example: {example.get('summary', '')}", "", _json(example["value"])]
    return lines


def _responses(operation: dict[str, Any], components: dict[str, Any]) -> list[str]:
    lines = ["| Status | Meaning |", "| --- | --- |"]
    examples: list[str] = []
    for status, response in sorted(operation.get("responses", {}).items()):
        lines.append(f"| {status} | {_cell(response.get('description', ''))} |")
        for media, content in response.get("content", {}).items():
            if status.startswith("2") and "example" in content:
                examples += [f"Answer `{status}` (`{media}`):", "", _json(content["example"])]
    return [*lines, "", *examples]


def render(openapi: dict[str, Any]) -> str:
    components = openapi.get("components", {}).get("schemas", {})
    sections = [_HEADER]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in openapi["paths"].items():
        for method in _METHODS:
            if method in item:
                operation = item[method]
                tag = (operation.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((method, path, operation))
    index = ["## Routes", ""]
    for tag, operations in by_tag.items():
        index.append(f"- **{tag}**: " + ", ".join(f"`{m.upper()} {p}`" for m, p, _ in operations))
    sections.append("\n".join(index) + "\n")
    for tag, operations in by_tag.items():
        sections.append(f"## {tag.capitalize()}\n")
        for method, path, operation in operations:
            parts = [f"### `{method.upper()} {path}`", "", operation.get("summary", ""), ""]
            if operation.get("description"):
                parts += [operation["description"], ""]
            parts += _parameters(operation)
            parts += _body(operation, components)
            parts += _responses(operation, components)
            sections.append("\n".join(parts).rstrip() + "\n")
    return "\n".join(sections)


def current() -> str:
    """The reference as the code writes it now."""
    return render(create_app(ApiSettings()).openapi())


def main(argv: list[str]) -> None:
    target = Path(argv[1]) if len(argv) > 1 else DEFAULT_PATH
    target.write_text(current())
    print(f"wrote {target}")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv)
