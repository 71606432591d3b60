// Shield's console: every call goes to this server's own API with the token the user gave,
// kept in sessionStorage (this tab only). Stored text is only ever set as textContent, never
// parsed as HTML; the page's Content-Security-Policy allows no inline script either.

const TOKEN_KEY = "shield.token";
const $ = (selector) => document.querySelector(selector);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "onclick") node.addEventListener("click", value);
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  }
  return node;
}

class Refused extends Error {}

async function api(method, path, { json, form } = {}) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const response = await fetch(path, { method, headers, body });
  const answer = await response.json().catch(() => ({}));
  if (response.status === 401) {
    signOut("The token was refused: sign in again.");
    throw new Refused(answer.error?.message ?? "unauthorized");
  }
  if (!response.ok) throw new Refused(answer.error?.message ?? `HTTP ${response.status}`);
  return answer;
}

function showError(error) {
  $("#error").textContent = error instanceof Error ? error.message : String(error);
}

function clearError() {
  $("#error").textContent = "";
}

// --- signing in ---------------------------------------------------------------------------

function signOut(message = "") {
  sessionStorage.removeItem(TOKEN_KEY);
  $("#app").hidden = true;
  $("#sign-out").hidden = true;
  $("#who").textContent = "";
  $("#sign-in").hidden = false;
  $("#sign-in-error").textContent = message;
  $("#token").focus();
}

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    const who = await api("GET", "/whoami");
    $("#who").textContent = `${who.name} (${who.scopes.join(" ")})`;
  } catch (error) {
    signOut(error.message);
    return;
  }
  $("#sign-in").hidden = true;
  $("#app").hidden = false;
  $("#sign-out").hidden = false;
  show("collections");
  checkHealth();
}

// --- health and queue ---------------------------------------------------------------------

async function checkHealth() {
  try {
    const response = await fetch("/readyz");
    const ready = await response.json();
    const down = Object.entries(ready.checks).filter(([, check]) => !check.ok).map(([name]) => name);
    $("#health").textContent = down.length ? `Unavailable: ${down.join(", ")}` : "Ready";
  } catch {
    $("#health").textContent = "shield-api does not answer";
  }
  if (!sessionStorage.getItem(TOKEN_KEY) || $("#app").hidden) return;
  try {
    const { jobs } = await api("GET", "/jobs?status=queued&status=running&limit=500");
    const running = jobs.filter((job) => job.status === "running").length;
    $("#queue").textContent = `${jobs.length - running} queued, ${running} running`;
  } catch {
    $("#queue").textContent = "";
  }
}

// --- views --------------------------------------------------------------------------------

function show(view) {
  for (const button of document.querySelectorAll("nav button")) {
    const on = button.dataset.view === view;
    button.setAttribute("aria-pressed", String(on));
    $(`#view-${button.dataset.view}`).hidden = !on;
  }
  clearError();
  if (view === "jobs") loadJobs().catch(showError);
  else if (view === "sources") loadSources().catch(showError);
  else loadCollections().catch(showError); // the table, and every form's choice of collection
}

async function loadCollections() {
  const { collections } = await api("GET", "/collections");
  const rows = collections.map((c) =>
    el("tr", {},
      el("td", {}, el("button", { type: "button", onclick: () => openCollection(c.name).catch(showError) }, c.name)),
      el("td", {}, c.points),
      el("td", {}, c.embedding_model)));
  $("#collections tbody").replaceChildren(...rows);
  for (const select of document.querySelectorAll(".collection-choice")) {
    const chosen = select.value;
    select.replaceChildren(...collections.map((c) => el("option", { value: c.name }, c.name)));
    if (chosen) select.value = chosen;
  }
}

