"""Charts on a page: the runs computed, the animated race, the 3D view, the swarm, and the summary table.

`run_results` turns a page's runs into `RunResult`s (label, colour, config,
trajectory) once; every chart and table below is drawn from them.  Figures are
built by `viz` (pure) and cached here on the runs' configs, so a rerun that
changes nothing rebuilds nothing.
"""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from optimizers.metrics import distance_to_minima, nearest_minimum, summary
from pagestate.playground import GRID
from schema import ConfigError
from share import query_flags
from surfaces import Surface, get_surface
from viz import (
    PALETTE,
    RunResult,
    RunView,
    projector,
    race_figure,
    regression_figure,
    surface_3d_figure,
    swarm_figure,
)
from viz.player_data import run_entry_of, surface_layer
from viz.runs import figure_texts

from .cache import cached_run, prefetch
from .forms import seed
from .i18n import labels, language, t
from .page import lecture_mode
from .player import player, player_texts


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
    return figure_texts(language())


def run_results(runs: list[tuple[str, str, dict]]) -> list[RunResult]:
    """The page's runs [(label, colour, engine config)] computed (missing ones sent to the engine together);
    a run that cannot run is left out, with its error shown in the reader's language."""
    prefetch([config for _, _, config in runs])
    results = []
    for label, color, config in runs:
        try:
            results.append(RunResult(label, color, config, cached_run(config)))
        except ConfigError as err:
            st.error(f"{label}: {err.message(language())}")
    return results


@st.cache_data(max_entries=64, show_spinner=False)
def _figure(kind: str, key: str, lang: str, cursor: int, _surface: Surface, _results: list[RunResult]) -> dict:
    """A race, 3D or regression figure of the runs on the surface, in a language, with the animation's cursor
    at step `cursor`; cached on `key` (the runs' labels, colours and configs), not on the arrays."""
    del key, lang  # the cache key: the figure depends on them through the runs and the texts
    if kind == "regression":
        return regression_figure(_surface, _results, texts=viz_texts(), cursor=cursor)
    views = [RunView.of(r.traj, r.label, r.color) for r in _results]
    if kind == "race":
        return race_figure(_surface, views, texts=viz_texts(), cursor=cursor)
    return surface_3d_figure(_surface, views, texts=viz_texts())


def _key(done: list[RunResult]) -> str:
    """A figure's cache key: its runs' labels, colours and configs (the surface is in the configs) as JSON."""
    return json.dumps([{"label": r.label, "color": r.color, "config": r.config} for r in done], sort_keys=True)


def controls(key: str):
    """A container for a chart's step box and view switch: a lecture link may hide it (`hide=controls`)."""
    return st.container(key="controls-" + key.replace(".", "-"))


def chart_state(chart_key: str) -> dict:
    """The chart's view and cursor, as a share link keeps them."""
    return {"view": st.session_state.get(f"{chart_key}.view") or "contour",
            "cursor": st.session_state.get(f"{chart_key}.cursor", 0)}


LECTURE_SCALE = 1.5  # lecture mode: the player's texts, margins and height × this (as `projector` does a figure)
MESH_N = 80  # the 3D view's grid


@st.cache_data(max_entries=32, show_spinner=False)
def _layer(key: str, mesh: bool, _surface: Surface) -> dict:
    """The surface layer the player draws under the runs (contour lines, minima, and the 3D mesh when asked);
    cached on `key` (the surface and its parameters as JSON)."""
    del key
    return surface_layer(_surface, mesh_n=MESH_N if mesh else None)


def chart_cursor(chart_key: str, steps: int) -> int:
    """The race's time cursor as the player last reported it (or a link set it), within `steps`."""
    return max(0, min(int(st.session_state.get(f"{chart_key}.cursor", 0)), steps))


def whole_run_shown(chart_key: str) -> bool:
    """Whether the race shows the whole run (the player's toggle); a lesson opens with the future hidden, so that
    a prediction is a prediction; otherwise the whole run is shown until the reader hides it."""
    default = query_flags(st.query_params)["lesson"] is None
    return bool(st.session_state.get(f"{chart_key}.all", default))


