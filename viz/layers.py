"""Small trace builders shared by the figures: the click target and the 'never dim' selection style."""

from __future__ import annotations

import numpy as np

from .encode import clean

CLICK_TARGET = "click target"  # name and legendgroup of the invisible grid that turns clicks into (x, y)
CLICK_GRID = 40


def keep_opacity(opacity: float = 1.0) -> dict:
    """Selection styles that leave a trace as it is (plotly dims unselected points after a click)."""
    return {"selected": {"marker": {"opacity": opacity}}, "unselected": {"marker": {"opacity": opacity}}}


def click_target(bounds, *, xaxis: str = "x", yaxis: str = "y", n: int = CLICK_GRID) -> dict:
    """An invisible n×n grid of markers over `bounds`: hovering shows (x, y), clicking selects the nearest one."""
    (x0, x1), (y0, y1) = bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return {"type": "scatter", "mode": "markers", "name": CLICK_TARGET, "legendgroup": CLICK_TARGET,
            "x": clean(gx.ravel(), 4, span=x1 - x0), "y": clean(gy.ravel(), 4, span=y1 - y0),
            "marker": {"size": 14, "opacity": 0, "color": "#000000"}, **keep_opacity(0),
            "hoverinfo": "x+y", "showlegend": False, "xaxis": xaxis, "yaxis": yaxis}
