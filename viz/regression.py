"""Linear regression, three views on one time cursor: the data with each run's fitted line (top left),
the MSE over (w, b) with the paths and gradient arrows (right), and the loss per step (bottom left).

Static traces hold the data, the contours, the full paths, the points LBFGS evaluated and the loss
curves; frames only move small traces (2 points per fitted line, the current mini-batch's rings,
2 points per arrow, the cursor markers), so the payload grows linearly with the steps.

Arrows point along the *negative* gradient (the way descent goes): solid for the gradient the
optimizer used (the mini-batch gradient for mini-batch runs), dashed for the full-batch gradient at
the same point. One length scale per run for both kinds, so the two arrows compare (see `_arrows`).
"""

from __future__ import annotations

import numpy as np

from .contours import map_layer
from .controls import CONTROLS_MARGIN, animation_controls, frames_of, sample_steps
from .encode import clean
from .layers import keep_opacity
from .runs import RunResult, template, texts_with_defaults

LEFT, RIGHT = (0.0, 0.42), (0.48, 1.0)  # x domains: data and loss on the left, the map on the right
# (the map's b axis sits on its right, in a margin plotly grows to fit it: on a phone ticks and title between
# the columns would overlap the data panel)
DATA_ROWS, LOSS_ROWS = (0.53, 1.0), (0.0, 0.34)  # y domains of the left column
ARROW_FRACTION, ARROW_QUANTILE, ARROW_CAP, ARROW_MIN = 0.2, 0.9, 2.0, 0.01  # arrow lengths: see `_arrows`
GREY = "#777777"
TOP_MARGIN = 80  # legend and panel titles
MARGIN_LEFT = 64
NOTE_ROW = 28  # px under the animation controls for the epoch note
SIG = 4  # map coordinates of the frames: 4 significant digits at the scale of the axis span


def _arrows(start: np.ndarray, grads: list[np.ndarray], diagonal: float) -> list[np.ndarray]:
    """(n, 2, 2) segments start → start − s·g for each gradient array, with one scale s for all of them.

    s makes the `ARROW_QUANTILE` of all their lengths `ARROW_FRACTION` of the map's diagonal (the first steps'
    gradients can be 100× the later ones: scaling by the longest would shrink the rest to dots); the few
    longer than `ARROW_CAP` × that are drawn at that length, in their own direction. Arrows shorter than
    `ARROW_MIN` of the diagonal (a gradient ≈ 0 at this scale) are left out: the head alone would point anywhere.
    """
    lengths = [np.hypot(g[:, 0], g[:, 1]) for g in grads]
    finite = np.concatenate(lengths)
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if not finite.size:
        return [np.full((len(start), 2, 2), np.nan) for _ in grads]
    reference = ARROW_FRACTION * diagonal
    scale = reference / np.quantile(finite, ARROW_QUANTILE)
    out = []
    for g, length in zip(grads, lengths, strict=True):
        with np.errstate(invalid="ignore", divide="ignore"):
            shrink = np.minimum(1.0, ARROW_CAP * reference / (scale * length))
        factor = np.where(scale * length >= ARROW_MIN * diagonal, scale * shrink, np.nan)
        out.append(np.stack([start, start - factor[:, None] * g], axis=1))
    return out