def race_chart(surface: Surface, done: list[RunResult], chart_key: str, clickable: bool = True) -> dict | None:
    """The race in the player (the contour map or the 3D view, chosen by a toggle, with the loss and learning-rate
    curves, all on the player's one time cursor); a click on the map sets the start (`apply_player_events`).
    Returns what the exported page needs ({"layer", "runs", "panels", "texts"}), or None with no runs.

    `clickable=False` (Inside the optimizer) keeps the plotly figure with its step box, for now."""
    if not clickable:
        return _figure_race(surface, done, chart_key)
    view = _view_switch(chart_key, controls(chart_key).columns([2, 1], vertical_alignment="bottom")[0])
    if not done:
        st.info(t("pg.no_runs"))
        return None
    steps = max(r.config["steps"] for r in done)
    config = done[0].config
    layer = _layer(json.dumps([config["surface"], config.get("surface_params") or {}], sort_keys=True),
                   view == "3d", surface)
    runs = [run_entry_of(r.label, r.color, r.config, r.traj) for r in done]
    panels = ("3d" if view == "3d" else "map", "loss", "lr")
    texts = player_texts(language())
    if view != "3d":
        st.caption(t("pg.click_hint"))
    lecture = lecture_mode()["on"]
    player(layer, runs, key=f"{chart_key}.player", cursor=chart_cursor(chart_key, steps),
           show_all=whole_run_shown(chart_key), panels=panels, texts=texts,
           height=int(520 * LECTURE_SCALE) if lecture else 520, scale=LECTURE_SCALE if lecture else 1.0)
    return {"layer": layer, "runs": runs, "panels": panels, "texts": texts}


def _view_switch(chart_key: str, column) -> str:
    """The contour / 3D switch of a race chart: the view chosen."""
    key = f"{chart_key}.view"
    return column.segmented_control(t("pg.view"), ["contour", "3d"], **seed(key, default="contour"), key=key,
                                    format_func=labels("pg.view", ["contour", "3d"])) or "contour"


def _figure_race(surface: Surface, done: list[RunResult], chart_key: str) -> dict | None:
    """The plotly race figure with a step box (Inside the optimizer's pair), or its 3D view."""
    view_column, step_column = controls(chart_key).columns([2, 1], vertical_alignment="bottom")
    view = _view_switch(chart_key, view_column)
    if not done:
        st.info(t("pg.no_runs"))
        return None
    if view == "3d":
        plotly_chart(_figure("3d", _key(done), language(), 0, surface, done), key=f"{chart_key}.3d")
        return None
    cursor = cursor_box(done[0].config["steps"], f"{chart_key}.cursor", step_column)
    fig = _figure("race", _key(done), language(), cursor, surface, done)
    plotly_chart(fig, key=chart_key)
    return fig


def cursor_box(steps: int, key: str, container=st) -> int:
    """A step box whose − / + (or ↓ ↑) move the animation's cursor one step at a time."""
    if st.session_state.get(key, 0) > steps:  # fewer steps than before: back to the start
        st.session_state[key] = 0
    return int(container.number_input(t("pg.cursor"), min_value=0, max_value=steps, **seed(key, value=0), step=1,
                                      key=key, help=t("pg.cursor.help")))


def regression_chart(surface: Surface, done: list[RunResult], chart_key: str) -> dict | None:
    """The data with the fitted lines, the MSE contour with the paths and gradient arrows, and the loss,
    on one time cursor."""
    if not done:
        st.info(t("pg.no_runs"))
        return None
    cursor = cursor_box(done[0].config["steps"], f"{chart_key}.cursor", controls(chart_key).columns([2, 1])[1])
    fig = _figure("regression", _key(done), language(), cursor, surface, done)
    plotly_chart(fig, key=chart_key)
    return fig


