// Linear regression's panels (arrays from viz/regression.py): "mse", the MSE over (w, b) — the map's contours and
// paths — with the points LBFGS evaluated up to the cursor and, at the cursor, the negative gradients (solid: the
// one the optimizer used, dashed: the full-batch one; one length scale per run); "mse_fixed", the same where a
// click sets no start; "data", the data points with each run's line y = w·x + b at the cursor and the mini-batch of
// that step ringed; "loss_epochs", the loss (curves.js) with dotted lines where an epoch starts.
"use strict";

const GREY = "#777";
const USED = {dash: [], width: 3}, FULL = {dash: [7, 5], width: 2};  // the two arrows' styles
const MIN_EPOCH_GAP = 6;  // px: epoch lines closer than this would only grey the panel (a phone: 50 epochs)
const drawnRegression = {lines: {}, rings: {}, arrows: {}, evaluated: {}, loss: {}};  // for tests

// ---- legends and headings (the background: redrawn with the ranges, and when the runs change) --------------
function legend(c, g, items, corner) {  // items [[draw(g, x, y, length), text]] in a white box, top or bottom right
  const font = 12 * S.scale, row = font * 1.5, pad = 6, sample = 26;
  g.font = `${font}px system-ui, sans-serif`;
  const w = pad * 3 + sample + Math.max(...items.map(([, text]) => g.measureText(text).width)), h = pad * 2 + row * items.length;
  const x = c.w - c.m.r - w - 4, y = corner === "top" ? c.m.t + 4 : c.h - c.m.b - h - 4;
  g.fillStyle = "rgba(255,255,255,.85)"; g.fillRect(x, y, w, h);
  g.textAlign = "left"; g.textBaseline = "middle";
  items.forEach(([mark, text], i) => {
    const cy = y + pad + row * (i + 0.5);
    g.save(); mark(g, x + pad, cy, sample); g.restore();
    g.fillStyle = "#333"; g.fillText(text, x + pad * 2 + sample, cy);
  });
}

const lineSample = (style, color = GREY) => (g, x, y, len) => {
  g.strokeStyle = color; g.lineWidth = style.width; g.setLineDash(style.dash);
  g.beginPath(); g.moveTo(x, y); g.lineTo(x + len, y); g.stroke();
};

const ringSample = (g, x, y, len) => ring(g, x + len / 2, y, 5, GREY, 0.8);

function ring(g, x, y, radius, color, alpha = 1) {
  g.globalAlpha = alpha; g.strokeStyle = color; g.lineWidth = 1.5;
  g.beginPath(); g.arc(x, y, radius, 0, 2 * Math.PI); g.stroke(); g.globalAlpha = 1;
}

function heading(c, g, text) {  // a main panel's title, in the plot's top left corner
  g.font = `600 ${13 * S.scale}px system-ui, sans-serif`; g.textAlign = "left"; g.textBaseline = "top";
  const w = g.measureText(text).width;
  g.fillStyle = "rgba(255,255,255,.85)"; g.fillRect(c.m.l + 2, c.m.t + 2, w + 10, 18 * S.scale);
  g.fillStyle = "#333"; g.fillText(text, c.m.l + 7, c.m.t + 4);
}

// ---- the MSE map ------------------------------------------------------------------------------------------
function drawEvaluated(c, g, r) {  // the points LBFGS's closure evaluated in the steps drawn so far
  const k = shown(r);
  let count = 0;
  for (let i = 0; i < r.evaluated_step.length && r.evaluated_step[i] < k; i++, count++) {
    ring(g, c.sx(r.evaluated[2 * i]), c.sy(r.evaluated[2 * i + 1]), 4, r.color, 0.55);
  }
  drawnRegression.evaluated[r.key] = count;
}

function drawArrows(c, g, r) {  // from the cursor's position along −(gradient) of the step that starts there
  const k = at(r), x = r.xy[2 * k], y = r.xy[2 * k + 1], a = r.arrow, out = {step: k};
  drawnRegression.arrows[r.key] = out;
  if (!a || k >= r.steps) return;  // no gradient to draw, or no step from here
  for (const [name, grad, style] of [["used", r.grad, USED], ["full", r.full_grad, FULL]]) {
    const gx = grad[2 * k], gy = grad[2 * k + 1], length = Math.hypot(gx, gy) * a.scale;
    if (!(length >= a.min)) continue;
    const f = a.scale * Math.min(1, a.max / length), tip = [x - f * gx, y - f * gy];
    arrow(g, c.sx(x), c.sy(y), c.sx(tip[0]), c.sy(tip[1]), r.color, style.width, style.dash);
    out[name] = tip;
  }
}

// Equal units on w and b when their ranges are comparable (the full-batch arrow is then visibly ⟂ to the contours):
// the plot box shrinks, the ranges stay the surface's bounds (plotly's constrain: "domain"); the room left over goes
// to the top or the right. True when the margins changed (the chart's `layout` had reset them).
function fitUnits(c) {
  if (c.m === c.fitted) return false;
  const [[x0, x1], [y0, y1]] = S.layer.bounds, ratio = (y1 - y0) / (x1 - x0);
  const m = {...c.m}, w = c.w - m.l - m.r, h = c.h - m.t - m.b;
  if (ratio >= 0.4 && ratio <= 2.5) {
    if (h > w * ratio) m.t += h - w * ratio; else m.r += w - h / ratio;
  }
  c.m = c.fitted = m;
  c.dirty = true;
  return true;
}

