// The map: the surface's contour lines and minima (drawn once), and each run's path up to the cursor with its
// start, the learning rate's drops (diamonds), where it diverged or stopped (×, at the edge if beyond it) and
// where it is now; a swarm (many starts) as one dot per start. A click reports the point (the page's new start).
"use strict";

function drawContours(c, g) {
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

function drawSwarm(c, g, r) {  // every start's position at the cursor
  const xy = r.xy, base = at(r) * r.starts * 2;
  g.fillStyle = r.color;
  for (let s = 0; s < r.starts; s++) {
    const x = xy[base + 2 * s], y = xy[base + 2 * s + 1];
    if (Number.isFinite(x) && Number.isFinite(y)) g.fillRect(c.sx(x) - 1.5, c.sy(y) - 1.5, 3, 3);
  }
  S.drawn[r.key] = at(r) + 1;
}

function drawPath(c, g, r) {
  const k = shown(r), xy = r.xy, now = at(r);
  if (k < 0) return;
  g.strokeStyle = r.color; g.lineWidth = 2.5; g.lineJoin = "round";
  polyline(g, c, (i) => xy[2 * i], (i) => xy[2 * i + 1], 0, k);
  S.drawn[r.key] = k + 1;
  g.lineWidth = 3; g.beginPath(); g.arc(c.sx(xy[0]), c.sy(xy[1]), 8, 0, 2 * Math.PI); g.stroke();
  const marks = r.drops.filter((i) => i <= k);
  for (const i of marks) diamond(g, c.sx(xy[2 * i]), c.sy(xy[2 * i + 1]), r.color);
  S.marks[r.key] = marks;
  if (r.end <= r.steps && k === r.end - 1) {
    const clamp = (v, lo, hi) => Math.max(lo + 8, Math.min(hi - 8, v));
    cross(g, clamp(c.sx(xy[2 * k]), c.m.l, c.w - c.m.r), clamp(c.sy(xy[2 * k + 1]), c.m.t, c.h - c.m.b), r.color);
  }
  dot(g, c.sx(xy[2 * now]), c.sy(xy[2 * now + 1]), r.color);
}

PANELS.map = {
  main: true,
  titles: (t) => [t.x, t.y],
  ranges: () => [S.layer.bounds[0], S.layer.bounds[1], false],
  background: drawContours,
  draw(c, g) { for (const r of S.runs) (r.starts > 1 ? drawSwarm : drawPath)(c, g, r); },
  click: (c, point) => emit({click: point}),
};
