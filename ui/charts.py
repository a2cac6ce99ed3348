"""Charts on a page: the animated race, the 3D view, the swarm, and the summary table.

Figures are built by `viz` (pure) from cached trajectories and cached here on
the runs' configs, so a rerun that changes nothing rebuilds nothing.
"""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from optimizers.metrics import nearest_minimum, summary
from schema import ConfigError
from surfaces import Surface, get_surface
from viz import (
    CLICK_TARGET,
    PALETTE,
    RegressionRun,
    RunView,
    projector,
    race_figure,
    regression_figure,
    surface_3d_figure,
    swarm_figure,
)

from .cache import cached_run
from .forms import seed
from .i18n import labels, language, t
from .page import lecture_mode

VIZ_TEXTS = ("step", "loss", "lr", "distance", "play", "pause", "speed", "no_minimum", "start", "minimum",
             "diverged", "x", "y", "lr_drop", "w", "b", "data", "mse", "used_grad", "full_grad", "epoch_note",
             "evaluated", "path", "stopped")


class _BuiltFigure(go.Figure):
    """A figure dict that viz built valid, handed to Streamlit as is.

    `st.plotly_chart` validates a dict (≈100 ms for 240 frames) and copies a
    `go.Figure` through `to_dict` (≈25 ms); this figure's `to_dict` is the dict.
    """

    def __init__(self, fig: dict):  # no go.Figure.__init__: nothing to validate or copy
        self._built = fig

    def to_dict(self) -> dict:
        return self._built


PNG = {"format": "png", "filename": "optimizer-playground", "scale": 2}  # the camera button: a sharp PNG


def plotly_chart(fig: dict, **kwargs):
    """`st.plotly_chart` for a figure dict built by viz, our theme kept (larger for a projector in lecture
    mode); the chart's camera button saves it as a PNG."""
    if lecture_mode()["on"]:
        fig = projector(fig)
    return st.plotly_chart(_BuiltFigure(fig), theme=None,
                           config={"displaylogo": False, "toImageButtonOptions": PNG}, **kwargs)


def viz_texts() -> dict:
    return {k: t(f"viz.{k}") for k in VIZ_TEXTS}


@st.cache_data(max_entries=64, show_spinner=False)
def _figure(kind: str, surface_json: str, runs_json: str, lang: str, cursor: int = 0) -> dict:
    """A race or 3D figure for the runs (labels, colours, configs) on a surface, in a language,
    with the animation's cursor at step `cursor`."""
    del lang  # part of the cache key: the figure's texts depend on it
    surface_choice = json.loads(surface_json)
    surface = get_surface(surface_choice["surface"], surface_choice["surface_params"])
    runs = json.loads(runs_json)
    if kind == "regression":
        views = [RegressionRun(r["label"], r["color"], cached_run(r["config"])) for r in runs]
        return regression_figure(surface, views, texts=viz_texts(), cursor=cursor)
    views = [RunView(r["label"], r["color"], *_arrays(cached_run(r["config"]))) for r in runs]
    if kind == "race":
        return race_figure(surface, views, texts=viz_texts(), cursor=cursor)
    return surface_3d_figure(surface, views, texts=viz_texts())


def _arrays(traj) -> tuple:
    return traj.xy, traj.loss, traj.lr, traj.diverged_at, traj.stopped_at


def controls(key: str):
    """A container for a chart's step box and view switch: a lecture link may hide it (`hide=controls`)."""
    return st.container(key="controls-" + key.replace(".", "-"))


def chart_state(chart_key: str) -> dict:
    """The chart's view and cursor, as a share link keeps them."""
    return {"view": st.session_state.get(f"{chart_key}.view") or "contour",
            "cursor": st.session_state.get(f"{chart_key}.cursor", 0)}


def race_chart(surface: Surface, done: list, chart_key: str, clickable: bool = True) -> dict | None:
    """The contour race (animated; click to set the start when `clickable`) or the 3D view, chosen by a toggle;
    returns the race figure (None for the 3D view or no runs)."""
    view_column, step_column = controls(chart_key).columns([2, 1], vertical_alignment="bottom")
    key = f"{chart_key}.view"
    view = view_column.segmented_control(t("pg.view"), ["contour", "3d"], **seed(key, default="contour"), key=key,
                                         format_func=labels("pg.view", ["contour", "3d"])) or "contour"
    if not done:
        st.info(t("pg.no_runs"))
        return None
    surface_json, runs_json = _keys(done)
    if view == "3d":
        plotly_chart(_figure("3d", surface_json, runs_json, language()), key=f"{chart_key}.3d")
        return None
    cursor = cursor_box(done[0][1]["steps"], f"{chart_key}.cursor", step_column)
    fig = _figure("race", surface_json, runs_json, language(), cursor)
    if not clickable:
        plotly_chart(fig, key=chart_key)
        return fig
    names = [trace.get("name") for trace in fig["data"]]
    st.session_state[f"{chart_key}.click_trace"] = names.index(CLICK_TARGET) if CLICK_TARGET in names else None
    st.caption(t("pg.click_hint"))
    plotly_chart(fig, key=chart_key, on_select="rerun", selection_mode="points")
    return fig


def _keys(done: list) -> tuple[str, str]:
    """The cache keys of a figure: its surface and its runs (labels, colours, configs) as JSON."""
    config = done[0][1]
    surface_json = json.dumps({"surface": config["surface"], "surface_params": config.get("surface_params", {})},
                              sort_keys=True)
    runs_json = json.dumps([{"label": r["label"], "color": r["color"], "config": c} for r, c, _ in done],
                           sort_keys=True)
    return surface_json, runs_json


