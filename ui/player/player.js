// The player: a surface layer and runs on one time cursor (see ui/player.py and viz/player_data.py).
// Streamlit's components-v1 messages are spoken directly (no npm library, no build step). The 2D panels are
// canvases: the contour lines and axes are drawn once into a background, each frame draws the runs up to the
// cursor over it. plotly.js (from the installed plotly package) is loaded only for the 3D view.
"use strict";

const $ = (id) => document.getElementById(id);
const send = (type, data) => window.parent.postMessage({isStreamlitMessage: true, type, ...data}, "*");
const reducedQuery = window.matchMedia("(prefers-reduced-motion: reduce)");
const coarse = window.matchMedia("(pointer: coarse)");
const SECONDS_PER_RUN = 8;  // a whole run plays in 8 s at 1×

const S = {
  texts: {}, panelKinds: "", layer: null, layers: new Map(), runs: [], decoded: new Map(),
  last: 0, cursor: 0, pos: 0, playing: false, speed: 1, showAll: false, reduced: false, argsCursor: null,
  argsShowAll: null, charts: [], view3d: null, drawn: {}, backgrounds: {}, frames: 0, rendered: 0, firstDraw: null,
  lastDraw: null, sent: null, scale: 1, marks: {},
};

// ---- data ------------------------------------------------------------------------------------------------
function floats(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

const MAX_LR_MARKS = 30;  // as viz/race.py: a drop at every step (ExponentialLR) would only clutter the path

function decodeRun(r) {
  const lr = floats(r.lr), drops = [];
  for (let i = 1; i < Math.min(lr.length, r.end); i++) if (lr[i] < lr[i - 1]) drops.push(i);  // the lr drops here
  return {...r, xy: floats(r.xy), loss: floats(r.loss), lr, drops: drops.length <= MAX_LR_MARKS ? drops : []};
}

async function loadLayer(ref) {
  if (!S.layers.has(ref.key)) {
    const raw = ref.url ? await (await fetch(ref.url)).json() : ref;
    const mesh = raw.mesh && {...raw.mesh, z: floats(raw.mesh.z), color: raw.mesh.color && floats(raw.mesh.color)};
    S.layers.set(ref.key, {...raw, lines: floats(raw.lines), mesh});
  }
  return S.layers.get(ref.key);
}

const shown = (r) => S.showAll ? r.end - 1 : Math.min(S.cursor, r.end - 1);  // last index drawn

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

function logTicks(lo, hi) {  // lo, hi are log10 values
  const out = [];
  const every = Math.max(1, Math.ceil((hi - lo) / 6));
  for (let e = Math.ceil(lo); e <= hi; e += every) out.push(e);
  return out;
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

const wantsLog = (arrays) => {
  let lo = Infinity, hi = 0;
  for (const a of arrays) for (const v of a) if (Number.isFinite(v)) { if (v <= 0) return false; lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return lo < Infinity && hi / lo > 50;
};

// ---- a 2D chart: a canvas, its background (axes, contour lines) and its scales ---------------------------
class Chart {
  constructor(kind, box) {
    this.kind = kind;
    this.box = box;
    this.canvas = document.createElement("canvas");
    this.bg = document.createElement("canvas");
    box.appendChild(this.canvas);
    this.dirty = true;
  }

  layout() {
    const {width, height} = this.box.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.w = Math.max(width, 50); this.h = Math.max(height, 50); this.dpr = dpr;
    for (const c of [this.canvas, this.bg]) { c.width = Math.round(this.w * dpr); c.height = Math.round(this.h * dpr); }
    const k = S.scale;  // lecture mode: larger fonts and margins
    this.m = {l: 58 * k, r: 10, t: (this.kind === "map" ? 10 : 24) * k, b: 40 * k};
    this.dirty = true;
  }

  setRanges(x, y, log) {  // the background (axes, contour lines) is redrawn only when they change
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

  drawBackground(layer) {
    const g = this.bg.getContext("2d");
    g.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    g.clearRect(0, 0, this.w, this.h);
    g.font = `${12 * S.scale}px system-ui, sans-serif`;
    const {l, r, t, b} = this.m, right = this.w - r, bottom = this.h - b;
    g.strokeStyle = "#eceef1"; g.fillStyle = "#555"; g.lineWidth = 1;
    g.textAlign = "center"; g.textBaseline = "top";
    for (const v of linearTicks(this.x[0], this.x[1], Math.max(2, Math.floor((right - l) / 80)))) {
      const px = this.sx(v);
      g.beginPath(); g.moveTo(px, t); g.lineTo(px, bottom); g.stroke();
      g.fillText(tickLabel(v), px, bottom + 4);
    }
    g.textAlign = "right"; g.textBaseline = "middle";
    const yt = this.log ? logTicks(...this.y) : linearTicks(this.y[0], this.y[1], Math.max(2, Math.floor((bottom - t) / 45)));
    for (const u of yt) {
      const py = this.sy(this.log ? 10 ** u : u);
      g.beginPath(); g.moveTo(l, py); g.lineTo(right, py); g.stroke();
      g.fillText(this.log ? tickLabel(10 ** u) : tickLabel(u), l - 5, py);
    }
    g.strokeStyle = "#9aa0a8"; g.strokeRect(l, t, right - l, bottom - t);
    S.backgrounds[this.kind] = (S.backgrounds[this.kind] || 0) + 1;
    const titles = {map: [S.texts.x, S.texts.y], loss: [S.texts.step, S.texts.loss], lr: [S.texts.step, S.texts.lr]}[this.kind];
    g.fillStyle = "#333"; g.textAlign = "center"; g.textBaseline = "bottom";
    g.fillText(titles[0], (l + right) / 2, this.h - 2);
    if (this.kind === "map") {
      g.save(); g.translate(12 * S.scale, (t + bottom) / 2); g.rotate(-Math.PI / 2); g.textBaseline = "middle";
      g.fillText(titles[1], 0, 0); g.restore();
      this.drawContours(g, layer);
    } else {
      g.textAlign = "left"; g.textBaseline = "top"; g.fillText(titles[1], l, 4);
    }
    this.dirty = false;
  }

  drawContours(g, layer) {
    const {lines, starts, palette} = layer;
    const [c0, c1] = palette.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
    g.save();
    g.beginPath(); g.rect(this.m.l, this.m.t, this.w - this.m.l - this.m.r, this.h - this.m.t - this.m.b); g.clip();
    g.lineWidth = 1;
    starts.forEach((start, i) => {
      const stop = i + 1 < starts.length ? starts[i + 1] : lines.length / 2, f = i / Math.max(starts.length - 1, 1);
      g.strokeStyle = `rgb(${c0.map((v, k) => Math.round(v + (c1[k] - v) * f)).join(",")})`;
      g.beginPath();
      let pen = false;
      for (let j = start; j < stop; j++) {
        const x = lines[2 * j], y = lines[2 * j + 1];
        if (Number.isNaN(x)) { pen = false; continue; }
        if (pen) g.lineTo(this.sx(x), this.sy(y)); else { g.moveTo(this.sx(x), this.sy(y)); pen = true; }
      }
      g.stroke();
    });
    for (const [x, y] of layer.minima) star(g, this.sx(x), this.sy(y));
    g.restore();
  }

  begin() {
    const g = this.canvas.getContext("2d");
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, this.canvas.width, this.canvas.height);
    g.drawImage(this.bg, 0, 0);
    g.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    return g;
  }
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

// ---- drawing the runs up to the cursor -------------------------------------------------------------------
function drawMap(c) {
  const g = c.begin();
  g.save();
  g.beginPath(); g.rect(c.m.l, c.m.t, c.w - c.m.l - c.m.r, c.h - c.m.t - c.m.b); g.clip();
  for (const r of S.runs) {
    const k = shown(r), at = Math.min(S.cursor, r.end - 1), xy = r.xy;
    if (r.starts > 1) {  // a swarm: every start's position at the cursor
      g.fillStyle = r.color;
      const base = at * r.starts * 2;
      for (let s = 0; s < r.starts; s++) {
        const x = xy[base + 2 * s], y = xy[base + 2 * s + 1];
        if (Number.isFinite(x) && Number.isFinite(y)) g.fillRect(c.sx(x) - 1.5, c.sy(y) - 1.5, 3, 3);
      }
      S.drawn[r.key] = at + 1;
      continue;
    }
    if (k < 0) continue;
    g.strokeStyle = r.color; g.lineWidth = 2.5; g.lineJoin = "round";
    g.beginPath();
    for (let i = 0; i <= k; i++) (i ? g.lineTo : g.moveTo).call(g, c.sx(xy[2 * i]), c.sy(xy[2 * i + 1]));
    g.stroke();
    S.drawn[r.key] = k + 1;
    g.lineWidth = 3; g.beginPath(); g.arc(c.sx(xy[0]), c.sy(xy[1]), 8, 0, 2 * Math.PI); g.stroke();
    const marks = r.drops.filter((i) => i <= k);
    for (const i of marks) diamond(g, c.sx(xy[2 * i]), c.sy(xy[2 * i + 1]), r.color);
    S.marks[r.key] = marks;
    if (r.end <= r.steps && k === r.end - 1) {  // where it diverged or stopped: at the map's edge if beyond it
      const clamp = (v, lo, hi) => Math.max(lo + 8, Math.min(hi - 8, v));
      cross(g, clamp(c.sx(xy[2 * k]), c.m.l, c.w - c.m.r), clamp(c.sy(xy[2 * k + 1]), c.m.t, c.h - c.m.b), r.color);
    }
    g.beginPath(); g.arc(c.sx(xy[2 * at]), c.sy(xy[2 * at + 1]), 6, 0, 2 * Math.PI);
    g.fillStyle = r.color; g.fill(); g.lineWidth = 1.5; g.strokeStyle = "#fff"; g.stroke();
  }
  g.restore();
}

function drawCurves(c) {
  const g = c.begin(), lr = c.kind === "lr";
  g.save();
  g.beginPath(); g.rect(c.m.l, c.m.t, c.w - c.m.l - c.m.r, c.h - c.m.t - c.m.b); g.clip();
  for (const r of S.runs) {
    if (r.starts > 1) continue;
    const a = lr ? r.lr : r.loss, k = shown(r), last = lr ? Math.min(k, a.length) : k;
    g.strokeStyle = r.color; g.lineWidth = 2; g.beginPath();
    let pen = false;
    for (let i = lr ? 1 : 0; i <= last; i++) {
      const v = a[lr ? i - 1 : i];
      if (!Number.isFinite(v) || (c.log && v <= 0)) { pen = false; continue; }
      if (pen) g.lineTo(c.sx(i), c.sy(v)); else { g.moveTo(c.sx(i), c.sy(v)); pen = true; }
    }
    g.stroke();
  }
  const px = c.sx(S.cursor);
  g.strokeStyle = "rgba(38,39,48,.55)"; g.lineWidth = 1; g.setLineDash([4, 3]);
  g.beginPath(); g.moveTo(px, c.m.t); g.lineTo(px, c.h - c.m.b); g.stroke();
  g.restore();
}

function draw() {
  for (const c of S.charts) {
    if (c.dirty) c.drawBackground(S.layer);
    (c.kind === "map" ? drawMap : drawCurves)(c);
  }
  if (S.view3d) draw3d();
  showReadouts();
  const now = Date.now();
  S.lastDraw = {t: now, cursor: S.cursor, keys: S.runs.map((r) => r.key), backgrounds: {...S.backgrounds}};
  S.firstDraw = S.firstDraw || now;
}

// ---- 3D (plotly.js, loaded on first use) -----------------------------------------------------------------
function loadPlotly() {
  return window.Plotly ? Promise.resolve() : new Promise((ok, fail) => {
    const s = document.createElement("script");
    s.src = "plotly.min.js"; s.onload = ok; s.onerror = fail;
    document.head.appendChild(s);
  });
}

async function build3d(box) {
  await loadPlotly();
  const {mesh, bounds} = S.layer, n = mesh.n;
  const axis = (lo, hi) => Array.from({length: n}, (_, i) => lo + (hi - lo) * i / (n - 1));
  const rows = (a) => Array.from({length: n}, (_, i) => a.subarray(i * n, (i + 1) * n));
  const data = [{type: "surface", x: axis(...bounds[0]), y: axis(...bounds[1]), z: rows(mesh.z),
    surfacecolor: mesh.color ? rows(mesh.color) : undefined, colorscale: "Viridis", opacity: 0.92, showscale: false,
    hoverinfo: "x+y+z"}];
  for (const r of S.runs.filter((q) => q.starts === 1)) {
    r.z = r.loss.map((v) => Math.min(v, mesh.top) + mesh.lift);
    r.x = r.xy.filter((_, i) => i % 2 === 0);
    r.y = r.xy.filter((_, i) => i % 2 === 1);
    data.push({type: "scatter3d", mode: "lines", name: r.label, x: [], y: [], z: [], line: {color: r.color, width: 6},
      hoverinfo: "name"});
    data.push({type: "scatter3d", mode: "markers", showlegend: false, x: [], y: [], z: [], hoverinfo: "skip",
      marker: {color: r.color, size: 5, line: {color: "#fff", width: 1}}});
  }
  const t = S.texts, zmin = extent([mesh.z], false)[0];  // the box is the surface's: a run far outside is clipped
  const layout = {margin: {l: 0, r: 0, t: 10, b: 0}, uirevision: "player3d", showlegend: false,
    font: {size: 12 * S.scale},
    scene: {xaxis: {title: {text: t.x}, range: bounds[0]}, yaxis: {title: {text: t.y}, range: bounds[1]},
      zaxis: {title: {text: t.loss}, range: [zmin, mesh.top + 2 * mesh.lift]},
      aspectmode: "manual", aspectratio: {x: 1, y: 1, z: 0.6},
      dragmode: coarse.matches ? false : "turntable"}};  // on a touch screen a swipe scrolls; the tool bar rotates
  // plotly.js 3's tool bar offers to upload the chart ("Share chart..."): no outside hosts
  await window.Plotly.react(box, data, layout, {scrollZoom: true, displaylogo: false, responsive: true,
    modeBarButtonsToRemove: ["sendChartToCloud"]});
  if (S.view3d !== box) {
    box.on("plotly_click", (e) => e.points[0] && emit({click: [e.points[0].x, e.points[0].y]}));
    // The wheel scrolls the page; it zooms only with a modifier key (plotly's own option cannot say so).
    box.addEventListener("wheel", (e) => e.ctrlKey || e.metaKey || e.shiftKey || e.stopPropagation(), {capture: true});
    // A swipe scrolls the page unless a rotate/zoom/pan tool is chosen (plotly cancels every touch otherwise).
    const swipe = (e) => box._fullLayout.scene.dragmode === false && e.stopPropagation();
    for (const type of ["touchstart", "touchmove"]) box.addEventListener(type, swipe, {capture: true, passive: true});
  }
  S.view3d = box;
}

function draw3d() {  // every frame restyles all paths at once (each restyle redraws the whole scene)
  const runs = S.runs.filter((r) => r.starts === 1 && r.z);
  if (!runs.length || S.view3d.data.length !== 1 + 2 * runs.length) return;
  const x = [], y = [], z = [];
  for (const r of runs) {
    const k = shown(r) + 1, at = Math.min(S.cursor, r.end - 1);
    x.push(r.x.subarray(0, k), [r.x[at]]); y.push(r.y.subarray(0, k), [r.y[at]]); z.push(r.z.subarray(0, k), [r.z[at]]);
    S.drawn[r.key] = k;
  }
  window.Plotly.restyle(S.view3d, {x, y, z}, runs.flatMap((_, i) => [1 + 2 * i, 2 + 2 * i]));
}

// ---- readouts, cursor and playback -----------------------------------------------------------------------
function showReadouts() {
  const t = S.texts;
  $("step").textContent = `${t.step} ${S.cursor} / ${S.last}`;
  $("scrub").value = S.cursor;
  const body = $("readout").tBodies[0];
  const cells = (r) => {
    if (r.starts > 1) return [r.label, "", "", "", ""];
    const at = Math.min(S.cursor, r.end - 1), note = r.end <= r.steps && S.cursor >= r.end - 1
      ? ` (${r.diverged !== null ? t.diverged : t.stopped})` : "";
    return [r.label + note, fmt(r.xy[2 * at]), fmt(r.xy[2 * at + 1]), fmt(r.loss[at]), at ? fmt(r.lr[at - 1]) : "—"];
  };
  if (body.rows.length !== S.runs.length) {
    body.innerHTML = S.runs.map(() => "<tr>" + "<td></td>".repeat(5) + "</tr>").join("");
  }
  S.runs.forEach((r, i) => {
    const row = body.rows[i], values = cells(r);
    row.cells[0].innerHTML = `<span class="swatch" style="background:${r.color}"></span>`;
    row.cells[0].append(values[0]);
    for (let j = 1; j < 5; j++) row.cells[j].textContent = values[j];
  });
}

function setCursor(k) {
  S.cursor = Math.max(0, Math.min(S.last, Math.round(k)));
  draw();
}

const rate = () => Math.max(S.last / SECONDS_PER_RUN, 2) * S.speed;  // steps per second

function frame(now) {
  if (!S.playing) return;
  S.pos = Math.min(S.last, S.pos + (now - S.then) / 1000 * rate());
  S.then = now;
  S.frames++;
  if (Math.floor(S.pos) !== S.cursor) setCursor(Math.floor(S.pos));
  if (S.pos >= S.last) pause(); else requestAnimationFrame(frame);
}

function play() {
  if (S.reduced || S.playing) return;
  if (S.cursor >= S.last) setCursor(0);
  S.playing = true; S.pos = S.cursor; S.then = performance.now();
  $("play").textContent = S.texts.pause;
  requestAnimationFrame(frame);
}

function pause() {
  if (!S.playing) return;
  S.playing = false;
  $("play").textContent = S.texts.play;
  emitCursor();
}

function go(k) {
  pause();
  const before = S.cursor;
  setCursor(k);
  if (S.cursor !== before) emitCursor();
}

let cursorTimer = null;
function emitCursor() {
  clearTimeout(cursorTimer);
  cursorTimer = setTimeout(() => { S.sent = S.cursor; emit({cursor: S.cursor, show_all: S.showAll}); }, 300);
}

function emit(event) {
  const id = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  send("streamlit:setComponentValue", {value: {...event, id}, dataType: "json"});
}

// ---- controls --------------------------------------------------------------------------------------------
$("play").addEventListener("click", () => (S.playing ? pause() : play()));
$("back").addEventListener("click", () => go(S.cursor - 1));
$("fwd").addEventListener("click", () => go(S.cursor + 1));
$("scrub").addEventListener("input", (e) => { pause(); setCursor(+e.target.value); });
$("scrub").addEventListener("change", emitCursor);
$("speed").addEventListener("change", (e) => { S.speed = +e.target.value; });
$("png").addEventListener("click", () => savePng().catch(console.error));
$("all").addEventListener("change", (e) => { S.showAll = e.target.checked; draw(); emitCursor(); });

document.addEventListener("keydown", (e) => {
  const el = e.target, native = el.tagName === "SELECT" || (el.type === "range" && e.key !== " ")
    || ((el.tagName === "BUTTON" || el.type === "checkbox") && (e.key === " " || e.key === "Enter"));
  if (native || e.altKey || e.ctrlKey || e.metaKey) return;
  const keys = {" ": () => (S.playing ? pause() : play()), ArrowLeft: () => go(S.cursor - 1),
    ArrowRight: () => go(S.cursor + 1), Home: () => go(0), End: () => go(S.last)};
  if (!keys[e.key]) return;
  e.preventDefault();
  keys[e.key]();
});

function onMapClick(e) {
  const c = S.charts.find((q) => q.kind === "map"), rect = c.canvas.getBoundingClientRect();
  const p = c.inverse(e.clientX - rect.left, e.clientY - rect.top);
  if (p) emit({click: p});
}

// ---- the chart as a PNG (the panels as drawn now, 2× sharp, with the runs' labels under them) ----------------
async function savePng() {
  const k = 2, area = $("panels").getBoundingClientRect(), font = 13 * S.scale, row = font * 1.6;
  const out = document.createElement("canvas");
  out.width = area.width * k; out.height = (area.height + 8 + row * S.runs.length) * k;
  const g = out.getContext("2d");
  g.scale(k, k); g.fillStyle = "#fff"; g.fillRect(0, 0, area.width, out.height / k);
  const place = (el) => { const r = el.getBoundingClientRect(); return [r.left - area.left, r.top - area.top, r.width, r.height]; };
  for (const c of S.charts) g.drawImage(c.canvas, ...place(c.box));
  if (S.view3d) {
    const [x, y, w, h] = place(S.view3d);
    const img = new Image();
    img.src = await window.Plotly.toImage(S.view3d, {format: "png", width: w, height: h});
    await img.decode();
    g.drawImage(img, x, y, w, h);
  }
  g.font = `${font}px system-ui, sans-serif`; g.textBaseline = "middle";
  S.runs.forEach((r, i) => {
    const y = area.height + 8 + row * (i + 0.5);
    g.fillStyle = r.color; g.beginPath(); g.arc(10, y, font / 3, 0, 2 * Math.PI); g.fill();
    g.fillStyle = "#262730"; g.fillText(r.label, 22, y);
  });
  const a = document.createElement("a");
  a.download = "optimizer-playground.png"; a.href = out.toDataURL("image/png");
  document.body.appendChild(a); a.click(); a.remove();
}

// ---- panels and rendering what Streamlit sends -----------------------------------------------------------
async function buildPanels(kinds, height) {
  const panels = $("panels");
  panels.innerHTML = "";
  S.charts = []; S.view3d = null;
  const side = kinds.filter((k) => k === "loss" || k === "lr");
  panels.classList.toggle("single", side.length === kinds.length || side.length === 0);
  panels.style.setProperty("--h", `${height}px`);
  document.documentElement.style.setProperty("--scale", S.scale);
  panels.style.setProperty("--side", Math.max(side.length, 1));
  for (const kind of kinds) {
    const box = document.createElement("div");
    box.className = `panel ${side.includes(kind) ? "side" : "main"}`;
    panels.appendChild(box);
    if (kind === "3d") {
      box.classList.add("view3d");
      await build3d(box);
      continue;
    }
    const c = new Chart(kind, box);
    if (kind === "map") {
      c.canvas.tabIndex = 0;
      c.canvas.addEventListener("click", onMapClick);
    }
    S.charts.push(c);
  }
  for (const c of S.charts) c.layout();
}

function setRanges() {
  const single = S.runs.filter((r) => r.starts === 1);
  for (const c of S.charts) {
    if (c.kind === "map") c.setRanges(S.layer.bounds[0], S.layer.bounds[1], false);
    else {
      const arrays = single.map((r) => (c.kind === "lr" ? r.lr : r.loss.subarray(0, r.end)));
      const log = wantsLog(arrays), first = Math.max(...arrays.map((a) => Math.abs(a[0]) || 0));
      const cap = c.kind === "loss" && first > 0 ? first * (log ? 1e3 : 2) : Infinity;
      c.setRanges([0, Math.max(S.last, 1)], extent(arrays, log, cap), log);
    }
  }
}

function setTexts(t) {
  if (JSON.stringify(t) === JSON.stringify(S.texts)) return;
  S.texts = t;
  for (const c of S.charts) c.dirty = true;  // axis titles
  $("play").textContent = S.playing ? t.pause : t.play;
  $("back").setAttribute("aria-label", t.step_back); $("back").title = t.step_back;
  $("fwd").setAttribute("aria-label", t.step_forward); $("fwd").title = t.step_forward;
  $("scrub").setAttribute("aria-label", t.scrubber);
  $("speed-label").textContent = t.speed;
  $("all-label").textContent = t.show_all;
  $("reduced").textContent = t.reduced;
  $("png").textContent = t.png; $("png").title = t["png.help"];
  const head = $("readout").tHead.insertRow();
  $("readout").tHead.replaceChildren(head);
  for (const h of ["", t.x, t.y, t.loss, t.lr]) head.appendChild(document.createElement("th")).textContent = h;
}

async function render(args) {
  setTexts(args.texts);
  if ((args.scale || 1) !== S.scale) { S.scale = args.scale || 1; S.panelKinds = ""; }  // rebuilt at this scale
  const layer = await loadLayer(args.surface);
  const keys = args.runs.map((r) => r.key).join();
  const runsChanged = keys !== S.runs.map((r) => r.key).join();
  const layerChanged = layer !== S.layer;
  S.layer = layer;
  if (runsChanged) {
    const next = new Map(args.runs.map((r) => [r.key, S.decoded.get(r.key) || decodeRun(r)]));
    S.decoded = next;
    S.runs = [...next.values()];
    S.drawn = {};
    S.last = Math.max(0, ...S.runs.map((r) => r.steps));
    $("scrub").max = S.last;
  }
  const kinds = args.panels.join(), rebuild = kinds !== S.panelKinds;
  if (rebuild) {
    S.panelKinds = kinds;
    await buildPanels(args.panels, args.height);
  } else if (S.view3d && (runsChanged || layerChanged)) await build3d(S.view3d);  // plotly keeps what is unchanged
  if (rebuild || runsChanged || layerChanged) setRanges();
  S.reduced = args.reduced_motion || reducedQuery.matches;
  $("play").disabled = S.reduced;
  $("reduced").hidden = !S.reduced;
  if (S.reduced) pause();
  if (args.show_all !== S.argsShowAll) { S.argsShowAll = args.show_all; S.showAll = args.show_all; $("all").checked = S.showAll; }
  let cursor = S.cursor;
  // A cursor Streamlit sends back is ours (an event's echo): the player may have moved on since, keep it there.
  if (args.cursor !== S.argsCursor) { S.argsCursor = args.cursor; if (args.cursor !== S.sent) cursor = args.cursor; }
  const toEnd = S.reduced && !S.rendered && cursor !== S.last;
  if (toEnd) cursor = S.last;
  S.rendered++;
  setCursor(cursor);
  if (toEnd && !window.PLAYER_ARGS) emitCursor();  // the page's readouts (the summary table) follow it there
}

let queue = Promise.resolve();
const enqueue = (args) => { queue = queue.then(() => render(args)).catch(console.error); };
window.addEventListener("message", (e) => e.data && e.data.type === "streamlit:render" && enqueue(e.data.args));
if (window.PLAYER_ARGS) enqueue(window.PLAYER_ARGS);  // a standalone page (ui.player.player_html): no Streamlit
new ResizeObserver(() => send("streamlit:setFrameHeight", {height: Math.ceil(document.body.scrollHeight)}))
  .observe(document.body);
new ResizeObserver(() => { for (const c of S.charts) c.layout(); if (S.layer) draw(); }).observe($("panels"));
send("streamlit:componentReady", {apiVersion: 1});

// For tests and benchmarks: what is drawn now.
window.playerState = () => ({
  cursor: S.cursor, last: S.last, playing: S.playing, showAll: S.showAll, reduced: S.reduced, drawn: {...S.drawn},
  marks: S.runs.map((r) => S.marks[r.key] || []),
  frames: S.frames, firstDraw: S.firstDraw, lastDraw: S.lastDraw,
  readout: [...$("readout").tBodies[0].rows].map((row) => [...row.cells].map((cell) => cell.textContent)),
  step: $("step").textContent, scrub: +$("scrub").value,
});