def _at_cursor(traj, cursor: int | None, minima, min_value) -> dict:
    """`summary` of a run as it stands at step `cursor` (None: at its end): the loss, position and distance there,
    and the reach, evaluations, divergence and stop only once the cursor has passed them."""
    s = summary(traj, minima, min_value)
    if cursor is None:
        return s
    finite = np.flatnonzero(np.isfinite(traj.loss[:cursor + 1]))
    at = int(finite[-1]) if len(finite) else 0
    distance = distance_to_minima(traj.xy[at], minima)
    passed = lambda step: step if step is not None and step <= cursor else None  # noqa: E731
    return {**s, "final_loss": float(traj.loss[at]), "final_x": float(traj.xy[at][0]),
            "final_y": float(traj.xy[at][1]), "distance": None if distance is None else float(distance),
            "reached_at": passed(s["reached_at"]), "evaluations": int(np.sum(traj.evals[:cursor])),
            "diverged_at": passed(s["diverged_at"]),
            "stopped_at": None if s["stopped_at"] is None or s["stopped_at"] - 1 > cursor else s["stopped_at"]}


def summary_table(surface: Surface, done: list[RunResult], chart_key: str | None = None) -> None:
    """One row per run: loss and position, distance to the nearest minimum, steps to reach the minimum's value
    (within 1e-3), function evaluations, divergence (and, for a run the cost budget stopped, where and why).

    With a race's `chart_key`, the values are at the player's cursor until the run has been played to the end or
    the whole run is shown; then (and without a key) the final values."""
    steps = max((r.config["steps"] for r in done), default=0)
    cursor = None
    if chart_key is not None and not whole_run_shown(chart_key) and chart_cursor(chart_key, steps) < steps:
        cursor = chart_cursor(chart_key, steps)
        st.caption(t("player.table_at", step=cursor, steps=steps))
    rows, shown = [], []
    for r in done:
        s = _at_cursor(r.traj, cursor, surface.minima, surface.min_value)
        shown.append(s)
        rows.append({
            t("col.run"): r.label, t("col.final_loss"): s["final_loss"],
            t("col.final_xy"): f"({s['final_x']:.4g}, {s['final_y']:.4g})", t("col.distance"): s["distance"],
            t("col.reached"): s["reached_at"], t("col.evals"): s["evaluations"],
            t("col.diverged"): "—" if s["diverged_at"] is None else t("pg.diverged_at", step=s["diverged_at"]),
            **({t("col.stopped"): "—" if s["stopped_at"] is None else t("pg.stopped_at", step=s["stopped_at"] - 1)}
               if any(r.traj.stopped_at is not None for r in done) else {}),
        })
    st.dataframe(rows, hide_index=True, width="stretch",
                 column_config={t("col.final_loss"): st.column_config.NumberColumn(format="%.4g"),
                                t("col.distance"): st.column_config.NumberColumn(format="%.3g")})
    if any(s["diverged_at"] is not None for s in shown):
        st.warning(t("pg.diverged_note"))
    for r, s in zip(done, shown, strict=True):
        if s["stopped_at"] is not None:
            st.warning(t("pg.stopped_note", run=r.label, step=r.traj.stopped_at - 1,
                         evals=f"{int(r.traj.evals.sum()):,}"))


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


def swarm_section(surface: Surface, first: RunResult) -> None:
    """Basins of attraction: the first run's optimizer from a grid of starts, each start coloured by
    the minimum it reached."""
    low, high, default = GRID  # its value comes from the page's state; the default once the slider was hidden
    size = st.sidebar.slider(t("pg.grid"), low, high, **seed("pg.grid", value=default), key="pg.grid",
                             help=t("pg.grid.help"))
    try:
        with st.spinner(t("pg.swarm.running", n=size * size)):
            fig, labels, stopped = _swarm(json.dumps(first.config, sort_keys=True), size, language())
    except ConfigError as err:  # over the cost budget (e.g. one optimizer per start), or the engine failed
        st.error(err.message(language()))
        return
    st.caption(t("pg.swarm.caption", optimizer=first.label, n=size * size))
    plotly_chart(fig, key="pg.swarm")
    if stopped:
        st.info(t("pg.swarm.stopped", n=stopped))
    counts = [{t("col.minimum"): f"({x:.3g}, {y:.3g})", t("col.share"): float(np.mean(labels == i))}
              for i, (x, y) in enumerate(surface.minima)]
    counts.append({t("col.minimum"): t("pg.swarm.none"), t("col.share"): float(np.mean(labels == -1))})
    st.dataframe(counts, hide_index=True,
                 column_config={t("col.share"): st.column_config.ProgressColumn(format="percent", min_value=0,
                                                                               max_value=1)})
