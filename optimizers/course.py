"""The course's example (reference 004) as engine runs, and its printout rebuilt from their trajectories.

The course seeds torch once (``torch.manual_seed(42)``) and then creates five ``nn.Linear(1, 1)`` models one
after another, so each optimizer starts from a different (w, b).  `course_runs` gives each run its own model's
start; `run_course_script` runs the course's literal code so the two can be compared: the engine's losses and
learned (w, b), hence the printout, equal the script's bit for bit (the regression surface is nn.Linear + MSELoss's).
"""

from __future__ import annotations

import contextlib
import io
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
# The course says "Adam 通常能非常快地收敛到一个好的解" (Adam usually converges to a good solution very fast).
# Not here: Adam's step is lr · m̂ / (√v̂ + ε), about lr per coordinate whatever the gradient's size, so at
# lr = 0.001 for 100 epochs each of w and b moves at most ~0.1, and the loss stays far above SGD's.
_SECTIONS = (
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


def _course_script() -> None:
    """The course's script, verbatim apart from indentation (and its Chinese comments left out)."""
    import numpy as np
    import torch.nn as nn
    import torch.optim as optim

    torch.manual_seed(42)

    X_numpy = np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [4.168],
                        [9.779], [6.182], [7.59], [2.167], [7.042],
                        [10.791], [5.313], [7.997], [3.1]], dtype=np.float32)

    y_numpy = np.array([[1.7], [2.76], [2.09], [3.19], [1.694], [1.573],
                        [3.366], [2.596], [2.53], [1.221], [2.827],
                        [3.465], [1.65], [2.904], [1.3]], dtype=np.float32)

    X = torch.from_numpy(X_numpy)
    y = torch.from_numpy(y_numpy)

    class LinearRegressionModel(nn.Module):
        def __init__(self):
            super(LinearRegressionModel, self).__init__()  # noqa: UP008
            self.linear = nn.Linear(1, 1)

        def forward(self, x):
            return self.linear(x)

    criterion = nn.MSELoss()

    def train_with_optimizer(optimizer, model, num_epochs=100):
        print(f"\n--- Training with {optimizer.__class__.__name__} ---")
        for epoch in range(num_epochs):
            outputs = model(X)
            loss = criterion(outputs, y)

            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            if (epoch+1) % 20 == 0:
                print(f'Epoch [{epoch+1}/{num_epochs}], Loss: {loss.item():.4f}')

        [w, b] = model.parameters()
        print(f"Learned parameters: w={w.item():.3f}, b={b.item():.3f}")

    model_sgd = LinearRegressionModel()
    optimizer_sgd = optim.SGD(model_sgd.parameters(), lr=0.01)
    train_with_optimizer(optimizer_sgd, model_sgd)

    model_momentum = LinearRegressionModel()
    optimizer_momentum = optim.SGD(model_momentum.parameters(), lr=0.01, momentum=0.9)
    train_with_optimizer(optimizer_momentum, model_momentum)

    model_rmsprop = LinearRegressionModel()
    optimizer_rmsprop = optim.RMSprop(model_rmsprop.parameters(), lr=0.01)
    train_with_optimizer(optimizer_rmsprop, model_rmsprop)

    model_adam = LinearRegressionModel()
    optimizer_adam = optim.Adam(model_adam.parameters(), lr=0.001)
    train_with_optimizer(optimizer_adam, model_adam)

    model_lbfgs = LinearRegressionModel()
    optimizer_lbfgs = optim.LBFGS(model_lbfgs.parameters(), lr=1, max_iter=20)

    print(f"\n--- Training with {optimizer_lbfgs.__class__.__name__} ---")

    def closure():
        optimizer_lbfgs.zero_grad()
        outputs = model_lbfgs(X)
        loss = criterion(outputs, y)
        loss.backward()
        return loss

    for i in range(5):
        print(f'Step [{i+1}/5]')
        optimizer_lbfgs.step(closure)

        with torch.no_grad():
            final_loss = criterion(model_lbfgs(X), y)
            print(f'Loss: {final_loss.item():.4f}')

    [w, b] = model_lbfgs.parameters()
    print(f"Learned parameters: w={w.item():.3f}, b={b.item():.3f}")


def run_course_script() -> str:
    """Run the course's literal script with torch and return what it prints (inside `fork_rng`)."""
    out = io.StringIO()
    with torch.random.fork_rng(devices=[]), contextlib.redirect_stdout(out):
        _course_script()
    return out.getvalue()
