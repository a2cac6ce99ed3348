"""The course's example (reference 004): nn.Linear(1, 1) on its 15 points gives the engine's losses, bit for bit."""

import numpy as np
import pytest
import torch
from oracle import course_loop

from optimizers import run
from surfaces.regression import COURSE_START


def course_model():
    torch.manual_seed(42)
    return torch.nn.Linear(1, 1)


def train_like_the_course(make_optimizer, epochs=100, closure_steps=None):
    """The course's loop from the first model's start: losses before each step (after each LBFGS step)."""
    model = course_model()
    return course_loop(model, make_optimizer(model.parameters()), epochs, closure_steps)


@pytest.mark.parametrize(("name", "hparams", "make"), [
    ("SGD", {"lr": 0.01}, lambda p: torch.optim.SGD(p, lr=0.01)),
    ("SGD", {"lr": 0.01, "momentum": 0.9}, lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9)),
    ("RMSprop", {"lr": 0.01}, lambda p: torch.optim.RMSprop(p, lr=0.01)),
    ("Adam", {"lr": 0.001}, lambda p: torch.optim.Adam(p, lr=0.001)),
], ids=["SGD", "Momentum", "RMSprop", "Adam"])
def test_course_first_order_runs(name, hparams, make):
    expected = train_like_the_course(make)
    traj = run({"surface": "linear_regression", "start": list(COURSE_START), "steps": 100,
                "optimizer": name, "hparams": hparams})
    assert np.array_equal(traj.loss[:100], expected)


def test_course_lbfgs_run():
    expected = train_like_the_course(lambda p: torch.optim.LBFGS(p, lr=1, max_iter=20), closure_steps=5)
    traj = run({"surface": "linear_regression", "start": list(COURSE_START), "steps": 5,
                "optimizer": "LBFGS", "hparams": {"lr": 1, "max_iter": 20}})
    assert np.array_equal(traj.loss[1:], expected)


def test_adam_at_the_course_lr_is_far_from_converged():
    """The course says Adam 'usually converges very fast'; at lr 0.001 for 100 epochs it has barely moved."""
    adam = run({"surface": "linear_regression", "start": list(COURSE_START), "steps": 100,
                "optimizer": "Adam", "hparams": {"lr": 0.001}})
    sgd = run({"surface": "linear_regression", "start": list(COURSE_START), "steps": 100,
               "optimizer": "SGD", "hparams": {"lr": 0.01}})
    assert adam.loss[-1] > 5 * sgd.loss[-1]
    assert np.abs(adam.xy[-1] - adam.xy[0]).max() <= 100 * 0.001 + 1e-6  # about lr per step per coordinate
