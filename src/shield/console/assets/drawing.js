// The graph explorer's geometry, apart from the page: where entities go, what part of the
// drawing a view shows, and where labels fit. Plain functions of plain data (no DOM).

// Relations pull their ends to about this length; entities push each other apart.
export const EDGE = 60;
const STEPS = 160;
const REACH = 4 * EDGE;

// A force-directed layout (Fruchterman and Reingold): every entity pushes the others away,
// every relation pulls its two ends together, a weak pull keeps the parts of the graph near
// the middle, and the moves cool down step by step. Entities placed before keep their place
// as a start, and a new one starts beside an entity it is related to, so the drawing grows
// around what the user has seen; the first start is rings (the explored names inside), so the
// same graph is always drawn the same way.
export function layout(names, relations, seeds, previous = new Map()) {
  const at = new Map();
  const edges = relations.filter((r) => names.includes(r.src_id) && names.includes(r.tgt_id) && r.src_id !== r.tgt_id);
  const fresh = names.filter((n) => !previous.has(n));
  for (const name of names) if (previous.has(name)) at.set(name, [...previous.get(name)]);
  const ring = (list, radius) => list.forEach((name, i) => {
    const angle = (2 * Math.PI * i) / Math.max(list.length, 1) - Math.PI / 2;
    at.set(name, [radius * Math.cos(angle), radius * Math.sin(angle)]);
  });
  if (at.size === 0) {
    ring(fresh.filter((n) => seeds.has(n)), EDGE);
    ring(fresh.filter((n) => !seeds.has(n)), EDGE * Math.max(2, Math.sqrt(fresh.length) / 2));
  } else {
    fresh.forEach((name, i) => {
      const edge = edges.find((r) => (r.src_id === name && at.has(r.tgt_id)) || (r.tgt_id === name && at.has(r.src_id)));
      const [cx, cy] = edge ? at.get(edge.src_id === name ? edge.tgt_id : edge.src_id) : [0, 0];
      const angle = i * 2.39996; // the golden angle: neighbours of one entity spread around it
      at.set(name, [cx + EDGE * Math.cos(angle), cy + EDGE * Math.sin(angle)]);
    });
  }
  const k = EDGE, n = names.length;
  // A drawing that only grew starts cooler: what was placed moves little.
  let heat = (fresh.length === n ? EDGE * Math.sqrt(n) / 2 : EDGE);
  for (let step = 0; step < STEPS; step++, heat *= 0.97) {
    const move = new Map(names.map((name) => [name, [0, 0]]));
    for (let i = 0; i < n; i++) {
      const a = at.get(names[i]), ma = move.get(names[i]);
      for (let j = i + 1; j < n; j++) {
        const b = at.get(names[j]), mb = move.get(names[j]);
        const dx = a[0] - b[0] || 0.01 * (i - j), dy = a[1] - b[1], d2 = dx * dx + dy * dy;
        if (d2 > REACH * REACH) continue; // far apart: they no longer push (the grid variant)
        const force = (k * k) / Math.max(d2, 1);
        ma[0] += dx * force; ma[1] += dy * force;
        mb[0] -= dx * force; mb[1] -= dy * force;
      }
    }
    for (const r of edges) {
      const [a, b] = [at.get(r.src_id), at.get(r.tgt_id)];
      const dx = a[0] - b[0], dy = a[1] - b[1], pull = Math.hypot(dx, dy) / k;
      const [ma, mb] = [move.get(r.src_id), move.get(r.tgt_id)];
      ma[0] -= dx * pull; ma[1] -= dy * pull;
      mb[0] += dx * pull; mb[1] += dy * pull;
    }
    for (const name of names) {
      const p = at.get(name), m = move.get(name);
      const gravity = seeds.has(name) ? 0.3 : 0.05;
      m[0] -= p[0] * gravity; m[1] -= p[1] * gravity;
      const length = Math.hypot(m[0], m[1]) || 1, stride = Math.min(length, heat);
      p[0] += (m[0] / length) * stride;
      p[1] += (m[1] / length) * stride;
    }
  }
  separate(names.map((name) => at.get(name)));
  return at;
}

