"""The course's example (reference 004) as engine runs, and its printout rebuilt from their trajectories.

The course seeds torch once (``torch.manual_seed(42)``) and then creates five ``nn.Linear(1, 1)`` models one
after another, so each optimizer starts from a different (w, b).  `course_runs` gives each run its own model's
start; the engine's losses and learned (w, b), hence the printout, equal the course's literal script bit for bit
(the regression surface is nn.Linear + MSELoss's; tests/oracle.py `run_course_script` runs that script).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .config import resolve_optimizer

SEED = 42
EPOCHS = 100
PRINT_EVERY = 20
LBFGS_STEPS = 5


@dataclass(frozen=True)
class CourseRun:
    name: str      # the course's section name
    config: dict   # an engine config on "linear_regression" from this model's own initial (w, b)
    epochs: int    # 100 epochs, or 5 LBFGS steps


def course_starts() -> list[tuple[float, float]]:
    """The five models' initial (w, b), as the course's script creates them after torch.manual_seed(42).

    Computed with torch inside `fork_rng`, so the caller's global RNG state is untouched.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        models = [torch.nn.Linear(1, 1) for _ in range(5)]
    return [(m.weight.item(), m.bias.item()) for m in models]


# Section name, optimizer class, hyperparameters, as in the course's script (in its order of model creation).
# The course says that Adam "usually converges to a good solution very fast".
# Not here: Adam's step is lr · m̂ / (√v̂ + ε), about lr per coordinate whatever the gradient's size, so at
# lr = 0.001 for 100 epochs each of w and b moves at most ~0.1, and the loss stays far above SGD's.
_SECTIONS: tuple[tuple[str, str, dict[str, float]], ...] = (
    ("SGD", "SGD", {"lr": 0.01}),
    ("SGD with Momentum", "SGD", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", "RMSprop", {"lr": 0.01}),
    ("Adam", "Adam", {"lr": 0.001}),
    ("LBFGS", "LBFGS", {"lr": 1, "max_iter": 20}),
)


def course_runs() -> list[CourseRun]:
    """The course's five runs, each from its own model's initial (w, b)."""
    runs = []
    for (name, optimizer, hparams), start in zip(_SECTIONS, course_starts(), strict=True):
        epochs = LBFGS_STEPS if optimizer == "LBFGS" else EPOCHS
        config = {"surface": "linear_regression", "start": list(start), "steps": epochs,
                  "optimizer": optimizer, "hparams": dict(hparams)}
        runs.append(CourseRun(name, config, epochs))
    return runs


def printout(runs: list[CourseRun], trajectories) -> str:
    """The text the course's script prints, rebuilt from the engine's trajectories (one per run)."""
    lines = []
    for course_run, traj in zip(runs, trajectories, strict=True):
        cls, _ = resolve_optimizer(course_run.config["optimizer"], course_run.config.get("hparams"))
        n = course_run.epochs
        lines += ["", f"--- Training with {cls} ---"]
        if cls == "LBFGS":
            for i in range(1, n + 1):
                lines += [f"Step [{i}/{n}]", f"Loss: {float(traj.loss[i]):.4f}"]
        else:
            for epoch in range(PRINT_EVERY, n + 1, PRINT_EVERY):
                lines.append(f"Epoch [{epoch}/{n}], Loss: {float(traj.loss[epoch - 1]):.4f}")
        w, b = (float(v) for v in traj.xy[n])
        lines.append(f"Learned parameters: w={w:.3f}, b={b:.3f}")
    return "\n".join(lines) + "\n"