async function openCollection(name) {
  const { documents } = await api("GET", `/documents?collection=${encodeURIComponent(name)}`);
  $("#documents-title").textContent = `Documents in ${name}`;
  const rows = documents.map((d) =>
    el("tr", {},
      el("td", {}, el("button", { type: "button", onclick: () => openDocument(name, d).catch(showError) }, d.source)),
      el("td", {}, d.title),
      el("td", {}, d.chunks),
      el("td", {}, d.graph ?? ""),
      el("td", {}, (d.ingested_at ?? "").slice(0, 19).replace("T", " ")),
      el("td", {}, el("button", { type: "button", onclick: () => deleteDocument(name, d).catch(showError) }, "Delete"))));
  $("#documents tbody").replaceChildren(...rows);
  $("#documents-panel").hidden = false;
  $("#document").hidden = true;
}

async function openDocument(collection, doc) {
  const found = await api("GET", `/documents/${encodeURIComponent(doc.document_id)}/text?collection=${encodeURIComponent(collection)}&passages=true`);
  $("#document-title").textContent = found.title || found.source;
  $("#document-text").textContent = found.text;
  $("#document-passages-count").textContent = `Its ${found.chunks} passages, as stored and searched`;
  $("#document-passages").replaceChildren(...found.passages.map((text) => el("li", {}, text)));
  $("#document").hidden = false;
}

async function deleteDocument(collection, doc) {
  if (!window.confirm(`Delete ${doc.source} from ${collection}?`)) return;
  await api("DELETE", `/documents/${encodeURIComponent(doc.document_id)}?collection=${encodeURIComponent(collection)}`);
  await openCollection(collection);
  await loadCollections();
}

// "source=a.md, metadata.team=red|blue" as the search API's filter; the API checks the keys.
function parseFilter(text) {
  const filter = {};
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const at = part.indexOf("=");
    const key = part.slice(0, at).trim();
    const values = part.slice(at + 1).split("|").map((v) => v.trim()).filter(Boolean);
    if (at < 1 || !values.length) throw new Error(`Filter "${part}" is not key=value (values may be joined by |).`);
    filter[key] = values.length === 1 ? values[0] : values;
  }
  return Object.keys(filter).length ? filter : undefined;
}

async function search(form) {
  const data = new FormData(form);
  const body = { query: data.get("query"), collection: data.get("collection") || undefined, mode: data.get("mode"), limit: 10 };
  if (data.get("by_document")) body.group_by = "document";
  body.filter = parseFilter(String(data.get("filter") ?? ""));
  const { results } = await api("POST", "/search", { json: body });
  const items = results.map((hit) =>
    el("li", {},
      el("p", {}, el("span", { class: "score" }, hit.score.toFixed(3)), " ", el("strong", {}, hit.title || hit.source), " ", el("span", { class: "path" }, hit.source)),
      el("p", { class: "path" }, (hit.headings ?? []).join(" › ")),
      el("p", {}, hit.text)));
  $("#results").replaceChildren(...(items.length ? items : [el("li", {}, "Nothing found.")]));
  searchGraph(body.query, body.collection);
}

// --- the knowledge graph ------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
const graph = { entities: new Map(), relations: new Map(), chunks: new Map(), seeds: new Set() };
let graphCollection; // the collection the drawing is of

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

async function askGraph(query, collection, mode = "local") {
  const body = { query, mode, collection: collection || undefined };
  return api("POST", "/lightrag/query", { json: body });
}

// LightRAG joins the descriptions an entity gathered with <SEP>.
const described = (item) => (item.description ?? "").replaceAll("<SEP>", " · ");

function relationKey(r) {
  return [r.src_id, r.tgt_id].sort().join("\u0000");
}

async function explore(query, collection) {
  const found = await askGraph(query, collection);
  graphCollection = collection || undefined;
  graph.seeds.add(query.toLowerCase());
  for (const e of found.entities ?? []) graph.entities.set(e.entity_name, e);
  for (const r of found.relations ?? []) {
    graph.relations.set(relationKey(r), r);
    for (const name of [r.src_id, r.tgt_id]) {
      if (!graph.entities.has(name)) graph.entities.set(name, { entity_name: name, description: "" });
    }
  }
  for (const c of found.chunks ?? []) graph.chunks.set(c.content, c);
  drawGraph();
}

function expandOn(name) {
  explore(name, $("#graph-collection").value).catch(showError);
}

