// A small MCP client on the official TypeScript SDK, as a Node program would use shield-mcp:
// it lists the tools (so that the SDK validates each answer against its output schema), stores a
// text, ingests a document with `wait` while receiving progress, finds it, and reads the
// document back as a resource; given a site, it crawls it and follows the job by subscribing to
// its resource (resources/subscribe), reading it at each update until it ends. Prints what it saw
// as JSON.
//   node shield-client.mjs URL TOKEN COLLECTION [SITE]
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

const [url, token, collection, site] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
});
const client = new Client({ name: "shield-test-client", version: "1.0.0" });
await client.connect(transport);

const tools = (await client.listTools()).tools;
const stored = await client.callTool({
  name: "qdrant_store",
  arguments: { text: "The night bus leaves the harbour at 23:40.", collection, create_collection: true },
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
const followed = site ? await followACrawl(site) : null;
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
    followed,
  }),
);

async function followACrawl(start) {
  const crawl = await client.callTool({ name: "crawl_web", arguments: { url: start, collection } });
  const uri = `shield://jobs/${crawl.structuredContent.job_id}`;
  const updates = [];
  const states = [];
  const ended = new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error(`${uri} did not end within 90 s`)), 90_000).unref();
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (notification) => {
      updates.push(notification.params.uri);
      const job = JSON.parse((await client.readResource({ uri })).contents[0].text);
      states.push({ status: job.status, pages: job.progress.pages_fetched });
      if (["succeeded", "failed", "cancelled"].includes(job.status)) resolve();
    });
  });
  await client.subscribeResource({ uri });
  await ended;
  await client.unsubscribeResource({ uri });
  let refused = null;
  try {
    await client.subscribeResource({ uri: "shield://jobs/0123abcd" });
  } catch (error) {
    refused = error.message;
  }
  return { uri, updates, states, refused, subscribe: client.getServerCapabilities().resources.subscribe };
}
