"""docs/MCP_TOOLS_REFERENCE.md, written from shield-mcp's live registry: what an MCP client is
told by `tools/list`, `resources/templates/list` and `prompts/list`.

`python -m shield.mcp.reference` (or `make docs`) writes it; a unit test fails when the file
differs from what the server would list, so the reference cannot drift from the tools.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from fastmcp import Client

from shield.config import McpSettings
from shield.mcp.server import build_server

DEFAULT_PATH = Path("docs/MCP_TOOLS_REFERENCE.md")
_HINTS = (
    ("readOnlyHint", "read-only"),
    ("destructiveHint", "destructive"),
    ("idempotentHint", "idempotent"),
    ("openWorldHint", "reaches the open web"),
)
_HEADER = """# MCP tools reference

Every tool, resource and prompt shield-mcp offers, as its registry lists them to MCP clients,
written by `make docs`; a test keeps this file current. Connect with the token
`SHIELD_MCP_TOKEN` (or a JWT): [guides/CLIENT_INTEGRATION.md](guides/CLIENT_INTEGRATION.md).
A tool that fails answers an error result (`isError`) whose text says why, and, when shield-api
is unavailable, when to try again (`retry_after`). With `SHIELD_READ_ONLY=true` the tools that
are not read-only are not offered.
"""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _type(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        kinds = [_type(s, defs) for s in schema["anyOf"]]
        return " or ".join(k for k in kinds if k != "null") + (
            " (or null)" if "null" in kinds else ""
        )
    if "enum" in schema:
        return " \\| ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return f"list of {_type(schema.get('items', {}), defs)}"
    return kind


def _fields(schema: dict[str, Any], with_required: bool) -> list[str]:
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    head = (
        "| name | type | required | description |"
        if with_required
        else "| name | type | description |"
    )
    rows = [head, "| --- | --- | --- | --- |" if with_required else "| --- | --- | --- |"]
    for name, field in schema.get("properties", {}).items():
        description = _cell(field.get("description", ""))
        if "default" in field and field["default"] is not None:
            description = f"{description} Default: `{json.dumps(field['default'])}`.".strip()
        cells = [f"`{name}`", _type(field, defs)]
        if with_required:
            cells.append("yes" if name in required else "")
        rows.append("| " + " | ".join([*cells, description]) + " |")
    return rows


def _tool(tool: Any, tasks: set[str]) -> list[str]:
    annotations = tool.annotations.model_dump(by_alias=True) if tool.annotations else {}
    hints = [label for key, label in _HINTS if annotations.get(key)]
    lines = [f"### `{tool.name}`", ""]
    if tool.title:
        lines += [f"**{tool.title}**. {', '.join(hints).capitalize()}.", ""]
    if tool.name in tasks:
        lines += [
            "Runs as an MCP task for a client that asks for one (the `io.modelcontextprotocol/"
            "tasks` extension): the task follows the job to its end, its status message says "
            "how far the job is, and cancelling the task cancels the job.",
            "",
        ]
    lines += [" ".join((tool.description or "").split()), "", "Parameters:", ""]
    lines += _fields(tool.input_schema, with_required=True)
    output = tool.output_schema or {}
    if output.get("properties"):
        lines += ["", "Answers (structured content):", ""]
        lines += _fields(output, with_required=False)
    return [*lines, ""]


async def _listed() -> tuple[list[Any], set[str], list[Any], list[Any], list[Any]]:
    server = build_server(McpSettings(api_url="http://127.0.0.1:8080"))
    # tools/list does not say which tools run as tasks; the registry does.
    tasks = {component.name for component in await server.get_tasks()}
    async with Client(server) as client:
        return (
            await client.list_tools(),
            tasks,
            await client.list_resources(),
            await client.list_resource_templates(),
            await client.list_prompts(),
        )


def current() -> str:
    tools, tasks, resources, templates, prompts = asyncio.run(_listed())
    lines = [_HEADER, "## Tools", ""]
    for tool in sorted(tools, key=lambda t: t.name):
        lines += _tool(tool, tasks)
    lines += ["## Resources", "", "| URI | type | what |", "| --- | --- | --- |"]
    for resource in sorted(resources, key=lambda r: str(r.uri)):
        lines.append(
            f"| `{resource.uri}` | {resource.mime_type} | {_cell(resource.description or '')} |"
        )
    for template in sorted(templates, key=lambda t: t.uri_template):
        what = _cell(template.description or "")
        lines.append(f"| `{template.uri_template}` | {template.mime_type} | {what} |")
    lines += ["", "## Prompts", "", "| prompt | arguments | what |", "| --- | --- | --- |"]
    for prompt in sorted(prompts, key=lambda p: p.name):
        arguments = ", ".join(
            f"`{a.name}`" + ("" if a.required else " (optional)") for a in prompt.arguments or []
        )
        lines.append(f"| `{prompt.name}` | {arguments} | {_cell(prompt.description or '')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH
    path.write_text(current())
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
