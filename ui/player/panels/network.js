// The network page's panels (arrays from viz/network.py). "boundary": one small map per run (2 × 2, stacked on a
// phone) with its decision boundary — each cell shaded toward the colour of its most likely class, the more the
// surer the model (white: undecided) — under the data points (a colour and a shape per class; filled: training,
// hollow: test). Boundaries are sampled: each map shows the last sampled step at or before the cursor and says which
// step that is. Side panels over the steps, each run in its colour with its marker at the cursor, the line's dash
// telling the series apart: "net_loss" (training solid, test dashed), "net_accuracy" (the same), "net_lr" (one line
// per parameter group) and "net_grad" (the gradient norm of each Linear layer, log axis). The readout: the
// training and test loss and accuracy and the learning rate at the cursor. The landscape's panels (a player of
// their own) are at the end: "landscape", "plane_gap", "plane_distance", "line1d".
"use strict";

const NET = {alpha: 0.8, shapes: ["circle", "triangle", "square", "diamond", "circle", "triangle", "square", "diamond"],
  dashes: [[], [7, 4], [2, 3], [8, 3, 2, 3]], phone: window.matchMedia("(max-width: 639px)")};
const netDrawn = {boundary: {}, curves: {}};  // for tests: what each panel drew
const netText = (key, values = {}) => Object.entries(values).reduce(
  (s, [k, v]) => s.replace(`{${k}}`, v), S.texts[`net.${key}`] || key);

// ---- the boundary maps -------------------------------------------------------------------------------------
function netGrid(c) {  // the cells: [x, y, w, h] each, and the legend's items placed in rows at the bottom
  const n = Math.max(S.runs.length, 1), cols = NET.phone.matches || n === 1 ? 1 : 2, rows = Math.ceil(n / cols);
  const legend = netLegendItems(c), w = c.w / cols, h = (c.h - legend.height) / rows;
  return {cells: S.runs.map((_, i) => [(i % cols) * w, Math.floor(i / cols) * h, w, h]), legend};
}

function netPlotBox([x, y, w, h]) {  // the square map within a cell, under its two heading lines, with its ticks
  const head = 34 * S.scale, pad = 6, ticks = 30 * S.scale;
  const side = Math.max(20, Math.min(w - ticks - 2 * pad, h - head - ticks * 0.6 - pad));
  return [x + ticks + (w - ticks - side) / 2, y + head, side, side];
}

function netShape(g, shape, x, y, s) {
  g.beginPath();
  if (shape === "circle") g.arc(x, y, s, 0, 2 * Math.PI);
  else if (shape === "square") g.rect(x - s * 0.85, y - s * 0.85, 1.7 * s, 1.7 * s);
  else if (shape === "diamond") { g.moveTo(x, y - s * 1.2); g.lineTo(x + s * 1.2, y); g.lineTo(x, y + s * 1.2); g.lineTo(x - s * 1.2, y); g.closePath(); }
  else { g.moveTo(x, y - s * 1.2); g.lineTo(x + s * 1.1, y + s * 0.8); g.lineTo(x - s * 1.1, y + s * 0.8); g.closePath(); }
}

function netPoint(g, cls, x, y, test, s) {  // training: filled with a dark rim; test: hollow, white inside
  const color = S.layer.class_colors[cls];
  netShape(g, NET.shapes[cls], x, y, s);
  if (test) { g.fillStyle = "#fff"; g.fill(); g.lineWidth = 2.2; g.strokeStyle = color; g.stroke(); g.lineWidth = 0.8; g.strokeStyle = "#222"; }
  else { g.fillStyle = color; g.fill(); g.lineWidth = 0.9; g.strokeStyle = "#222"; }
  g.stroke();
}

function netFrame(r) {  // the index of the last sampled boundary at or before the cursor (within the finite steps)
  const last = S.showAll ? r.end - 1 : at(r), steps = r.frame_steps;
  let i = 0;
  while (i + 1 < steps.length && steps[i + 1] <= last) i++;
  return i;
}

const netPercent = (v) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : "—");
const netRgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

