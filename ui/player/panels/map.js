// The map: the surface's contour lines and minima (drawn once), and each run's path up to the cursor with its
// start, the learning rate's drops (diamonds), where it diverged or stopped (×, at the edge if beyond it) and
// where it is now; a swarm (many starts) as one dot per start. A click reports the point (the page's new start).
"use strict";

function drawSwarm(c, g, r) {  // every start's position at the cursor
  const xy = r.xy, base = at(r) * r.starts * 2;
  g.fillStyle = r.color;
  for (let s = 0; s < r.starts; s++) {
    const x = xy[base + 2 * s], y = xy[base + 2 * s + 1];
    if (Number.isFinite(x) && Number.isFinite(y)) g.fillRect(c.sx(x) - 1.5, c.sy(y) - 1.5, 3, 3);
  }
  S.drawn[r.key] = at(r) + 1;
}

PANELS.map = {
  main: true,
  titles: (t) => [t.x, t.y],
  ranges: () => [S.layer.bounds[0], S.layer.bounds[1], false],
  background: drawContours,
  draw(c, g) { for (const r of S.runs) (r.starts > 1 ? drawSwarm : drawPath)(c, g, r); },
  click: (c, point) => emit({click: point}),
};
