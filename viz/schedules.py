"""Learning-rate curves of several schedulers on one chart, with their milestones marked."""

from __future__ import annotations

import numpy as np

from .encode import clean
from .runs import template


def lr_curves_figure(curves: list[tuple[str, str, np.ndarray, list[tuple[int, str]]]], *, step_title: str,
                     lr_title: str, log: bool = False, height: int = 420, scale: float = 1.0) -> dict:
    """`curves` = [(label, colour, lr per step, [(step, marker label), …])] as a plotly figure dict; `scale`
    enlarges its texts, lines, markers, margins and height (lecture mode on a projector).

    Markers (milestones, restarts, warm-up ends) sit on their curve with their label above.
    """
    k = scale
    data = []
    for label, color, lr, marks in curves:
        data.append({"type": "scatter", "mode": "lines", "name": label, "x0": 0, "dx": 1, "y": clean(lr),
                     "line": {"color": color, "width": 3 * k, "shape": "hv"},
                     "hovertemplate": f"{label}<br>{step_title} %{{x}}<br>{lr_title} %{{y:.6g}}<extra></extra>"})
        steps = [s for s, _ in marks if 0 <= s < len(lr)]
        if steps:
            data.append({"type": "scatter", "mode": "markers+text", "x": steps, "y": clean(np.asarray(lr)[steps]),
                         "text": [text for s, text in marks if 0 <= s < len(lr)], "textposition": "top center",
                         "marker": {"symbol": "diamond", "size": 11 * k, "color": color,
                                    "line": {"color": "#ffffff", "width": 1.5 * k}},
                         "textfont": {"size": 13 * k, "color": color}, "showlegend": False, "hoverinfo": "skip"})
    layout = {"template": template(), "height": height * k, "font": {"size": 15 * k}, "uirevision": "schedules",
              "margin": {"l": 70 * k, "r": 16 * k, "t": 40 * k, "b": 56 * k}, "hovermode": "x unified",
              "hoverlabel": {"font": {"size": 13 * k}},
              "xaxis": {"title": {"text": step_title}, "rangemode": "tozero"},
              "yaxis": {"title": {"text": lr_title}, "type": "log" if log else "linear", "exponentformat": "power"},
              "legend": {"orientation": "h", "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom"}}
    return {"data": data, "layout": layout}
