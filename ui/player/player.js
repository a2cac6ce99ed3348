// The player's controls, time cursor and playback, and Streamlit's components-v1 messages, spoken directly (no
// npm library, no build step). Loaded after core.js and the panels. The 2D panels are canvases: what does not
// change with the cursor is drawn once into a background, each frame draws the runs up to the cursor over it.
"use strict";

const send = (type, data) => window.parent.postMessage({isStreamlitMessage: true, type, ...data}, "*");
const SECONDS_PER_RUN = 8;  // a whole run plays in 8 s at 1×

function draw() {
  for (const c of S.charts) c.draw();
  if (S.view3d) PANELS["3d"].frame();
  showReadouts();
  const now = Date.now();
  S.lastDraw = {t: now, cursor: S.cursor, keys: S.runs.map((r) => r.key), backgrounds: {...S.backgrounds}};
  S.firstDraw = S.firstDraw || now;
}

// ---- readouts, cursor and playback -----------------------------------------------------------------------
// A run sampled to frames (the swarm) names the true step of each in `frames`: the cursor moves over its frames.
const trueStep = (k) => { const sampled = S.runs.find((r) => r.frames); return sampled ? sampled.frames[k] : k; };

// The table's columns after the run's name: x, y, loss and lr at the cursor, or a panel's own (`readout`).
const READOUT = {head: (t) => [t.x, t.y, t.loss, t.lr],
  cells: (r, k) => [fmt(r.xy[2 * k]), fmt(r.xy[2 * k + 1]), fmt(r.loss[k]), k ? fmt(r.lr[k - 1]) : "—"]};
const readoutColumns = () => (S.charts.find((c) => c.panel.readout) || {panel: {readout: READOUT}}).panel.readout;

function showReadouts() {
  const t = S.texts, columns = readoutColumns(), names = columns.head(t);
  $("step").textContent = `${t.step} ${trueStep(S.cursor)} / ${trueStep(S.last)}`;
  $("scrub").value = S.cursor;
  const head = ["", ...names];
  if ($("readout").tHead.textContent !== head.join("")) {
    const row = document.createElement("tr");
    for (const h of head) row.appendChild(document.createElement("th")).textContent = h;
    $("readout").tHead.replaceChildren(row);
  }
  const body = $("readout").tBodies[0];
  const cells = (r) => {
    if (r.starts > 1) return [r.label, ...names.map(() => "")];
    const k = at(r), note = r.end <= r.steps && S.cursor >= r.end - 1
      ? ` (${r.diverged !== null ? t.diverged : t.stopped})` : "";
    return [r.label + note, ...columns.cells(r, k)];
  };
  if (body.rows.length !== S.runs.length || (body.rows[0] && body.rows[0].cells.length !== head.length)) {
    body.innerHTML = S.runs.map(() => "<tr>" + "<td></td>".repeat(head.length) + "</tr>").join("");
  }
  S.runs.forEach((r, i) => {
    const row = body.rows[i], values = cells(r);
    const sample = r.sample || (r.sample = swatch(r)), cell = row.cells[0];
    if (cell.firstChild !== sample || cell.lastChild.textContent !== values[0]) cell.replaceChildren(sample, values[0]);
    for (let j = 1; j < head.length; j++) row.cells[j].textContent = values[j];
  });
}

