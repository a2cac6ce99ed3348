"""The Playground's state: a surface, up to six runs of one length (or one in swarm mode), the chart."""

from __future__ import annotations

from viz.runs import PALETTE

from .fields import Field, Problems, choice, integer, value_field
from .runs import run_state, short_run
from .surface import chart_fields, steps_field, surface_field

MAX_RUNS = 6
PLAYGROUND_RUNS = (
    {"optimizer": "SGD", "hparams": {"lr": 0.001}},
    {"optimizer": "Momentum", "hparams": {"lr": 0.001}},
    {"optimizer": "RMSprop", "hparams": {"lr": 0.01}},
    {"optimizer": "Adam", "hparams": {"lr": 0.05}},
)
MODES = ("race", "swarm")
GRID = (4, 64, 24)  # the swarm's starts per side: lowest, highest, default


def new_run(index: int) -> dict:
    """The starting values of the page's run number `index` (0-based)."""
    base = PLAYGROUND_RUNS[index] if index < len(PLAYGROUND_RUNS) else {"optimizer": "Adam", "hparams": {}}
    return {**base, "color": PALETTE[index % len(PALETTE)]}


def _runs(raw: dict, state: dict, problems: Problems) -> list[dict]:
    given = raw.get("runs")
    if given is not None and not (isinstance(given, list) and len(given) >= 1):
        problems.flag("runs")
    runs = given if isinstance(given, list) and given else [{}] * len(PLAYGROUND_RUNS)
    if len(runs) > MAX_RUNS:
        problems.flag("runs")
    runs = runs[:1] if state["mode"] == "swarm" else runs[:MAX_RUNS]
    return [run_state(r, new_run(i), state["steps"], problems, f"runs.{i}.") for i, r in enumerate(runs)]


FIELDS = (
    value_field("mode", choice(MODES), "race"),
    surface_field("rosenbrock"),
    steps_field(500),
    Field("runs", _runs, "runs", kind="runs",
          shorten=lambda runs, _, state: [short_run(r, new_run(i), state["steps"]) for i, r in enumerate(runs)]),
    value_field("grid", integer(*GRID[:2]), GRID[2]),
    *chart_fields(),
)