def cursor_box(steps: int, key: str, container=st) -> int:
    """A step box whose − / + (or ↓ ↑) move the animation's cursor one step at a time."""
    if st.session_state.get(key, 0) > steps:  # fewer steps than before: back to the start
        st.session_state[key] = 0
    return int(container.number_input(t("pg.cursor"), min_value=0, max_value=steps, **seed(key, value=0), step=1,
                                      key=key, help=t("pg.cursor.help")))


def regression_chart(surface: Surface, done: list, chart_key: str) -> dict | None:
    """The data with the fitted lines, the MSE contour with the paths and gradient arrows, and the loss,
    on one time cursor."""
    if not done:
        st.info(t("pg.no_runs"))
        return None
    cursor = cursor_box(done[0][1]["steps"], f"{chart_key}.cursor", controls(chart_key).columns([2, 1])[1])
    fig = _figure("regression", *_keys(done), language(), cursor)
    plotly_chart(fig, key=chart_key)
    return fig


def summary_table(surface: Surface, done: list) -> None:
    """One row per run: final loss and position, distance to the nearest minimum, steps to reach
    the minimum's value (within 1e-3), function evaluations, divergence (and, for a run the cost budget stopped,
    where and why)."""
    rows = []
    for run, _, traj in done:
        s = summary(traj, surface.minima, surface.min_value)
        rows.append({
            t("col.run"): run["label"], t("col.final_loss"): s["final_loss"],
            t("col.final_xy"): f"({s['final_x']:.4g}, {s['final_y']:.4g})", t("col.distance"): s["distance"],
            t("col.reached"): s["reached_at"], t("col.evals"): s["evaluations"],
            t("col.diverged"): "—" if s["diverged_at"] is None else t("pg.diverged_at", step=s["diverged_at"]),
            **({t("col.stopped"): "—" if s["stopped_at"] is None else t("pg.stopped_at", step=s["stopped_at"] - 1)}
               if any(traj.stopped_at is not None for _, _, traj in done) else {}),
        })
    st.dataframe(rows, hide_index=True, width="stretch",
                 column_config={t("col.final_loss"): st.column_config.NumberColumn(format="%.4g"),
                                t("col.distance"): st.column_config.NumberColumn(format="%.3g")})
    if any(traj.diverged_at is not None for _, _, traj in done):
        st.warning(t("pg.diverged_note"))
    for run, _, traj in done:
        if traj.stopped_at is not None:
            st.warning(t("pg.stopped_note", run=run["label"], step=traj.stopped_at - 1,
                         evals=f"{int(traj.evals.sum()):,}"))


def grid_starts(surface: Surface, size: int) -> list[list[float]]:
    """`size` × `size` starts evenly over the surface's bounds (inset half a cell)."""
    (x0, x1), (y0, y1) = surface.bounds
    xs = x0 + (np.arange(size) + 0.5) * (x1 - x0) / size
    ys = y0 + (np.arange(size) + 0.5) * (y1 - y0) / size
    return [[float(x), float(y)] for y in ys for x in xs]


@st.cache_data(max_entries=16, show_spinner=False)
def _swarm(config_json: str, size: int, lang: str) -> tuple[dict, np.ndarray, int]:
    """The swarm figure, per start the index of the minimum it reached (−1: none or diverged; a start the cost
    budget stopped: where it was then), and how many starts the budget stopped."""
    del lang  # part of the cache key: the figure's texts depend on it
    config = json.loads(config_json)
    surface = get_surface(config["surface"], config["surface_params"])
    traj = cached_run({**config, "start": grid_starts(surface, size)})
    (x0, x1), (y0, y1) = surface.bounds
    stopped = [i for i, s in enumerate(traj.stopped_at or []) if s is not None]  # LBFGS: by the cost budget
    final = traj.xy[-1].copy()
    for i in stopped:
        final[i] = traj.xy[traj.stopped_at[i] - 1, i]  # where it was when it stopped
    labels = nearest_minimum(final, surface.minima, 0.02 * float(np.hypot(x1 - x0, y1 - y0)))
    labels[~np.isfinite(final).all(-1)] = -1  # diverged
    colors = [PALETTE[i % len(PALETTE)] for i in range(max(len(surface.minima), 1))]
    frames = max(30, min(120, 200_000 // (size * size)))  # a 64 × 64 swarm stays a few MB
    return swarm_figure(surface, traj.xy, labels, colors, texts=viz_texts(), max_frames=frames), labels, len(stopped)


def swarm_section(surface: Surface, first: tuple) -> None:
    """Basins of attraction: the first run's optimizer from a grid of starts, each start coloured by
    the minimum it reached."""
    run, config, _ = first
    size = st.sidebar.slider(t("pg.grid"), 4, 64, **seed("pg.grid", value=24), key="pg.grid", help=t("pg.grid.help"))
    try:
        with st.spinner(t("pg.swarm.running", n=size * size)):
            fig, labels, stopped = _swarm(json.dumps(config, sort_keys=True), size, language())
    except ConfigError as err:  # over the cost budget (e.g. one optimizer per start), or the engine failed
        st.error(err.message(language()))
        return
    st.caption(t("pg.swarm.caption", optimizer=run["label"], n=size * size))
    plotly_chart(fig, key="pg.swarm")
    if stopped:
        st.info(t("pg.swarm.stopped", n=stopped))
    counts = [{t("col.minimum"): f"({x:.3g}, {y:.3g})", t("col.share"): float(np.mean(labels == i))}
              for i, (x, y) in enumerate(surface.minima)]
    counts.append({t("col.minimum"): t("pg.swarm.none"), t("col.share"): float(np.mean(labels == -1))})
    st.dataframe(counts, hide_index=True,
                 column_config={t("col.share"): st.column_config.ProgressColumn(format="percent", min_value=0,
                                                                               max_value=1)})