// A force-directed layout (Fruchterman and Reingold): every entity pushes the others away,
// every relation pulls its two ends together, and the moves cool down step by step. It starts
// from rings (the explored names inside), so the same graph is always drawn the same way; the
// explored names stay near the middle.
const WIDTH = 760, HEIGHT = 560, STEPS = 150;

function layout(names, relations, seeds) {
  const at = new Map();
  const ring = (list, radius) => list.forEach((name, i) => {
    const angle = (2 * Math.PI * i) / Math.max(list.length, 1) - Math.PI / 2;
    at.set(name, [radius * Math.cos(angle), radius * Math.sin(angle)]);
  });
  ring(names.filter((n) => seeds.has(n)), 60);
  ring(names.filter((n) => !seeds.has(n)), 220);
  const k = Math.sqrt((WIDTH * HEIGHT) / Math.max(names.length, 1)) * 0.6;
  const edges = relations.filter((r) => at.has(r.src_id) && at.has(r.tgt_id) && r.src_id !== r.tgt_id);
  for (let step = 0, heat = WIDTH / 10; step < STEPS; step++, heat *= 0.96) {
    const move = new Map(names.map((n) => [n, [0, 0]]));
    const push = (name, dx, dy) => { const m = move.get(name); m[0] += dx; m[1] += dy; };
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const [a, b] = [at.get(names[i]), at.get(names[j])];
        const dx = a[0] - b[0] || 0.01, dy = a[1] - b[1];
        const d2 = dx * dx + dy * dy, force = (k * k) / d2;
        push(names[i], dx * force, dy * force);
        push(names[j], -dx * force, -dy * force);
      }
    }
    for (const r of edges) {
      const [a, b] = [at.get(r.src_id), at.get(r.tgt_id)];
      const dx = a[0] - b[0], dy = a[1] - b[1], d = Math.hypot(dx, dy) || 0.01, pull = d / k;
      push(r.src_id, -dx * pull, -dy * pull);
      push(r.tgt_id, dx * pull, dy * pull);
    }
    for (const name of names) {
      const p = at.get(name);
      const gravity = seeds.has(name) ? 1 : 0.1; // towards the middle: the explored names most
      push(name, -p[0] * gravity, -p[1] * gravity);
      const [mx, my] = move.get(name), length = Math.hypot(mx, my) || 1, step = Math.min(length, heat);
      p[0] = Math.max(-WIDTH / 2, Math.min(WIDTH / 2, p[0] + (mx / length) * step));
      p[1] = Math.max(-HEIGHT / 2, Math.min(HEIGHT / 2, p[1] + (my / length) * step));
    }
  }
  return at;
}

function drawGraph() {
  const names = [...graph.entities.keys()];
  const seeds = new Set(names.filter((n) => graph.seeds.has(n.toLowerCase())));
  const at = layout(names, [...graph.relations.values()], seeds);
  const lines = [...graph.relations.values()]
    .filter((r) => at.has(r.src_id) && at.has(r.tgt_id))
    .map((r) => {
      const [x1, y1] = at.get(r.src_id);
      const [x2, y2] = at.get(r.tgt_id);
      return svg("line", { x1, y1, x2, y2 });
    });
  const nodes = names.map((name) => {
    const [x, y] = at.get(name);
    const node = svg("g", { tabindex: 0, role: "button", "aria-label": `Expand around ${name}`, "data-entity": name });
    node.append(svg("circle", { cx: x, cy: y, r: 9, class: graph.seeds.has(name.toLowerCase()) ? "seed" : "" }));
    node.append(svg("text", { x: x + 12, y: y + 4 }, name));
    node.append(svg("title", {}, described(graph.entities.get(name)) || name));
    node.addEventListener("click", () => expandOn(name));
    node.addEventListener("keydown", (event) => { if (event.key === "Enter") expandOn(name); });
    return node;
  });
  $("#graph").replaceChildren(...lines, ...nodes);
  $("#entities").replaceChildren(...names.map((name) =>
    el("li", {}, el("button", { type: "button", onclick: () => expandOn(name) }, name), " ", described(graph.entities.get(name)))));
  $("#relations").replaceChildren(...[...graph.relations.values()].map((r) =>
    el("li", {}, el("button", { type: "button", onclick: () => showPassages(r).catch(showError) }, `${r.src_id} — ${r.tgt_id}`), " ", described(r))));
}

