"""shield-mcp: Shield's tools for MCP clients, over streamable HTTP or stdio."""
