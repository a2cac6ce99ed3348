"""Inside the optimizer's state: a surface, one run, the step explained, and the Adam + L2 vs AdamW comparison."""

from __future__ import annotations

from viz.runs import PALETTE

from .fields import boolean, integer, value_field
from .runs import run_field
from .surface import steps_field, surface_field

RUN = {"optimizer": "Adam", "hparams": {"lr": 0.1}, "color": PALETTE[0]}  # the run editor's first values

FIELDS = (
    surface_field("bowl"),
    steps_field(500),
    run_field(RUN),
    # the update shown, as links have always held it: its 0-based index (torch's (step + 1)-th optimizer.step(), the
    # player's step `step + 1`); -1 is the start, before any update
    value_field("step", lambda v, state: integer(-1, state["steps"] - 1)(v), 0),
    value_field("adamw", boolean, False),
)
