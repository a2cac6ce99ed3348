// The 3D view: the surface's mesh (plotly.js from the installed plotly package, loaded on first use) with each
// run's path lifted just above it, up to the cursor, in its dash pattern and with its marker. The wheel scrolls the page (zoom needs a modifier key or
// the tool bar), and on a touch screen a swipe scrolls unless a rotate/zoom/pan tool is chosen.
"use strict";

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
    data.push({type: "scatter3d", mode: "lines", name: r.label, x: [], y: [], z: [],
      line: {color: r.color, width: 6, dash: r.dash3d}, hoverinfo: "name"});
    data.push({type: "scatter3d", mode: "markers", showlegend: false, x: [], y: [], z: [], hoverinfo: "skip",
      marker: {color: r.color, size: 6, symbol: r.marker, line: {color: "#fff", width: 1}}});
  }
  const t = S.texts, zmin = extent([mesh.z], false)[0];  // the box is the surface's: a run far outside is clipped
  const layout = {margin: {l: 0, r: 0, t: 10, b: 0}, uirevision: "player3d", showlegend: false,
    font: {size: 12 * S.scale},
    scene: {xaxis: {title: {text: t.x}, range: bounds[0]}, yaxis: {title: {text: t.y}, range: bounds[1]},
      zaxis: {title: {text: t.loss}, range: [zmin, mesh.top + 2 * mesh.lift]},
      aspectmode: "manual", aspectratio: {x: 1, y: 1, z: 0.6},
      dragmode: coarse.matches ? false : "turntable"}};
  // plotly.js 3's tool bar offers to upload the chart ("Share chart..."): no outside hosts
  await window.Plotly.react(box, data, layout, {scrollZoom: true, displaylogo: false, responsive: true,
    modeBarButtonsToRemove: ["sendChartToCloud"]});
  S.styles["3d"] = Object.fromEntries(S.runs.filter((q) => q.starts === 1).map((r, i) =>
    [r.key, {dash: box.data[1 + 2 * i].line.dash, marker: box.data[2 + 2 * i].marker.symbol}]));
  if (S.view3d !== box) {
    box.on("plotly_click", (e) => e.points[0] && emit({click: [e.points[0].x, e.points[0].y]}));
    // The wheel scrolls the page; it zooms only with a modifier key (plotly's own option cannot say so).
    box.addEventListener("wheel", (e) => e.ctrlKey || e.metaKey || e.shiftKey || e.stopPropagation(), {capture: true});
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
    const k = shown(r) + 1, now = at(r);
    x.push(r.x.subarray(0, k), [r.x[now]]); y.push(r.y.subarray(0, k), [r.y[now]]); z.push(r.z.subarray(0, k), [r.z[now]]);
    S.drawn[r.key] = k;
  }
  window.Plotly.restyle(S.view3d, {x, y, z}, runs.flatMap((_, i) => [1 + 2 * i, 2 + 2 * i]));
}

PANELS["3d"] = {main: true, build: build3d, frame: draw3d};
