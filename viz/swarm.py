"""Basins of attraction: one optimizer from a grid of starts, each start coloured by the minimum it reached."""

from __future__ import annotations

import math

import numpy as np

from .contours import map_layer
from .controls import CONTROLS_MARGIN, animation_controls, frames_of, sample_steps
from .encode import clean
from .layers import keep_opacity
from .runs import template, texts_with_defaults

NO_MINIMUM_COLOR = "#9e9e9e"
TOP_MARGIN = 24
SIG = 4  # coordinates keep 4 significant digits at the scale of the axis span (1/1000 of the axis or finer)


def swarm_figure(surface, xy: np.ndarray, final_label: np.ndarray, colors: list[str], *, texts: dict,
                 max_frames: int = 120, height: int = 720) -> dict:
    """The basin map of `surface` and the swarm of points moving over it.

    `xy` is (steps+1, n_starts, 2); `final_label[i]` indexes `colors` (the minimum start i
    reached) or is −1 (none / diverged: grey). Static: contours, minima, one square per start
    in its basin's colour (the plot box is square, so a grid of starts tiles it). Animated: the
    last trace, every start's current point.
    """
    texts = texts_with_defaults(texts)
    xy = np.asarray(xy, dtype=float)
    (x0, x1), (y0, y1) = surface.bounds
    point_colors = [colors[k % len(colors)] if k >= 0 else NO_MINIMUM_COLOR for k in np.asarray(final_label, int)]
    cells = math.ceil(math.sqrt(xy.shape[1]))  # starts per side of the (square) plot box
    square = max(3.0, min(30.0, 0.92 * (height - CONTROLS_MARGIN - TOP_MARGIN) / cells))

    basins = {"type": "scatter", "mode": "markers", "x": clean(xy[0, :, 0], SIG, x1 - x0),
              "y": clean(xy[0, :, 1], SIG, y1 - y0), "showlegend": False, **keep_opacity(0.45),
              "marker": {"symbol": "square", "size": square, "color": point_colors, "opacity": 0.45},
              "hovertemplate": f"{texts['start']} (%{{x:.4g}}, %{{y:.4g}})<extra></extra>"}
    steps = sample_steps(len(xy) - 1, max_frames)
    px, py = clean(xy[steps, :, 0], SIG, x1 - x0), clean(xy[steps, :, 1], SIG, y1 - y0)
    dots = {"type": "scatter", "mode": "markers", "x": px[0], "y": py[0], "showlegend": False, "hoverinfo": "skip",
            "marker": {"size": 6, "color": point_colors, "line": {"color": "#222222", "width": 0.5}}, **keep_opacity()}
    data = [basins, *map_layer(surface, texts), dots]

    layout = {
        **animation_controls(steps, texts), "template": template(), "height": height, "uirevision": "swarm",
        "hovermode": "closest", "font": {"size": 15}, "showlegend": False,
        "margin": {"l": 64, "r": 16, "t": TOP_MARGIN, "b": CONTROLS_MARGIN},
        "xaxis": {"range": [x0, x1], "title": {"text": texts["x"]}, "showgrid": False, "zeroline": False,
                  "constrain": "domain"},
        "yaxis": {"range": [y0, y1], "title": {"text": texts["y"]}, "showgrid": False, "zeroline": False,
                  "scaleanchor": "x", "scaleratio": (x1 - x0) / (y1 - y0), "constrain": "domain",  # square box
                  "constraintoward": "bottom"},  # on a narrow screen the box sits on the controls, the room above
    }
    frames = frames_of(steps, [len(data) - 1], lambda k: [{"x": px[k], "y": py[k]}])
    return {"data": data, "layout": layout, "frames": frames}