// A run's sample in the readout: its dash pattern and its marker, as the charts draw them.
function swatch(r) {
  const k = 1.2 * S.scale, w = 34 * k, h = 14 * k, c = document.createElement("canvas");
  c.className = "swatch"; c.width = w * 2; c.height = h * 2; c.style.width = `${w}px`; c.style.height = `${h}px`;
  c.dataset.dash = r.dash.join(","); c.dataset.marker = r.marker;
  const g = c.getContext("2d");
  g.scale(2, 2); g.strokeStyle = r.color; g.lineWidth = 2.5; g.setLineDash(r.dash);
  g.beginPath(); g.moveTo(1, h / 2); g.lineTo(w - 1, h / 2); g.stroke(); g.setLineDash([]);
  marker(g, r.marker, w / 2, h / 2, r.color, 4.5 * k);
  return c;
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

// ---- the chart as a PNG (the panels as drawn now, redrawn at 2× for sharpness, the runs' labels under them) --
async function savePng() {
  const k = 2, area = $("panels").getBoundingClientRect(), font = 13 * S.scale, row = font * 1.6;
  const out = document.createElement("canvas");
  out.width = area.width * k; out.height = (area.height + 8 + row * S.runs.length) * k;
  const g = out.getContext("2d");
  g.scale(k, k); g.fillStyle = "#fff"; g.fillRect(0, 0, area.width, out.height / k);
  const place = (el) => { const r = el.getBoundingClientRect(); return [r.left - area.left, r.top - area.top, r.width, r.height]; };
  for (const c of S.charts) g.drawImage(c.snapshot(k), ...place(c.box));
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
    const sample = r.sample || (r.sample = swatch(r)), w = sample.width / 2, h = sample.height / 2;
    g.drawImage(sample, 4, y - h / 2, w, h);
    g.fillStyle = "#262730"; g.fillText(r.label, w + 12, y);
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
  const side = kinds.filter((k) => !PANELS[k].main);
  panels.classList.toggle("single", side.length === kinds.length || side.length === 0);
  S.height = height;
  fitScreen();
  document.documentElement.style.setProperty("--scale", S.scale);
  panels.style.setProperty("--side", Math.max(side.length, 1));
  for (const kind of kinds) {
    const box = document.createElement("div"), panel = PANELS[kind];
    box.className = `panel ${panel.main ? "main" : "side"}`;
    panels.appendChild(box);
    if (panel.build) {
      box.classList.add("view3d");
      await panel.build(box);
      continue;
    }
    const c = new Chart(kind, box);
    if (panel.main) c.canvas.tabIndex = 0;  // the keys (Space, ←/→, Home/End) work with the chart focused
    if (panel.click) {
      c.canvas.classList.add("clickable");
      c.canvas.addEventListener("click", (e) => {
        const rect = c.canvas.getBoundingClientRect(), point = c.inverse(e.clientX - rect.left, e.clientY - rect.top);
        if (point) panel.click(c, point);
      });
    }
    S.charts.push(c);
  }
  for (const c of S.charts) c.layout();
}

// Lecture mode on a projector: the ▶ bar and the whole chart on one screen as the page opens. The panels are no
// taller than the room between the player's top on the page and the screen's bottom (the page's window: our frame
// is on the app's own origin), but not below MIN_SCREEN of the screen; elsewhere (or a standalone page) as asked.
const MIN_SCREEN = 0.5;
function pageTop() {  // the player's top on the app's page (scrolled or not); null: not in the app's page
  try {
    const host = window.parent, frame = window.frameElement;
    if (!frame || host === window) return null;
    const scroller = host.document.querySelector("[data-testid=stMain]");
    return frame.getBoundingClientRect().top + (scroller ? scroller.scrollTop : 0) + host.scrollY;
  } catch (err) { return null; }  // another origin
}

function fitScreen() {
  let height = S.height;
  const top = S.scale > 1 ? pageTop() : null;
  if (top !== null) {
    const screen = window.parent.innerHeight, room = screen - top - $("panels").getBoundingClientRect().top - 8;
    height = Math.round(Math.min(height, Math.max(room, screen * MIN_SCREEN)));
  }
  $("panels").style.setProperty("--h", `${height}px`);
}

function setRanges() {
  for (const c of S.charts) c.setRanges(c.panel.ranges(c));
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
    S.runs.forEach(styleRun);
    S.drawn = {};
    S.last = Math.max(0, ...S.runs.map((r) => r.steps));
    $("scrub").max = S.last;
  }
  const kinds = args.panels.join(), rebuild = kinds !== S.panelKinds;
  if (rebuild) {
    S.panelKinds = kinds;
    await buildPanels(args.panels, args.height);
  } else if (S.view3d && (runsChanged || layerChanged)) await PANELS["3d"].build(S.view3d);  // plotly keeps what is unchanged
  if (rebuild || runsChanged || layerChanged) setRanges();
  if (S.scale > 1) fitScreen();  // what is above the player may have changed
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
// Lecture mode: what is above the player settles after it is drawn (and the window may change): fitted again when
// the player's top on the page moves.
let placedAt = null;
setInterval(() => {
  const top = S.scale > 1 && S.height ? pageTop() : null, place = top === null ? null : `${top}|${window.parent.innerHeight}`;
  if (place !== placedAt) { placedAt = place; fitScreen(); }
}, 500);
send("streamlit:componentReady", {apiVersion: 1});

// For tests and benchmarks: what is drawn now.
window.playerState = () => ({
  cursor: S.cursor, last: S.last, playing: S.playing, showAll: S.showAll, reduced: S.reduced, drawn: {...S.drawn},
  marks: S.runs.map((r) => S.marks[r.key] || []),
  styles: Object.fromEntries(Object.entries(S.styles).map(([kind, byKey]) => [kind, S.runs.map((r) => byKey[r.key] || null)])),
  swatches: [...$("readout").tBodies[0].rows].map((row) => {
    const c = row.querySelector("canvas.swatch");
    return c && {dash: c.dataset.dash, marker: c.dataset.marker};
  }),
  crosses: S.runs.map((r) => S.crosses[r.key] || null), ticks: S.ticks,
  boxes: Object.fromEntries(S.charts.map((c) => [c.kind, {l: c.m.l, t: c.m.t, r: c.w - c.m.r, b: c.h - c.m.b}])),
  axes: Object.fromEntries(S.charts.map((c) => [c.kind, {x: c.x, y: c.y, log: c.log}])),
  frames: S.frames, firstDraw: S.firstDraw, lastDraw: S.lastDraw,
  readout: [...$("readout").tBodies[0].rows].map((row) => [...row.cells].map((cell) => cell.textContent)),
  step: $("step").textContent, scrub: +$("scrub").value,
});
