"""The regression page's chart in the player: the MSE over (w, b) with the paths and gradient arrows, the data with
each run's fitted line, and the loss with the epochs, on one time cursor (`ui/player/panels/regression.js`)."""

from __future__ import annotations

import json

import streamlit as st

from surfaces import Surface
from viz import RunResult
from viz.regression import regression_entry, regression_layer

from .charts import chart_cursor, divergence_note, student_tip, whole_run_shown
from .i18n import language, t
from .player import player, player_texts

HEIGHT = 560


@st.cache_data(max_entries=32, show_spinner=False)
def _layer(key: str, _surface: Surface) -> dict:
    """The MSE's contour lines and minimum with the data points; cached on `key` (the surface's parameters)."""
    del key
    return regression_layer(_surface)


@st.cache_data(max_entries=64, show_spinner=False)
def _entries(key: str, _surface: Surface, _results: list[RunResult]) -> list[dict]:
    """The runs' player entries with their gradients, batches and evaluated points; cached on `key` (the runs'
    labels, colours and configs, which hold the surface), not on the arrays."""
    del key
    return [regression_entry(_surface, r) for r in _results]


def _key(done: list[RunResult]) -> str:
    return json.dumps([{"label": r.label, "color": r.color, "config": r.config} for r in done], sort_keys=True)


def _texts() -> dict:
    """The player's texts, the map's axes named w and b (the readout's columns too) and the data's x and y."""
    base = player_texts(language())
    return {**base, "x": base["w"], "y": base["b"], "data_x": base["x"], "data_y": base["y"],
            "epochs": t("lr.epochs")}


def regression_chart(surface: Surface, done: list[RunResult], chart_key: str, clickable: bool = True) -> dict | None:
    """The runs in the player: the MSE map (a click sets the start, `apply_player_events`, unless not
    `clickable`), the data with the fitted lines and the loss, on one time cursor. Returns what the exported page
    needs ({"layer", "runs", "panels", "texts"}), or None with no runs."""
    if not done:
        st.info(t("pg.no_runs"))
        return None
    steps = max(r.config["steps"] for r in done)
    layer = _layer(json.dumps(done[0].config.get("surface_params") or {}, sort_keys=True), surface)
    runs = _entries(_key(done), surface, done)
    panels = ("mse" if clickable else "mse_fixed", "data", "loss_epochs")
    texts = _texts()
    if clickable:
        student_tip(chart_key, t("lr.click_hint"))
    player(layer, runs, key=f"{chart_key}.player", cursor=chart_cursor(chart_key, steps),
           show_all=whole_run_shown(chart_key), panels=panels, texts=texts, height=HEIGHT)
    divergence_note(done)
    return {"layer": layer, "runs": runs, "panels": panels, "texts": texts}