// Entities closer than SPACE are pushed apart, pair by pair, a few rounds: no entity is drawn
// on another.
const SPACE = 0.6 * EDGE;
function separate(points) {
  for (let round = 0; round < 30; round++) {
    let moved = false;
    for (let i = 0; i < points.length; i++) {
      for (let j = i + 1; j < points.length; j++) {
        const [a, b] = [points[i], points[j]];
        const dx = a[0] - b[0] || 0.01 * (i - j + 1), dy = a[1] - b[1], d = Math.hypot(dx, dy);
        if (d >= SPACE) continue;
        const shift = (SPACE - d) / 2 / d;
        a[0] += dx * shift; a[1] += dy * shift;
        b[0] -= dx * shift; b[1] -= dy * shift;
        moved = true;
      }
    }
    if (!moved) return;
  }
}

// The view that shows every entity, with room around them for a label, in the drawing's
// proportions (width / height).
export function fitted(at, aspect) {
  const xs = [...at.values()].map((p) => p[0]), ys = [...at.values()].map((p) => p[1]);
  if (xs.length === 0) return { x: -400, y: -300, w: 800, h: 600 };
  const margin = EDGE;
  let [x, y] = [Math.min(...xs) - margin, Math.min(...ys) - margin];
  let [w, h] = [Math.max(...xs) + margin - x, Math.max(...ys) + margin - y];
  if (w / h < aspect) { x -= (h * aspect - w) / 2; w = h * aspect; }
  else { y -= (w / aspect - h) / 2; h = w / aspect; }
  return { x, y, w, h };
}

// The view scaled by `factor` (below 1: closer) about the point (px, py), which stays put.
export function zoomed(view, factor, px, py) {
  const w = view.w * factor, h = view.h * factor;
  return { x: px - (px - view.x) * factor, y: py - (py - view.y) * factor, w, h };
}

export const inside = (view, [x, y]) => x >= view.x && x <= view.x + view.w && y >= view.y && y <= view.y + view.h;

// The view moved so that the point is in its middle.
export const centred = (view, [x, y]) => ({ ...view, x: x - view.w / 2, y: y - view.h / 2 });

const overlap = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

// Where each label goes: beside its entity (right, left, above, below, then the corners, then
// the same a little further out), at the first place that covers no label placed before and
// stays in the view, and that covers no other entity of the list if such a place exists.
// Labels come in order of importance (the focused entity first); one with no room is left out
// (null), to be read on hover and in the lists.
// `labels`: [{name, x, y, w, h}] with the entity at (x, y) and the label's size; `radius`: an
// entity's, in the same units.
export function placeLabels(labels, radius, view) {
  const taken = labels.map((l) => ({ x: l.x - radius, y: l.y - radius, w: 2 * radius, h: 2 * radius }));
  const placed = [];
  const fits = (box) => box.x >= view.x && box.y >= view.y && box.x + box.w <= view.x + view.w
    && box.y + box.h <= view.y + view.h && placed.every((p) => !overlap(box, p));
  return labels.map((label, index) => {
    const { x, y, w, h } = label;
    const spots = [1.3, 2.6].flatMap((far) => {
      const gap = radius * far;
      return [
        [x + gap, y - h / 2], [x - gap - w, y - h / 2], [x - w / 2, y - gap - h], [x - w / 2, y + gap],
        [x + gap, y - gap - h], [x + gap, y + gap], [x - gap - w, y - gap - h], [x - gap - w, y + gap],
      ].map(([sx, sy]) => ({ x: sx, y: sy, w, h }));
    });
    const clear = spots.find((box) => fits(box) && taken.every((t, i) => i === index || !overlap(box, t)));
    const chosen = clear ?? spots.find(fits);
    if (chosen) placed.push(chosen);
    return chosen ?? null;
  });
}