function netHeatmap(r, f) {  // the grid's image of frame f: a canvas of grid × grid pixels, kept per run
  if (r.netImage && r.netImage.frame === f && r.netImage.layer === S.layer.key) return r.netImage.canvas;
  const n = S.layer.grid, k = S.layer.classes, per = k - 1, colors = S.layer.class_colors.map(netRgb);
  const canvas = (r.netImage && r.netImage.canvas) || document.createElement("canvas");
  canvas.width = n; canvas.height = n;
  const g = canvas.getContext("2d"), image = g.createImageData(n, n), px = image.data, q = r.probs, base = f * n * n * per;
  for (let cell = 0; cell < n * n; cell++) {
    let best = 0, top = -1, rest = 255;
    for (let j = 0; j < per; j++) {
      const v = q[base + cell * per + j];
      rest -= v;
      if (v > top) { top = v; best = j; }
    }
    if (rest > top) { top = rest; best = per; }
    const a = NET.alpha * Math.max(0, (top / 255 - 1 / k) / (1 - 1 / k)), col = colors[best];
    for (let ch = 0; ch < 3; ch++) px[4 * cell + ch] = Math.round(255 + (col[ch] - 255) * a);
    px[4 * cell + 3] = 255;
  }
  g.putImageData(image, 0, 0);
  r.netImage = {frame: f, layer: S.layer.key, canvas};
  return canvas;
}

// The data points on a map of `side` CSS pixels, drawn once per size (every map shows the same points; up to 2,000
// of them): a canvas of the map's size in device pixels, transparent around the points.
function netPoints(c, side) {
  const id = `${S.layer.key}|${side}|${c.dpr}|${S.scale}`;
  if (c.netPoints && c.netPoints.id === id) return c.netPoints.canvas;
  const canvas = document.createElement("canvas"), g = canvas.getContext("2d");
  canvas.width = canvas.height = Math.round(side * c.dpr);
  g.setTransform(c.dpr, 0, 0, c.dpr, 0, 0);
  const [[x0, x1], [y0, y1]] = S.layer.extent, sx = (v) => (v - x0) / (x1 - x0) * side, sy = (v) => (y1 - v) / (y1 - y0) * side;
  const size = Math.max(2.2, Math.min(4.5, side / 70)) * (S.scale > 1 ? 1.2 : 1);
  for (const [xs, ys, test] of [[S.layer.train_x, S.layer.train_y, false], [S.layer.test_x, S.layer.test_y, true]]) {
    for (let i = 0; i < ys.length; i++) netPoint(g, ys[i], sx(xs[2 * i]), sy(xs[2 * i + 1]), test, size);
  }
  c.netPoints = {id, canvas};
  return canvas;
}

function netTicks(g, box, extent) {  // a few coordinates along the map's left and bottom edges
  const [x, y, side] = box, [[x0, x1], [y0, y1]] = extent;
  g.font = `${10 * S.scale}px system-ui, sans-serif`; g.fillStyle = "#555";
  g.textAlign = "center"; g.textBaseline = "top";
  for (const v of linearTicks(x0, x1, 4)) g.fillText(tickLabel(v), x + (v - x0) / (x1 - x0) * side, y + side + 3);
  g.textAlign = "right"; g.textBaseline = "middle";
  for (const v of linearTicks(y0, y1, 4)) g.fillText(tickLabel(v), x - 4, y + (y1 - v) / (y1 - y0) * side);
}

// The legend: the classes' colours and shapes, training and test points, what the shade says; [sample class, test,
// text] items flowing in rows across the panel's width.
function netLegendItems(c) {
  const g = c.canvas.getContext("2d"), font = 12 * S.scale, s = 5 * S.scale, row = 18 * S.scale;
  g.font = `${font}px system-ui, sans-serif`;
  const items = [...Array.from({length: S.layer.classes}, (_, k) => [k, false, netText("class", {k})]),
    [0, false, netText("train_points")], [0, true, netText("test_points")], [null, false, netText("shade")]];
  let x = 8, y = 0;
  const placed = items.map(([k, test, text]) => {
    const width = (k === null ? 0 : 2 * s + 6) + g.measureText(text).width + 16;
    if (x + width > c.w && x > 8) { x = 8; y += row; }
    const at = [x, y];
    x += width;
    return {k, test, text, at};
  });
  return {items: placed, height: y + row + 8 * S.scale, s};
}

function netLegend(c, g, {items, height, s}) {
  const top = c.h - height + 4 * S.scale + 9 * S.scale;
  g.font = `${12 * S.scale}px system-ui, sans-serif`; g.textBaseline = "middle"; g.textAlign = "left";
  for (const {k, test, text, at: [x, y]} of items) {
    let tx = x;
    if (k !== null) { netPoint(g, k, x + s, top + y, test, s); tx += 2 * s + 6; }
    g.fillStyle = k === null ? "#555" : "#333"; g.fillText(text, tx, top + y);
  }
}

