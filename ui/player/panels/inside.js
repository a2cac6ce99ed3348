// Inside the optimizer (one run, viz/inside.py `inside_entry`). "arrows": the map with the path up to the cursor
// and, at step k (torch's k-th optimizer.step(), θ_{k−1} → θ_k: row k − 1 of the arrays), the arrows −gradient,
// −momentum and Δθ drawn from θ_{k−1}, each at its one scale for the whole run (cut at the plot's edge), with a
// legend; at step 0 (the start) a note instead.
// "state0" … "state3": torch's state entries over the steps (x and y), one side panel each, up to the cursor.
"use strict";

{  // a block: the helpers stay out of the other panel files' global names
  const COORDINATE_COLORS = ["#0072B2", "#D55E00"];  // x, y (as the state caption says)
  const ARROW_STYLE = {neg_momentum: [7, 4]};  // dashed: distinct by more than its colour

  function legendBox(c, g, rows, r) {  // the plot's corner with the fewest of the run's points under it
    const k = S.scale, line = 17 * k, pad = 6 * k, sample = 26 * k;
    g.font = `${12 * k}px system-ui, sans-serif`;
    const w = Math.max(...rows.map((row) => g.measureText(row.label).width)) + sample + 3 * pad;
    const h = rows.length * line + pad, left = c.m.l + 6, top = c.m.t + 6;
    const right = c.w - c.m.r - 6 - w, bottom = c.h - c.m.b - 6 - h;
    const corners = [[left, top], [right, top], [left, bottom], [right, bottom]];
    const under = ([x, y]) => {
      let n = 0;
      for (let i = 0; i < r.end; i++) {
        const px = c.sx(r.xy[2 * i]), py = c.sy(r.xy[2 * i + 1]);
        n += px >= x && px <= x + w && py >= y && py <= y + h;
      }
      return n;
    };
    const [x, y] = corners.reduce((best, corner) => (under(corner) < under(best) ? corner : best));
    return {x, y, w, h, line, pad, sample};
  }

  function legend(c, g, rows, box) {  // rows: [{label, color?, dash?, line?}]
    const {x, y, w, h, line, pad, sample} = box;
    g.fillStyle = "rgba(255,255,255,.9)"; g.fillRect(x, y, w, h);
    g.textAlign = "left"; g.textBaseline = "middle";
    rows.forEach((row, i) => {
      const cy = y + pad / 2 + line * (i + 0.5);
      if (row.line) {
        g.strokeStyle = row.color; g.lineWidth = 2.5; g.setLineDash([]);
        g.beginPath(); g.moveTo(x + pad, cy); g.lineTo(x + pad + sample, cy); g.stroke();
      } else if (row.color) arrow(g, x + pad, cy, x + pad + sample, cy, row.color, 2.5, row.dash || []);
      g.fillStyle = "#262730"; g.fillText(row.label, x + 2 * pad + sample, cy);
    });
  }

  function inPlot(c, x0, y0, x1, y1) {  // the end (x1, y1) pulled back along the arrow to the plot's edge
    const t = Math.min(1, ...[[x1 - x0, c.m.l - x0, c.w - c.m.r - x0], [y1 - y0, c.m.t - y0, c.h - c.m.b - y0]]
      .map(([d, lo, hi]) => (d > 0 ? hi / d : d < 0 ? lo / d : Infinity)));
    return [x0 + (x1 - x0) * Math.max(t, 0), y0 + (y1 - y0) * Math.max(t, 0)];
  }

  function drawArrows(c, g, r) {  // the arrows of step k = the cursor's, from θ_{k−1}; none at the start
    const k = at(r), t = S.texts;
    S.arrows = {step: k, drawn: {}, scales: Object.fromEntries(r.vectors.map((v) => [v.array, v.scale]))};
    if (k >= 1) {
      const i = k - 1, x0 = r.xy[2 * i], y0 = r.xy[2 * i + 1];
      for (const v of r.vectors) {
        const a = r[v.array], dx = a[2 * i] * v.scale, dy = a[2 * i + 1] * v.scale;
        if (![x0, y0, dx, dy].every(Number.isFinite)) continue;
        const [px, py] = [c.sx(x0), c.sy(y0)], [ex, ey] = inPlot(c, px, py, c.sx(x0 + dx), c.sy(y0 + dy));
        arrow(g, px, py, ex, ey, v.color, v.array === "update" ? 3.5 : 3, ARROW_STYLE[v.array] || []);
        S.arrows.drawn[v.array] = {vector: [a[2 * i], a[2 * i + 1]], pixels: [c.sx(x0 + dx) - px, c.sy(y0 + dy) - py]};
      }
      g.lineWidth = 1.5; g.strokeStyle = r.color; g.fillStyle = "#fff";  // θ_{k−1}, where the arrows start
      g.beginPath(); g.arc(c.sx(x0), c.sy(y0), 4, 0, 2 * Math.PI); g.fill(); g.stroke();
    }
    const rows = [{label: t["inside.path"], color: r.color, line: true},
      ...r.vectors.map((v) => ({label: `${t[`inside.${v.array}`]}  ×${fmt(v.scale)}`, color: v.color,
        dash: ARROW_STYLE[v.array]})),
      {label: t["inside.scales"]}, ...(k >= 1 ? [] : [{label: t["inside.start"]}])];
    legend(c, g, rows, legendBox(c, g, rows, r));
  }

  PANELS.arrows = {
    main: true,
    titles: (t) => [t.x, t.y],
    ranges: () => [S.layer.bounds[0], S.layer.bounds[1], false],
    background: drawContours,
    draw(c, g) {
      for (const r of S.runs) { drawPath(c, g, r); drawArrows(c, g, r); }
    },
  };

  // ---- torch's state over the steps ------------------------------------------------------------------------
  function coordinates(r, name) {  // a (steps, 2) array as its x and y columns, split once per run
    r.columns = r.columns || {};
    if (!r.columns[name]) {
      const a = r[name], n = a.length / 2;
      r.columns[name] = [0, 1].map((j) => Float32Array.from({length: n}, (_, i) => a[2 * i + j]));
    }
    return r.columns[name];
  }

  function statePanel(row) {
    const series = () => S.runs[0] && S.runs[0].series[row];
    return {
      main: false,
      titles: (t) => [t.step, series() ? t[`inside.series.${series().name}`] || series().name : ""],
      ranges() {
        const arrays = series() ? coordinates(S.runs[0], series().array) : [[0]], log = wantsLog(arrays);
        return [[0, Math.max(S.last, 1)], extent(arrays, log), log];
      },
      draw(c, g) {
        const r = S.runs[0], s = series();
        if (!s) return;
        const k = shown(r), now = at(r);  // the state after step i is row i − 1, drawn at i
        coordinates(r, s.array).forEach((values, j) => {
          g.strokeStyle = COORDINATE_COLORS[j]; g.lineWidth = 2;
          polyline(g, c, (i) => i + 1, (i) => values[i], 0, k - 1);
          const value = now >= 1 ? values[now - 1] : NaN;  // where the cursor is
          if (Number.isFinite(value)) dot(g, c.sx(now), c.sy(value), COORDINATE_COLORS[j], 4);
        });
        cursorLine(g, c);
        if (row === 0) {  // which colour is which coordinate
          g.font = `${12 * S.scale}px system-ui, sans-serif`; g.textAlign = "right"; g.textBaseline = "top";
          ["y", "x"].forEach((name, j) => {
            g.fillStyle = COORDINATE_COLORS[1 - j];
            g.fillText(`— ${S.texts[name]}`, c.w - c.m.r - 4 - j * 40 * S.scale, c.m.t + 2);
          });
        }
      },
    };
  }

  for (let row = 0; row < 4; row++) PANELS[`state${row}`] = statePanel(row);  // viz/inside.py STATE_ROWS

  // For tests: the arrows drawn at the cursor (vector, and its length on screen in pixels) and their scale.
  window.insideState = () => S.arrows || null;
}