// The passages behind a relation: the chunks LightRAG found it in, each with its document.
async function showPassages(relation) {
  const body = { source: relation.src_id, target: relation.tgt_id, collection: graphCollection };
  const { passages, keywords } = await api("POST", "/lightrag/relation", { json: body });
  $("#passages-title").textContent = `Passages behind ${relation.src_id} — ${relation.tgt_id}` + (keywords ? ` (${keywords})` : "");
  $("#passages").replaceChildren(...(passages.length
    ? passages.map((p) => el("li", {}, el("p", {}, p.text), el("p", { class: "path" }, `document ${p.document_id}`)))
    : [el("li", {}, "The graph keeps no passage for this relation.")]));
}

function clearGraph() {
  for (const part of Object.values(graph)) part.clear();
  $("#graph").replaceChildren();
  for (const list of ["#entities", "#relations", "#passages"]) $(list).replaceChildren();
}

// Beside a search's passages: what the graph knows around the same query.
async function searchGraph(query, collection) {
  const aside = $("#search-graph");
  try {
    const found = await askGraph(query, collection);
    aside.replaceChildren(
      el("h3", {}, "In the knowledge graph"),
      el("ul", {}, ...(found.entities ?? []).slice(0, 12).map((e) => el("li", {}, el("strong", {}, e.entity_name), " ", described(e)))),
      el("ul", {}, ...(found.relations ?? []).slice(0, 12).map((r) => el("li", {}, `${r.src_id} — ${r.tgt_id}: ${described(r)}`))));
  } catch (error) {
    aside.replaceChildren(el("p", {}, `No graph context: ${error.message}`));
  }
}

// --- jobs ---------------------------------------------------------------------------------

const followed = new Set();

function progressOf(job) {
  const p = job.progress ?? {};
  if (p.total) return `${p.done ?? 0} of ${p.total}`;
  return job.stage ?? "";
}

// What became of each document (or, for a crawl, each page) of a job.
function outcomesOf(job) {
  const items = job.result?.documents ?? [];
  if (!items.length) return "";
  const line = (item) => {
    const parts = [item.status, item.chunks ? `${item.chunks} chunks` : "", item.graph ? `graph ${item.graph}` : ""];
    return el("li", { "data-status": item.status }, el("span", { class: "path" }, item.source), " ",
      parts.filter(Boolean).join(", "), item.error ? ` — ${item.error}` : "", item.graph_error ? ` — graph: ${item.graph_error}` : "");
  };
  const counts = {};
  for (const item of items) counts[item.status] = (counts[item.status] ?? 0) + 1;
  const summary = Object.entries(counts).map(([status, n]) => `${n} ${status}`).join(", ");
  return el("details", {}, el("summary", {}, summary), el("ul", {}, ...items.map(line)));
}

function jobRow(job) {
  const cancel = el("button", { type: "button", onclick: () => api("DELETE", `/jobs/${job.job_id}`).then(loadJobs).catch(showError) }, "Cancel");
  cancel.hidden = !["queued", "running"].includes(job.status);
  const row = el("tr", { id: `job-${job.job_id}`, "data-status": job.status },
    el("td", {}, job.job_id.slice(0, 8)), el("td", {}, job.kind), el("td", {}, job.collection),
    el("td", { class: "status" }, job.status), el("td", {}, progressOf(job)), el("td", {}, outcomesOf(job)),
    el("td", {}, cancel));
  const open = $(`#job-${job.job_id} details`)?.open; // an update keeps the list open
  if (open) row.querySelector("details").open = true;
  return row;
}

async function loadJobs() {
  const { jobs } = await api("GET", "/jobs?limit=20");
  $("#jobs tbody").replaceChildren(...jobs.map(jobRow));
  for (const job of jobs) if (["queued", "running"].includes(job.status)) follow(job.job_id);
}

