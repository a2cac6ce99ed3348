"""The race: runs on the contour map (left) and loss, learning rate and distance to the minimum (right).

Static traces hold the surface, the full paths and curves; frames only move one marker
trace per subplot (every run's current point), so the payload grows linearly with the steps.
"""

from __future__ import annotations

import numpy as np

from optimizers.metrics import distance_to_minima

from .contours import map_layer
from .controls import CONTROLS_MARGIN, animation_controls, frames_of, sample_steps
from .encode import clean
from .layers import click_target, keep_opacity
from .runs import RunView, template, texts_with_defaults

MAP_WIDTH, SIDE_START = 0.6, 0.66  # left map domain [0, MAP_WIDTH]; right column [SIDE_START, 1]
# The right column's y axes (tick labels and titles) sit on its right, in a margin plotly grows to fit them
# (automargin): in the gap between map and column they need ~100 px, and on a phone they overlapped the map.
SIDE_ROWS = ((0.72, 1.0), (0.36, 0.64), (0.0, 0.28))  # loss, lr, distance


def _padded(runs: list[RunView], last: int):
    """(R, last+1, 2) positions, (R, last+1) losses, (R, last) lrs: NaN-padded to a common length."""
    xy = np.full((len(runs), last + 1, 2), np.nan)
    loss = np.full((len(runs), last + 1), np.nan)
    lr = np.full((len(runs), max(last, 1)), np.nan)
    for i, r in enumerate(runs):
        xy[i, :len(r.xy)], loss[i, :len(r.loss)], lr[i, :len(r.lr)] = r.xy, r.loss, r.lr
    return xy, loss, lr


MAX_LR_MARKS = 30


def _run_traces(r: RunView, i: int, dist, texts: dict) -> list[dict]:
    """One run's static traces: path, start ring, '×' where it diverged (a square where the cost budget stopped
    it), and its loss/lr/distance curves."""
    n = r.finite_len
    group = {"legendgroup": f"run{i}", "showlegend": False}
    line = {"color": r.color, "width": 2.5}
    step = f"{texts['step']} %{{x}}"
    traces = [
        {"type": "scatter", "mode": "lines+markers", "name": r.label, "legendgroup": f"run{i}", "showlegend": True,
         "x": clean(r.xy[:n, 0]), "y": clean(r.xy[:n, 1]), "line": line, "marker": {"size": 4, "color": r.color},
         **keep_opacity(), "hovertemplate": f"{r.label}<br>{texts['step']} %{{pointNumber}}<br>"
                                            f"({texts['x']}, {texts['y']}) = (%{{x:.5g}}, %{{y:.5g}})<extra></extra>"},
        {"type": "scatter", "mode": "markers", "x": clean(r.xy[:1, 0]), "y": clean(r.xy[:1, 1]), **group,
         "marker": {"symbol": "circle-open", "size": 20, "color": r.color, "line": {"width": 3.5}}, **keep_opacity(),
         "hovertemplate": f"{r.label}: {texts['start']}<br>(%{{x:.5g}}, %{{y:.5g}})<extra></extra>"},
    ]
    ends = [("x", texts["diverged"], r.diverged_at), ("square", texts["stopped"], r.stopped_at)]
    for symbol, what, at in ends:
        if at is not None and n > 0:
            traces.append({
                "type": "scatter", "mode": "markers", "x": clean(r.xy[n - 1:n, 0]), "y": clean(r.xy[n - 1:n, 1]),
                **group, "marker": {"symbol": symbol, "size": 20 if symbol == "x" else 14, "color": r.color,
                                    "line": {"width": 2, "color": "#222222"}}, **keep_opacity(),
                "hovertemplate": f"{r.label}: {what} ({texts['step']} {at - (symbol == 'square')})<extra></extra>"})
    drops = np.flatnonzero(np.diff(r.lr[:n]) < 0) + 1  # steps whose learning rate is lower than the step before
    if 0 < len(drops) <= MAX_LR_MARKS:  # a drop per step (ExponentialLR) would only clutter the path
        traces.append({
            "type": "scatter", "mode": "markers", "x": clean(r.xy[drops, 0]), "y": clean(r.xy[drops, 1]), **group,
            "marker": {"symbol": "diamond", "size": 11, "color": r.color, "line": {"width": 1.5, "color": "#ffffff"}},
            **keep_opacity(), "customdata": drops.tolist(),
            "hovertemplate": f"{r.label}: {texts['lr_drop']}<br>{texts['step']} %{{customdata}}<extra></extra>"})
    curves = [(r.loss[:n], "2", texts["loss"]), (r.lr[:min(n, len(r.lr))], "3", texts["lr"])]
    if dist is not None:
        curves.append((dist[:n], "4", texts["distance"]))
    for y, axis, what in curves:
        traces.append({"type": "scatter", "mode": "lines", "x0": 0, "dx": 1, "y": clean(y), "line": line, **group,
                       "xaxis": f"x{axis}", "yaxis": f"y{axis}",
                       "hovertemplate": f"{r.label}<br>{step}<br>{what} %{{y:.5g}}<extra></extra>"})
    return traces


