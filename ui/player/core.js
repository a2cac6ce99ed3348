// The player's core: its state, the runs' arrays, numbers and axes, and the 2D chart every panel draws on.
// Loaded first; then every file in panels/ registers its panel kinds in PANELS; player.js (the controls, the
// cursor and Streamlit's messages) comes last. See ui/player.py for the Python side and how to add a panel.
"use strict";

const $ = (id) => document.getElementById(id);
const reducedQuery = window.matchMedia("(prefers-reduced-motion: reduce)");
const coarse = window.matchMedia("(pointer: coarse)");

const S = {
  texts: {}, panelKinds: "", layer: null, layers: new Map(), runs: [], decoded: new Map(),
  last: 0, cursor: 0, pos: 0, playing: false, speed: 1, showAll: false, reduced: false, argsCursor: null,
  argsShowAll: null, charts: [], view3d: null, drawn: {}, backgrounds: {}, frames: 0, rendered: 0, firstDraw: null,
  lastDraw: null, sent: null, scale: 1, marks: {}, ticks: {}, crosses: {}, styles: {},
};

// A panel kind: {main: bool (the large panel on the left; else a side panel on the right), titles(texts) ->
// [x title, y title], ranges(chart) -> [x range, y range, log y], background?(chart, g) (drawn once per range
// change, over the axes), draw(chart, g) (every frame: the runs up to the cursor), click?(chart, point),
// margins?(chart, g) (drawn once like the background, outside the plot box too), axes?: false (no axes: it draws
// its own frames), boxHeight?(box) -> CSS height or null, readout?: {head(texts),
// cells(run, index at the cursor)} (the table's columns after the run's name; else x, y, loss, lr)}.
// A kind with `build(box)` instead of a canvas (the 3D view) draws itself with `frame()`.
const PANELS = {};

// ---- data ------------------------------------------------------------------------------------------------
const TYPED = {f4: Float32Array, u2: Uint16Array, u1: Uint8Array};  // viz/player_data.py KINDS

function floats(b64, kind = "f4") {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TYPED[kind](bytes.buffer);
}

// Arrays named in `obj.arrays` (viz/player_data.py `typed`: base64, float32 unless `obj.kinds` says otherwise)
// decoded in place of their strings.
const decoded = (obj) => Object.fromEntries(Object.entries(obj).map(([k, v]) => [k,
  (obj.arrays || []).includes(k) ? floats(v, (obj.kinds || {})[k]) : v]));

const MAX_LR_MARKS = 30;  // a drop at every step (ExponentialLR) would only clutter the path

// Each run is told apart by more than its colour: by its position in the list, a dash pattern for its path and
// curves and a marker shape where it is at the cursor (the map, the 3D view, the curves and the readout agree).
// Each style: [canvas dash in px, plotly's 3D dash]; each marker is one plotly.js 3D symbol, drawn alike in 2D.
const DASHES = [[[], "solid"], [[9, 5], "dash"], [[2, 4], "dot"], [[9, 4, 2, 4], "dashdot"], [[16, 6], "longdash"],
  [[16, 4, 2, 4], "longdashdot"]];
const MARKERS = ["circle", "square", "diamond", "cross", "circle-open", "square-open"];

function decodeRun(r) {
  const run = decoded(r), lr = run.lr, drops = [];
  for (let i = 1; i < Math.min(lr.length, r.end); i++) if (lr[i] < lr[i - 1]) drops.push(i);  // the lr drops here
  return {...run, drops: drops.length <= MAX_LR_MARKS ? drops : [], ownDash: r.dash};
}

function styleRun(r, index) {  // the run's dash and marker by its position in the list (an entry may bring a dash)
  const [dash, dash3d] = DASHES[index % DASHES.length];
  Object.assign(r, {dash: r.ownDash || dash, dash3d, marker: MARKERS[index % MARKERS.length], sample: null});
}

async function loadLayer(ref) {
  if (!S.layers.has(ref.key)) {
    const raw = ref.url ? await (await fetch(ref.url)).json() : ref;
    S.layers.set(ref.key, {...decoded(raw), mesh: raw.mesh && decoded(raw.mesh)});
  }
  return S.layers.get(ref.key);
}

const shown = (r) => S.showAll ? r.end - 1 : Math.min(S.cursor, r.end - 1);  // last index drawn
const at = (r) => Math.min(S.cursor, r.end - 1);  // the index the cursor shows (its last finite one at most)

