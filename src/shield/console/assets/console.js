// Shield's console: every call goes to this server's own API with the token the user gave,
// kept in sessionStorage (this tab only). Stored text is only ever set as textContent, never
// parsed as HTML; the page's Content-Security-Policy allows no inline script either.

import { centred, fitted, inside, layout, placeLabels, zoomed } from "{{drawing.js}}";

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
// The drawing shows every entity explored so far, fitted to the view; labels only for the
// entity in focus and its neighbours (the others say their name on hover), so that it stays
// readable at hundreds of entities. Drag to pan, the wheel or the buttons to zoom.

const SVG = "http://www.w3.org/2000/svg";
const graph = { entities: new Map(), relations: new Map(), seeds: new Set() };
let graphCollection; // the collection the drawing is of
let focused; // the entity in focus
let positions = new Map(); // each entity's place in the drawing's own units
let view = { x: -400, y: -300, w: 800, h: 600 }; // the part of the drawing shown
const NODE_PX = 6, LABEL_PX = 12; // an entity's radius and a label's size, on screen
const FEW = 40; // entities a drawing names all of
// Around a name the explorer follows the graph's relations (mode hops: one and two hops
// from the entities the query names), and asks for more than an answer's default: it draws
// what an assistant would not read.
const EXPLORE = { top_k: 60, limit: 30, max_chars: 100000 };

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

async function askGraph(query, collection, mode = "local", more = {}) {
  const body = { query, mode, collection: collection || undefined, ...more };
  return api("POST", "/lightrag/query", { json: body });
}

const described = (item) => item?.description ?? "";
const relationKey = (r) => [r.src_id, r.tgt_id].sort().join("\u0000");
const drawing = () => $("#graph");

async function explore(query, collection) {
  if (graphCollection !== undefined && (collection || undefined) !== graphCollection) clearGraph();
  const found = await askGraph(query, collection, "hops", EXPLORE);
  graphCollection = collection || undefined;
  graph.seeds.add(query.toLowerCase());
  for (const e of found.entities ?? []) graph.entities.set(e.entity_name, e);
  for (const r of found.relations ?? []) {
    graph.relations.set(relationKey(r), r);
    for (const name of [r.src_id, r.tgt_id]) {
      if (!graph.entities.has(name)) graph.entities.set(name, { entity_name: name, description: "" });
    }
  }
  const names = [...graph.entities.keys()];
  const seeds = new Set(names.filter((n) => graph.seeds.has(n.toLowerCase())));
  positions = layout(names, [...graph.relations.values()], seeds, positions);
  view = fitted(positions, aspect());
  focus(names.find((n) => n.toLowerCase() === query.toLowerCase()) ?? focused);
}

function aspect() {
  const box = drawing().getBoundingClientRect();
  return box.width && box.height ? box.width / box.height : 4 / 3;
}

// Drawing units a screen pixel spans (the drawing keeps its proportions: the larger).
function unitsPerPixel() {
  const box = drawing().getBoundingClientRect();
  return box.width && box.height ? Math.max(view.w / box.width, view.h / box.height) : view.w / 760;
}

// Each entity's neighbours, read from the relations once per drawing.
function neighbourhoods() {
  const near = new Map([...graph.entities.keys()].map((name) => [name, new Set()]));
  for (const r of graph.relations.values()) {
    if (r.src_id === r.tgt_id) continue;
    near.get(r.src_id)?.add(r.tgt_id);
    near.get(r.tgt_id)?.add(r.src_id);
  }
  return near;
}

// The names, the most related first.
const byDegree = (names, near) => names.sort((a, b) => near.get(b).size - near.get(a).size || a.localeCompare(b));

// Focus on an entity: its label and its neighbours', its relations, its documents. The
// drawing stays in sight (and the entity in the view) wherever it was chosen from.
function focus(name) {
  focused = graph.entities.has(name) ? name : undefined;
  if (focused && !inside(view, positions.get(focused))) view = centred(view, positions.get(focused));
  drawGraph();
  showFocus();
  const box = drawing().getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) drawing().scrollIntoView({ block: "nearest" });
}

function drawGraph() {
  const scale = unitsPerPixel(), radius = NODE_PX * scale;
  const around = neighbourhoods();
  const near = focused ? around.get(focused) : new Set();
  drawing().setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
  const lines = [...graph.relations.values()]
    .filter((r) => positions.has(r.src_id) && positions.has(r.tgt_id))
    .map((r) => {
      const [[x1, y1], [x2, y2]] = [positions.get(r.src_id), positions.get(r.tgt_id)];
      const touches = r.src_id === focused || r.tgt_id === focused;
      return svg("line", { x1, y1, x2, y2, class: touches ? "near" : "" });
    });
  const nodes = [...positions.entries()].map(([name, [x, y]]) => {
    const kind = name === focused ? "focus" : near.has(name) ? "near" : graph.seeds.has(name.toLowerCase()) ? "seed" : "";
    const node = svg("g", { tabindex: 0, role: "button", "aria-label": `Focus on ${name}`, "data-entity": name });
    node.append(svg("circle", { cx: x, cy: y, r: radius, class: kind }), svg("title", {}, name));
    return node;
  });
  const labels = svg("g", { class: "labels" });
  drawing().replaceChildren(...lines, ...nodes, labels);
  const first = focused ? [focused, ...byDegree([...near], around)] : [];
  // A small drawing names everything, where there is room; a large one its focus alone.
  const rest = positions.size <= FEW ? [...positions.keys()].filter((n) => n !== focused && !near.has(n)) : [];
  placeNames([...first, ...rest], labels, scale);
}