def _axes(surface, texts: dict, last: int, log_loss: bool, log_lr: bool, dist_minor: bool = True) -> dict:
    """The map's axes and the right column's (loss, lr, distance); `dist_minor`: label the distance axis at
    1-2-5 (over a few decades; over more the 2s and 5s of ~160 px of axis overlap)."""
    (x0, x1), (y0, y1) = surface.bounds
    title = lambda t: {"text": t, "font": {"size": 15}}  # noqa: E731
    axes = {"xaxis": {"domain": [0, MAP_WIDTH], "range": [x0, x1], "title": title(texts["x"]), "showgrid": False,
                      "zeroline": False},
            "yaxis": {"domain": [0, 1], "range": [y0, y1], "title": title(texts["y"]), "showgrid": False,
                      "zeroline": False}}
    types = ("log" if log_loss else "linear", "log" if log_lr else "linear", "log")
    for k, ((d0, d1), name, kind) in enumerate(zip(SIDE_ROWS, ("loss", "lr", "distance"), types, strict=True), 2):
        axes[f"xaxis{k}"] = {"domain": [SIDE_START, 1], "anchor": f"y{k}", "range": [0, max(last, 1)],
                             **({"title": title(texts["step"])} if k == 4 else {"matches": "x4",
                                                                                "showticklabels": False})}
        minor = {"dtick": "D2"} if name == "distance" and dist_minor else {}
        axes[f"yaxis{k}"] = {"domain": [d0, d1], "anchor": f"x{k}", "type": kind, "title": title(texts[name]),
                             "side": "right", "automargin": True, "exponentformat": "power", **minor}
    return axes


def race_figure(surface, runs: list[RunView], *, texts: dict, max_frames: int = 240, height: int = 720,
                cursor: int = 0) -> dict:
    """The animated race of `runs` on `surface` as a plotly figure dict (see the module docstring).

    Trace 0 is the invisible click target. The last 3–4 traces are the animated markers
    (map, loss, lr[, distance]); frames are named by step and only restyle those.  The
    markers and the slider start at step `cursor` (one of the frames).
    """
    texts = texts_with_defaults(texts)
    last = max((len(r.xy) - 1 for r in runs), default=0)
    xy, loss, lr = _padded(runs, last)
    has_minima = bool(surface.minima)
    dist = distance_to_minima(xy, surface.minima) if has_minima else None
    finite_loss = loss[np.isfinite(loss)]
    log_loss = finite_loss.size > 0 and bool((finite_loss > 0).all())
    finite_lr = lr[np.isfinite(lr)]
    log_lr = finite_lr.size > 0 and bool((finite_lr > 0).all()) and finite_lr.max() > 100 * finite_lr.min()

    finite_dist = dist[np.isfinite(dist) & (dist > 0)] if has_minima else np.empty(0)
    dist_minor = finite_dist.size == 0 or finite_dist.max() <= 100 * finite_dist.min()
    data = [click_target(surface.bounds), *map_layer(surface, texts)]
    for i, r in enumerate(runs):
        data += _run_traces(r, i, None if dist is None else dist[i], texts)

    cursor = min(max(int(cursor), 0), last)
    steps = np.union1d(sample_steps(last, max_frames), [cursor])
    at = int(np.searchsorted(steps, cursor))
    lr_steps = np.minimum(steps, lr.shape[1] - 1)
    colors = [r.color for r in runs]
    px, py, pl, plr = (clean(a) for a in (xy[:, steps, 0].T, xy[:, steps, 1].T, loss[:, steps].T, lr[:, lr_steps].T))
    pd = clean(dist[:, steps].T) if has_minima else None
    n = len(runs)

    def moving(k: int) -> list[dict]:
        s, s_lr = int(steps[k]), int(lr_steps[k])
        out = [{"x": px[k], "y": py[k]}, {"x": [s] * n, "y": pl[k]}, {"x": [s_lr] * n, "y": plr[k]}]
        return out + ([{"x": [s] * n, "y": pd[k]}] if has_minima else [])

    cursor = {"type": "scatter", "mode": "markers", "hoverinfo": "skip", "showlegend": False, **keep_opacity()}
    first = moving(at)
    for points, axis, size in zip(first, ("", "2", "3", "4"), (15, 11, 11, 11), strict=False):
        data.append({**cursor, **points, "xaxis": f"x{axis}", "yaxis": f"y{axis}",
                     "marker": {"size": size, "color": colors, "line": {"color": "#ffffff", "width": 2}}})
    animated = list(range(len(data) - len(first), len(data)))

    layout = {
        **_axes(surface, texts, last, log_loss, log_lr, dist_minor), **animation_controls(steps, texts, active=at),
        "template": template(), "height": height, "uirevision": "race", "hovermode": "closest",
        "font": {"size": 15}, "margin": {"l": 64, "r": 16, "t": 48, "b": CONTROLS_MARGIN},
        "legend": {"orientation": "h", "x": 0, "y": 1.01, "xanchor": "left", "yanchor": "bottom"},
        "annotations": [] if has_minima else [{
            "text": texts["no_minimum"], "xref": "x4 domain", "yref": "y4 domain", "x": 0.5, "y": 0.5,
            "showarrow": False, "font": {"size": 16, "color": "#666666"}}],
    }
    return {"data": data, "layout": layout, "frames": frames_of(steps, animated, moving)}