def _at(a: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """a[steps] along axis 0, NaN where a step lies beyond the array (a shorter run, or t = steps)."""
    out = np.full((len(steps), *a.shape[1:]), np.nan)
    ok = steps < len(a)
    out[ok] = a[steps[ok]]
    return out


def _log_ticks(values: np.ndarray) -> dict:
    """Tick values 1-2-5 (or 1…9 on a narrow range) with plain labels ("0.2", "5") for a log axis over at most
    3 decades; plotly's own digits-only minor labels read badly there. Wider: plotly's powers of ten."""
    lo, hi = values.min(), values.max()
    if not hi / lo <= 1e3:
        return {"exponentformat": "power"}
    decades = np.arange(np.floor(np.log10(lo)) - 1, np.ceil(np.log10(hi)) + 1)
    for mantissas in ((1, 2, 5), range(1, 10)):
        ticks = [m * 10.0 ** k for k in decades for m in mantissas]
        ticks = [float(f"{v:.3g}") for v in ticks if lo / 1.25 <= v <= hi * 1.25]
        if len(ticks) >= 3:
            break
    return {"tickvals": ticks, "ticktext": [f"{v:g}" for v in ticks]}


def _x_range(x: np.ndarray) -> list[float]:
    """The data panel's x range: the data, and x = 0 when it lies within one data span (to read b off there)."""
    x0, x1 = x.min(), x.max()
    if max(x0, -x1, 0.0) <= (x1 - x0):
        x0, x1 = min(x0, 0.0), max(x1, 0.0)
    pad = 0.06 * (x1 - x0)
    return [float(x0 - pad), float(x1 + pad)]


def _y_range(y: np.ndarray, lines: np.ndarray) -> list[float]:
    """The data panel's y range: the data, and the fitted lines as far as they stay within two data spans."""
    span = np.ptp(y) or 1.0
    fin = lines[np.isfinite(lines)]
    lo = max(min(y.min(), fin.min(initial=np.inf)), y.min() - 2 * span)
    hi = min(max(y.max(), fin.max(initial=-np.inf)), y.max() + 2 * span)
    pad = 0.08 * (hi - lo)
    return [float(lo - pad), float(hi + pad)]


def _epoch_shapes(runs: list[RunResult]) -> list[dict]:
    """Dotted vertical lines on the loss panel where the first mini-batch run starts a new epoch."""
    first = next((r.traj for r in runs if r.traj.batches is not None and r.traj.epoch is not None), None)
    if first is None:
        return []
    epoch = np.asarray(first.epoch)
    bounds = np.flatnonzero(np.diff(epoch)) + 1  # step t starts a new epoch: xy[t] ends the previous one
    return [{"type": "line", "xref": "x3", "yref": "y3 domain", "x0": int(t), "x1": int(t), "y0": 0, "y1": 1,
             "line": {"color": "#b0b0b0", "width": 1, "dash": "dot"}, "layer": "below"} for t in bounds]


def regression_figure(surface, runs: list[RunResult], *, texts: dict, max_frames: int = 200, height: int = 760,
                      cursor: int = 0) -> dict:
    """The linear-regression figure of `runs` on `surface` ("linear_regression") as a plotly figure dict.

    Axes: x/y = data, x2/y2 = MSE map, x3/y3 = loss. Every trace has ``meta = {"role": ..., "run": i}``
    (roles: contour/minimum from `map_layer` have none; "data", "path", "evaluated", "loss", "legend",
    "fit", "batch", "used_grad", "full_grad", "cursor_map", "cursor_loss"). Frames are named by step,
    restyle only the animated traces (the last ones) and start, with the slider, at step `cursor`.
    """
    texts = texts_with_defaults(texts)
    for r in runs:
        if np.ndim(r.traj.xy) != 2:
            raise ValueError(f"runs: {r.label!r} has several starts; the regression figure takes single-start runs")
    x_data, y_data = (np.asarray(surface.data[k], dtype=float) for k in ("x", "y"))
    (w0, w1), (b0, b1) = surface.bounds
    diagonal = float(np.hypot(w1 - w0, b1 - b0))
    last = max((len(r.traj.xy) - 1 for r in runs), default=0)
    cursor = min(max(int(cursor), 0), last)
    steps = np.union1d(sample_steps(last, max_frames), [cursor])
    at = int(np.searchsorted(steps, cursor))
    n = len(runs)

    xy = np.stack([_at(np.asarray(r.traj.xy, float), steps) for r in runs]) if n else np.empty((0, len(steps), 2))
    loss = np.stack([_at(np.asarray(r.traj.loss, float), steps) for r in runs]) if n else np.empty((0, len(steps)))
    x_range = clean(_x_range(x_data))
    lines = xy[..., :1] * np.array(x_range) + xy[..., 1:]  # (runs, frames, 2): each fitted line at both x ends
    y_range = _y_range(y_data, lines)
    arrows = []  # per run: (used, full), each (frames, 2 points, 2)
    for r in runs:
        used = np.asarray(r.traj.grad, float)
        start = np.asarray(r.traj.xy, float)[:len(used)]  # the arrows of step t start at xy[t]
        arrows.append([_at(a, steps) for a in _arrows(start, [used, surface.gradient(start)], diagonal)])

    all_loss = np.concatenate([np.asarray(r.traj.loss, float) for r in runs]) if n else np.empty(0)
    finite_loss = all_loss[np.isfinite(all_loss)]
    log_loss = finite_loss.size > 0 and bool((finite_loss > 0).all())
    loss_ticks = _log_ticks(finite_loss) if log_loss else None  # None: a linear axis

    # --- static traces ---------------------------------------------------------------------------------------
    map_texts = {**texts, "x": texts["w"], "y": texts["b"]}  # map_layer's hover names the axes x and y
    data = map_layer(surface, map_texts, xaxis="x2", yaxis="y2")
    data.append({"type": "scatter", "mode": "markers", "x": clean(x_data), "y": clean(y_data), "name": texts["data"],
                 "showlegend": False, "meta": {"role": "data"}, **keep_opacity(),
                 "marker": {"size": 9, "color": "#3a3a3a", "line": {"color": "#ffffff", "width": 1}},
                 "hovertemplate": f"{texts['x']} = %{{x:.4g}}<br>{texts['y']} = %{{y:.4g}}<extra></extra>"})
    wb = f"({texts['w']}, {texts['b']}) = (%{{x:.5g}}, %{{y:.5g}})"
    for i, r in enumerate(runs):
        path = np.asarray(r.traj.xy, float)
        group = {"legendgroup": f"run{i}", "showlegend": False}
        data.append({"type": "scatter", "mode": "lines+markers", "name": r.label, "legendgroup": f"run{i}",
                     "showlegend": True, "x": clean(path[:, 0]), "y": clean(path[:, 1]), "xaxis": "x2", "yaxis": "y2",
                     "line": {"color": r.color, "width": 2.5}, "marker": {"size": 4, "color": r.color},
                     "meta": {"role": "path", "run": i}, **keep_opacity(),
                     "hovertemplate": f"{r.label}<br>{texts['step']} %{{pointNumber}}<br>{wb}<extra></extra>"})
        if r.traj.closure_xy is not None and len(r.traj.closure_xy):
            evaluated = np.asarray(r.traj.closure_xy, float)
            data.append({"type": "scatter", "mode": "markers", "name": texts["evaluated"], **group,
                         "x": clean(evaluated[:, 0]), "y": clean(evaluated[:, 1]), "xaxis": "x2", "yaxis": "y2",
                         "marker": {"symbol": "circle-open", "size": 8, "color": r.color, "opacity": 0.55,
                                    "line": {"width": 1.5}},
                         "meta": {"role": "evaluated", "run": i}, **keep_opacity(0.55),
                         "hovertemplate": f"{r.label}: {texts['evaluated']}<br>{wb}<extra></extra>"})
        data.append({"type": "scatter", "mode": "lines", "x0": 0, "dx": 1, "y": clean(r.traj.loss), **group,
                     "xaxis": "x3", "yaxis": "y3", "line": {"color": r.color, "width": 2.5}, "name": r.label,
                     "meta": {"role": "loss", "run": i},
                     "hovertemplate": f"{r.label}<br>{texts['step']} %{{x}}<br>{texts['loss']} %{{y:.5g}}"
                                      "<extra></extra>"})
    for role, dash in (("used_grad", "solid"), ("full_grad", "dash")):  # grey legend keys for the arrow styles
        data.append({"type": "scatter", "mode": "lines", "x": [None], "y": [None], "xaxis": "x2", "yaxis": "y2",
                     "name": texts[role], "legendgroup": role, "showlegend": True, "hoverinfo": "skip",
                     "line": {"color": GREY, "width": 2.5, "dash": dash}, "meta": {"role": "legend"}})

    # --- animated traces (the last ones) ---------------------------------------------------------------------
    moving = {"type": "scatter", "showlegend": False, **keep_opacity()}
    first_animated = len(data)
    fit_y = [clean(lines[i]) for i in range(n)]
    for i, r in enumerate(runs):
        data.append({**moving, "mode": "lines", "name": r.label, "legendgroup": f"run{i}", "x": x_range,
                     "y": fit_y[i][at], "line": {"color": r.color, "width": 3}, "meta": {"role": "fit", "run": i},
                     "hovertemplate": f"{r.label}<extra></extra>"})
    ring_runs = [i for i, r in enumerate(runs) if r.traj.batches is not None]
    rings = {}
    for j, i in enumerate(ring_runs):
        batches = np.asarray(runs[i].traj.batches)
        per_frame = []
        for s in steps:
            idx = batches[s][batches[s] >= 0] if s < len(batches) else np.empty(0, dtype=int)
            per_frame.append({"x": clean(x_data[idx]), "y": clean(y_data[idx])})
        rings[i] = per_frame
        data.append({**moving, "mode": "markers", "name": runs[i].label, "legendgroup": f"run{i}",
                     **per_frame[at], "meta": {"role": "batch", "run": i}, "hoverinfo": "skip",
                     "marker": {"symbol": "circle-open", "size": 17 + 7 * j, "color": runs[i].color,
                                "line": {"width": 2.5}}})
    arrow_points = []
    for i, r in enumerate(runs):
        pair = []
        for role, a, dash, width in (("used_grad", arrows[i][0], "solid", 3), ("full_grad", arrows[i][1], "dash", 2)):
            ax, ay = clean(a[..., 0]), clean(a[..., 1])
            pair.append((ax, ay))
            data.append({**moving, "mode": "lines+markers", "name": texts[role], "legendgroup": role,
                         "x": ax[at], "y": ay[at], "xaxis": "x2", "yaxis": "y2", "meta": {"role": role, "run": i},
                         "line": {"color": r.color, "width": width, "dash": dash},
                         "marker": {"symbol": "arrow", "angleref": "previous", "size": [0, 14], "color": r.color},
                         "hovertemplate": f"{r.label}: {texts[role]}<extra></extra>"})
        arrow_points.append(pair)
    colors = [r.color for r in runs]
    px, py = clean(xy[..., 0].T, SIG, w1 - w0), clean(xy[..., 1].T, SIG, b1 - b0)
    pl = clean(loss.T)
    data.append({**moving, "mode": "markers", "x": px[at], "y": py[at], "xaxis": "x2", "yaxis": "y2",
                 "hoverinfo": "skip", "meta": {"role": "cursor_map"},
                 "marker": {"size": 15, "color": colors, "line": {"color": "#ffffff", "width": 2}}})
    data.append({**moving, "mode": "markers", "x": [int(cursor)] * n, "y": pl[at], "xaxis": "x3", "yaxis": "y3",
                 "hoverinfo": "skip", "meta": {"role": "cursor_loss"},
                 "marker": {"size": 11, "color": colors, "line": {"color": "#ffffff", "width": 2}}})
    animated = list(range(first_animated, len(data)))

    def frame(k: int) -> list[dict]:
        out = [{"x": x_range, "y": fit_y[i][k]} for i in range(n)]
        out += [rings[i][k] for i in ring_runs]
        out += [{"x": ax[k], "y": ay[k]} for pair in arrow_points for ax, ay in pair]
        return out + [{"x": px[k], "y": py[k]}, {"x": [int(steps[k])] * n, "y": pl[k]}]

    layout = {
        **_axes(surface, texts, last, loss_ticks, x_range, y_range), **animation_controls(steps, texts, active=at),
        "template": template(), "height": height, "uirevision": "regression", "hovermode": "closest",
        "font": {"size": 15},
        "margin": {"l": MARGIN_LEFT, "r": 16, "t": TOP_MARGIN, "b": CONTROLS_MARGIN + (NOTE_ROW if ring_runs else 0)},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1, "yref": "container", "yanchor": "top",
                   "font": {"size": 14}},
        "shapes": _epoch_shapes(runs),
        "annotations": _annotations(texts, bool(ring_runs)),
    }
    return {"data": data, "layout": layout, "frames": frames_of(steps, animated, frame)}


