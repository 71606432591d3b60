"""shield-mcp's tools, by area. Each is a plain async function, with what its registration says
of it beside it (`Tool`); a test can call one with a client of its own (`shield=`), and
`shield.mcp.server` registers them all, in this order."""

from __future__ import annotations

from shield.mcp.tools import documents, graph, ingest, jobs, search, sources
from shield.mcp.tools.common import Tool

TOOLS: tuple[Tool, ...] = (
    *search.TOOLS,
    *ingest.TOOLS,
    *jobs.TOOLS,
    *graph.TOOLS,
    *documents.TOOLS,
    *sources.TOOLS,
)