function mseLegend(c, g) {
  const t = S.texts, items = [[lineSample(USED), t.used_grad], [lineSample(FULL), t.full_grad]];
  if (S.runs.some((r) => r.evaluated)) items.push([ringSample, t.evaluated]);
  legend(c, g, items, "bottom");
}

function msePanel(clickable) {
  return {
    main: true,
    titles: (t) => [t.x, t.y],
    ranges(c) {
      c.fitted = null; fitUnits(c);  // (and the background's legend depends on the runs)
      return PANELS.map.ranges(c);
    },
    background(c, g) { drawContours(c, g); heading(c, g, S.texts.mse); mseLegend(c, g); },
    draw(c, g) {
      if (fitUnits(c)) requestAnimationFrame(draw);  // resized: drawn again in the new box
      for (const r of S.runs) { if (r.evaluated) drawEvaluated(c, g, r); drawPath(c, g, r); }
      for (const r of S.runs) drawArrows(c, g, r);
    },
    ...(clickable ? {click: PANELS.map.click} : {}),
  };
}

PANELS.mse = msePanel(true);
PANELS.mse_fixed = msePanel(false);

// ---- the data and the fitted lines ------------------------------------------------------------------------
function span(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return [lo, hi];
}

function dataRanges() {  // the data (and x = 0 within one data span: b is read there), the lines within 2 spans
  const {data_x: xs, data_y: ys} = S.layer;
  let [x0, x1] = span(xs);
  if (Math.max(x0, -x1, 0) <= x1 - x0) { x0 = Math.min(x0, 0); x1 = Math.max(x1, 0); }
  const [y0, y1] = span(ys), h = y1 - y0 || 1;
  const lines = S.runs.map((r) => Array.from({length: r.end}, (_, i) => [x0, x1].map((x) => r.xy[2 * i] * x + r.xy[2 * i + 1])).flat());
  const [lo, hi] = span([y0, y1, ...lines.flat()].map((v) => Math.max(y0 - 2 * h, Math.min(y1 + 2 * h, v))));
  const px = 0.06 * (x1 - x0), py = 0.08 * (hi - lo || 1);
  return [[x0 - px, x1 + px], [lo - py, hi + py], false];
}

function drawBatch(c, g, r, radius) {  // the points of the mini-batch the cursor's step uses
  const k = at(r), size = r.batch_size, rows = r.batch.subarray(k * size, (k + 1) * size);
  const none = r.kinds.batch === "u1" ? 255 : 65535;
  let count = 0;
  g.lineWidth = 2.5; g.strokeStyle = r.color;
  for (const i of k < r.steps ? rows : []) {
    if (i === none) continue;
    g.beginPath(); g.arc(c.sx(S.layer.data_x[i]), c.sy(S.layer.data_y[i]), radius, 0, 2 * Math.PI); g.stroke();
    count++;
  }
  drawnRegression.rings[r.key] = {step: k, count};
}

PANELS.data = {
  main: false,
  titles: (t) => [t.data_x, t.data],
  ranges: dataRanges,
  background(c, g) {
    const {data_x: xs, data_y: ys} = S.layer;
    for (let i = 0; i < xs.length; i++) dot(g, c.sx(xs[i]), c.sy(ys[i]), "#3a3a3a", 4);
  },
  draw(c, g) {
    for (const r of S.runs) {
      const k = at(r), w = r.xy[2 * k], b = r.xy[2 * k + 1];
      g.strokeStyle = r.color; g.lineWidth = 3;
      polyline(g, c, (i) => c.x[i], (i) => w * c.x[i] + b, 0, 1);
      drawnRegression.lines[r.key] = k;
    }
    S.runs.filter((r) => r.batch).forEach((r, j) => drawBatch(c, g, r, 8 + 3.5 * j));
  },
};

// ---- the loss with the epochs -----------------------------------------------------------------------------
const lossCurves = curvesPanel("loss");

function drawEpochs(c, g) {  // the first mini-batch run's epochs, known before the run: all of them
  const run = S.runs.find((r) => r.epochs);
  if (!run) return;
  const starts = run.epochs;
  if (starts.length > 1 && c.sx(starts[1]) - c.sx(starts[0]) < MIN_EPOCH_GAP) return;
  g.strokeStyle = "#b0b0b0"; g.lineWidth = 1; g.setLineDash([2, 3]);
  g.beginPath();
  for (const t of starts) { const px = c.sx(t); g.moveTo(px, c.m.t); g.lineTo(px, c.h - c.m.b); }
  g.stroke(); g.setLineDash([]);
  legend(c, g, [[lineSample({dash: [2, 3], width: 1}, "#999"), S.texts.epochs]], "top");
}

PANELS.loss_epochs = {
  ...lossCurves,
  ranges: (c) => { c.dirty = true; return lossCurves.ranges(c); },  // the epochs depend on the runs
  background: drawEpochs,
  draw(c, g) {
    lossCurves.draw(c, g);
    for (const r of S.runs) drawnRegression.loss[r.key] = shown(r) + 1;
  },
};

window.regressionState = () => JSON.parse(JSON.stringify(drawnRegression));