function netCell(c, g, r, cell) {  // one run's map: heading, heatmap, points, ticks
  const box = netPlotBox(cell), [x, y, side] = box, f = netFrame(r), step = r.frame_steps[f], {extent} = S.layer;
  g.imageSmoothingEnabled = true;
  g.drawImage(netHeatmap(r, f), x, y, side, side);
  g.save(); g.setTransform(1, 0, 0, 1, 0, 0);
  g.drawImage(netPoints(c, side), Math.round(x * c.dpr), Math.round(y * c.dpr));
  g.restore();
  g.strokeStyle = "#9aa0a8"; g.lineWidth = 1; g.strokeRect(x, y, side, side);
  netTicks(g, box, extent);
  const head = cell[1] + 9 * S.scale, gone = r.end <= r.steps && S.cursor >= r.end - 1;
  marker(g, r.marker, x + 6, head, r.color, 5 * S.scale);
  g.font = `600 ${13 * S.scale}px system-ui, sans-serif`; g.textAlign = "left"; g.textBaseline = "middle";
  g.fillStyle = r.color;
  let label = r.label;
  while (label.length > 4 && g.measureText(label).width > side - 16) label = `${label.slice(0, -2)}…`;
  g.fillText(label, x + 16, head);
  g.font = `${12 * S.scale}px system-ui, sans-serif`; g.fillStyle = "#333";
  const note = netText("frame", {step}) + (gone ? ` (${r.diverged !== null ? S.texts.diverged : S.texts.stopped})` : "");
  g.fillText(note, x + 16, head + 15 * S.scale);
  netDrawn.boundary[r.key] = {frame: f, step, box: [x, y, side, side]};
  S.drawn[r.key] = at(r) + 1;
}

PANELS.boundary = {
  main: true,
  axes: false,
  titles: () => ["", ""],
  ranges: () => [[0, 1], [0, 1], false],
  boxHeight(box) {  // a phone: the maps one under the other, each about as tall as the screen is wide
    if (!NET.phone.matches) return null;
    const w = box.getBoundingClientRect().width, n = Math.max(S.runs.length, 1);
    return `${Math.round(n * (w * 0.92 + 40 * S.scale) + 60 * S.scale)}px`;
  },
  background(c, g) { netLegend(c, g, netGrid(c).legend); },
  draw(c, g) {
    const {cells} = netGrid(c);
    S.runs.forEach((r, i) => netCell(c, g, r, cells[i]));
  },
  readout: {
    head: (t) => [t["net.train_loss"], t["net.test_loss"], t["net.train_acc"], t["net.test_acc"], t["net.lr_short"]],
    cells: (r, k) => [fmt(r.loss[k]), fmt(r.test_loss[k]), netPercent(r.accuracy[k]), netPercent(r.test_accuracy[k]),
      k ? fmt(r.lr[k - 1]) : "—"],
  },
};

// ---- curves over the steps ---------------------------------------------------------------------------------
// A series: (run) -> {values(i), from, to (the last index with a value), dash, name}; a run's first series
// carries its marker at the cursor.
function netLegendBox(c, g, items) {  // [dash, text] samples in a row at the top right, beside the title
  if (items.length < 2) return;
  const font = 11 * S.scale, sample = 20, gap = 10, cy = 4 + 7 * S.scale;
  g.font = `${font}px system-ui, sans-serif`; g.textAlign = "left"; g.textBaseline = "middle";
  const widths = items.map(([, text]) => sample + 4 + g.measureText(text).width);
  const total = widths.reduce((a, b) => a + b + gap, -gap);
  let x = c.w - c.m.r - total, y = cy;
  g.font = `${12 * S.scale}px system-ui, sans-serif`;
  const title = c.m.l + g.measureText(c.panel.titles(S.texts)[1]).width + 12;
  g.font = `${font}px system-ui, sans-serif`;
  if (x < title) {  // no room beside the title: inside the plot's top right corner, on white
    y = c.m.t + 10 * S.scale;
    g.fillStyle = "rgba(255,255,255,.85)"; g.fillRect(x - 4, c.m.t + 2, total + 8, 16 * S.scale);
  }
  items.forEach(([dash, text], i) => {
    g.strokeStyle = "#555"; g.lineWidth = 1.8; g.setLineDash(dash);
    g.beginPath(); g.moveTo(x, y); g.lineTo(x + sample, y); g.stroke(); g.setLineDash([]);
    g.fillStyle = "#333"; g.fillText(text, x + sample + 4, y);
    x += widths[i] + gap;
  });
}

