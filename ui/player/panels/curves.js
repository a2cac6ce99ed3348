// The loss and the learning rate over the steps, up to the cursor, with a line at the cursor, each run in its dash
// pattern. An axis is logarithmic when the values span more than 50× (learning rates, picked on log sliders: 10×);
// a run blowing up leaves the loss's top open instead of flattening the others; a linear learning-rate axis starts
// at 0 (a constant rate is not a line at "0").
"use strict";

function curvesPanel(kind) {
  const lr = kind === "lr", values = (r) => (lr ? r.lr : r.loss.subarray(0, r.end));
  return {
    main: false,
    titles: (t) => [t.step, lr ? t.lr : t.loss],
    ranges() {
      const arrays = S.runs.filter((r) => r.starts === 1).map(values);
      const log = wantsLog(arrays, lr ? 10 : 50), first = Math.max(...arrays.map((a) => Math.abs(a[0]) || 0));
      const cap = !lr && first > 0 ? first * (log ? 1e3 : 2) : Infinity, y = extent(arrays, log, cap);
      return [[0, Math.max(S.last, 1)], lr && !log ? [0, Math.max(y[1], 0)] : y, log];
    },
    draw(c, g) {
      for (const r of S.runs) {
        if (r.starts > 1) continue;
        const k = shown(r);  // lr[i - 1] is the rate of step i (from position i - 1 to i)
        g.strokeStyle = r.color; g.lineWidth = 2; g.setLineDash(r.dash); drewStyle(kind, r, g);
        if (lr) polyline(g, c, (i) => i, (i) => r.lr[i - 1], 1, Math.min(k, r.lr.length));
        else polyline(g, c, (i) => i, (i) => r.loss[i], 0, k);
        g.setLineDash([]);
      }
      cursorLine(g, c);
    },
  };
}

PANELS.loss = curvesPanel("loss");
PANELS.lr = curvesPanel("lr");
