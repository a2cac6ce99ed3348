"""A tiny app that shows the player with real engine runs (for tests/test_player.py and bench/player_bench.py).

Query parameters: `steps` (500), `runs` (1-4), `mode` ("map", "3d", "swarm": 64 × 64 starts in the swarm panel,
"network": the network page's chart, `ui.network_chart`, with `dataset`, or its landscape with `plane`),
`reduced=1`. The first run's learning rate is a select slider; the player's events are printed below it.
"""

import json
import sys
from pathlib import Path

import numpy as np
import streamlit as st

sys.path.insert(0, str(Path(__file__).parents[1]))

from optimizers import run
from surfaces import get_surface
from ui.player import player
from ui.swarm import grid_starts
from viz.player_data import run_entry_of, surface_layer
from viz.runs import PALETTE
from viz.swarm import swarm_entry

SURFACE, START = "rosenbrock", [-1.5, 2.0]
RUNS = [("SGD", {}), ("Adam", {"lr": 0.05}), ("RMSprop", {"lr": 0.01}), ("SGD", {"lr": 0.003})]  # the last diverges
LRS = [round(v, 6) for v in np.geomspace(1e-4, 2e-3, 40)]


@st.cache_resource(max_entries=64)
def computed(optimizer: str, hparams_json: str, steps: int, swarm: bool):
    """(config, Trajectory) of one run from START, or from a 64 × 64 grid of starts."""
    config = {"surface": SURFACE, "start": grid_starts(get_surface(SURFACE), 64) if swarm else START, "steps": steps,
              "optimizer": optimizer, "hparams": json.loads(hparams_json)}
    return config, run(config)


@st.cache_data
def layer(mesh: bool) -> dict:
    return surface_layer(get_surface(SURFACE), mesh_n=80 if mesh else None)


q = st.query_params
steps, mode = int(q.get("steps", 500)), q.get("mode", "map")
if mode == "network":  # the network page's chart (tests/test_network_player.py): its own panels, no events shown
    st.set_page_config(layout="wide")
    from test_network_viz import network_results

    from ui.network_chart import landscape_chart, network_chart
    done = network_results(steps, q.get("dataset", "spiral3"))[:int(q.get("runs", 4))]
    if "plane" in q:  # the landscape's player alone: plane=pca, random or three (runs 1 and 2)
        landscape_chart(done, {"kind": q["plane"], "runs": [0, 1], "seed": 0}, "land")
    else:
        network_chart(done, "net")
    st.stop()
lr = st.select_slider("learning rate of run 1", LRS, value=LRS[20])
chosen = [("SGD", {"lr": lr})] if mode == "swarm" else [(RUNS[0][0], {"lr": lr}), *RUNS[1:]][:int(q.get("runs", 4))]
runs = [(f"{i + 1}: {opt} lr={hp['lr']}", PALETTE[i], *computed(opt, json.dumps(hp), steps, mode == "swarm"))
        for i, (opt, hp) in enumerate(chosen)]
if mode == "swarm":
    runs = [swarm_entry(get_surface(SURFACE), traj, label, color, config) for label, color, config, traj in runs]
else:
    runs = [run_entry_of(*r) for r in runs]
panels = {"3d": ("3d", "loss", "lr"), "swarm": ("swarm",)}.get(mode, ("map", "loss", "lr"))
event = player(layer(mode == "3d"), runs, key="player", panels=panels, reduced_motion=q.get("reduced") == "1")
if event:
    st.session_state["events"] = [*st.session_state.get("events", []), event]
st.text("events: " + json.dumps(st.session_state.get("events", [])))
