"""Charts on a page: the runs computed, the race in the player (contour map or 3D, loss and learning rate on
one time cursor), and the summary table at that cursor.

`run_results` turns a page's runs into `RunResult`s (label, colour, config, trajectory) once; every chart and
table is drawn from them.
"""

from __future__ import annotations

import contextlib
import json

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from optimizers.metrics import distance_to_minima, evaluations, summary
from schema import ConfigError
from share import query_flags
from surfaces import Surface
from viz import RunResult
from viz.player_data import run_entry_of, surface_layer

from .cache import cached_run, prefetch
from .forms import seed
from .i18n import labels, language, t
from .player import lecture_scale, player, player_texts
from .runs import identical_notes


class _BuiltFigure(go.Figure):
    """A figure dict that viz built valid, handed to Streamlit as is (`st.plotly_chart` would validate a dict and
    copy a `go.Figure` through `to_dict`; this figure's `to_dict` is the dict)."""

    def __init__(self, fig: dict):  # no go.Figure.__init__: nothing to validate or copy
        self._built = fig

    def to_dict(self) -> dict:
        return self._built


PNG = {"format": "png", "filename": "optimizer-playground", "scale": 2}  # the camera button: a sharp PNG
# plotly's own English texts (its tool bar's tooltips and notes) and our catalogue's keys for them: plotly translates
# them by the config's `locales` (ui/page.py does Streamlit's Fullscreen button).
PLOTLY_TEXTS = {"Download plot as a PNG": "png", "Zoom": "zoom", "Pan": "pan", "Zoom in": "zoom_in",
                "Zoom out": "zoom_out", "Autoscale": "autoscale", "Reset axes": "reset",
                "Double-click to zoom back out": "zoom_back",
                "Sorry, there was a problem downloading your image!": "image_failed"}


def plotly_locale() -> dict:
    """The plotly config keys that put its texts in the page's language."""
    lang = language()
    return {"locale": lang, "locales": {lang: {"dictionary": {english: t(f"chart.modebar.{key}")
                                                              for english, key in PLOTLY_TEXTS.items()}}}}


def plotly_chart(fig: dict, **kwargs):
    """`st.plotly_chart` for a static figure dict built by viz (drawn at `ui.player.lecture_scale()`), our theme
    kept; the chart's camera button saves it as a PNG."""
    return st.plotly_chart(_BuiltFigure(fig), theme=None,
                           config={"displaylogo": False, "toImageButtonOptions": PNG, **plotly_locale()}, **kwargs)


def run_results(runs: list[tuple[str, str, dict]]) -> list[RunResult]:
    """The page's runs [(label, colour, engine config)] computed (missing ones sent to the engine together, with a
    spinner naming them while the charts of the others stay on the page); a run that cannot run is left out, with
    its error shown in the reader's language."""
    computing = prefetch([config for _, _, config in runs])
    waiting = st.spinner(t("chart.computing", runs=", ".join(runs[i][0] for i in computing))) if computing \
        else contextlib.nullcontext()
    results = []
    with waiting:
        for label, color, config in runs:
            try:
                results.append(RunResult(label, color, config, cached_run(config)))
            except ConfigError as err:
                st.error(f"{label}: {err.message(language())}")
    return results


def controls(key: str):
    """A container for a chart's step box and view switch: a lecture link may hide it (`hide=controls`)."""
    return st.container(key="controls-" + key.replace(".", "-"))


def chart_state(chart_key: str) -> dict:
    """The chart's view and cursor, as a share link keeps them."""
    return {"view": st.session_state.get(f"{chart_key}.view") or "contour",
            "cursor": st.session_state.get(f"{chart_key}.cursor", 0)}


MESH_N = 80  # the 3D view's grid


@st.cache_data(max_entries=32, show_spinner=False)
def _layer(key: str, mesh: bool, _surface: Surface) -> dict:
    del key  # the cache key: the surface and its parameters as JSON
    return surface_layer(_surface, mesh_n=MESH_N if mesh else None)


