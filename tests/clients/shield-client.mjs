// A small MCP client on the official TypeScript SDK, as a Node program would use shield-mcp:
// it lists the tools (so that the SDK validates each answer against its output schema), stores a
// text, ingests a document with `wait` while receiving progress, finds it, and reads the
// document back as a resource. Prints what it saw as JSON.
//   node shield-client.mjs URL TOKEN COLLECTION
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, token, collection] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
});
const client = new Client({ name: "shield-test-client", version: "1.0.0" });
await client.connect(transport);

const tools = (await client.listTools()).tools;
const stored = await client.callTool({
  name: "qdrant_store",
  arguments: { text: "The night bus leaves the harbour at 23:40.", collection },
});
const progress = [];
const ingested = await client.callTool(
  {
    name: "ingest_doc",
    arguments: {
      text: "# Ferry\n\nThe ferry to Gullholm leaves at noon.",
      source: "ferry.md",
      collection,
      wait: true,
    },
  },
  undefined,
  { onprogress: (p) => progress.push(p) },
);
const found = await client.callTool({
  name: "qdrant_find",
  arguments: { query: "when does the ferry leave", collection, limit: 3 },
});
const documentId = ingested.structuredContent.job.result.documents[0].document_id;
const document = await client.readResource({
  uri: `shield://collections/${collection}/documents/${documentId}`,
});
await client.close();

console.log(
  JSON.stringify({
    tools: tools.map((t) => ({ name: t.name, annotations: t.annotations, output: !!t.outputSchema })),
    stored: stored.structuredContent,
    ingested: ingested.structuredContent,
    progress,
    found: found.structuredContent,
    foundText: found.content[0].text,
    document: document.contents[0].text,
  }),
);
