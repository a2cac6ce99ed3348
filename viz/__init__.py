"""Pure builders (numpy, no Streamlit) of what the charts draw: the player's payloads (surface layers and runs as
typed arrays: `player_data`, and per page `regression`, `inside`, `swarm`), contour lines, and the schedules
page's static learning-rate figure.

>>> from optimizers import run
>>> from surfaces import get_surface
>>> from viz.player_data import decode, run_entry_of
>>> traj = run({"surface": "rosenbrock", "steps": 200, "optimizer": "Adam", "hparams": {"lr": 0.01}})
>>> entry = run_entry_of("Adam", PALETTE[0], traj.config, traj)
>>> entry["steps"], decode(entry["xy"], (201, 2))[0].tolist()
(200, [-1.5, 2.0])
"""

from .contours import contour_lines
from .runs import PALETTE, RunResult, figure_texts

__all__ = ["PALETTE", "RunResult", "contour_lines", "figure_texts"]