def surface_layer_of(config: dict, surface: Surface, mesh: bool = False) -> dict:
    """The layer the player draws under the runs (contour lines, minima, and the 3D mesh when asked) of the
    surface a run `config` names, cached on that surface and its parameters."""
    return _layer(json.dumps([config["surface"], config.get("surface_params") or {}], sort_keys=True), mesh, surface)


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

    `clickable=False`: a race whose page sets no start by a click (Inside the optimizer's pair), no hint."""
    view = _view_switch(chart_key, controls(chart_key).columns([2, 1], vertical_alignment="bottom")[0])
    if not done:
        st.info(t("pg.no_runs"))
        return None
    steps = max(r.config["steps"] for r in done)
    layer = surface_layer_of(done[0].config, surface, mesh=view == "3d")
    runs = [run_entry_of(r.label, r.color, r.config, r.traj) for r in done]
    panels = ("3d" if view == "3d" else "map", "loss", "lr")
    texts = player_texts(language())
    if view != "3d" and clickable:
        student_tip(chart_key, t("pg.click_hint"))
    player(layer, runs, key=f"{chart_key}.player", cursor=chart_cursor(chart_key, steps),
           show_all=whole_run_shown(chart_key), panels=panels, texts=texts)
    divergence_note(done)
    identical_notes([r.config for r in done])  # one path hides the other: said here too, not only in the sidebar
    return {"layer": layer, "runs": runs, "panels": panels, "texts": texts}


def student_tip(chart_key: str, text: str) -> None:
    """A tip on using a chart (a click sets the start): for a student at a screen, hidden in lecture mode."""
    st.container(key="tip-" + chart_key.replace(".", "-")).caption(text)


def divergence_note(done: list[RunResult]) -> None:
    """Under a chart: why a run's path stops at a × (it diverged), when one did."""
    if any(isinstance(r.traj.diverged_at, int) for r in done):
        st.warning(t("pg.diverged_note"), icon=":material/warning:")


def short_number(value: float | None, digits: int = 4) -> str:
    """A number in at most `digits` significant digits that fits a narrow cell: scientific from 1e5 and below
    1e-3 (5.527e10, not 55270000000), "—" when there is none or it is not finite."""
    if value is None or not np.isfinite(value):
        return "—"
    if value != 0 and not 1e-3 <= abs(value) < 1e5:
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return f"{value:.{digits}g}"


def _view_switch(chart_key: str, column) -> str:
    """The contour / 3D switch of a race chart: the view chosen."""
    key = f"{chart_key}.view"
    return column.segmented_control(t("pg.view"), ["contour", "3d"], **seed(key, default="contour"), key=key,
                                    format_func=labels("pg.view", ["contour", "3d"])) or "contour"


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
            "reached_at": passed(s["reached_at"]), "evaluations": evaluations(traj, cursor),
            "diverged_at": passed(s["diverged_at"]),
            "stopped_at": None if s["stopped_at"] is None or s["stopped_at"] - 1 > cursor else s["stopped_at"]}


def summary_table(surface: Surface, done: list[RunResult], chart_key: str | None = None,
                  position: str = "col.final_xy") -> None:
    """One row per run: loss and position, distance to the nearest minimum, steps to reach the minimum's value
    (within 1e-3), function evaluations, divergence (and, for a run the cost budget stopped, where and why); the
    numbers as `short_number` writes them.

    With a race's `chart_key`, the values are at the player's cursor until the run has been played to the end or
    the whole run is shown; then (and without a key) the final values. `position`: the position column's title
    (the regression page's parameters are (w, b))."""
    steps = max((r.config["steps"] for r in done), default=0)
    cursor = None
    if chart_key is not None and not whole_run_shown(chart_key) and chart_cursor(chart_key, steps) < steps:
        cursor = chart_cursor(chart_key, steps)
        st.caption(t("chart.table_at", step=cursor, steps=steps))
    rows, shown = [], []
    for r in done:
        s = _at_cursor(r.traj, cursor, surface.minima, surface.min_value)
        shown.append(s)
        rows.append({
            t("col.run"): r.label, t("col.final_loss"): short_number(s["final_loss"]),
            t(position): f"({short_number(s['final_x'])}, {short_number(s['final_y'])})",
            t("col.distance"): short_number(s["distance"], 3),
            t("col.reached"): "—" if s["reached_at"] is None else str(s["reached_at"]),
            t("col.evals"): s["evaluations"],
            t("col.diverged"): "—" if s["diverged_at"] is None else t("pg.diverged_at", step=s["diverged_at"]),
            **({t("col.stopped"): "—" if s["stopped_at"] is None else t("pg.stopped_at", step=s["stopped_at"] - 1)}
               if any(r.traj.stopped_at is not None for r in done) else {}),
        })
    results_table(rows)
    for r, s in zip(done, shown, strict=True):
        if s["stopped_at"] is not None:
            st.warning(t("pg.stopped_note", run=r.label, step=r.traj.stopped_at - 1,
                         evals=f"{int(r.traj.evals.sum()):,}"))


def results_table(rows: list[dict]) -> None:
    """A table of results: an HTML table in lecture mode (its text scales with the larger fonts; a grid's does
    not), else a grid."""
    if lecture_scale() > 1:
        st.table(rows, hide_index=True)
    else:
        st.dataframe(rows, hide_index=True, width="stretch")


def network_table(done: list[RunResult], chart_key: str) -> None:
    """One row per network run: training and test loss and accuracy at the player's cursor (until the run has
    been played to the end or the whole run is shown; then the final values), and where it diverged."""
    steps = max(r.config["steps"] for r in done)
    cursor = steps
    if not whole_run_shown(chart_key) and chart_cursor(chart_key, steps) < steps:
        cursor = chart_cursor(chart_key, steps)
        st.caption(t("chart.table_at", step=cursor, steps=steps))
    rows = []
    for r in done:
        traj = r.traj
        at = min(cursor, r.config["steps"])
        rows.append({
            t("col.run"): r.label, t("net.col.loss"): short_number(traj.loss[at]),
            t("net.col.test_loss"): short_number(traj.test_loss[at]),
            t("net.col.accuracy"): _percent(traj.accuracy[at]),
            t("net.col.test_accuracy"): _percent(traj.test_accuracy[at]),
            t("col.diverged"): "—" if traj.diverged_at is None else t("pg.diverged_at", step=traj.diverged_at)})
    results_table(rows)


def _percent(value: float) -> str:
    return "—" if not np.isfinite(value) else f"{100 * value:.1f} %"
