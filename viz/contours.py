"""Contour lines as plain polylines (contourpy): the player draws them once under the runs (viz.player_data)."""

from __future__ import annotations

import numpy as np
from contourpy import LineType, contour_generator

LOW_QUANTILE, LOG_HIGH_QUANTILE, LINEAR_HIGH_QUANTILE = 0.002, 0.99, 0.95
LEVEL_COLORS = ("#4f6384", "#dde3eb")  # light sequential scale: low levels darker, high levels fade out
SIMPLIFY_TOL, SIMPLIFY_PASSES = 1 / 2500, 4  # in fractions of the axis: moves a line by ≤ 1.6/1000 (~1 px)


def simplify(x: np.ndarray, y: np.ndarray, span=(1.0, 1.0), tol: float = SIMPLIFY_TOL,
             passes: int = SIMPLIFY_PASSES) -> tuple[np.ndarray, np.ndarray]:
    """Drop polyline points that lie within `tol` (a fraction of the axis `span`s) of their neighbours' chord.

    Each pass only looks at every other point (its neighbours stay), so no point of the line
    moves by more than `passes * tol`. NaN separators and segment ends are kept.
    """
    for _ in range(passes):
        if len(x) < 3:
            break
        u, v = x / span[0], y / span[1]
        ax, ay, dx, dy = u[:-2], v[:-2], u[2:] - u[:-2], v[2:] - v[:-2]
        chord = np.hypot(dx, dy)
        with np.errstate(invalid="ignore", divide="ignore"):
            dist = np.where(chord > 0, np.abs(dx * (v[1:-1] - ay) - dy * (u[1:-1] - ax)) / chord,
                            np.hypot(u[1:-1] - ax, v[1:-1] - ay))
        drop = (dist < tol) & (np.arange(1, len(x) - 1) % 2 == 1)  # NaN distances compare False: kept
        keep = np.concatenate([[True], ~drop, [True]])
        x, y = x[keep], y[keep]
    return x, y


def _levels(z: np.ndarray, log_scale: bool, levels: int):
    """(f values, field to contour, levels in that field), or None for a (nearly) constant surface."""
    zf = z[np.isfinite(z)]
    if zf.size == 0:
        return None
    fmin = zf.min()
    tiny = 1e-12 * max(1.0, abs(fmin))
    if log_scale:
        d = zf - fmin
        hi = np.quantile(d, LOG_HIGH_QUANTILE)
        if not hi > tiny:
            return None
        lo = max(np.quantile(d[d > 0], LOW_QUANTILE), hi * 1e-8)
        eps = lo * 1e-3
        steps = np.geomspace(lo, hi, levels)
        with np.errstate(invalid="ignore", divide="ignore"):
            field = np.log(z - fmin + eps)
        return fmin + steps, field, np.log(steps + eps)
    hi = np.quantile(zf, LINEAR_HIGH_QUANTILE)
    if not hi - fmin > tiny:
        return None
    values = np.linspace(fmin, hi, levels + 1)[1:]
    return values, z, values


def contour_lines(surface, levels: int = 25, n: int = 160) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """(level, xs, ys) polylines of `surface` on an n×n grid, one per level that has lines.

    Levels are log-spaced above the grid's minimum when `surface.log_scale` (contouring
    log(f − fmin + eps)), else linear up to the 95th percentile. A level's segments are
    joined with NaN separators and thinned by `simplify`. NaN/inf grid cells are masked
    out; a constant surface gives [].
    """
    xs, ys, z = surface.grid(n)
    xs, ys = xs.numpy(), ys.numpy()
    z = np.broadcast_to(np.asarray(z.numpy(), dtype=float), (len(ys), len(xs)))
    chosen = _levels(z, surface.log_scale, levels)
    if chosen is None:
        return []
    values, field, field_levels = chosen
    gen = contour_generator(xs, ys, np.ma.masked_invalid(field), line_type=LineType.ChunkCombinedNan)
    (x0, x1), (y0, y1) = surface.bounds
    out = []
    for value, level in zip(values, field_levels, strict=True):
        (points,) = gen.lines(level)
        if points[0] is not None and len(points[0]):
            xs, ys = simplify(points[0][:, 0], points[0][:, 1], (x1 - x0, y1 - y0))
            out.append((float(value), np.clip(xs, x0, x1), np.clip(ys, y0, y1)))  # interpolation can overshoot 1 ulp
    return out
