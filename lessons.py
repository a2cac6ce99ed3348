r"""Guided lessons: a page state to open, a question to predict, an explanation to read after running.

Pure data (no Streamlit).  Each `Lesson` names the page it opens and a partial
page state; keys it leaves out take the page's defaults.  The state uses the
engine config's names (torch's optimizer, scheduler and keyword names), so every
lesson opens as real `torch.optim` runs.  `tests/test_lessons.py` turns each
state into engine configs and checks, with the real engine, every claim the
explanations make — numbers included.

Page state formats (every key optional):

* ``playground``: ``{"mode": "race" | "swarm", "surface", "surface_params", "start": [x, y], "steps",
  "runs": [{"optimizer", "hparams", "scheduler", "scheduler_params", "clip_grad_norm",
  "clip_grad_value", "color"}, ...], "grid": 4..64, "view": "contour" | "3d", "cursor"}``
* ``regression``: ``{"data": None | {"x": [...], "y": [...]}, "standardize", "modes": ["full", "mini",
  "single"], "batch_size", "seed", "start": [w, b], "steps", "run": {...}, "lr_multipliers", "cursor"}``
* ``schedules``: ``{"lr", "steps", "schedulers": {name: params}, "surface", "surface_params", "start",
  "optimizer", "hparams", "log"}``
* ``inside``: ``{"surface", "surface_params", "start", "steps", "run": {...}, "step", "adamw"}``
* ``network``: ``{"dataset", "points", "n", "noise", "data_seed", "test_fraction", "hidden": [16, 16], "activation",
  "init_seed", "steps", "batch_size", "seed", "runs": [{..., "lr_multipliers": [m_base, m_head] | None}, ...],
  "plane": {"kind": "pca" | "random" | "three", "runs": [i, j], "seed"}, "cursor"}``

Treat a lesson's `state` as read-only: `copy.deepcopy` it before changing anything.

>>> LESSONS["saddle-escape"].text("title", "en")
'Stuck at a saddle point'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pagestate
import texts
from viz import PALETTE

BLUE, VERMILION, GREEN, PINK, BROWN, VIOLET = PALETTE[:6]

PAGES = tuple(page.name for page in pagestate.PAGES if page.fields)  # the pages a lesson can open: those with a state
FIELDS = ("title", "question", "explanation")


@dataclass(frozen=True)
class Lesson:
    """One guided experiment: open `page` with `state`, predict, press ▶, read the explanation.

    Its texts live in the catalogues, ``lesson.<id>.title`` / ``.question`` / ``.explanation``."""

    id: str
    page: str
    state: dict = field(hash=False)

    def text(self, field: str, lang: str) -> str:
        """`field` ("title", "question" or "explanation") in `lang` (English where the language lacks it)."""
        if field not in FIELDS:
            raise ValueError(f"unknown lesson field {field!r}; valid: {', '.join(FIELDS)}")
        return texts.text(f"lesson.{self.id}.{field}", lang)


def _run(optimizer: str, color: str, **hparams) -> dict:
    return {"optimizer": optimizer, "hparams": hparams, "color": color}


_LESSONS = (
    Lesson(
        "lr-too-large", "playground",
        {"mode": "race", "surface": "bowl", "surface_params": {"condition": 10.0, "rotation": 0.0},
         "start": [-2.5, 2.0], "steps": 500,
         "runs": [_run("SGD", GREEN, lr=0.05), _run("SGD", BROWN, lr=0.19), _run("SGD", VERMILION, lr=0.21)]},
    ),
    Lesson(
        "saddle-escape", "playground",
        {"mode": "race", "surface": "saddle", "surface_params": {}, "start": [-1.5, 0.001], "steps": 90,
         "runs": [_run("SGD", BLUE, lr=0.01), _run("Momentum", VERMILION, lr=0.01), _run("Adam", PINK, lr=0.01)]},
    ),
    Lesson(
        "momentum-overshoot", "playground",
        {"mode": "race", "surface": "bowl", "surface_params": {"condition": 1.0, "rotation": 0.0},
         "start": [-2.5, 2.0], "steps": 100,
         "runs": [_run("SGD", BLUE, lr=0.1), _run("Momentum", GREEN, lr=0.1, momentum=0.5),
                  _run("Momentum", VERMILION, lr=0.1, momentum=0.9),
                  _run("Momentum", PINK, lr=0.1, momentum=0.99)]},
    ),
    Lesson(
        "nesterov-look-ahead", "playground",
        {"mode": "race", "surface": "bowl", "surface_params": {"condition": 10.0, "rotation": 0.0},
         "start": [-2.5, 2.0], "steps": 100,
         "runs": [_run("Momentum", VERMILION, lr=0.05), _run("Nesterov", GREEN, lr=0.05)]},
    ),
    Lesson(
        "zigzag-valley", "playground",
        {"mode": "race", "surface": "bowl", "surface_params": {"condition": 100.0, "rotation": 0.0},
         "start": [-2.5, 2.0], "steps": 200,
         "runs": [_run("SGD", BLUE, lr=0.019), _run("Adagrad", BROWN, lr=0.5), _run("RMSprop", GREEN, lr=0.05),
                  _run("Adam", VERMILION, lr=0.1)]},
    ),
    Lesson(
        "adagrad-stalls", "inside",
        {"surface": "rosenbrock", "surface_params": {}, "start": [-1.5, 2.0], "steps": 500,
         "run": _run("Adagrad", BROWN, lr=0.1), "step": -1},
    ),
    Lesson(
        "adam-first-step", "inside",
        {"surface": "bowl", "surface_params": {"condition": 1000.0, "rotation": 0.0}, "start": [-2.5, 2.0],
         "steps": 100, "run": _run("Adam", VERMILION, lr=0.1), "step": -1},
    ),
    Lesson(
        "adam-l2-vs-adamw", "playground",
        {"mode": "race", "surface": "booth", "surface_params": {}, "start": [-8.0, -8.0], "steps": 1000,
         "runs": [_run("Adam", BLUE, lr=0.1), _run("Adam", VERMILION, lr=0.1, weight_decay=0.5),
                  _run("AdamW", GREEN, lr=0.1, weight_decay=0.5)]},
    ),
    Lesson(
        "step-vs-cosine", "schedules",
        {"lr": 0.2, "steps": 100,
         "schedulers": {"StepLR": {"step_size": 25, "gamma": 0.5}, "CosineAnnealingLR": {"T_max": 100}},
         "surface": "bowl", "surface_params": {"condition": 10.0, "rotation": 0.0}, "start": [-2.5, 2.0],
         "optimizer": "SGD", "hparams": {}, "log": False},
    ),
    Lesson(
        "adam-warmup", "schedules",
        {"lr": 0.5, "steps": 200,
         "schedulers": {
             "CosineAnnealingLR": {"T_max": 200},
             "SequentialLR": {"schedulers": [{"name": "LinearLR", "params": {"start_factor": 0.01, "total_iters": 20}},
                                             {"name": "CosineAnnealingLR", "params": {"T_max": 180}}],
                              "milestones": [20]}},
         "surface": "rosenbrock", "surface_params": {}, "start": [-1.5, 2.0], "optimizer": "Adam", "hparams": {},
         "log": True},
    ),
    Lesson(
        "minibatch-noise", "regression",
        {"data": None, "standardize": False, "modes": ["full", "mini", "single"], "batch_size": 4, "seed": 0,
         "steps": 200, "run": _run("SGD", BLUE, lr=0.005), "lr_multipliers": None},
    ),
    Lesson(
        "standardize-data", "regression",
        {"data": None, "standardize": True, "modes": ["full"], "steps": 20, "run": _run("SGD", BLUE, lr=0.5),
         "lr_multipliers": None},
    ),
    Lesson(
        "lbfgs-few-steps", "playground",
        {"mode": "race", "surface": "rosenbrock", "surface_params": {}, "start": [-1.5, 2.0], "steps": 100,
         "runs": [_run("LBFGS", BLUE, line_search_fn="strong_wolfe"), _run("LBFGS", BROWN),
                  _run("Adam", VERMILION, lr=0.05)]},
    ),
    Lesson(
        "gradient-clipping", "playground",
        {"mode": "race", "surface": "rosenbrock", "surface_params": {}, "start": [-2.0, -0.5], "steps": 500,
         "runs": [_run("SGD", VERMILION, lr=0.0015),
                  {**_run("SGD", BLUE, lr=0.0015), "clip_grad_norm": 10.0},
                  {**_run("SGD", GREEN, lr=0.0015), "clip_grad_value": 10.0}]},
    ),
    Lesson(
        "himmelblau-basins", "playground",
        {"mode": "swarm", "surface": "himmelblau", "surface_params": {}, "steps": 200, "grid": 24,
         "runs": [_run("SGD", BLUE, lr=0.01)]},
    ),
    Lesson(
        "rastrigin-traps", "playground",
        {"mode": "swarm", "surface": "rastrigin", "surface_params": {"A": 10.0}, "steps": 300, "grid": 24,
         "runs": [_run("SGD", BLUE, lr=0.002)]},
    ),
    Lesson(
        "spiral-adam-vs-momentum", "network",
        {"dataset": "spiral2", "noise": 0.1, "hidden": [16, 16], "activation": "ReLU", "steps": 1000,
         "runs": [_run("SGD", BLUE, lr=0.1), _run("Momentum", GREEN, lr=0.1), _run("Adam", VERMILION, lr=0.01)]},
    ),
    Lesson(
        "head-lr", "network",
        {"dataset": "moons", "hidden": [16, 16], "activation": "ReLU", "steps": 300,
         "runs": [_run("SGD", VERMILION, lr=4.0), {**_run("SGD", BLUE, lr=4.0), "lr_multipliers": [1.0, 0.1]}]},
    ),
)

LESSONS: dict[str, Lesson] = {lesson.id: lesson for lesson in _LESSONS}