// Labels where they fit (drawing.js: placeLabels); the rest are read on hover and in the lists.
function placeNames(names, group, scale) {
  const size = LABEL_PX * scale;
  const texts = names.map((name) => {
    const text = svg("text", { x: 0, y: 0, "font-size": size, "data-label": name }, name);
    group.append(text);
    const box = text.getBBox();
    return { text, ascent: -box.y || size * 0.8, w: box.width || size * 0.6 * name.length, h: box.height || size * 1.2 };
  });
  const spots = placeLabels(
    names.map((name, i) => ({ name, x: positions.get(name)[0], y: positions.get(name)[1], w: texts[i].w, h: texts[i].h })),
    NODE_PX * scale, view);
  spots.forEach((spot, i) => {
    if (spot === null) texts[i].text.remove();
    else {
      texts[i].text.setAttribute("x", spot.x);
      texts[i].text.setAttribute("y", spot.y + texts[i].ascent);
    }
  });
}

function showFocus() {
  const entity = graph.entities.get(focused);
  $("#focus-title").textContent = focused ?? "Choose an entity";
  $("#focus-description").textContent = entity ? described(entity) : "";
  $("#focus-documents").replaceChildren(...(entity?.documents ?? []).map((d) =>
    el("li", {}, el("strong", {}, d.title || d.source), " ",
      el("span", { class: "path" }, d.title && d.title !== d.source ? `${d.source}, document ${d.document_id}` : `document ${d.document_id}`))));
  $("#focus-expand").hidden = !focused;
  $("#focus-expand").textContent = focused ? `Expand around ${focused}` : "";
  const listed = byDegree([...graph.entities.keys()], neighbourhoods());
  $("#entities-count").textContent = `Entities (${listed.length})`;
  $("#entities").replaceChildren(...listed.map((name) =>
    el("li", {}, el("button", { type: "button", onclick: () => focus(name), "aria-pressed": String(name === focused) }, name), " ", described(graph.entities.get(name)))));
  const relations = [...graph.relations.values()].filter((r) => !focused || r.src_id === focused || r.tgt_id === focused);
  $("#relations-title").textContent = focused ? `Relations of ${focused} (${relations.length})` : `Relations (${relations.length})`;
  $("#relations").replaceChildren(...relations.map((r) =>
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
  positions = new Map();
  focused = undefined;
  graphCollection = undefined;
  drawing().replaceChildren();
  for (const list of ["#entities", "#relations", "#passages", "#focus-documents"]) $(list).replaceChildren();
  showFocus();
}

// Zoom about a point of the drawing (its middle by default), and pan by dragging.
function zoom(factor, point = [view.x + view.w / 2, view.y + view.h / 2]) {
  view = zoomed(view, factor, ...point);
  drawGraph();
}

function pointAt(event) {
  const at = new DOMPoint(event.clientX, event.clientY).matrixTransform(drawing().getScreenCTM().inverse());
  return [at.x, at.y];
}

function entityOf(event) {
  return event.target.closest?.("g[data-entity]")?.dataset.entity;
}

let dragged; // where a pan started: the pointer and the view
drawing().addEventListener("wheel", (event) => {
  event.preventDefault();
  zoom(Math.exp(event.deltaY * 0.0015), pointAt(event));
}, { passive: false });
drawing().addEventListener("pointerdown", (event) => {
  if (entityOf(event)) return;
  dragged = { x: event.clientX, y: event.clientY, view, scale: unitsPerPixel() };
  drawing().setPointerCapture(event.pointerId);
});
drawing().addEventListener("pointermove", (event) => {
  if (!dragged) return;
  const { x, y, scale } = dragged;
  view = { ...dragged.view, x: dragged.view.x - (event.clientX - x) * scale, y: dragged.view.y - (event.clientY - y) * scale };
  drawing().setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
});
drawing().addEventListener("pointerup", () => {
  if (dragged) drawGraph(); // labels placed again for what is now in view
  dragged = undefined;
});
drawing().addEventListener("click", (event) => {
  const name = entityOf(event);
  if (name) focus(name);
});
drawing().addEventListener("keydown", (event) => {
  const name = entityOf(event);
  if (name && (event.key === "Enter" || event.key === " ")) {
    event.preventDefault();
    focus(name);
  }
});
$("#zoom-in").addEventListener("click", () => zoom(1 / 1.4));
$("#zoom-out").addEventListener("click", () => zoom(1.4));
$("#zoom-fit").addEventListener("click", () => {
  view = fitted(positions, aspect());
  drawGraph();
});
$("#focus-expand").addEventListener("click", () => {
  clearError();
  explore(focused, $("#graph-collection").value).catch(showError);
});

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
