"""A tiny app that shows the player with real engine runs (for tests/test_player.py and bench/player_bench.py).

Query parameters: `steps` (500), `runs` (1-4), `mode` ("map", "3d" or "swarm": 64 × 64 starts), `reduced=1`.
The first run's learning rate is a select slider; the player's events are printed below it.
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
from viz.player_data import run_entry_of, surface_layer
from viz.runs import PALETTE

SURFACE, START = "rosenbrock", [-1.5, 2.0]
RUNS = [("SGD", {}), ("Adam", {"lr": 0.05}), ("RMSprop", {"lr": 0.01}), ("SGD", {"lr": 0.003})]  # the last diverges
LRS = [round(v, 6) for v in np.geomspace(1e-4, 2e-3, 40)]


@st.cache_data(max_entries=64)
def entry(optimizer: str, hparams_json: str, steps: int, label: str, color: str, swarm: bool) -> dict:
    (x0, x1), (y0, y1) = get_surface(SURFACE).bounds
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, 64), np.linspace(y0, y1, 64)), -1).reshape(-1, 2)
    config = {"surface": SURFACE, "start": grid.tolist() if swarm else START, "steps": steps,
              "optimizer": optimizer, "hparams": json.loads(hparams_json)}
    return run_entry_of(label, color, config, run(config))


@st.cache_data
def layer(mesh: bool) -> dict:
    return surface_layer(get_surface(SURFACE), mesh_n=80 if mesh else None)


q = st.query_params
steps, mode = int(q.get("steps", 500)), q.get("mode", "map")
lr = st.select_slider("learning rate of run 1", LRS, value=LRS[20])
chosen = [("SGD", {"lr": lr})] if mode == "swarm" else [(RUNS[0][0], {"lr": lr}), *RUNS[1:]][:int(q.get("runs", 4))]
runs = [entry(opt, json.dumps(hp), steps, f"{i + 1}: {opt} lr={hp['lr']}", PALETTE[i], mode == "swarm")
        for i, (opt, hp) in enumerate(chosen)]
event = player(layer(mode == "3d"), runs, key="player", panels=("3d" if mode == "3d" else "map", "loss", "lr"),
               reduced_motion=q.get("reduced") == "1")
if event:
    st.session_state["events"] = [*st.session_state.get("events", []), event]
st.text("events: " + json.dumps(st.session_state.get("events", [])))
