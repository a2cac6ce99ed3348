"""Basins of attraction: the first run's optimizer from a grid of starts in the player, each start coloured by the
minimum it reached, and the share of the starts each minimum collected."""

from __future__ import annotations

import json

import numpy as np
import streamlit as st

from pagestate.playground import GRID
from schema import ConfigError
from surfaces import Surface, get_surface
from viz import RunResult
from viz.player_data import decode
from viz.swarm import NO_MINIMUM, swarm_entry

from .cache import cached_run
from .charts import chart_cursor, surface_layer_of, whole_run_shown
from .forms import seed
from .i18n import language, t
from .player import player, player_texts
from .surface_picker import apply_player_events

CHART = "pg.swarm"  # the player's key is CHART + ".player"; its cursor and toggle: CHART + ".cursor" / ".all"
HEIGHT = 600


def grid_starts(surface: Surface, size: int) -> list[list[float]]:
    """`size` × `size` starts evenly over the surface's bounds (inset half a cell), row by row from the bottom."""
    (x0, x1), (y0, y1) = surface.bounds
    xs = x0 + (np.arange(size) + 0.5) * (x1 - x0) / size
    ys = y0 + (np.arange(size) + 0.5) * (y1 - y0) / size
    return [[float(x), float(y)] for y in ys for x in xs]


@st.cache_data(max_entries=16, show_spinner=False)
def _swarm(config_json: str, size: int, label: str, color: str) -> tuple[dict, int]:
    """The swarm's run entry for the player (`viz.swarm.swarm_entry`) and how many starts the cost budget
    stopped (LBFGS; counted by where they were then)."""
    config = json.loads(config_json)
    surface = get_surface(config["surface"], config["surface_params"])
    swarm = {**config, "start": grid_starts(surface, size)}
    traj = cached_run(swarm)
    return swarm_entry(surface, traj, label, color, swarm), sum(s is not None for s in traj.stopped_at or [])


def swarm_section(surface: Surface, first: RunResult) -> None:
    """The first run's optimizer from a grid of starts in the player, then the share of the starts each minimum
    collected (once the swarm's end is shown: a lesson's question stays open until then)."""
    apply_player_events("pg", CHART)  # the player's last pause or step: where its cursor is, the toggle
    low, high, default = GRID  # its value comes from the page's state; the default once the slider was hidden
    size = st.sidebar.slider(t("pg.grid"), low, high, **seed("pg.grid", value=default), key="pg.grid",
                             help=t("pg.grid.help"))
    try:
        with st.spinner(t("pg.swarm.running", n=size * size)):
            entry, stopped = _swarm(json.dumps(first.config, sort_keys=True), size, first.label, first.color)
    except ConfigError as err:  # over the cost budget (e.g. one optimizer per start), or the engine failed
        st.error(err.message(language()))
        return
    texts = player_texts(language())
    st.caption(t("pg.swarm.caption", optimizer=first.label, n=size * size, show_all=texts["show_all"]))
    every = entry["frames"][1] - entry["frames"][0] if len(entry["frames"]) > 1 else 1
    if every > 1:
        st.caption(t("pg.swarm.sampled", every=every))
    layer = surface_layer_of(first.config, surface)
    last = entry["steps"]  # the last frame: the cursor moves over the sampled frames
    player(layer, [entry], key=f"{CHART}.player", cursor=chart_cursor(CHART, last), show_all=whole_run_shown(CHART),
           panels=("swarm",), texts=texts, height=HEIGHT)
    if stopped:
        st.info(t("pg.swarm.stopped", n=stopped))
    if not whole_run_shown(CHART) and chart_cursor(CHART, last) < last:
        st.caption(t("pg.swarm.shares_later"))
        return
    _shares_table(surface, decode(entry["basin"], kind="u2"))


def _shares_table(surface: Surface, basin: np.ndarray) -> None:
    """Per minimum the share of the starts that reached it (`basin`: per start the minimum's index), then the
    share that reached none or diverged."""
    rows = [{t("col.minimum"): f"({x:.3g}, {y:.3g})", t("col.share"): float(np.mean(basin == i))}
            for i, (x, y) in enumerate(surface.minima)]
    rows.append({t("col.minimum"): t("pg.swarm.none"), t("col.share"): float(np.mean(basin == NO_MINIMUM))})
    st.dataframe(rows, hide_index=True,
                 column_config={t("col.share"): st.column_config.ProgressColumn(format="percent", min_value=0,
                                                                               max_value=1)})
