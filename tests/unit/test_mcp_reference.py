"""docs/MCP_TOOLS_REFERENCE.md is what shield-mcp's registry lists, and every tool in it carries
a title, its annotations and a typed answer."""

from __future__ import annotations

from pathlib import Path

from shield.mcp import reference

ROOT = Path(__file__).resolve().parents[2]


def test_the_reference_is_current() -> None:
    written = (ROOT / "docs" / "MCP_TOOLS_REFERENCE.md").read_text()
    assert written == reference.current(), "docs/MCP_TOOLS_REFERENCE.md is stale: run `make docs`"


def test_every_tool_is_titled_annotated_and_typed() -> None:
    tools, tasks, _, templates, prompts = reference.asyncio.run(reference._listed())
    assert len(tools) >= 11
    # The tools that queue long work may run as MCP tasks; nothing else needs to.
    assert tasks == {"crawl_web", "ingest_doc", "sync_source"}
    for tool in tools:
        assert tool.title, tool.name
        assert tool.annotations is not None, tool.name
        assert tool.annotations.read_only_hint is not None, tool.name
        assert (tool.output_schema or {}).get("properties"), tool.name
    assert len(templates) == 3
    assert len(prompts) == 3
