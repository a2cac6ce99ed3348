"""Figure builders: pure functions from surfaces and trajectories to plotly figure dicts (no Streamlit).

>>> from optimizers import run
>>> from surfaces import get_surface
>>> traj = run({"surface": "rosenbrock", "steps": 200, "optimizer": "Adam", "hparams": {"lr": 0.01}})
>>> fig = race_figure(get_surface("rosenbrock"), [RunView.of(traj, "Adam", PALETTE[0])], texts={})
>>> fig["data"][0]["name"], len(fig["frames"]) <= 240
('click target', True)
"""

from .contours import contour_lines
from .encode import figure_bytes
from .export_html import animation_html
from .layers import CLICK_TARGET
from .projector import projector
from .race import race_figure
from .runs import PALETTE, TEXTS_EN, RunResult, RunView
from .surface3d import surface_3d_figure

__all__ = ["CLICK_TARGET", "PALETTE", "TEXTS_EN", "RunResult", "RunView", "animation_html", "contour_lines",
           "figure_bytes", "projector", "race_figure", "surface_3d_figure"]
