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


def stable_lr(surface_choice: dict, optimizer: dict) -> float | None:
    """Plain gradient descent's largest stable learning rate, 2/λ_max, where the surface's curvature is known (the
    quadratic bowl ½(u² + κv²): λ_max = max(1, κ)) and the optimizer is SGD without momentum; else None."""
    hparams = optimizer.get("hparams", {})
    if surface_choice.get("surface") != "bowl" or optimizer.get("optimizer") != "SGD" or hparams.get("momentum"):
        return None
    return 2.0 / max(1.0, float(surface_choice.get("surface_params", {}).get("condition", 10.0)))


def schedule_warning(traj, limit: float | None) -> tuple[str, dict] | None:
    """Why a run's path shows an unstable learning rate rather than a schedule's effect, as a catalogue key with its
    fields: its learning rate passed the stable `limit` (the first such step, its lr, the limit), or else the run
    diverged (the step, and the largest lr before it); None when neither."""
    lr = np.asarray(traj.lr, dtype=float)
    above = np.flatnonzero(lr > limit) if limit is not None else []
    if len(above):
        step = int(above[0])
        return "sch.unstable", {"step": step + 1, "lr": f"{lr[step]:.4g}", "limit": f"{limit:.4g}"}
    if isinstance(traj.diverged_at, int):
        return "sch.diverged", {"step": traj.diverged_at, "peak": f"{np.nanmax(lr[:max(traj.diverged_at, 1)]):.4g}"}
    return None