function netCurves(kind, {title, series, legend, log = null, range = null, zero = false}) {
  const all = () => S.runs.flatMap((r) => series(r).map((s) => Array.from({length: s.to + 1}, (_, i) => s.values(i))));
  return {
    main: false,
    titles: (t) => [t.step, t[`net.${title}`]],
    ranges(c) {
      c.dirty = true;  // the legend depends on the runs
      const arrays = all(), isLog = log === null ? wantsLog(arrays, 50) : log && wantsLog(arrays, 1);
      const first = Math.max(0, ...S.runs.map((r) => Math.abs(series(r)[0].values(0)) || 0));
      const cap = (kind === "net_loss" || kind === "plane_gap") && first > 0 ? first * (isLog ? 1e3 : 2) : Infinity;
      const y = range || extent(arrays, isLog, cap);
      if (zero && !isLog) y[0] = 0;  // a linear learning-rate axis starts at 0 (a constant rate is not a line at "0")
      return [[0, Math.max(S.last, 1)], y, isLog];
    },
    margins(c, g) { netLegendBox(c, g, legend(S.texts)); },
    draw(c, g) {
      const out = {};
      for (const r of S.runs) {
        const k = shown(r), list = series(r);
        out[r.key] = [];
        list.forEach((s, j) => {
          const to = Math.min(k, s.to);
          g.strokeStyle = r.color; g.lineWidth = j ? 1.6 : 2; g.setLineDash(s.dash);
          polyline(g, c, (i) => i, s.values, s.from, to);
          g.setLineDash([]);
          out[r.key].push(to);
        });
        const now = Math.min(at(r), list[0].to), v = list[0].values(now);
        if (now >= list[0].from && Number.isFinite(v) && (!c.log || v > 0)) marker(g, r.marker, c.sx(now), c.sy(v), r.color, 4.5);
      }
      netDrawn.curves[kind] = out;
      cursorLine(g, c);
    },
  };
}

const netTrainTest = (t) => [[[], t["net.train"]], [NET.dashes[1], t["net.test"]]];
const netLast = (r) => r.end - 1;  // the last index of a run's per-position values

PANELS.net_loss = netCurves("net_loss", {
  title: "loss",
  series: (r) => [{values: (i) => r.loss[i], from: 0, to: netLast(r), dash: []},
    {values: (i) => r.test_loss[i], from: 0, to: netLast(r), dash: NET.dashes[1]}],
  legend: netTrainTest,
});

PANELS.net_accuracy = netCurves("net_accuracy", {
  title: "accuracy",
  series: (r) => [{values: (i) => r.accuracy[i], from: 0, to: netLast(r), dash: []},
    {values: (i) => r.test_accuracy[i], from: 0, to: netLast(r), dash: NET.dashes[1]}],
  legend: netTrainTest,
  log: false,
  range: [-0.03, 1.03],
});

// group_lr[(i - 1)·groups + j]: the rate of group j in step i (from position i − 1 to i), drawn at i
PANELS.net_lr = netCurves("net_lr", {
  title: "lr",
  series: (r) => Array.from({length: r.groups}, (_, j) => ({values: (i) => r.group_lr[(i - 1) * r.groups + j],
    from: 1, to: Math.min(r.steps, r.end - 1), dash: NET.dashes[j % NET.dashes.length]})),
  legend: (t) => (S.runs.some((r) => r.groups > 1) ? [[[], t["net.group_base"]], [NET.dashes[1], t["net.group_head"]]] : []),
  zero: true,
});

// grad_norm[t·layers + j]: the norm of layer j's gradient in step t, taken at position t, drawn at t
PANELS.net_grad = netCurves("net_grad", {
  title: "grad_norm",
  series: (r) => r.layers.map((_, j) => ({values: (i) => r.grad_norm[i * r.layers.length + j], from: 0,
    to: Math.min(r.steps, r.end) - 1, dash: NET.dashes[j % NET.dashes.length]})),
  legend: (t) => {
    const most = S.runs.reduce((a, r) => (r.layers.length > a.length ? r.layers : a), []);
    return most.map((name, j) => [NET.dashes[j % NET.dashes.length], netText("layer", {n: j + 1, name})]);
  },
  log: true,
});