// The job's Server-Sent Events, read with fetch (EventSource cannot send the token).
async function follow(jobId) {
  if (followed.has(jobId)) return;
  followed.add(jobId);
  try {
    const response = await fetch(`/jobs/${jobId}/events`, { headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` } });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replaceAll("\r\n", "\n"); // sse-starlette ends lines with CRLF
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trim()).join("\n");
        if (!data) continue;
        const job = JSON.parse(data);
        const row = $(`#job-${jobId}`);
        if (row) row.replaceWith(jobRow(job));
        else $("#jobs tbody").prepend(jobRow(job));
      }
    }
  } finally {
    followed.delete(jobId);
  }
}

// --- sources ------------------------------------------------------------------------------

function lastSyncOf(source) {
  const last = source.last_sync;
  if (!last) return "never";
  const when = (last.ended_at ?? last.started_at ?? "").replace("T", " ").slice(0, 16);
  const counts = ["added", "changed", "unchanged", "removed", "failed"].map((k) => `${last[k]} ${k}`).join(", ");
  return el("span", { "data-status": last.status }, `${last.status} ${when}: ${counts}`,
    last.error ? el("small", { class: "error" }, ` — ${last.error}`) : "");
}

function sourceRow(source) {
  const sync = el("button", { type: "button", onclick: () => syncSource(source.source_id).catch(showError) }, "Sync now");
  sync.disabled = Boolean(source.syncing);
  return el("tr", { id: `source-${source.source_id}` },
    el("td", {}, el("span", { class: "path" }, source.name ?? source.url ?? source.path)),
    el("td", {}, source.kind), el("td", {}, source.collection), el("td", {}, source.every ?? "when asked"),
    el("td", {}, source.documents), el("td", {}, source.syncing ? "syncing…" : lastSyncOf(source)),
    el("td", {}, (source.next_sync_at ?? "").replace("T", " ").slice(0, 16) || "—"), el("td", {}, sync));
}

async function loadSources() {
  const { sources } = await api("GET", "/sources");
  $("#sources tbody").replaceChildren(...sources.map(sourceRow));
}

async function syncSource(sourceId) {
  clearError();
  await accepted(await api("POST", `/sources/${encodeURIComponent(sourceId)}/sync`));
}

async function accepted(job) {
  await loadJobs();
  show("jobs");
  follow(job.job_id);
}

// --- wiring -------------------------------------------------------------------------------

$("#sign-in").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn($("#token").value.trim());
  $("#token").value = "";
});
$("#sign-out").addEventListener("click", () => signOut());
for (const button of document.querySelectorAll("nav button")) {
  button.addEventListener("click", () => show(button.dataset.view));
}
$("#search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  clearError();
  search(event.target).catch(showError);
});
$("#graph-form").addEventListener("submit", (event) => {
  event.preventDefault();
  clearError();
  const data = new FormData(event.target);
  explore(data.get("query"), data.get("collection")).catch(showError);
});
$("#graph-clear").addEventListener("click", clearGraph);
$("#upload-form").addEventListener("submit", (event) => {
  event.preventDefault();
  clearError();
  const form = new FormData(event.target);
  api("POST", "/ingest-async/upload", { form }).then(accepted).catch(showError);
});
$("#url-form").addEventListener("submit", (event) => {
  event.preventDefault();
  clearError();
  const data = new FormData(event.target);
  const body = { kind: data.get("crawl") ? "crawl" : "document", url: data.get("url"), collection: data.get("collection") || undefined };
  api("POST", "/ingest-async", { json: body }).then(accepted).catch(showError);
});

const grafana = document.body.dataset.grafana;
if (grafana && /^https?:\/\//.test(grafana)) {
  $("#grafana").href = grafana;
  $("#grafana").hidden = false;
}
checkHealth();
setInterval(checkHealth, 15000);
if (sessionStorage.getItem(TOKEN_KEY)) signIn(sessionStorage.getItem(TOKEN_KEY));
else signOut();
