// The swarm (basins of attraction): one optimizer from a grid of starts, a run entry of viz/swarm.py
// `swarm_entry`. Its positions are uint16 over the surface's bounds at sampled steps: the cursor moves over
// those frames (`frames` holds their true steps, which the step readout shows). Drawn once: the contour lines
// and minima, and the basin map — each start's square in the colour of the minimum it reached (grey: none or
// diverged) — shown once the run's end is (the cursor at the last frame, or the whole run), so that a lesson's
// prediction stays one. Every frame: each start's point at the cursor with a short trail, in its basin's colour
// once the end is shown; a start that diverged, stopped or left the bounds is not drawn from there on.
"use strict";

const SWARM = {gone: 65535, levels: 65534, none: 65535, trail: 3, tileAlpha: 0.45};
const swarmGroups = new WeakMap();  // run -> [[colour, start indices]] per basin, and all starts in the run's colour

const swarmRun = () => S.runs.find((r) => r.positions);
const basinsShown = () => S.showAll || S.cursor >= S.last;

function basinGroups(r, revealed = true) {  // the starts of each basin (none last) with its colour, or all in one
  if (!swarmGroups.has(r)) {
    const members = r.colors.map(() => []), none = [];
    r.basin.forEach((b, i) => (b === SWARM.none ? none : members[b]).push(i));
    swarmGroups.set(r, {
      basins: [...r.colors.map((color, b) => [color, members[b]]), [r.none_color, none]].filter(([, s]) => s.length),
      hidden: [[r.color, Array.from(r.basin, (_, i) => i)]],
    });
  }
  return swarmGroups.get(r)[revealed ? "basins" : "hidden"];
}

function pixels(c, r) {  // a quantised coordinate -> canvas pixels: [x offset, x per level, y offset, y per level]
  const [[x0, x1], [y0, y1]] = r.bounds;
  return [c.sx(x0), (c.sx(x1) - c.sx(x0)) / SWARM.levels, c.sy(y0), (c.sy(y1) - c.sy(y0)) / SWARM.levels];
}

function basinMap(c, r) {  // the basin squares with the contour lines over them, drawn once per size and run
  const id = `${r.key}|${S.layer.key}|${c.canvas.width}x${c.canvas.height}`;
  if (c.basinMap && c.basinMap.id === id) return c.basinMap.canvas;
  const canvas = document.createElement("canvas"), g = canvas.getContext("2d"), p = r.positions;
  canvas.width = c.canvas.width; canvas.height = c.canvas.height;
  g.setTransform(c.dpr, 0, 0, c.dpr, 0, 0);
  c.clip(g);
  const [bx, ax, by, ay] = pixels(c, r), half = SWARM.levels / r.cells / 2;
  g.globalAlpha = SWARM.tileAlpha;
  for (const [color, starts] of basinGroups(r)) {  // a square around each start (step 0): they tile the map
    g.fillStyle = color; g.beginPath();
    for (const i of starts) {
      const left = Math.round(bx + ax * (p[2 * i] - half)), right = Math.round(bx + ax * (p[2 * i] + half));
      const top = Math.round(by + ay * (p[2 * i + 1] + half)), bottom = Math.round(by + ay * (p[2 * i + 1] - half));
      g.rect(left, top, right - left, bottom - top);
    }
    g.fill();
  }
  g.globalAlpha = 1;
  drawContours(c, g);
  c.basinMap = {id, canvas};
  return canvas;
}

function drawStarts(c, g, r, k, revealed) {  // each start's point at frame k with its trail (frames k-trail..k)
  const p = r.positions, n = r.starts, [bx, ax, by, ay] = pixels(c, r);
  const size = Math.max(2, Math.min(6, 0.28 * Math.abs(ax) * SWARM.levels / r.cells));  // the grid's cells decide
  const groups = basinGroups(r, revealed);
  const from = Math.max(0, k - SWARM.trail);
  g.lineWidth = Math.max(1, size / 3); g.globalAlpha = 0.6;
  for (const [color, starts] of groups) {
    g.strokeStyle = color; g.beginPath();
    for (const i of starts) {
      let pen = false;
      for (let f = from; f <= k; f++) {
        const at = 2 * (f * n + i), qx = p[at], qy = p[at + 1];
        if (qx === SWARM.gone || qy === SWARM.gone) { pen = false; continue; }
        if (pen) g.lineTo(bx + ax * qx, by + ay * qy); else { g.moveTo(bx + ax * qx, by + ay * qy); pen = true; }
      }
    }
    g.stroke();
  }
  g.globalAlpha = 1;
  const here = (i) => { const at = 2 * (k * n + i); return p[at] === SWARM.gone || p[at + 1] === SWARM.gone ? null
    : [bx + ax * p[at] - size / 2, by + ay * p[at + 1] - size / 2]; };
  if (revealed) {  // a dark rim: a point stays visible on its own basin's square
    g.fillStyle = "rgba(0,0,0,.55)"; g.beginPath();
    for (let i = 0; i < n; i++) { const xy = here(i); if (xy) g.rect(xy[0] - 0.6, xy[1] - 0.6, size + 1.2, size + 1.2); }
    g.fill();
  }
  for (const [color, starts] of groups) {
    g.fillStyle = color; g.beginPath();
    for (const i of starts) { const xy = here(i); if (xy) g.rect(xy[0], xy[1], size, size); }
    g.fill();
  }
}

PANELS.swarm = {
  main: true,
  titles: (t) => [t.x, t.y],
  ranges: () => [S.layer.bounds[0], S.layer.bounds[1], false],
  background: (c, g) => drawContours(c, g),  // map.js: called late, whatever the load order
  draw(c, g) {
    const r = swarmRun();
    if (!r) return;
    const revealed = basinsShown();
    if (revealed) {
      g.save(); g.setTransform(1, 0, 0, 1, 0, 0); g.drawImage(basinMap(c, r), 0, 0); g.restore();
    }
    drawStarts(c, g, r, at(r), revealed);
    S.drawn[r.key] = at(r) + 1;
  },
};
