"""Linear regression's state: the data, full / mini-batch / single-sample runs of one optimizer, the cursor."""

from __future__ import annotations

from optimizers.config import LR_MULTIPLIERS
from schema import ConfigError
from surfaces import get_surface
from surfaces.datasets import MAX_ROWS
from viz.runs import PALETTE

from .fields import boolean, integer, number, valid, value_field
from .runs import run_field
from .surface import cursor_field, first_start, start_check, steps_field

MODES = ("full", "mini", "single")
RUN = {"optimizer": "SGD", "hparams": {"lr": 0.01}, "color": PALETTE[0]}  # the run editor's first values


def _data(v, state=None) -> dict | None:
    """{"x": [...], "y": [...]}: 2 to MAX_ROWS pairs of finite numbers that make a regression surface."""
    if not isinstance(v, dict) or set(v) != {"x", "y"}:
        return None
    x, y = v["x"], v["y"]
    if not (isinstance(x, list) and isinstance(y, list) and 2 <= len(x) == len(y) <= MAX_ROWS):
        return None
    x, y = [number(a, -1e12, 1e12) for a in x], [number(b, -1e12, 1e12) for b in y]
    if None in x or None in y:
        return None
    try:
        get_surface("linear_regression", {"x": x, "y": y, "standardize": False})
    except ConfigError:
        return None
    return {"x": x, "y": y}


def surface(state: dict):
    """The regression's loss surface over (w, b) for the state's data."""
    return get_surface("linear_regression", {**(state["data"] or {}), "standardize": state["standardize"]})


def _modes(v, state=None):
    return [m for m in MODES if m in v] if isinstance(v, list) and v and all(m in MODES for m in v) else None


FIELDS = (
    value_field("data", _data, None, widget=None, kind="data"),
    value_field("standardize", boolean, False),
    value_field("modes", _modes, list(MODES)),
    value_field("batch_size", lambda v, state: integer(1, surface(state).n_samples)(v),
                lambda state: min(4, surface(state).n_samples)),
    value_field("seed", integer(0, 2**31 - 1), 0),
    value_field("start", start_check, lambda state: first_start(surface(state)), kind="xy"),
    steps_field(200),
    run_field(RUN),
    value_field("lr_multipliers", lambda v, state: valid(LR_MULTIPLIERS, v), None, "groups", "multipliers"),
    cursor_field(),
)