def _axes(surface, texts: dict, last: int, log_ticks: dict | None, x_range, y_range) -> dict:
    (w0, w1), (b0, b1) = surface.bounds
    title = lambda t: {"text": t, "font": {"size": 15}}  # noqa: E731
    ratio = (b1 - b0) / (w1 - w0)
    equal = {"scaleanchor": "x2", "scaleratio": 1, "constrain": "domain"} if 0.4 <= ratio <= 2.5 else {}
    return {
        "xaxis": {"domain": list(LEFT), "anchor": "y", "range": x_range, "title": title(texts["x"]), "zeroline": True},
        "yaxis": {"domain": list(DATA_ROWS), "anchor": "x", "range": y_range, "title": title(texts["y"]),
                  "zeroline": True},
        # equal units on w and b when their ranges are comparable: the gradient is then visibly ⟂ to the contours
        "xaxis2": {"domain": list(RIGHT), "anchor": "y2", "range": [w0, w1], "title": title(texts["w"]),
                   "showgrid": False, "zeroline": False, **({"constrain": "domain"} if equal else {})},
        "yaxis2": {"domain": [0, 1], "anchor": "x2", "range": [b0, b1], "title": title(texts["b"]), "showgrid": False,
                   "zeroline": False, "side": "right", "automargin": True, **equal},
        # at most ~3 step labels: on a phone the panel is ~100 px wide, and plotly's 5 would stand on end
        "xaxis3": {"domain": list(LEFT), "anchor": "y3", "range": [0, max(last, 1)], "title": title(texts["step"]),
                   "nticks": 3},
        "yaxis3": {"domain": list(LOSS_ROWS), "anchor": "x3", "type": "linear" if log_ticks is None else "log",
                   "title": title(texts["loss"]), **(log_ticks or {})},
    }


def _annotations(texts: dict, has_batches: bool) -> list[dict]:
    """Panel titles above the data and the map, and the epoch note as the figure's last line, under the
    animation controls (one line of ~50 characters: above the loss panel it overlapped the map on a phone)."""
    heading = {"showarrow": False, "xanchor": "left", "yanchor": "bottom", "x": 0, "y": 1, "font": {"size": 16}}
    out = [{**heading, "text": texts["data"], "xref": "x domain", "yref": "y domain"},
           {**heading, "text": texts["mse"], "xref": "x2 domain", "yref": "y2 domain"}]
    if has_batches:
        out.append({"text": texts["epoch_note"], "showarrow": False, "xref": "paper", "yref": "paper", "x": 0, "y": 0,
                    "xanchor": "left", "yanchor": "top", "xshift": 8 - MARGIN_LEFT, "yshift": -CONTROLS_MARGIN,
                    "font": {"size": 14, "color": "#555555"}})
    return out
