"""The network page's chart in the player: each run's decision boundary over the data, the loss, accuracy, learning
rate and per-layer gradient norm curves, on one time cursor (`ui/player/panels/network.js`); below it, the runs'
weights on a 2-D slice of the loss landscape (`landscape_chart`)."""

from __future__ import annotations

import json

import streamlit as st

from texts import CATALOGUES, DEFAULT, text
from viz import RunResult
from viz.network import landscape_payload, network_entry, network_layer

from .charts import chart_cursor, divergence_note, whole_run_shown
from .i18n import language, t
from .player import player, player_texts

HEIGHT = 640
PANELS = ("boundary", "net_loss", "net_accuracy", "net_lr", "net_grad")


@st.cache_data(max_entries=32, show_spinner=False)
def _layer(key: str) -> dict:
    """The data points and the boundary grid of one network entry (`key`: its JSON)."""
    return network_layer(json.loads(key))


@st.cache_data(max_entries=64, show_spinner=False)
def _entry(key: str, _result: RunResult) -> dict:
    """A run's player entry (curves and sampled boundaries); cached on `key` (its label, colour and config), not on
    the arrays: the engine is deterministic."""
    del key
    return network_entry(_result)


def _key(r: RunResult) -> str:
    return json.dumps({"label": r.label, "color": r.color, "config": r.config}, sort_keys=True)


def chart_texts(lang: str | None = None) -> dict:
    """The player's texts with the network panels' own (`netviz.*` as `net.*`)."""
    lang = lang or language()
    return {**player_texts(lang), **{"net." + key.removeprefix("netviz."): text(key, lang)
                                     for key in CATALOGUES[DEFAULT] if key.startswith("netviz.")}}


def network_chart(done: list[RunResult], chart_key: str, plane: dict | None = None) -> dict | None:
    """The runs in the player: the decision boundaries (one map per run) with the loss, accuracy, learning-rate and
    gradient-norm curves, on one time cursor; with `plane` the landscape below it (`landscape_chart`). Returns what
    the exported page needs ({"layer", "runs", "panels", "texts"}), or None with no runs."""
    if not done:
        st.info(t("pg.no_runs"))
        return None
    if plane is not None:
        chart = network_chart(done, chart_key)
        landscape_chart(done, plane, f"{chart_key}.landscape")
        return chart
    steps = max(r.config["steps"] for r in done)
    layer = _layer(json.dumps(done[0].traj.config["network"], sort_keys=True))
    runs = [_entry(_key(r), r) for r in done]
    texts = chart_texts()
    player(layer, runs, key=f"{chart_key}.player", cursor=chart_cursor(chart_key, steps),
           show_all=whole_run_shown(chart_key), panels=PANELS, texts=texts, height=HEIGHT)
    divergence_note(done)
    return {"layer": layer, "runs": runs, "panels": PANELS, "texts": texts}


LANDSCAPE_HEIGHT = 560
LANDSCAPE_PANELS = ("landscape", "plane_gap", "plane_distance", "line1d")


@st.cache_data(max_entries=16, show_spinner=False)
def _landscape(key: str, _results: list[RunResult]) -> tuple[dict, list[dict]]:
    """The slice's layer and the runs' landscape entries; cached on `key` (the runs and the plane)."""
    return landscape_payload(_results, json.loads(key)["plane"])


def landscape_chart(done: list[RunResult], plane: dict, chart_key: str, cursor_key: str | None = None) -> dict | None:
    """The runs' weights on a 2-D slice of the loss landscape (`plane`: {"kind": "pca"}, {"kind": "random",
    "runs": [i], "seed": s} or {"kind": "three", "runs": [i, j]}), the true loss along each path against the plane's
    loss and the distance from the plane, and the loss on the line from the initial to each run's final weights, in
    a player of its own, on the cursor of `cursor_key`'s chart (the page applies both players' events to it).
    Returns what the exported page needs, or None (no runs, or a plane that cannot be made)."""
    if not done:
        return None
    key = json.dumps({"runs": [json.loads(_key(r)) for r in done], "plane": plane}, sort_keys=True)
    try:
        layer, runs = _landscape(key, done)
    except ValueError:
        st.info(t("netviz.three_needs_two"))
        return None
    if layer["left_out"]:
        st.caption(t("netviz.pca_left_out", runs=", ".join(layer["left_out"])))
    texts = chart_texts()
    steps = max(r.config["steps"] for r in done)
    cursor_key = cursor_key or chart_key  # the page's one cursor: the main chart's, where both share it
    player(layer, runs, key=f"{chart_key}.player", cursor=chart_cursor(cursor_key, steps),
           show_all=whole_run_shown(cursor_key), panels=LANDSCAPE_PANELS, texts=texts, height=LANDSCAPE_HEIGHT)
    return {"layer": layer, "runs": runs, "panels": LANDSCAPE_PANELS, "texts": texts}
