"""The schedules page's state: a base lr, up to four schedulers' curves, and their effect on one optimizer's path."""

from __future__ import annotations

from optimizers import SCHEDULERS
from optimizers.config import resolve_optimizer
from optimizers.schedulers import MAX_LR
from schema import Param
from viz.runs import PALETTE

from .fields import Field, Problems, boolean, number, strip, valid, value_field
from .runs import CLIPS, run_state, scheduler_state, short_run
from .surface import chart_fields, steps_field, surface_field

MAX_SCHEDULES = 4
# the base lr: typed exactly, or slid over a 1–2–5 grid (links made when only the grid could be chosen still open)
BASE_LR = Param("lr", "float", 0.1, "sch.base_lr.help", low=0.0, high=MAX_LR, open_low=True, slider=(1e-4, 1.0),
                log=True)
RUN_KEYS = ("optimizer", "hparams", *CLIPS)
RUN = {"optimizer": "SGD", "color": PALETTE[0]}  # the optimizer the schedules drive, at first


def default_table(steps: int) -> list[int]:
    """The steps the page's table shows at first."""
    return sorted({0, steps // 4, steps // 2, steps - 1})


def _lr(v, state=None):
    return valid(BASE_LR, v)


def _run(raw: dict, state: dict, problems: Problems) -> dict:
    """The optimizer the schedules drive (its lr is the page's, its scheduler each of the page's)."""
    run = run_state({k: raw[k] for k in RUN_KEYS if k in raw}, RUN, state["steps"], problems, "",
                    lr=state["lr"], schedule=False)
    return {k: run[k] for k in RUN_KEYS}


def _schedulers(raw: dict, state: dict, problems: Problems) -> dict:
    given = raw.get("schedulers", {"StepLR": {}, "CosineAnnealingLR": {}})
    if not isinstance(given, dict) or len(given) > MAX_SCHEDULES or any(n not in SCHEDULERS for n in given):
        problems.flag("schedulers")
        given = {n: p for n, p in given.items() if n in SCHEDULERS} if isinstance(given, dict) else {}
    context = {"steps": state["steps"], "lr": state["lr"], "optimizer": resolve_optimizer(state["optimizer"], {})[0],
               "line_search": state["hparams"].get("line_search_fn")}
    return {name: scheduler_state(name, values, context, problems, f"schedulers.{name}.")
            for name, values in list(given.items())[:MAX_SCHEDULES]}


def _short_schedulers(chosen: dict, default: dict, state: dict) -> dict:
    context = {"steps": state["steps"], "lr": state["lr"]}
    return {name: strip(values, scheduler_state(name, {}, context, Problems(), "")) for name, values in chosen.items()}


def _table(v, state):
    return v if isinstance(v, list) and len(v) <= 50 and all(
        number(s, 0, state["steps"] - 1, int) is not None for s in v) else None


FIELDS = (
    value_field("lr", _lr, 0.1),
    steps_field(100, low=2, widget="epochs"),
    Field("run", _run, "run", kind="run", flat=True,
          shorten=lambda run, _, state: short_run(run, RUN, state["steps"], lr=state["lr"],
                                                  schedule=False)),
    Field("schedulers", _schedulers, "schedulers", kind="schedulers", shorten=_short_schedulers),
    surface_field("bowl"),
    value_field("log", boolean, False),
    value_field("table", _table, lambda state: default_table(state["steps"]), "at", "text_list"),
    *chart_fields(),
)