window.networkState = () => JSON.parse(JSON.stringify(netDrawn));

// ---- the loss landscape (a player of its own: viz/network.py `landscape_payload`) ----------------------------
// "landscape": the slice's contour lines (the training loss on the plane, log-spaced levels) and each run's weights
// projected on it up to the cursor, equal units on both axes (distances in weight space); for PCA each axis says
// its share of the runs' spread. "plane_gap": per run, the true loss along its path (solid) and the plane's loss
// at the projected point (dashed) — what the contours under the path show; "plane_distance": how far the weights
// are from the plane. "line1d" (static): the loss on the straight line from the initial weights (α = 0) to each
// run's final weights (α = 1), a quarter beyond each end.
function netAxisTitles(t) {
  const {plane, explained} = S.layer;
  if (plane === "pca" && explained) {
    return explained.map((share, i) => netText("pc", {i: i + 1, pct: (100 * share).toFixed(1)}));
  }
  return plane === "random" ? [netText("random_a"), netText("random_b")]
    : plane === "three_point" ? [netText("three_a"), netText("three_b")] : [t.x, t.y];
}

PANELS.landscape = {
  main: true,
  titles: netAxisTitles,
  ranges(c) {
    c.fitted = null; fitUnits(c);  // regression.js: equal units when the ranges are comparable
    return [S.layer.bounds[0], S.layer.bounds[1], false];
  },
  background: (c, g) => drawContours(c, g),
  draw(c, g) {
    if (fitUnits(c)) requestAnimationFrame(draw);
    for (const r of S.runs) drawPath(c, g, r);
  },
  readout: {
    head: (t) => ["a", "b", t["net.path"], t["net.plane"], t["net.distance"]],
    cells: (r, k) => [fmt(r.xy[2 * k]), fmt(r.xy[2 * k + 1]), fmt(r.loss[k]), fmt(r.plane_loss[k]), fmt(r.distance[k])],
  },
};

PANELS.plane_gap = netCurves("plane_gap", {
  title: "gap_title",
  series: (r) => [{values: (i) => r.loss[i], from: 0, to: netLast(r), dash: []},
    {values: (i) => r.plane_loss[i], from: 0, to: netLast(r), dash: NET.dashes[1]}],
  legend: (t) => [[[], t["net.path"]], [NET.dashes[1], t["net.plane"]]],
});

PANELS.plane_distance = netCurves("plane_distance", {
  title: "distance_title",
  series: (r) => [{values: (i) => r.distance[i], from: 0, to: netLast(r), dash: []}],
  legend: () => [],
  zero: true,
  log: false,
});

PANELS.line1d = {
  main: false,
  titles: (t) => [t["net.alpha"], t["net.line_title"]],
  ranges() {
    const alpha = S.runs.length ? S.runs[0].line_alpha : [0, 1], arrays = S.runs.map((r) => r.line_loss);
    const log = wantsLog(arrays, 50), y = extent(arrays, log);
    return [[alpha[0], alpha[alpha.length - 1]], y, log];
  },
  background(c, g) {  // α = 0 (the initial weights) and α = 1 (each run's final weights)
    g.strokeStyle = "#9aa0a8"; g.lineWidth = 1; g.setLineDash([2, 3]);
    for (const a of [0, 1]) { g.beginPath(); g.moveTo(c.sx(a), c.m.t); g.lineTo(c.sx(a), c.h - c.m.b); g.stroke(); }
    g.setLineDash([]);
  },
  draw(c, g) {
    const out = {};
    for (const r of S.runs) {
      g.strokeStyle = r.color; g.lineWidth = 2;
      polyline(g, c, (i) => r.line_alpha[i], (i) => r.line_loss[i], 0, r.line_alpha.length - 1);
      const end = r.line_alpha.indexOf(1);
      if (end >= 0 && Number.isFinite(r.line_loss[end])) marker(g, r.marker, c.sx(1), c.sy(r.line_loss[end]), r.color, 4.5);
      out[r.key] = r.line_alpha.length;
    }
    netDrawn.curves.line1d = out;
  },
};