// ---- numbers and axes ------------------------------------------------------------------------------------
function fmt(v) {
  if (!Number.isFinite(v)) return "—";
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2).replace("e+", "e") : String(+v.toPrecision(5));
}

function tickLabel(v) {
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(0).replace("e+", "e") : String(+v.toPrecision(6));
}

function linearTicks(lo, hi, count) {
  const raw = (hi - lo) / Math.max(count, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

// Ticks of a log axis (lo, hi are log10 values) as log10 values, at most `count` of them: every decade, or every
// few decades when they are crowded; 2 and 5 within each decade when there is room (a span of a decade or two).
function logTicks(lo, hi, count) {
  const decades = [];
  const every = Math.max(1, Math.ceil((hi - lo) / Math.max(count - 1, 1)));
  for (let e = Math.ceil(lo); e <= hi + 1e-9; e += every) decades.push(e);
  const within = [];
  for (let e = Math.floor(lo); e <= hi; e++) for (const m of [1, 2, 5]) {
    const u = e + Math.log10(m);
    if (u >= lo - 1e-9 && u <= hi + 1e-9) within.push(u);
  }
  return decades.length < 3 && within.length <= count ? within : decades;
}

function extent(arrays, log, cap = Infinity) {  // values above `cap` (a run blowing up) leave the top open
  let lo = Infinity, hi = -Infinity;
  for (const a of arrays) for (const v of a) if (Number.isFinite(v) && (!log || v > 0)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  hi = Math.min(hi, cap);
  if (lo === Infinity) return [0, 1];
  if (log) return [Math.log10(lo) - 0.1, Math.log10(hi) + 0.1];
  const pad = hi > lo ? (hi - lo) * 0.04 : Math.abs(hi) * 0.1 || 1;
  return [lo - pad, hi + pad];
}

const wantsLog = (arrays, ratio = 50) => {  // positive values spanning more than `ratio`×
  let lo = Infinity, hi = 0;
  for (const a of arrays) for (const v of a) if (Number.isFinite(v)) { if (v <= 0) return false; lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return lo < Infinity && hi / lo > ratio;
};

// ---- a 2D chart: a canvas, its background (axes and what the panel draws once) and its scales -------------
class Chart {
  constructor(kind, box) {
    this.kind = kind;
    this.panel = PANELS[kind];
    this.box = box;
    this.canvas = document.createElement("canvas");
    this.bg = document.createElement("canvas");
    box.appendChild(this.canvas);
    this.dirty = true;
  }

  layout() {
    // a panel may size its own box (small multiples stacked on a phone): a CSS height, or null for the grid's
    if (this.panel.boxHeight) this.box.style.height = this.panel.boxHeight(this.box) || "";
    const {width, height} = this.box.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.w = Math.max(width, 50); this.h = Math.max(height, 50); this.dpr = dpr;
    for (const c of [this.canvas, this.bg]) { c.width = Math.round(this.w * dpr); c.height = Math.round(this.h * dpr); }
    const k = S.scale;  // lecture mode: larger fonts and margins
    // a side panel's last x tick is centred on its right edge (the page's edge): room for half of it
    this.m = {l: 58 * k, r: this.panel.main ? 10 : 16 * k, t: (this.panel.main ? 10 : 24) * k, b: 40 * k};
    if (this.panel.axes === false) this.m = {l: 0, r: 0, t: 0, b: 0};  // it draws its own frames
    this.dirty = true;
  }

  setRanges([x, y, log]) {  // the background is redrawn only when they change
    if (`${x}|${y}|${log}` === `${this.x}|${this.y}|${this.log}`) return;
    this.x = x; this.y = y; this.log = log; this.dirty = true;
  }

  sx(v) { return this.m.l + (v - this.x[0]) / (this.x[1] - this.x[0]) * (this.w - this.m.l - this.m.r); }

  sy(v) {
    const u = this.log ? Math.log10(v) : v;
    return this.h - this.m.b - (u - this.y[0]) / (this.y[1] - this.y[0]) * (this.h - this.m.t - this.m.b);
  }

  inverse(px, py) {
    const fx = (px - this.m.l) / (this.w - this.m.l - this.m.r), fy = (this.h - this.m.b - py) / (this.h - this.m.t - this.m.b);
    return fx < 0 || fx > 1 || fy < 0 || fy > 1 ? null
      : [this.x[0] + fx * (this.x[1] - this.x[0]), this.y[0] + fy * (this.y[1] - this.y[0])];
  }

  clip(g) {  // drawing outside the plot box is cut off
    g.beginPath(); g.rect(this.m.l, this.m.t, this.w - this.m.l - this.m.r, this.h - this.m.t - this.m.b); g.clip();
  }

  drawBackground() {
    const g = this.bg.getContext("2d");
    g.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    g.clearRect(0, 0, this.w, this.h);
    if (this.panel.axes === false) {  // a panel of small multiples: its own frames, no axes, ticks or titles
      if (this.panel.background) this.panel.background(this, g);
      this.dirty = false;
      return;
    }
    g.font = `${12 * S.scale}px system-ui, sans-serif`;
    const {l, r, t, b} = this.m, right = this.w - r, bottom = this.h - b;
    g.strokeStyle = "#eceef1"; g.fillStyle = "#555"; g.lineWidth = 1;
    g.textAlign = "center"; g.textBaseline = "top";
    const ticks = {x: [], y: [], font: 12 * S.scale};  // what is drawn where (playerState): labels never overlap
    for (const v of linearTicks(this.x[0], this.x[1], Math.max(2, Math.floor((right - l) / (80 * S.scale))))) {
      const px = this.sx(v), label = tickLabel(v);
      g.beginPath(); g.moveTo(px, t); g.lineTo(px, bottom); g.stroke();
      g.fillText(label, px, bottom + 4);
      ticks.x.push({label, at: px, width: g.measureText(label).width});
    }
    g.textAlign = "right"; g.textBaseline = "middle";
    const rows = Math.max(2, Math.floor((bottom - t) / (24 * S.scale)));  // a label and a gap: labels never overlap
    const yt = this.log ? logTicks(...this.y, rows) : linearTicks(this.y[0], this.y[1], Math.max(2, Math.floor((bottom - t) / (45 * S.scale))));
    for (const u of yt) {
      const py = this.sy(this.log ? 10 ** u : u), label = tickLabel(this.log ? 10 ** u : u);
      g.beginPath(); g.moveTo(l, py); g.lineTo(right, py); g.stroke();
      g.fillText(label, l - 5, py);
      ticks.y.push({label, at: py});
    }
    S.ticks[this.kind] = ticks;
    g.strokeStyle = "#9aa0a8"; g.strokeRect(l, t, right - l, bottom - t);
    S.backgrounds[this.kind] = (S.backgrounds[this.kind] || 0) + 1;
    const titles = this.panel.titles(S.texts);
    g.fillStyle = "#333"; g.textAlign = "center"; g.textBaseline = "bottom";
    g.fillText(titles[0], (l + right) / 2, this.h - 2);
    if (this.panel.main) {
      g.save(); g.translate(12 * S.scale, (t + bottom) / 2); g.rotate(-Math.PI / 2); g.textBaseline = "middle";
      g.fillText(titles[1], 0, 0); g.restore();
    } else {
      g.textAlign = "left"; g.textBaseline = "top"; g.fillText(titles[1], l, 4);
    }
    if (this.panel.margins) this.panel.margins(this, g);  // unclipped: e.g. a legend beside the title
    if (this.panel.background) { g.save(); this.clip(g); this.panel.background(this, g); g.restore(); }
    this.dirty = false;
  }

  snapshot(k) {  // the chart drawn again at k× its size on the page (a sharp PNG); the page's canvases untouched
    const saved = [this.canvas, this.bg, this.dpr, this.dirty];
    this.canvas = document.createElement("canvas"); this.bg = document.createElement("canvas"); this.dpr = k;
    for (const c of [this.canvas, this.bg]) { c.width = Math.round(this.w * k); c.height = Math.round(this.h * k); }
    this.dirty = true;
    this.draw();
    const sharp = this.canvas;
    [this.canvas, this.bg, this.dpr, this.dirty] = saved;
    return sharp;
  }

  draw() {
    if (this.dirty) this.drawBackground();
    const g = this.canvas.getContext("2d");
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, this.canvas.width, this.canvas.height);
    g.drawImage(this.bg, 0, 0);
    g.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    g.save(); this.clip(g); this.panel.draw(this, g); g.restore();
  }
}

// ---- shapes ----------------------------------------------------------------------------------------------
function polyline(g, c, xs, ys, from, to) {  // points from..to (inclusive); a non-finite one lifts the pen
  g.beginPath();
  let pen = false;
  for (let i = from; i <= to; i++) {
    const x = xs(i), y = ys(i);
    if (!Number.isFinite(x) || !Number.isFinite(y) || (c.log && y <= 0)) { pen = false; continue; }
    if (pen) g.lineTo(c.sx(x), c.sy(y)); else { g.moveTo(c.sx(x), c.sy(y)); pen = true; }
  }
  g.stroke();
}

function star(g, x, y) {
  g.beginPath();
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + i * Math.PI / 5, rad = i % 2 ? 4 : 9;
    g.lineTo(x + rad * Math.cos(a), y + rad * Math.sin(a));
  }
  g.closePath(); g.fillStyle = "#FFD700"; g.fill(); g.strokeStyle = "#333"; g.lineWidth = 1.2; g.stroke();
}

function diamond(g, x, y, color) {
  g.beginPath(); g.moveTo(x, y - 6); g.lineTo(x + 6, y); g.lineTo(x, y + 6); g.lineTo(x - 6, y); g.closePath();
  g.fillStyle = color; g.fill(); g.lineWidth = 1.5; g.strokeStyle = "#fff"; g.stroke();
}

function cross(g, x, y, color) {
  g.lineWidth = 3; g.strokeStyle = color;
  g.beginPath(); g.moveTo(x - 7, y - 7); g.lineTo(x + 7, y + 7); g.moveTo(x + 7, y - 7); g.lineTo(x - 7, y + 7); g.stroke();
}

function dot(g, x, y, color, radius = 6) {  // a filled marker with a white rim: where a run is at the cursor
  g.beginPath(); g.arc(x, y, radius, 0, 2 * Math.PI);
  g.fillStyle = color; g.fill(); g.lineWidth = 1.5; g.strokeStyle = "#fff"; g.stroke();
}

// A run's marker (MARKERS) of `size` px half-width at (x, y): filled with a white rim, or an open ring/box.
function marker(g, shape, x, y, color, size = 6) {
  const open = shape.endsWith("-open"), kind = shape.replace("-open", ""), s = kind === "circle" ? size : size * 0.9;
  g.beginPath();
  if (kind === "circle") g.arc(x, y, s, 0, 2 * Math.PI);
  else if (kind === "square") g.rect(x - s, y - s, 2 * s, 2 * s);
  else if (kind === "diamond") { const d = s * 1.3; g.moveTo(x, y - d); g.lineTo(x + d, y); g.lineTo(x, y + d); g.lineTo(x - d, y); g.closePath(); }
  else {  // a plus
    const a = s * 1.2, b = s * 0.45;
    for (const [px, py] of [[-b, -a], [b, -a], [b, -b], [a, -b], [a, b], [b, b], [b, a], [-b, a], [-b, b], [-a, b], [-a, -b], [-b, -b]]) g.lineTo(x + px, y + py);
    g.closePath();
  }
  if (open) { g.lineWidth = 5; g.strokeStyle = "#fff"; g.stroke(); g.lineWidth = 2.5; g.strokeStyle = color; g.stroke(); return; }
  g.fillStyle = color; g.fill(); g.lineWidth = 1.5; g.strokeStyle = "#fff"; g.stroke();
}

// Where the segment from (x0, y0), inside the box, to (x1, y1) leaves the box [left, top, right, bottom].
function exitPoint([left, top, right, bottom], x0, y0, x1, y1) {
  let t = 1;
  const dx = x1 - x0, dy = y1 - y0;
  if (dx > 0) t = Math.min(t, (right - x0) / dx); else if (dx < 0) t = Math.min(t, (left - x0) / dx);
  if (dy > 0) t = Math.min(t, (bottom - y0) / dy); else if (dy < 0) t = Math.min(t, (top - y0) / dy);
  return [x0 + t * dx, y0 + t * dy];
}

function arrow(g, x0, y0, x1, y1, color, width = 3, dash = []) {  // a line from (x0, y0) with a head at (x1, y1)
  const len = Math.hypot(x1 - x0, y1 - y0);
  if (!(len > 0.5)) return;
  const ux = (x1 - x0) / len, uy = (y1 - y0) / len, head = Math.min(12, len * 0.6);
  g.strokeStyle = color; g.fillStyle = color; g.lineWidth = width; g.setLineDash(dash);
  g.beginPath(); g.moveTo(x0, y0); g.lineTo(x1 - ux * head * 0.8, y1 - uy * head * 0.8); g.stroke();
  g.setLineDash([]);
  g.beginPath(); g.moveTo(x1, y1);
  g.lineTo(x1 - ux * head - uy * head * 0.45, y1 - uy * head + ux * head * 0.45);
  g.lineTo(x1 - ux * head + uy * head * 0.45, y1 - uy * head - ux * head * 0.45);
  g.closePath(); g.fill();
}

function drewStyle(kind, r, g, shape = null) {  // what a panel drew a run with (playerState)
  (S.styles[kind] = S.styles[kind] || {})[r.key] = {dash: g.getLineDash(), marker: shape};
}

function cursorLine(g, c) {  // the dashed vertical line at the cursor on a curve over the steps
  const px = c.sx(S.cursor);
  g.strokeStyle = "rgba(38,39,48,.55)"; g.lineWidth = 1; g.setLineDash([4, 3]);
  g.beginPath(); g.moveTo(px, c.m.t); g.lineTo(px, c.h - c.m.b); g.stroke();
  g.setLineDash([]);
}

// ---- the surface and a run's path (the map and every panel drawn over the surface use these) ----------------
function drawContours(c, g) {  // the layer's contour lines and minima
  const {lines, starts, palette} = S.layer;
  const [c0, c1] = palette.map((col) => [1, 3, 5].map((i) => parseInt(col.slice(i, i + 2), 16)));
  g.lineWidth = 1;
  starts.forEach((start, i) => {
    const stop = i + 1 < starts.length ? starts[i + 1] : lines.length / 2, f = i / Math.max(starts.length - 1, 1);
    g.strokeStyle = `rgb(${c0.map((v, k) => Math.round(v + (c1[k] - v) * f)).join(",")})`;
    polyline(g, c, (j) => lines[2 * j], (j) => lines[2 * j + 1], start, stop - 1);
  });
  for (const [x, y] of S.layer.minima) star(g, c.sx(x), c.sy(y));
}

// Where a run diverged or stopped (position k, its last finite one), in the plot box's pixels: there, or where its
// path last leaves the box when it is beyond it (a run blowing up lands far outside the surface's bounds).
function crossPoint(c, xy, k) {
  const box = [c.m.l, c.m.t, c.w - c.m.r, c.h - c.m.b], px = (i) => [c.sx(xy[2 * i]), c.sy(xy[2 * i + 1])];
  const inside = ([x, y]) => x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3];
  if (inside(px(k))) return px(k);
  let i = k - 1;
  while (i >= 0 && !inside(px(i))) i--;
  const [x, y] = i >= 0 ? exitPoint(box, ...px(i), ...px(i + 1)) : px(k);  // never inside: the nearest edge
  const pad = 8;  // the whole × within the box
  return [Math.max(box[0] + pad, Math.min(box[2] - pad, x)), Math.max(box[1] + pad, Math.min(box[3] - pad, y))];
}

function drawPath(c, g, r) {  // the path up to the cursor: start ring, lr drops, ×, where it is now
  const k = shown(r), xy = r.xy, now = at(r);
  if (k < 0) return;
  g.strokeStyle = r.color; g.lineWidth = 2.5; g.lineJoin = "round"; g.setLineDash(r.dash || []);
  drewStyle(c.kind, r, g, r.marker);
  polyline(g, c, (i) => xy[2 * i], (i) => xy[2 * i + 1], 0, k);
  g.setLineDash([]);
  S.drawn[r.key] = k + 1;
  g.lineWidth = 3; g.beginPath(); g.arc(c.sx(xy[0]), c.sy(xy[1]), 8, 0, 2 * Math.PI); g.stroke();
  const marks = r.drops.filter((i) => i <= k);
  for (const i of marks) diamond(g, c.sx(xy[2 * i]), c.sy(xy[2 * i + 1]), r.color);
  S.marks[r.key] = marks;
  if (r.end <= r.steps && k === r.end - 1) {
    const [x, y] = crossPoint(c, xy, k);
    cross(g, x, y, r.color);
    S.crosses[r.key] = [x, y];
  } else delete S.crosses[r.key];
  marker(g, r.marker, c.sx(xy[2 * now]), c.sy(xy[2 * now + 1]), r.color);
}
