"""The surface in 3D with the runs' paths on it (static: no frames)."""

from __future__ import annotations

import numpy as np

from .encode import clean
from .runs import RunView, template, texts_with_defaults

Z_QUANTILE = 0.95  # z is clipped at this quantile of the grid so a few huge values do not flatten the rest
LIFT = 0.005  # paths float this fraction of the z range above the surface so it does not hide them


def _log_colorbar(fmin: float, top: float, eps: float) -> dict:
    """Ticks for colours log(f − fmin + eps): at powers of ten of f (of f − fmin when fmin < 0)."""
    shift = max(fmin, 0.0)
    powers = 10.0 ** np.arange(np.floor(np.log10(max(eps, 1e-300))), np.ceil(np.log10(max(top - fmin, eps))) + 1)
    d = powers - shift if fmin >= 0 else powers
    keep = (d >= eps) & (d <= top - fmin)
    labels = [f"{v:g}" if fmin >= 0 else f"{fmin:.3g} + {v:g}" for v in powers[keep]]
    return {"tickvals": clean(np.log(d[keep] + eps)), "ticktext": labels}


def surface_3d_figure(surface, runs: list[RunView], *, texts: dict, n: int = 80, height: int = 720) -> dict:
    """`surface` as a 3D plot (log colours when `surface.log_scale`) with each run's path at z = loss."""
    texts = texts_with_defaults(texts)
    xs, ys, z = surface.grid(n)
    z = np.broadcast_to(np.asarray(z.numpy(), dtype=float), (len(ys), len(xs)))
    zf = z[np.isfinite(z)]
    fmin, top = (zf.min(), np.quantile(zf, Z_QUANTILE)) if zf.size else (0.0, 1.0)
    lift = LIFT * (top - fmin)
    with np.errstate(invalid="ignore"):
        clipped = np.minimum(z, top)
    colorbar = {"title": {"text": texts["loss"]}, "len": 0.7}
    color = {}
    if surface.log_scale and top > fmin:
        eps = max((top - fmin) * 1e-6, 1e-12)
        with np.errstate(invalid="ignore", divide="ignore"):
            color = {"surfacecolor": clean(np.log(z - fmin + eps), 4)}
        colorbar.update(_log_colorbar(fmin, top, eps))
    data = [{"type": "surface", "x": clean(xs.numpy()), "y": clean(ys.numpy()), "z": clean(clipped, 5), **color,
             "colorscale": "Viridis", "opacity": 0.92, "colorbar": colorbar, "showlegend": False,
             "hovertemplate": f"({texts['x']}, {texts['y']}) = (%{{x:.4g}}, %{{y:.4g}})<br>{texts['loss']} "
                              "%{z:.4g}<extra></extra>"}]
    for r in runs:
        m = r.finite_len
        data.append({"type": "scatter3d", "mode": "lines", "name": r.label, "x": clean(r.xy[:m, 0]),
                     "y": clean(r.xy[:m, 1]), "z": clean(np.minimum(r.loss[:m], top) + lift), "customdata": clean(
                         r.loss[:m]), "line": {"color": r.color, "width": 6},
                     "hovertemplate": f"{r.label}<br>({texts['x']}, {texts['y']}) = (%{{x:.4g}}, %{{y:.4g}})<br>"
                                      f"{texts['loss']} %{{customdata:.5g}}<extra></extra>"})
    if surface.minima:
        mx, my = np.array(surface.minima, dtype=float).T
        mz = np.full(len(mx), surface.min_value if surface.min_value is not None else fmin) + lift
        data.append({"type": "scatter3d", "mode": "markers", "name": texts["minimum"], "showlegend": False,
                     "x": clean(mx), "y": clean(my), "z": clean(mz),
                     "marker": {"symbol": "diamond", "size": 7, "color": "#FFD700", "line": {"color": "#333333"}},
                     "hovertemplate": f"{texts['minimum']} (%{{x:.4g}}, %{{y:.4g}})<extra></extra>"})
    axis = lambda t: {"title": {"text": t}}  # noqa: E731
    layout = {"template": template(), "height": height, "uirevision": "surface3d", "font": {"size": 15},
              "margin": {"l": 36, "r": 0, "t": 40, "b": 0},  # l: on a phone the tool bar is a column at the left
              "legend": {"orientation": "h", "x": 0, "y": 1.0, "xanchor": "left", "yanchor": "bottom"},
              "scene": {"xaxis": axis(texts["x"]), "yaxis": axis(texts["y"]), "zaxis": axis(texts["loss"]),
                        "aspectmode": "manual", "aspectratio": {"x": 1, "y": 1, "z": 0.6}}}
    return {"data": data, "layout": layout}
