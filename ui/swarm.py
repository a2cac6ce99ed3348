"""Basins of attraction: the first run's optimizer from a grid of starts, each start coloured by the minimum it
reached."""

from __future__ import annotations

import json

import numpy as np
import streamlit as st

from optimizers.metrics import nearest_minimum
from pagestate.playground import GRID
from schema import ConfigError
from surfaces import Surface, get_surface
from viz import PALETTE, RunResult, swarm_figure

from .cache import cached_run
from .charts import plotly_chart, viz_texts
from .forms import seed
from .i18n import language, t


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
